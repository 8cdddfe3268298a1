"""Serving: top-k recommendations for one user from a trained fusion head.

    python -m host.recommend --model results/pipeline/recommender.pt --user 42 --k 10

The item side of the head (first-layer item part, item embeddings, text projections) is computed
once when the recommender is built, so a request costs one [n_items, hidden] add + ReLU + matvec.
Items the user already interacted with (train or valid) are never recommended.
"""
from __future__ import annotations

import argparse
import dataclasses

import numpy as np
import torch

from .model import FusionHead
from .train import Features, rows_of


@dataclasses.dataclass(frozen=True)
class Recommendation:
    item: int
    title: str
    score: float


class Recommender:
    def __init__(self, head: FusionHead, feats: Features, titles: list[str], known: list[np.ndarray]):
        self.head, self.feats, self.titles, self.known = head.eval(), feats, titles, known
        with torch.no_grad():
            self.side = head.item_side(feats.h_item, feats.e_item)

    @property
    def n_users(self) -> int:
        return len(self.known)

    def scores(self, user: int) -> np.ndarray:
        if not 0 <= user < self.n_users:
            raise ValueError(f"user must be in 0..{self.n_users - 1}, got {user}")
        u = torch.tensor([user])
        with torch.no_grad():
            return self.head.score_all(rows_of(self.feats.h_user, u), rows_of(self.feats.e_user, u),
                                       self.side, rows_of(self.feats.user_degree, u))[0].numpy()

    def recommend(self, user: int, k: int = 10) -> list[Recommendation]:
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        s = self.scores(user).astype(np.float64)
        s[self.known[user]] = -np.inf
        order = np.lexsort((np.arange(len(s)), -s))[:min(k, len(s) - len(self.known[user]))]
        return [Recommendation(int(i), self.titles[i], float(s[i])) for i in order]

    def save(self, path) -> None:
        torch.save({"head_config": {"gnn_dim": self.head.gnn_dim, "text_dim": self.head.text_dim,
                                    "hidden": self.head.out.in_features,
                                    "proj": self.head.text_proj.out_features if self.head.text_proj else 64,
                                    "gnn_dot": self.head.gnn_weight is not None,
                                    "degree_bounds": tuple(self.head.degree_bounds.tolist())},
                    "head": self.head.state_dict(), "features": dataclasses.asdict(self.feats),
                    "titles": self.titles, "known": self.known}, path)

    @classmethod
    def load(cls, path) -> "Recommender":
        blob = torch.load(path, weights_only=False)
        head = FusionHead(**blob["head_config"])
        head.load_state_dict(blob["head"])
        return cls(head, Features(**blob["features"]), blob["titles"], blob["known"])


def format_recommendations(user: int, recs: list[Recommendation]) -> str:
    lines = [f"user {user}:"]
    lines += [f"  {r + 1:2d}. {rec.title}  (item {rec.item}, score {rec.score:.3f})" for r, rec in enumerate(recs)]
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Print top-k recommendations with titles.")
    ap.add_argument("--model", default="results/pipeline/recommender.pt",
                    help="file written by python -m host.pipeline")
    ap.add_argument("--user", type=int, nargs="+", required=True)
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    rec = Recommender.load(args.model)
    for u in args.user:
        print(format_recommendations(u, rec.recommend(u, args.k)))


if __name__ == "__main__":
    main()
