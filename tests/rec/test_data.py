"""Loaders on tiny files in each original format, their error messages, and the embedded default."""
import gzip
import hashlib
import json
import re

import numpy as np
import pytest

from host.rec.data import DataFormatError, load
from host.rec.data.files import load_amazon, load_movielens_1m, load_movielens_100k, load_yelp
from host.rec.data.synthetic import generate_default
from host.rec.protocol import Protocol, split


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def ml1m(tmp_path):
    write(tmp_path / "ratings.dat", "1::10::5::978300760\n1::20::3::978302109\n2::10::4::978301968\n")
    write(tmp_path / "movies.dat", "10::Amélie (2001)::Comedy|Romance\n20::Heat (1995)::Action|Crime|Thriller\n",
          "latin-1")
    write(tmp_path / "users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n")
    return tmp_path


def test_movielens_1m(ml1m):
    ds = load_movielens_1m(ml1m)
    assert (ds.n_users, ds.n_items) == (2, 2)
    assert ds.users.tolist() == [0, 0, 1] and ds.items.tolist() == [0, 1, 0]
    assert ds.ratings.tolist() == [5.0, 3.0, 4.0]
    assert ds.timestamps.tolist() == [978300760, 978302109, 978301968]
    assert ds.item_titles == ["Amélie (2001)", "Heat (1995)"]  # Latin-1 decoded
    assert ds.item_attributes[1] == "Genres: Action, Crime, Thriller"
    assert ds.user_profiles == ["female, age under 18, K-12 student", "male, age 56+, self-employed"]
    assert load("ml-1m", str(ml1m)).n_items == 2


@pytest.mark.parametrize("line, message", [
    ("1::10::5\n", "expected 4 '::'-separated fields, got 3"),
    ("1::10::five::978300760\n", "rating is not a number: 'five'"),
    ("x::10::5::978300760\n", "user id is not an integer: 'x'"),
])
def test_movielens_1m_errors_name_file_and_line(ml1m, line, message):
    write(ml1m / "ratings.dat", "1::10::5::978300760\n" + line)
    with pytest.raises(DataFormatError) as e:
        load_movielens_1m(ml1m)
    assert str(e.value) == f"{ml1m / 'ratings.dat'}:2: {message}"


def test_movielens_1m_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="ratings.dat"):
        load_movielens_1m(tmp_path)


def test_movielens_100k(tmp_path):
    write(tmp_path / "u.data", "196\t242\t3\t881250949\n186\t302\t5\t891717742\n196\t302\t4\t881250950\n")
    flags = lambda *on: "|".join("1" if g in on else "0" for g in range(19))  # noqa: E731
    write(tmp_path / "u.item",
          f"242|Kolya (1996)|24-Jan-1997||http://x|{flags(5)}\n"
          f"302|L.A. Confidential (1997)|01-Jan-1997||http://y|{flags(6, 10, 13, 16)}\n", "latin-1")
    write(tmp_path / "u.user", "196|49|M|writer|55105\n186|39|F|executive|00000\n")
    ds = load_movielens_100k(tmp_path)
    assert (ds.n_users, ds.n_items, len(ds.users)) == (2, 2, 3)
    assert ds.users.tolist() == [0, 1, 0] and ds.items.tolist() == [0, 1, 1]
    assert ds.item_titles == ["Kolya (1996)", "L.A. Confidential (1997)"]
    assert ds.item_attributes[0] == "Genres: Comedy. Released 24-Jan-1997"
    assert ds.item_attributes[1].startswith("Genres: Crime, Film-Noir, Mystery, Thriller")
    assert ds.user_profiles == ["male, age 49, writer", "female, age 39, executive"]
    write(tmp_path / "u.item", f"242|Kolya (1996)|24-Jan-1997||http://x|{flags(5)}\n"
                               f"302|L.A. Confidential (1997)|01-Jan-1997\n")
    with pytest.raises(DataFormatError, match=r"u\.item:2: expected 24 '\|'-separated fields, got 3"):
        load_movielens_100k(tmp_path)


def amazon_lines():
    return [{"reviewerID": "A1", "asin": "B01", "overall": 5.0, "unixReviewTime": 1400000000,
             "reviewText": "Great  kettle,\nboils fast"},
            {"reviewerID": "A2", "asin": "B01", "overall": 2.0, "unixReviewTime": 1400000001},
            {"reviewerID": "A1", "asin": "B02", "overall": 4.0, "unixReviewTime": 1400000002,
             "reviewText": "ok", "summary": "Fine  kettle"}]


@pytest.mark.parametrize("gz", [False, True])
def test_amazon(tmp_path, gz):
    text = "\n".join(json.dumps(r) for r in amazon_lines()) + "\n"
    path = tmp_path / ("reviews.json.gz" if gz else "reviews.json")
    if gz:
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        write(path, text)
    meta = write(tmp_path / "meta.json", json.dumps(
        {"asin": "B01", "title": "Kettle", "categories": [["Home", "Kitchen"], ["Kitchen", "Kettles"]],
         "description": "Steel kettle"}) + "\n" + json.dumps({"asin": "B02", "category": ["Tools"]}) + "\n")
    ds = load_amazon(path, meta)
    assert ds.users.tolist() == [0, 1, 0] and ds.items.tolist() == [0, 0, 1]
    assert ds.ratings.tolist() == [5.0, 2.0, 4.0]
    assert ds.reviews == ["Great kettle, boils fast", "", "Fine kettle. ok"]  # summary. review text
    assert ds.item_titles == ["Kettle", "item B02"]
    assert ds.item_attributes == ["Categories: Home, Kitchen, Kettles. Steel kettle", "Categories: Tools"]


def test_amazon_errors(tmp_path):
    lines = [json.dumps(r) for r in amazon_lines()]
    path = write(tmp_path / "r.json", "\n".join([lines[0], lines[1][:-9]]) + "\n")  # truncated line 2
    with pytest.raises(DataFormatError, match=r"r\.json:2: not valid JSON"):
        load_amazon(path)
    path = write(tmp_path / "r.json", lines[0] + "\n" + json.dumps({"asin": "B1", "overall": 3}) + "\n")
    with pytest.raises(DataFormatError, match=r"r\.json:2: missing field\(s\) reviewerID, unixReviewTime"):
        load_amazon(path)
    path = tmp_path / "t.json.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode())[:-20])  # truncated gzip stream
    with pytest.raises(DataFormatError, match=r"t\.json\.gz:\d+: cannot read"):
        load_amazon(path)


def test_yelp(tmp_path):
    reviews = write(tmp_path / "review.json", "\n".join(json.dumps(r) for r in [
        {"review_id": "r1", "user_id": "u1", "business_id": "b1", "stars": 4, "text": "Tasty ramen",
         "date": "2016-03-09 00:00:00"},
        {"review_id": "r2", "user_id": "u2", "business_id": "b1", "stars": 1, "text": "slow",
         "date": "2017-01-01"}]) + "\n")
    business = write(tmp_path / "business.json", json.dumps(
        {"business_id": "b1", "name": "Ramen Bar", "city": "Phoenix", "categories": "Japanese, Ramen"}) + "\n")
    ds = load_yelp(reviews, business)
    assert ds.users.tolist() == [0, 1] and ds.items.tolist() == [0, 0]
    assert ds.ratings.tolist() == [4.0, 1.0]
    assert ds.timestamps.tolist() == [1457481600, 1483228800]
    assert ds.item_titles == ["Ramen Bar"]
    assert ds.item_attributes == ["Categories: Japanese, Ramen. City: Phoenix"]
    assert ds.reviews == ["Tasty ramen", "slow"]
    write(reviews, json.dumps({"user_id": "u1", "business_id": "b1", "stars": 4, "date": "yesterday"}) + "\n")
    with pytest.raises(DataFormatError, match=r"review\.json:1: date is not ISO formatted: 'yesterday'"):
        load_yelp(reviews)


def test_load_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown data set 'netflix'"):
        load("netflix", "/tmp")
    with pytest.raises(ValueError, match="needs a path"):
        load("ml-1m")


def test_embedded_default_is_deterministic_and_has_cold_start():
    a = generate_default(seed=3, n_users=120, n_items=200, mean_interactions=30)
    b = generate_default(seed=3, n_users=120, n_items=200, mean_interactions=30)
    assert np.array_equal(a.users, b.users) and np.array_equal(a.items, b.items)
    assert np.array_equal(a.ratings, b.ratings) and a.item_attributes == b.item_attributes
    assert set(np.unique(a.ratings)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    pos = a.ratings >= a.default_threshold
    item_counts = np.bincount(a.items[pos], minlength=a.n_items)
    user_counts = np.bincount(a.users[pos], minlength=a.n_users)
    assert (item_counts <= 5).sum() > 10 and (user_counts <= 5).sum() > 3
    assert all(t.startswith("Genres: ") for t in a.item_attributes)
    assert generate_default(seed=4, n_users=120, n_items=200, mean_interactions=30).item_titles != a.item_titles


def test_embedded_default_profiles_carry_taste_without_interactions():
    """The onboarding survey in the profile is drawn from latent tastes, not from interactions:
    other interactions (another activity level) leave every profile unchanged, yet the stated
    favourite genres match the genres of the items the user rated highly far above chance."""
    a = generate_default(seed=3, n_users=300, n_items=400, mean_interactions=30)
    b = generate_default(seed=3, n_users=300, n_items=400, mean_interactions=60)
    assert len(a.ratings) != len(b.ratings) and a.user_profiles == b.user_profiles
    stated = [set(p.split("favourite genres: ")[1].split(";")[0].split(", ")) if "favourite genres: " in p
              else set() for p in a.user_profiles]
    assert 0.7 < np.mean([len(s) > 0 for s in stated]) < 0.95   # some users skip the question
    item_genres = [set(t.split(". ")[0].removeprefix("Genres: ").split(", ")) for t in a.item_attributes]

    def match_rate(assignment):
        pos = np.flatnonzero(a.ratings >= a.default_threshold)
        return np.mean([bool(stated[assignment[a.users[r]]] & item_genres[a.items[r]]) for r in pos])
    own = match_rate(np.arange(a.n_users))
    shuffled = match_rate(np.random.default_rng(0).permutation(a.n_users))
    assert own > 0.4 and own > 2.5 * shuffled


def test_embedded_default_at_movielens_1m_scale():
    ds = load("default-1m")
    assert (ds.n_users, ds.n_items) == (6040, 3706)
    assert len(ds.ratings) == 1_000_468 and round(len(ds.ratings) / ds.n_users, 1) == 165.6
    assert ds.users.max() == 6039 and ds.items.max() < 3706
    # the benchmark's data set (docs/BENCH.md) is exactly what it was before light users existed
    digest = hashlib.sha256()
    for array in (ds.users, ds.items, ds.ratings, ds.timestamps):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update("|".join(ds.item_titles + ds.item_attributes + ds.user_profiles).encode())
    assert digest.hexdigest() == "4fef22ca79fd3e0f0e355ab42ada2d0f8f5bed5ea192c13ae25c742c962fad85"


def test_embedded_default_has_a_long_tail_of_light_users():
    """A share of recently signed-up users with a handful of ratings (log-normal around the
    light median) on top of the established users' activity, which the light users leave as
    it was; deterministic for a seed."""
    kwargs = dict(seed=3, n_users=2000, n_items=400, mean_interactions=60)
    without = np.bincount(generate_default(**kwargs, light_user_share=0.0).users)
    with_light = np.bincount(generate_default(**kwargs, light_user_share=0.3, light_user_median=8).users)
    assert np.array_equal(with_light, np.bincount(generate_default(**kwargs, light_user_share=0.3,
                                                                     light_user_median=8).users))
    assert with_light.min() >= 3 and without.min() >= 3
    # light users' activity: P(log-normal(log 8, 0.6) <= 16) = 0.88, established users': 0.21
    light_share = np.mean(with_light <= 16) - np.mean(without <= 16)
    assert 0.3 * (0.88 - 0.21) - 0.04 < light_share < 0.3 * (0.88 - 0.21) + 0.04
    assert np.median(with_light) < np.median(without)


def test_default_data_set_size_and_cold_users():
    """ML-100K-like size, and a cold-user slice of a few hundred users (<= 5 training positives
    in the default split), most of them with a validation item to choose settings on."""
    ds = load("default")
    assert (ds.n_users, ds.n_items) == (943, 1682) and 70_000 < len(ds.ratings) < 110_000
    sp = split(ds, Protocol())
    cold = sp.user_train_count() <= 5
    has_valid = np.array([len(v) > 0 for v in sp.per_user("valid")])
    assert 200 < cold.sum() < 400 and (cold & has_valid).sum() > 150


# -- issue 19, item 1: every damaged file is a DataFormatError naming file and line -------------

def _ml1m_with(tmp_path, ratings=None, movies=None):
    write(tmp_path / "ratings.dat", "1::10::5::978300760\n2::10::4::978301968\n" if ratings is None else ratings)
    write(tmp_path / "movies.dat", "10::Heat (1995)::Action\n" if movies is None else movies)
    return tmp_path


@pytest.mark.parametrize("ratings,movies,where", [
    ("1::10::nan::978300760\n", None, "ratings.dat:1"),
    ("1::10::inf::978300760\n", None, "ratings.dat:1"),
    ("1::10::-2::978300760\n", None, "ratings.dat:1"),
    ("1::10::5::978300760\n2::10::4::97830", None, "ratings.dat:2"),    # last line cut in its last field
    ("1::10::5::99999999999999999999999999\n", None, "ratings.dat:1"),  # beyond int64
    (None, "", "movies.dat"),                                           # empty required file
])
def test_movielens_damage_is_a_data_format_error(tmp_path, ratings, movies, where):
    d = _ml1m_with(tmp_path, ratings, movies)
    with pytest.raises(DataFormatError, match=re.escape(where)):
        load_movielens_1m(d)


def _amazon_file(tmp_path, payload: bytes, name="r.json"):
    path = tmp_path / name
    path.write_bytes(payload)
    return path


GOOD = json.dumps({"reviewerID": "A1", "asin": "B01", "overall": 5.0, "unixReviewTime": 1400000000}) + "\n"


@pytest.mark.parametrize("payload,where", [
    (GOOD.encode() + b'{"reviewerID": "A\xff\xfe", "asin": "B", "overall": 1, "unixReviewTime": 1}\n', "r.json:2"),
    (GOOD.encode() + b"[" * 100000 + b"\n", "r.json:2"),                                   # deep JSON
    (GOOD.replace("1400000000", "9" * 40).encode(), "r.json:1"),                           # huge int
    (GOOD.replace("5.0", "true").encode(), "r.json:1"),                                    # bool as a number
    (GOOD.replace("5.0", "NaN").encode(), "r.json:1"),
    (GOOD.replace("5.0", '"5"').replace('"A1"', '["A", 1]').encode(), "r.json:1"),          # a list as an id
    (b"", "r.json"),
])
def test_amazon_damage_is_a_data_format_error(tmp_path, payload, where):
    with pytest.raises(DataFormatError, match=re.escape(where)):
        load_amazon(_amazon_file(tmp_path, payload))


def test_corrupt_gzip_and_bad_categories_are_data_format_errors(tmp_path):
    raw = bytearray(gzip.compress((GOOD * 2000).encode()))
    raw[len(raw) // 2] ^= 0xFF  # a bit flip inside the deflate stream
    with pytest.raises(DataFormatError, match=r"r\.json\.gz"):
        load_amazon(_amazon_file(tmp_path, bytes(raw), "r.json.gz"))
    good = _amazon_file(tmp_path, GOOD.encode())
    for cats in (5, "Books", [1, None], {"a": 1}):
        meta = write(tmp_path / "meta.json", json.dumps({"asin": "B01", "categories": cats}) + "\n")
        with pytest.raises(DataFormatError, match=r"meta\.json:1: categor"):
            load_amazon(good, meta)
    reviews = write(tmp_path / "review.json", json.dumps(
        {"user_id": "u", "business_id": "b", "stars": 4, "date": "2016-03-09"}) + "\n")
    business = write(tmp_path / "business.json", json.dumps({"business_id": "b", "categories": 7}) + "\n")
    with pytest.raises(DataFormatError, match=r"business\.json:1: categor"):
        load_yelp(reviews, business)
