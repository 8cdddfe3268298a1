"""The embedded default data set, generated (no download, no licence): a MovieLens-100K-sized
catalogue with titles, genres, user profiles, onboarding surveys and a long tail of light users,
and an ML-1M-sized variant for benchmarks."""
from __future__ import annotations

import numpy as np

from .dataset import Dataset


# --------------------------------------------------------------------------- embedded default

GENRES = ["Action", "Adventure", "Animation", "Comedy", "Crime", "Documentary", "Drama",
          "Fantasy", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War",
          "Western", "Family", "Sports"]
# words a synopsis of each genre uses: the text-side signal of the genre
GENRE_WORDS = {
    "Action": ["explosive", "chase", "mercenary", "showdown", "rescue"],
    "Adventure": ["expedition", "treasure", "jungle", "voyage", "quest"],
    "Animation": ["animated", "talking animals", "cartoon", "colourful", "magical friends"],
    "Comedy": ["hilarious", "misadventures", "prank", "awkward", "laugh-out-loud"],
    "Crime": ["heist", "detective", "mob", "robbery", "corrupt cop"],
    "Documentary": ["true story", "interviews", "archival footage", "investigation", "real events"],
    "Drama": ["family secrets", "grief", "redemption", "struggle", "moving portrait"],
    "Fantasy": ["wizard", "dragon", "enchanted kingdom", "prophecy", "sorcery"],
    "Horror": ["haunted", "demon", "slasher", "terrifying", "possessed"],
    "Musical": ["songs", "dance numbers", "broadway", "singer", "choreography"],
    "Mystery": ["whodunit", "clues", "disappearance", "secret", "puzzle"],
    "Romance": ["love story", "wedding", "heartbreak", "soulmates", "first date"],
    "Sci-Fi": ["spaceship", "alien", "time travel", "robot", "distant planet"],
    "Thriller": ["conspiracy", "hostage", "assassin", "suspense", "on the run"],
    "War": ["soldiers", "battlefield", "resistance", "platoon", "occupation"],
    "Western": ["cowboy", "outlaw", "frontier town", "sheriff", "gold rush"],
    "Family": ["kids", "holiday", "heartwarming", "siblings", "pet dog"],
    "Sports": ["championship", "underdog team", "coach", "boxing", "final match"],
}
TITLE_NOUNS = ["Night", "River", "City", "Shadow", "Heart", "Road", "Storm", "Garden", "Line",
               "Mirror", "Winter", "Summer", "Island", "Empire", "Signal", "Promise", "Harbor",
               "Echo", "Crown", "Frontier", "Letter", "Game", "Machine", "Stranger"]
TITLE_ADJS = ["Last", "Silent", "Broken", "Golden", "Hidden", "Lonely", "Crimson", "Endless",
              "Wild", "Secret", "Distant", "Burning", "Quiet", "Lost", "Electric", "Final"]
OCCUPATIONS = ["student", "engineer", "teacher", "artist", "doctor", "writer", "salesperson",
               "retired", "programmer", "homemaker", "scientist", "lawyer"]
AGE_GROUPS = ["under 18", "18-24", "25-34", "35-44", "45-55", "56+"]
ML1M_MEAN_PARAMETER = 167.5  # activity parameter: 1,000,468 ratings, 165.6 per user at seed 7


LIGHT_USER_SHARE = 0.3       # share of recently signed-up users in the default data set
LIGHT_USER_MEDIAN = 8.0      # their median number of ratings


def generate_default(seed: int = 7, n_users: int = 943, n_items: int = 1682,
                     mean_interactions: float = 150.0, light_user_share: float = LIGHT_USER_SHARE,
                     light_user_median: float = LIGHT_USER_MEDIAN) -> Dataset:
    """The embedded default data set: deterministic for a seed, MovieLens-100K-like in size
    (`generate_default_1m` is the MovieLens-1M-sized variant).

    Structure, so that each model family has something to find:
    * item popularity follows a power law (Zipf exponent 2 on the sampling weight), so hundreds
      of items have <= 5 positive ratings;
    * users have sparse latent genre tastes (shifted by age group, which the profile states),
      an era preference, and a 4-d hidden "style" taste matched by a hidden item style that no
      text describes (only collaborative signal recovers it);
    * user activity has the long tail of light users that live services have: a share
      `light_user_share` of the users signed up recently and rated a handful of items (log-normal,
      median `light_user_median`, sigma 0.6, at least 3), the others are established users with
      heavy-tailed activity (log-normal with mean `mean_interactions`, sigma 1.0, at least 3).
      MovieLens keeps only users with >= 20 ratings; Amazon and Yelp, and any service with
      sign-ups, have a large share of users with a few ratings, who are the cold-start users;
    * item texts are generated from the item's genres and era only (title words, genre list and
      a synopsis drawn from genre vocabulary), so text carries the genre signal and nothing else;
    * the user profile is what a sign-up form collects: age group, occupation and an onboarding
      survey (`_onboarding_survey`) answered from the latent tastes with noise and omissions --
      never from interactions, so it tells about a cold user what the graph cannot.
    Ratings 1-5 rise with affinity; the implicit threshold is 4."""
    rng = np.random.default_rng(seed)
    n_genres = len(GENRES)
    genre_pop = rng.dirichlet(np.full(n_genres, 2.0))
    item_genres = np.zeros((n_items, n_genres))
    genre_lists = []
    for i in range(n_items):
        k = rng.choice([1, 2, 3], p=[0.45, 0.4, 0.15])
        g = rng.choice(n_genres, size=k, replace=False, p=genre_pop)
        item_genres[i, g] = 1.0 / k
        genre_lists.append([GENRES[j] for j in g])
    decades = np.array([1950, 1960, 1970, 1980, 1990, 2000, 2010])
    item_decade = rng.choice(len(decades), size=n_items, p=[0.05, 0.07, 0.1, 0.16, 0.25, 0.22, 0.15])
    item_style = rng.normal(size=(n_items, 4))
    log_popularity = np.log(rng.permutation(np.arange(1, n_items + 1, dtype=np.float64) ** -2.0))

    age_taste = rng.dirichlet(np.full(n_genres, 0.5), size=len(AGE_GROUPS))
    user_age = rng.integers(len(AGE_GROUPS), size=n_users)
    user_taste = 0.3 * age_taste[user_age] + 0.7 * rng.dirichlet(np.full(n_genres, 0.15), size=n_users)
    user_era = rng.normal(size=n_users)
    user_style = rng.normal(size=(n_users, 4))
    activity = np.clip(np.round(np.exp(rng.normal(np.log(mean_interactions) - 0.5, 1.0, n_users))),
                       3, n_items // 3).astype(np.int64)
    if light_user_share > 0:  # no draws at share 0: generate_default_1m stays what it was
        light = rng.random(n_users) < light_user_share
        light_activity = np.round(np.exp(rng.normal(np.log(light_user_median), 0.6, n_users)))
        activity = np.where(light, np.clip(light_activity, 3, n_items // 3).astype(np.int64), activity)

    item_era = (item_decade - 3) / 3.0
    users, items, ratings = [], [], []
    for u in range(n_users):  # one user's row at a time: the full matrix is large at ML-1M scale
        genre_match = np.log(item_genres @ user_taste[u] + 1e-3)
        taste_all = 2.5 * genre_match + 0.6 * user_era[u] * item_era + 0.5 * (item_style @ user_style[u]) / 2.0
        gumbel = rng.gumbel(size=n_items)
        chosen = np.argsort(-(taste_all + log_popularity + gumbel))[:activity[u]]
        taste = taste_all[chosen]
        z = (taste - taste.mean()) / (taste.std() + 1e-9) if len(chosen) > 1 else np.zeros(1)
        r = np.clip(np.round(3.6 + 1.0 * z + rng.normal(0, 0.7, len(chosen))), 1, 5)
        users.extend([u] * len(chosen))
        items.extend(chosen.tolist())
        ratings.extend(r.tolist())
    users = np.asarray(users, dtype=np.int64)
    times = (np.datetime64("1998-01-01", "s").astype(np.int64)
             + rng.integers(0, 3 * 365 * 86400, size=len(users)))

    titles, attributes = [], []
    for i in range(n_items):
        words = [w for g in genre_lists[i] for w in GENRE_WORDS[g]]
        year = decades[item_decade[i]] + int(rng.integers(10))
        title = f"The {rng.choice(TITLE_ADJS)} {rng.choice(TITLE_NOUNS)} ({year})"
        synopsis = ", ".join(rng.choice(words, size=min(3, len(words)), replace=False))
        titles.append(title)
        attributes.append(f"Genres: {', '.join(genre_lists[i])}. A {decades[item_decade[i]]}s "
                          f"{genre_lists[i][0].lower()} film: {synopsis}.")
    # The profile has its own random stream, so it depends on the latent tastes only: the same
    # seed gives the same profiles whatever interactions were sampled (a test checks this).
    profile_rng = np.random.default_rng([seed, 1])
    occupations = profile_rng.integers(len(OCCUPATIONS), size=n_users)
    profiles = [f"age {AGE_GROUPS[a]}, {OCCUPATIONS[o]}"
                + _onboarding_survey(user_taste[u], user_era[u], profile_rng)
                for u, (a, o) in enumerate(zip(user_age, occupations))]
    return Dataset("embedded default (generated, seed %d)" % seed, users, np.asarray(items),
                   np.asarray(ratings, dtype=np.float64), times, titles, attributes, profiles, None, 4.0)


def _onboarding_survey(taste: np.ndarray, era: float, rng: np.random.Generator) -> str:
    """A sign-up survey's answers, as profile text: up to three favourite genres picked with
    probability proportional to the latent taste (so mostly, not always, the strongest ones),
    one of them replaced by a random genre 20 % of the time, and a stated era preference when
    the (noisy) latent era preference is clear. 15 % of users skip the genre question."""
    parts = []
    if rng.random() >= 0.15:
        k = int(rng.choice([1, 2, 3], p=[0.25, 0.4, 0.35]))
        picked = list(rng.choice(len(GENRES), size=k, replace=False, p=taste / taste.sum()))
        if rng.random() < 0.2:
            picked[int(rng.integers(k))] = int(rng.integers(len(GENRES)))
        parts.append("favourite genres: " + ", ".join(dict.fromkeys(GENRES[g] for g in picked)))
    stated_era = era + rng.normal(0, 0.5)
    if abs(stated_era) > 0.7:
        parts.append("prefers " + ("recent films" if stated_era > 0 else "older classics"))
    return "".join("; " + p for p in parts)


def generate_default_1m(seed: int = 7) -> Dataset:
    """The embedded default at MovieLens-1M scale: 6,040 users, 3,706 items, about 1.0 M ratings
    (mean about 165.6 per user), for latency and throughput benchmarks."""
    return generate_default(seed, n_users=6040, n_items=3706, mean_interactions=ML1M_MEAN_PARAMETER,
                            light_user_share=0.0)
