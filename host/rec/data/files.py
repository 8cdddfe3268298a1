"""Loaders of the original file formats. Formats (none of these files is shipped; pass the path of your own copy):

* MovieLens-1M  directory with ratings.dat, movies.dat[, users.dat]: `::`-separated, Latin-1
* MovieLens-100K directory with u.data (tab-separated), u.item[, u.user, u.genre]: `|`, Latin-1
* Amazon Reviews JSON lines (`reviewerID, asin, overall, unixReviewTime[, reviewText]`), plus an
  optional metadata JSON lines file (`asin, title, categories|category[, description]`); `.gz` ok
* Yelp academic review.json (`user_id, business_id, stars, date[, text]`) plus optional
  business.json (`business_id, name, categories`)

A malformed or truncated line raises `DataFormatError` naming the file and the line number.
"""
from __future__ import annotations

import datetime
import gzip
import json
import pathlib

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
                   None, reviews, 4.0, user_map)


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
    return _finish("Yelp", users, items, ratings, times, item_map, titles, attrs, None, reviews, 4.0, user_map)
