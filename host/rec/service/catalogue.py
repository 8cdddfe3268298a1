"""What the HTTP side of the service needs of a saved recommender, without the model: the data
set's ids, titles, each user's training row and the items known per user."""
from __future__ import annotations

import numpy as np

from golden.graph import BipartiteGraph

from ..serve import OnlineRecommender, neighbour_lists, read_saved


class Catalogue:
    def __init__(self, user_ids, item_ids, titles, neighbours, known, n_layers: int, features: int):
        self.user_ids, self.item_ids, self.titles = list(user_ids), list(item_ids), list(titles)
        self.neighbours, self.known = neighbours, known
        self.n_layers, self.features = n_layers, features
        self._user_index = {raw: u for u, raw in enumerate(self.user_ids)}

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @classmethod
    def of(cls, rec: OnlineRecommender) -> "Catalogue":
        return cls(rec.user_ids, rec.item_ids, rec.titles, rec.neighbours, rec.known, rec.gnn.n_layers,
                   int(rec.gnn.fixed.x0_q.shape[1]))

    @classmethod
    def load(cls, path) -> "Catalogue":
        """From a file saved by OnlineRecommender.save (the same checks and messages as its load)."""
        blob = read_saved(path)
        g = blob["graph"]
        graph = BipartiteGraph(g["n_users"], g["n_items"], g["users"].numpy(), g["items"].numpy())
        known = [np.asarray(k.numpy()) for k in blob["known"]]
        f = blob["fixed"]
        return cls(blob["user_ids"], blob["item_ids"], blob["titles"], neighbour_lists(graph), known,
                   len(f["weights_q"]), int(f["x0_q"].shape[1]))
