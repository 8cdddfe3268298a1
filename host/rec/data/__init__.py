"""Recommendation data sets: loaders for the original file formats and the embedded default.

Every loader returns a `Dataset`: explicit interactions (user, item, rating, time) on contiguous
ids, item titles and attribute text (genres / categories, never derived from interactions), user
profile text where the data set has one, and per-interaction review text where it has one.
Review text belongs to an interaction, so `host.rec.protocol` only ever uses the training ones.

Formats (none of these files is shipped; pass the path of your own copy):

* MovieLens-1M  directory with ratings.dat, movies.dat[, users.dat]: `::`-separated, Latin-1
* MovieLens-100K directory with u.data (tab-separated), u.item[, u.user, u.genre]: `|`, Latin-1
* Amazon Reviews JSON lines (`reviewerID, asin, overall, unixReviewTime[, reviewText]`), plus an
  optional metadata JSON lines file (`asin, title, categories|category[, description]`); `.gz` ok
* Yelp academic review.json (`user_id, business_id, stars, date[, text]`) plus optional
  business.json (`business_id, name, categories`)

A malformed or truncated line raises `DataFormatError` naming the file and the line number.
"""
from __future__ import annotations

import dataclasses
import datetime
import gzip
import json
import pathlib

import numpy as np


class DataFormatError(ValueError):
    """A data file that does not have the documented format; the message names file:line."""

    def __init__(self, path, line: int | None, message: str):
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


@dataclasses.dataclass
class Dataset:
    name: str
    users: np.ndarray          # int64 [n] contiguous user ids
    items: np.ndarray          # int64 [n] contiguous item ids
    ratings: np.ndarray        # float64 [n] explicit rating (stars)
    timestamps: np.ndarray     # int64 [n] seconds since the epoch (0 when unknown)
    item_titles: list[str]     # [n_items]
    item_attributes: list[str]  # [n_items] genres / categories / description ("" when unknown)
    user_profiles: list[str] | None = None  # [n_users] profile fields as text, when the set has them
    reviews: list[str] | None = None        # [n] review text of each interaction, when the set has it
    default_threshold: float = 4.0          # rating at or above which an interaction is positive

    def __post_init__(self):
        n = len(self.users)
        for name in ("items", "ratings", "timestamps"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} entries, users has {n}")
        if self.reviews is not None and len(self.reviews) != n:
            raise ValueError(f"reviews has {len(self.reviews)} entries, expected {n}")
        if len(self.item_attributes) != len(self.item_titles):
            raise ValueError("item_titles and item_attributes differ in length")
        if self.user_profiles is not None and len(self.user_profiles) != self.n_users:
            raise ValueError(f"user_profiles has {len(self.user_profiles)} entries, expected {self.n_users}")
        if n and (self.items.max() >= self.n_items or self.items.min() < 0 or self.users.min() < 0):
            raise ValueError("interaction ids out of range")

    @property
    def n_items(self) -> int:
        return len(self.item_titles)

    @property
    def n_users(self) -> int:
        return int(self.users.max()) + 1 if len(self.users) else 0

    def summary(self) -> str:
        return (f"{self.name}: {self.n_users} users, {self.n_items} items, "
                f"{len(self.users)} interactions (ratings {self.ratings.min():g}..{self.ratings.max():g})")


class _IdMap:
    """Raw identifiers -> contiguous ids in order of first appearance."""

    def __init__(self):
        self.ids: dict = {}

    def __call__(self, raw) -> int:
        return self.ids.setdefault(raw, len(self.ids))

    def __len__(self):
        return len(self.ids)


def _require_file(path: pathlib.Path) -> pathlib.Path:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return path


def _open_text(path: pathlib.Path, encoding: str = "utf-8"):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding=encoding)
    return open(path, encoding=encoding, newline="")


def _lines(path: pathlib.Path, encoding: str):
    """(line number, line without newline) for every non-empty line; the caller parses each
    line, so a truncated last line fails there with its line number."""
    _require_file(path)
    try:
        with _open_text(path, encoding) as f:
            for no, line in enumerate(f, 1):
                line = line.rstrip("\r\n")
                if line.strip():
                    yield no, line
    except (EOFError, OSError) as e:  # truncated gzip stream
        raise DataFormatError(path, None, f"cannot read: {e}") from e


def _fields(path, no, line: str, sep: str, n: int, at_least: bool = False) -> list[str]:
    parts = line.split(sep)
    if len(parts) != n and not (at_least and len(parts) >= n):
        raise DataFormatError(path, no, f"expected {n} {sep!r}-separated fields, got {len(parts)}")
    return parts


def _number(path, no, text: str, what: str, kind=int):
    try:
        return kind(text)
    except (ValueError, TypeError):
        raise DataFormatError(path, no, f"{what} is not a{'n integer' if kind is int else ' number'}: {text!r}") from None


def _finish(name, users, items, ratings, times, item_map, titles: dict, attrs: dict,
            profiles: list[str] | None, reviews, threshold) -> Dataset:
    n_items = len(item_map)
    item_titles = [""] * n_items
    item_attrs = [""] * n_items
    for raw, i in item_map.ids.items():
        item_titles[i] = titles.get(raw, f"item {raw}")
        item_attrs[i] = attrs.get(raw, "")
    return Dataset(name, np.asarray(users, dtype=np.int64), np.asarray(items, dtype=np.int64),
                   np.asarray(ratings, dtype=np.float64), np.asarray(times, dtype=np.int64),
                   item_titles, item_attrs, profiles, reviews, threshold)


# --------------------------------------------------------------------------- MovieLens

ML1M_AGES = {"1": "under 18", "18": "18-24", "25": "25-34", "35": "35-44", "45": "45-49",
             "50": "50-55", "56": "56+"}
ML1M_OCCUPATIONS = ["other", "academic/educator", "artist", "clerical/admin", "college/grad student",
                    "customer service", "doctor/health care", "executive/managerial", "farmer",
                    "homemaker", "K-12 student", "lawyer", "programmer", "retired",
                    "sales/marketing", "scientist", "self-employed", "technician/engineer",
                    "tradesman/craftsman", "unemployed", "writer"]
ML100K_GENRES = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
                 "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
                 "Romance", "Sci-Fi", "Thriller", "War", "Western"]


def _ratings_table(path, sep, encoding):
    """user, item (raw strings), rating, time from a 4-field ratings file."""
    rows = []
    for no, line in _lines(path, encoding):
        u, i, r, t = _fields(path, no, line, sep, 4)
        rows.append((_number(path, no, u, "user id"), _number(path, no, i, "item id"),
                     _number(path, no, r, "rating", float), _number(path, no, t, "timestamp")))
    if not rows:
        raise DataFormatError(path, None, "no ratings")
    return rows


def _index_ratings(rows):
    user_map, item_map = _IdMap(), _IdMap()
    users = [user_map(r[0]) for r in rows]
    items = [item_map(r[1]) for r in rows]
    return user_map, item_map, users, items, [r[2] for r in rows], [r[3] for r in rows]


def load_movielens_1m(directory) -> Dataset:
    d = pathlib.Path(directory)
    rows = _ratings_table(d / "ratings.dat", "::", "latin-1")
    user_map, item_map, users, items, ratings, times = _index_ratings(rows)
    titles, attrs = {}, {}
    path = d / "movies.dat"
    for no, line in _lines(path, "latin-1"):
        mid, title, genres = _fields(path, no, line, "::", 3)
        mid = _number(path, no, mid, "movie id")
        titles[mid] = title
        attrs[mid] = "Genres: " + ", ".join(genres.split("|"))
    profiles = None
    path = d / "users.dat"
    if path.exists():
        fields = {}
        for no, line in _lines(path, "latin-1"):
            uid, gender, age, occ, _zip = _fields(path, no, line, "::", 5)
            occ_no = _number(path, no, occ, "occupation")
            if gender not in ("M", "F") or age not in ML1M_AGES or not 0 <= occ_no < len(ML1M_OCCUPATIONS):
                raise DataFormatError(path, no, f"unknown gender/age/occupation code in {line!r}")
            fields[_number(path, no, uid, "user id")] = (
                f"{'male' if gender == 'M' else 'female'}, age {ML1M_AGES[age]}, {ML1M_OCCUPATIONS[occ_no]}")
        profiles = [fields.get(raw, "") for raw in user_map.ids]
    return _finish("MovieLens-1M", users, items, ratings, times, item_map, titles, attrs,
                   profiles, None, 4.0)


def load_movielens_100k(directory) -> Dataset:
    d = pathlib.Path(directory)
    rows = _ratings_table(d / "u.data", "\t", "latin-1")
    user_map, item_map, users, items, ratings, times = _index_ratings(rows)
    genre_names = ML100K_GENRES
    path = d / "u.genre"
    if path.exists():
        genre_names = [_fields(path, no, line, "|", 2)[0] for no, line in _lines(path, "latin-1")]
    titles, attrs = {}, {}
    path = d / "u.item"
    for no, line in _lines(path, "latin-1"):
        parts = _fields(path, no, line, "|", 5 + len(genre_names))
        mid = _number(path, no, parts[0], "movie id")
        flags = parts[5:]
        if any(f not in ("0", "1") for f in flags):
            raise DataFormatError(path, no, "genre flags must be 0 or 1")
        titles[mid] = parts[1]
        genres = [g for g, f in zip(genre_names, flags) if f == "1"]
        attrs[mid] = "Genres: " + ", ".join(genres) + (f". Released {parts[2]}" if parts[2] else "")
    profiles = None
    path = d / "u.user"
    if path.exists():
        fields = {}
        for no, line in _lines(path, "latin-1"):
            uid, age, gender, occ, _zip = _fields(path, no, line, "|", 5)
            _number(path, no, age, "age")
            if gender not in ("M", "F"):
                raise DataFormatError(path, no, f"gender must be M or F, got {gender!r}")
            fields[_number(path, no, uid, "user id")] = (
                f"{'male' if gender == 'M' else 'female'}, age {age}, {occ}")
        profiles = [fields.get(raw, "") for raw in user_map.ids]
    return _finish("MovieLens-100K", users, items, ratings, times, item_map, titles, attrs,
                   profiles, None, 4.0)


# --------------------------------------------------------------------------- JSON lines

def _json_records(path: pathlib.Path, required: tuple[str, ...]):
    for no, line in _lines(path, "utf-8"):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataFormatError(path, no, f"not valid JSON ({e.msg} at column {e.colno})") from None
        if not isinstance(rec, dict):
            raise DataFormatError(path, no, "expected one JSON object per line")
        missing = [k for k in required if k not in rec]
        if missing:
            raise DataFormatError(path, no, f"missing field(s) {', '.join(missing)}")
        yield no, rec


def _snippet(text, limit: int = 200) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "..."


def load_amazon(reviews_path, meta_path=None) -> Dataset:
    path = pathlib.Path(reviews_path)
    user_map, item_map = _IdMap(), _IdMap()
    users, items, ratings, times, reviews = [], [], [], [], []
    for no, rec in _json_records(path, ("reviewerID", "asin", "overall", "unixReviewTime")):
        users.append(user_map(str(rec["reviewerID"])))
        items.append(item_map(str(rec["asin"])))
        ratings.append(_number(path, no, rec["overall"], "overall", float))
        times.append(_number(path, no, rec["unixReviewTime"], "unixReviewTime"))
        reviews.append(_snippet(rec.get("reviewText", "")))
    if not users:
        raise DataFormatError(path, None, "no reviews")
    titles, attrs = {}, {}
    if meta_path is not None:
        mpath = pathlib.Path(meta_path)
        for no, rec in _json_records(mpath, ("asin",)):
            asin = str(rec["asin"])
            if "title" in rec:
                titles[asin] = str(rec["title"])
            cats = rec.get("categories", rec.get("category", []))
            if cats and isinstance(cats[0], list):  # 2014 format: a list of category paths
                cats = [c for path_ in cats for c in path_]
            if not isinstance(cats, list):
                raise DataFormatError(mpath, no, "categories must be a list")
            desc = rec.get("description", "")
            desc = " ".join(desc) if isinstance(desc, list) else str(desc)
            parts = [f"Categories: {', '.join(dict.fromkeys(map(str, cats)))}"] if cats else []
            attrs[asin] = ". ".join(parts + ([_snippet(desc)] if desc else []))
    return _finish("Amazon Reviews", users, items, ratings, times, item_map, titles, attrs,
                   None, reviews, 4.0)


def _yelp_time(path, no, text) -> int:
    try:
        return int(datetime.datetime.fromisoformat(str(text)).replace(
            tzinfo=datetime.timezone.utc).timestamp())
    except ValueError:
        raise DataFormatError(path, no, f"date is not ISO formatted: {text!r}") from None


def load_yelp(review_path, business_path=None) -> Dataset:
    path = pathlib.Path(review_path)
    user_map, item_map = _IdMap(), _IdMap()
    users, items, ratings, times, reviews = [], [], [], [], []
    for no, rec in _json_records(path, ("user_id", "business_id", "stars", "date")):
        users.append(user_map(str(rec["user_id"])))
        items.append(item_map(str(rec["business_id"])))
        ratings.append(_number(path, no, rec["stars"], "stars", float))
        times.append(_yelp_time(path, no, rec["date"]))
        reviews.append(_snippet(rec.get("text", "")))
    if not users:
        raise DataFormatError(path, None, "no reviews")
    titles, attrs = {}, {}
    if business_path is not None:
        bpath = pathlib.Path(business_path)
        for no, rec in _json_records(bpath, ("business_id",)):
            bid = str(rec["business_id"])
            titles[bid] = str(rec.get("name", bid))
            cats = rec.get("categories") or []
            cats = [c.strip() for c in cats.split(",")] if isinstance(cats, str) else list(cats)
            city = rec.get("city")
            attrs[bid] = ". ".join(([f"Categories: {', '.join(cats)}"] if cats else [])
                                   + ([f"City: {city}"] if city else []))
    return _finish("Yelp", users, items, ratings, times, item_map, titles, attrs, None, reviews, 4.0)


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


def load(spec: str, path: str | None = None, meta: str | None = None) -> Dataset:
    """By name: default | default-1m | ml-1m DIR | ml-100k DIR | amazon FILE [META] | yelp FILE [BUSINESS]."""
    if spec == "default":
        return generate_default()
    if spec == "default-1m":
        return generate_default_1m()
    if path is None:
        raise ValueError(f"data set {spec!r} needs a path")
    loaders = {"ml-1m": lambda: load_movielens_1m(path), "ml-100k": lambda: load_movielens_100k(path),
               "amazon": lambda: load_amazon(path, meta), "yelp": lambda: load_yelp(path, meta)}
    if spec not in loaders:
        raise ValueError(f"unknown data set {spec!r}; expected default, default-1m, {', '.join(loaders)}")
    return loaders[spec]()
