"""Recommendation data sets: loaders for the original file formats and the embedded default.

Every loader returns a `Dataset`: explicit interactions (user, item, rating, time) on contiguous
ids, item titles and attribute text (genres / categories, never derived from interactions), user
profile text where the data set has one, and per-interaction review text where it has one.
Review text belongs to an interaction, so `host.rec.protocol` only ever uses the training ones.

Loaders of the original file formats are in host.rec.data.files, the generated embedded default in
host.rec.data.synthetic; `load(spec, path)` picks one by name.
"""
from __future__ import annotations

from .dataset import DataFormatError, Dataset
from .files import load_amazon, load_movielens_1m, load_movielens_100k, load_yelp
from .synthetic import generate_default, generate_default_1m

__all__ = ["DataFormatError", "Dataset", "load"]


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
