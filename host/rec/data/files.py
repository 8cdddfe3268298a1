"""Loaders of the original file formats. Formats (none of these files is shipped; pass the path of your own copy):

* MovieLens-1M  directory with ratings.dat, movies.dat[, users.dat]: `::`-separated, Latin-1
* MovieLens-100K directory with u.data (tab-separated), u.item[, u.user, u.genre]: `|`, Latin-1
* Amazon Reviews JSON lines (`reviewerID, asin, overall, unixReviewTime[, reviewText]`), plus an
  optional metadata JSON lines file (`asin, title, categories|category[, description]`); `.gz` ok
* Yelp academic review.json (`user_id, business_id, stars, date[, text]`) plus optional
  business.json (`business_id, name, categories`)

A malformed or truncated line raises `DataFormatError` naming the file and the line number; so
does everything else a damaged file can do (tests/fuzz/loaders.py damages files on purpose):
bytes that are not UTF-8 (JSON files), a corrupt or cut gzip stream, JSON nested too deep to
parse, a last line without its line end (a file cut inside its last field; a JSON line that is a
complete record is accepted), an empty file (required or given), ratings that are NaN/inf or
outside [0, 5] (every format here is a 1-5 star scale), numbers beyond int64, JSON true/false
where a number belongs, ids that are not strings or integers, categories that are not a list
(Amazon) or a string/list (Yelp) of strings.
"""
from __future__ import annotations

import datetime
import gzip
import json
import math
import pathlib
import zlib

import numpy as np

from .dataset import DataFormatError, Dataset


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


def _open_binary(path: pathlib.Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _lines(path: pathlib.Path, encoding: str, complete=None):
    """(line number, line without newline) for every non-empty line, each line decoded on its
    own (so a decoding error names its line); the caller parses each line. A last line without
    its line end is a file cut short: refused, unless `complete(line)` says it is a whole
    record. A file with no non-empty line is refused."""
    _require_file(path)
    no, seen = 0, False
    try:
        with _open_binary(path) as f:
            for no, raw in enumerate(f, 1):
                try:
                    line = raw.decode(encoding).rstrip("\r\n")
                except UnicodeDecodeError as e:
                    raise DataFormatError(path, no, f"not {encoding} text ({e.reason} at byte {e.start})") from None
                if not line.strip():
                    continue
                if not raw.endswith(b"\n") and not (complete and complete(line)):
                    raise DataFormatError(path, no, "the last line has no line end: the file was cut short")
                seen = True
                yield no, line
    except (EOFError, OSError, zlib.error) as e:  # truncated or corrupt gzip stream
        raise DataFormatError(path, no + 1, f"cannot read: {e}") from None
    if not seen:
        raise DataFormatError(path, None, "the file is empty")


def _fields(path, no, line: str, sep: str, n: int, at_least: bool = False) -> list[str]:
    parts = line.split(sep)
    if len(parts) != n and not (at_least and len(parts) >= n):
        raise DataFormatError(path, no, f"expected {n} {sep!r}-separated fields, got {len(parts)}")
    return parts


INT64 = (-(1 << 63), (1 << 63) - 1)
RATING_RANGE = (0.0, 5.0)  # every format here is a 1-5 star scale


def _number(path, no, text, what: str, kind=int):
    """`text` (a string, or a JSON number) as an int within int64 or a finite float; JSON
    true/false and non-integral floats for an int are refused."""
    name = f"a{'n integer' if kind is int else ' number'}"
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise DataFormatError(path, no, f"{what} is not {name}: {text!r}")
    try:
        if kind is int and isinstance(text, float):
            if not text.is_integer():
                raise ValueError
            text = int(text)
        v = kind(text)
    except (ValueError, TypeError, OverflowError):
        raise DataFormatError(path, no, f"{what} is not {name}: {_short(text)}") from None
    if kind is int and not INT64[0] <= v <= INT64[1]:
        raise DataFormatError(path, no, f"{what} {_short(text)} does not fit 64 bits")
    if kind is float and not math.isfinite(v):
        raise DataFormatError(path, no, f"{what} is {v}: not a finite number")
    return v


def _rating(path, no, text, what: str) -> float:
    r = _number(path, no, text, what, float)
    if not RATING_RANGE[0] <= r <= RATING_RANGE[1]:
        raise DataFormatError(path, no, f"{what} {r:g} is outside {RATING_RANGE[0]:g}..{RATING_RANGE[1]:g}")
    return r


def _short(v, limit: int = 40) -> str:
    r = repr(v)
    return r if len(r) <= limit else r[:limit] + "..."


def _ident(path, no, v, what: str) -> str:
    """A JSON id: a string or an integer (not a bool, list, object or null)."""
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise DataFormatError(path, no, f"{what} must be a string or an integer, got {_short(v)}")
    return str(v)


def _finish(name, users, items, ratings, times, item_map, titles: dict, attrs: dict,
            profiles: list[str] | None, reviews, threshold, user_map: _IdMap) -> Dataset:
    n_items = len(item_map)
    item_titles = [""] * n_items
    item_attrs = [""] * n_items
    for raw, i in item_map.ids.items():
        item_titles[i] = titles.get(raw, f"item {raw}")
        item_attrs[i] = attrs.get(raw, "")
    return Dataset(name, np.asarray(users, dtype=np.int64), np.asarray(items, dtype=np.int64),
                   np.asarray(ratings, dtype=np.float64), np.asarray(times, dtype=np.int64),
                   item_titles, item_attrs, profiles, reviews, threshold,
                   [str(raw) for raw in user_map.ids], [str(raw) for raw in item_map.ids])


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
                     _rating(path, no, r, "rating"), _number(path, no, t, "timestamp")))
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
                   profiles, None, 4.0, user_map)


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
                   profiles, None, 4.0, user_map)


# --------------------------------------------------------------------------- JSON lines

def _complete_json(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):
        return False


def _json_records(path: pathlib.Path, required: tuple[str, ...]):
    for no, line in _lines(path, "utf-8", complete=_complete_json):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataFormatError(path, no, f"not valid JSON ({e.msg} at column {e.colno})") from None
        except RecursionError:
            raise DataFormatError(path, no, "JSON nested too deeply") from None
        except ValueError as e:  # e.g. an integer of more digits than Python converts
            raise DataFormatError(path, no, f"not valid JSON ({str(e)[:80]})") from None
        if not isinstance(rec, dict):
            raise DataFormatError(path, no, "expected one JSON object per line")
        missing = [k for k in required if k not in rec]
        if missing:
            raise DataFormatError(path, no, f"missing field(s) {', '.join(missing)}")
        yield no, rec


#: characters of review text kept per review: about MiniLM's 256-token window (longer texts are cut)
REVIEW_CHARS = 800


def _snippet(text, limit: int = 200) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "..."


def load_amazon(reviews_path, meta_path=None) -> Dataset:
    path = pathlib.Path(reviews_path)
    user_map, item_map = _IdMap(), _IdMap()
    users, items, ratings, times, reviews = [], [], [], [], []
    for no, rec in _json_records(path, ("reviewerID", "asin", "overall", "unixReviewTime")):
        users.append(user_map(_ident(path, no, rec["reviewerID"], "reviewerID")))
        items.append(item_map(_ident(path, no, rec["asin"], "asin")))
        ratings.append(_rating(path, no, rec["overall"], "overall"))
        times.append(_number(path, no, rec["unixReviewTime"], "unixReviewTime"))
        summary = _snippet(rec.get("summary", ""), 120)
        body = _snippet(rec.get("reviewText", ""), REVIEW_CHARS)
        reviews.append(f"{summary}. {body}" if summary and body else summary or body)
    if not users:
        raise DataFormatError(path, None, "no reviews")
    titles, attrs = {}, {}
    if meta_path is not None:
        mpath = pathlib.Path(meta_path)
        for no, rec in _json_records(mpath, ("asin",)):
            asin = _ident(mpath, no, rec["asin"], "asin")
            if "title" in rec:
                titles[asin] = str(rec["title"])
            cats = rec.get("categories", rec.get("category", []))
            if cats is None:
                cats = []
            if not isinstance(cats, list):
                raise DataFormatError(mpath, no, f"categories must be a list, got {_short(cats)}")
            if cats and isinstance(cats[0], list):  # 2014 format: a list of category paths
                if not all(isinstance(p, list) for p in cats):
                    raise DataFormatError(mpath, no, "categories mixes category paths and names")
                cats = [c for path_ in cats for c in path_]
            if not all(isinstance(c, str) for c in cats):
                raise DataFormatError(mpath, no, f"categories must hold strings, got {_short(cats)}")
            desc = rec.get("description", "")
            desc = " ".join(map(str, desc)) if isinstance(desc, list) else str(desc)
            parts = [f"Categories: {', '.join(dict.fromkeys(map(str, cats)))}"] if cats else []
            attrs[asin] = ". ".join(parts + ([_snippet(desc)] if desc else []))
    return _finish("Amazon Reviews", users, items, ratings, times, item_map, titles, attrs,
                   None, reviews, 4.0, user_map)


def _yelp_time(path, no, text) -> int:
    if not isinstance(text, str):
        raise DataFormatError(path, no, f"date is not ISO formatted: {_short(text)}")
    try:
        return int(datetime.datetime.fromisoformat(text).replace(
            tzinfo=datetime.timezone.utc).timestamp())
    except (ValueError, OverflowError, OSError):
        raise DataFormatError(path, no, f"date is not ISO formatted: {text!r}") from None


def load_yelp(review_path, business_path=None) -> Dataset:
    path = pathlib.Path(review_path)
    user_map, item_map = _IdMap(), _IdMap()
    users, items, ratings, times, reviews = [], [], [], [], []
    for no, rec in _json_records(path, ("user_id", "business_id", "stars", "date")):
        users.append(user_map(_ident(path, no, rec["user_id"], "user_id")))
        items.append(item_map(_ident(path, no, rec["business_id"], "business_id")))
        ratings.append(_rating(path, no, rec["stars"], "stars"))
        times.append(_yelp_time(path, no, rec["date"]))
        reviews.append(_snippet(rec.get("text", "")))
    if not users:
        raise DataFormatError(path, None, "no reviews")
    titles, attrs = {}, {}
    if business_path is not None:
        bpath = pathlib.Path(business_path)
        for no, rec in _json_records(bpath, ("business_id",)):
            bid = _ident(bpath, no, rec["business_id"], "business_id")
            titles[bid] = str(rec.get("name", bid))
            cats = rec.get("categories") or []
            if isinstance(cats, str):
                cats = [c.strip() for c in cats.split(",")]
            elif not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
                raise DataFormatError(bpath, no, f"categories must be a string or a list of strings, got {_short(cats)}")
            city = rec.get("city")
            attrs[bid] = ". ".join(([f"Categories: {', '.join(cats)}"] if cats else [])
                                   + ([f"City: {city}"] if city else []))
    return _finish("Yelp", users, items, ratings, times, item_map, titles, attrs, None, reviews, 4.0, user_map)
