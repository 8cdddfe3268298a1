"""The data set every loader and generator returns, and the error a malformed file raises."""
from __future__ import annotations

import dataclasses

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
    user_ids: list[str] | None = None       # [n_users] the data set's own user ids (None: "0", "1", ...)
    item_ids: list[str] | None = None       # [n_items] the data set's own item ids (None: "0", "1", ...)

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
        for name, count in (("user_ids", self.n_users), ("item_ids", self.n_items)):
            ids = getattr(self, name)
            if ids is None:
                setattr(self, name, [str(i) for i in range(count)])
            elif len(ids) != count or len(set(ids)) != count:
                raise ValueError(f"{name} must hold {count} distinct ids, got {len(ids)} ({len(set(ids))} distinct)")
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
