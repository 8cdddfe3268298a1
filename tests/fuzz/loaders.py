"""Fuzzer of the data loaders (host.rec.data.files): small valid MovieLens-1M, MovieLens-100K,
Amazon (plain and .gz, with metadata) and Yelp (with business.json) files, each damaged one way --
truncation, bit flips, bytes that are not UTF-8, another encoding, deep JSON, huge integers,
wrong JSON types, NaN/inf/out-of-range ratings, an emptied file, a dropped field, a corrupt gzip
stream. The oracle: a load either returns a Dataset whose ratings are finite and in 0..5 and
whose ids are consistent, or raises DataFormatError naming the damaged file (and a line, where
the damage is inside one). Damage that always makes a file invalid (`MUST_FAIL`) must raise."""
from __future__ import annotations

import collections
import gzip
import json
import pathlib
import tempfile

import numpy as np

from host.rec.data import DataFormatError
from host.rec.data.files import load_amazon, load_movielens_1m, load_movielens_100k, load_yelp

FORMATS = ("ml-1m", "ml-100k", "amazon", "amazon-gz", "yelp")
DAMAGE = ("truncate", "bit_flip", "bad_utf8", "utf16", "deep_json", "huge_int", "wrong_type",
          "bad_rating", "empty", "drop_field", "garbage_line")
MUST_FAIL = {"deep_json", "huge_int", "bad_rating", "empty", "utf16"}


def _valid_files(rng, fmt: str, d: pathlib.Path) -> tuple[dict, callable]:
    """{name: bytes} of a valid data set, and the loader call on directory d."""
    n = int(rng.integers(3, 30))
    users = rng.integers(1, 8, n)
    items = rng.integers(1, 10, n)
    ratings = rng.integers(1, 6, n)
    times = rng.integers(9e8, 1.6e9, n)
    if fmt == "ml-1m":
        files = {"ratings.dat": "".join(f"{u}::{i}::{r}::{t}\n" for u, i, r, t in zip(users, items, ratings, times)),
                 "movies.dat": "".join(f"{i}::Movie {i} (199{i % 10})::Comedy|Drama\n" for i in range(1, 10)),
                 "users.dat": "".join(f"{u}::{'MF'[u % 2]}::25::{u % 20}::1000{u}\n" for u in range(1, 8))}
        return {k: v.encode("latin-1") for k, v in files.items()}, lambda: load_movielens_1m(d)
    if fmt == "ml-100k":
        flags = "|".join("0" * 1 for _ in range(19))
        files = {"u.data": "".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in zip(users, items, ratings, times)),
                 "u.item": "".join(f"{i}|Film {i} (1996)|01-Jan-1996||http://x|{flags}\n" for i in range(1, 10)),
                 "u.user": "".join(f"{u}|{20 + u}|{'MF'[u % 2]}|writer|5510{u}\n" for u in range(1, 8))}
        return {k: v.encode("latin-1") for k, v in files.items()}, lambda: load_movielens_100k(d)
    if fmt.startswith("amazon"):
        reviews = "".join(json.dumps({"reviewerID": f"A{u}", "asin": f"B{i:03d}", "overall": float(r),
                                      "unixReviewTime": int(t), "reviewText": "très bon ☕"}) + "\n"
                          for u, i, r, t in zip(users, items, ratings, times))
        meta = "".join(json.dumps({"asin": f"B{i:03d}", "title": f"Thing {i}",
                                   "categories": [["Home", "Kitchen"]], "description": "steel"}) + "\n"
                       for i in range(1, 10))
        name = "reviews.json.gz" if fmt == "amazon-gz" else "reviews.json"
        files = {name: reviews.encode(), "meta.json": meta.encode()}
        return files, lambda: load_amazon(d / name, d / "meta.json")
    reviews = "".join(json.dumps({"user_id": f"u{u}", "business_id": f"b{i}", "stars": int(r),
                                  "date": "2016-03-09 10:00:00", "text": "ramen 🍜"}) + "\n"
                      for u, i, r in zip(users, items, ratings))
    business = "".join(json.dumps({"business_id": f"b{i}", "name": f"Place {i}", "city": "Tempe",
                                   "categories": "Food, Ramen"}) + "\n" for i in range(1, 10))
    return {"review.json": reviews.encode(), "business.json": business.encode()}, \
        lambda: load_yelp(d / "review.json", d / "business.json")


def _damage(rng, kind: str, data: bytes, is_json: bool) -> bytes:
    lines = data.split(b"\n")[:-1]
    j = int(rng.integers(len(lines))) if lines else 0
    if kind == "truncate":
        return data[:int(rng.integers(0, max(len(data) - 1, 1)))]
    if kind == "bit_flip":
        b = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            p = int(rng.integers(len(b)))
            b[p] ^= 1 << int(rng.integers(8))
        return bytes(b)
    if kind == "bad_utf8":
        p = int(rng.integers(len(data)))
        return data[:p] + [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xfe\xff"][int(rng.integers(4))] + data[p:]
    if kind == "utf16":
        return data.decode("latin-1").encode("utf-16")
    if kind == "deep_json":
        depth = int(rng.choice([100, 5000, 100000]))
        line = b"[" * depth + b"]" * depth if rng.integers(2) else b'{"a":' * depth + b"1" + b"}" * depth
        lines.insert(j, line)
        return b"\n".join(lines) + b"\n"
    if kind == "huge_int":
        big = b"9" * int(rng.choice([20, 400, 5000]))
        return _replace_field(rng, lines, j, big, is_json, numeric=True)
    if kind == "wrong_type":
        val = rng.choice([b"true", b"null", b"[1, 2]", b'{"x": 1}', b'"five"', b"1.5e3"]) if is_json else \
            rng.choice([b"five", b"", b"1.5", b"0x10", b"--"])
        return _replace_field(rng, lines, j, bytes(val), is_json, numeric=False)
    if kind == "bad_rating":
        val = rng.choice([b"NaN", b"Infinity", b"-Infinity", b"-1", b"7", b"1e400"]) if is_json else \
            rng.choice([b"nan", b"inf", b"-inf", b"-1", b"6", b"1e400"])
        return _set_rating(lines, j, bytes(val), is_json)
    if kind == "empty":
        return b"" if rng.integers(2) else b"\n\n"
    if kind == "drop_field":
        line = lines[j]
        if is_json:
            rec = json.loads(line)
            rec.pop(list(rec)[int(rng.integers(len(rec)))])
            lines[j] = json.dumps(rec).encode()
        else:
            for sep in (b"::", b"\t", b"|"):
                if sep in line:
                    parts = line.split(sep)
                    del parts[int(rng.integers(len(parts)))]
                    lines[j] = sep.join(parts)
                    break
        return b"\n".join(lines) + b"\n"
    # garbage_line
    lines.insert(j, bytes(rng.integers(0, 256, int(rng.integers(1, 60)), dtype=np.uint8)).replace(b"\n", b" "))
    return b"\n".join(lines) + b"\n"


RATING_KEYS = (b'"overall": ', b'"stars": ')


def _set_rating(lines, j, val, is_json):
    line = lines[j]
    if is_json:
        for key in RATING_KEYS:
            if key in line:
                a = line.index(key) + len(key)
                b = line.index(b",", a)
                lines[j] = line[:a] + val + line[b:]
    else:
        sep = b"::" if b"::" in line else b"\t"
        parts = line.split(sep)
        if len(parts) == 4:
            parts[2] = val
        lines[j] = sep.join(parts)
    return b"\n".join(lines) + b"\n"


def _replace_field(rng, lines, j, val, is_json, numeric):
    line = lines[j]
    if is_json:
        keys = [k for k in (b'"overall": ', b'"stars": ', b'"unixReviewTime": ', b'"reviewerID": ', b'"asin": ',
                            b'"user_id": ', b'"business_id": ', b'"date": ', b'"categories": ') if k in line]
        if not keys:
            return b"\n".join(lines) + b"\n"
        key = keys[int(rng.integers(len(keys)))]
        if numeric:
            key = next((k for k in (b'"unixReviewTime": ', b'"overall": ', b'"stars": ') if k in line), key)
        a = line.index(key) + len(key)
        # the value ends at the next top-level comma or the closing brace
        depth, b = 0, a
        in_str = False
        while b < len(line):
            c = line[b:b + 1]
            if c == b'"' and line[b - 1:b] != b"\\":
                in_str = not in_str
            elif not in_str and c in b"[{":
                depth += 1
            elif not in_str and c in b"]}":
                if depth == 0:
                    break
                depth -= 1
            elif not in_str and c == b"," and depth == 0:
                break
            b += 1
        lines[j] = line[:a] + val + line[b:]
    else:
        sep = next(s for s in (b"::", b"\t", b"|") if s in line) if any(s in line for s in (b"::", b"\t", b"|")) else b"::"
        parts = line.split(sep)
        parts[int(rng.integers(len(parts))) if not numeric else min(3, len(parts) - 1)] = val
        lines[j] = sep.join(parts)
    return b"\n".join(lines) + b"\n"


def run(n: int, seed: int = 0) -> dict:
    stats = {"cases": 0, "by_format": {f: collections.Counter() for f in FORMATS},
             "by_damage": {k: collections.Counter() for k in DAMAGE}, "outcomes": collections.Counter(),
             "failures": []}
    with tempfile.TemporaryDirectory(prefix="fuzz-loaders-") as tmp:
        for i in range(n):
            rng = np.random.default_rng([seed, i])
            fmt = FORMATS[int(rng.integers(len(FORMATS)))]
            kind = DAMAGE[int(rng.integers(len(DAMAGE)))]
            d = pathlib.Path(tmp) / f"c{i}"
            d.mkdir()
            files, load = _valid_files(rng, fmt, d)
            target = list(files)[int(rng.integers(len(files)))]
            if kind in ("bad_rating", "huge_int"):
                target = list(files)[0]  # the interactions file: ratings and timestamps
            is_json = ".json" in target
            if kind == "deep_json" and not is_json:
                kind = "garbage_line"
            raw = files[target]
            damaged = _damage(rng, kind, raw, is_json)
            for name, data in files.items():
                if name == target:
                    data = damaged
                if name.endswith(".gz"):
                    data = gzip.compress(data, mtime=0)
                    if name == target and kind in ("truncate", "bit_flip"):  # damage the stream itself too
                        data = _damage(rng, kind, data, False)
                (d / name).write_bytes(data)
            outcome, detail = _check(load, d / target, kind in MUST_FAIL and damaged != raw)
            stats["cases"] += 1
            stats["by_format"][fmt][outcome] += 1
            stats["by_damage"][kind][outcome] += 1
            stats["outcomes"][outcome] += 1
            if outcome in ("wrong", "crash") and len(stats["failures"]) < 20:
                stats["failures"].append(f"case {i} ({fmt}, {kind} of {target}): {detail}")
            for p in d.iterdir():
                p.unlink()
            d.rmdir()
    return {k: (dict(v) if isinstance(v, collections.Counter) else
                {a: dict(b) for a, b in v.items()} if isinstance(v, dict) else v) for k, v in stats.items()}


def _check(load, target: pathlib.Path, must_fail: bool):
    try:
        ds = load()
    except DataFormatError as e:
        if not str(e).startswith(str(target)):
            return "crash", f"DataFormatError not naming {target.name}: {e}"
        return "rejected", ""
    except RecursionError as e:
        return "crash", f"RecursionError: {str(e)[:100]}"
    except Exception as e:  # noqa: BLE001 -- any other exception is a finding
        return "crash", f"{type(e).__name__}: {str(e)[:160]}"
    r = ds.ratings
    if not (np.all(np.isfinite(r)) and r.min() >= 0 and r.max() <= 5 and ds.n_users > 0 and ds.n_items > 0):
        return "wrong", f"accepted impossible values (ratings {r.min()}..{r.max()})"
    if must_fail:
        return "wrong", "damage that makes the file invalid was accepted"
    return "ok", ""
