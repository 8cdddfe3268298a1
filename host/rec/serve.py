"""Serving: one request end to end, as a real-time recommender runs it -- the one serving stack
(`python -m host.rec.serve --model results/demo/recommender.pt --user 42` prints recommendations).

A request for user u recomputes u's graph embedding from u's current interactions, because that
is what changes between requests; everything on the item side is computed once, offline:

    offline  full-graph propagation (Eq. 1, every layer) -> per-layer item rows x_i^(k), final
             item embeddings h_i, and the head's item-side terms; the item tables pre-scaled,
             t_i^(k) = x_i^(k) / sqrt(|N(i)|), by the accelerator itself (one PRE_SCALE call over
             an identity graph: exactly the rounding the kernel applies to a gathered row)
    request  x_u^(k+1) = (1/sqrt(|N(u)|)) sum_{i in N(u)} t_i^(k)   -- one CSR row per layer,
             on the accelerator (only u's neighbour rows are gathered: DRAM-gather mode; the
             request graph carries one POST_SCALE factor, no per-item scales)
             h_u = mean(x_u^(0..L));  scores = head(h_u, e_u, item side);  top-k

With W = I and no ReLU (LightGCN) the L layers are one call over the item tables stacked side by
side (F*L columns); with W or ReLU it is one call per layer. Because the accelerator's sum is
exact, the kernel pre-scales a gathered row the same way whichever call gathers it, and the request
row uses the training graph's degrees, the online h_u is bit-identical to the offline full-graph
one (tests/rec/test_serve.py checks it).

The head over all items (HeadScorer) and the top-k run on buffers laid out once: per request the
only work proportional to the catalogue is one add + ReLU over [n_items, hidden], two
matrix-vector products and an argpartition.

Threads: an OnlineRecommender may serve many threads at once. HeadScorer's scratch buffers are
per thread (threading.local, made on a thread's first request), so the in-place top-k of one
request never touches another's scores; OnlineGNN's accelerator calls hold the Accelerator's
lock (the request graph, its calls and their status are one critical section).
"""
from __future__ import annotations

import argparse
import dataclasses
import pathlib
import threading
import time

import numpy as np
import torch

from golden.graph import CSR, BipartiteGraph
from golden.contract import Mode
from golden.norm import Normalization, normalization

from .metrics import top_k
from .model import FusionHead, sparse_adjacency, unified_graph
from .quant import FixedGNN, combine_layers, fixed_layer_outputs


@dataclasses.dataclass
class RequestTiming:
    """Where one request's time went (seconds of host wall time, kernel cycles)."""

    graph_s: float = 0.0      # request CSR + normalization + load_graph
    aggregate_s: float = 0.0  # accelerator calls (for `sim`: the simulation's wall time)
    head_s: float = 0.0       # fusion head over all items
    rank_s: float = 0.0       # mask seen items, top-k
    cycles: int = 0           # kernel cycles of the calls (sim / board backends)
    calls: int = 0            # accelerator calls

    @property
    def host_s(self) -> float:
        """Everything but the accelerator calls."""
        return self.graph_s + self.head_s + self.rank_s


class OnlineGNN:
    """User embeddings from their interactions, on the accelerator, against item-side state that
    is computed and uploaded once."""

    def __init__(self, acc, fixed: FixedGNN, graph: BipartiteGraph, gather: str = "dram"):
        self.acc, self.fixed, self.graph, self.gather = acc, fixed, graph, gather
        csr, norm = unified_graph(graph)
        g = acc.load_graph(csr, norm)
        self.layers_q = fixed_layer_outputs(fixed, acc, g)  # offline: [x^(0), ..., x^(L)]
        g.release()
        self.final = combine_layers(self.layers_q, fixed)   # float [n_nodes, F]
        n_users, n_items = graph.n_users, graph.n_items
        self.item_degree = csr.in_degree[n_users:]
        self.item_scale = normalization(csr, "symmetric").src_scale[n_users:]
        # LightGCN's layers in one call over [x^(0) | ... | x^(L-1)] when the stack fits the build's features
        self.stacked = all(w is None for w in fixed.weights_q) and not any(fixed.relu) \
            and fixed.x0_q.shape[1] * len(fixed.weights_q) <= acc.hw.max_feat
        item_rows = [x[n_users:] for x in self.layers_q[:-1]]
        item_rows = [np.ascontiguousarray(np.hstack(item_rows))] if self.stacked else item_rows
        # t_i = round(x_i / sqrt(|N(i)|)), the pre-scaled rows the kernel would gather, made once by
        # the accelerator: an identity graph, PRE_SCALE only (each row its own single-edge sum)
        eye = acc.load_graph(CSR(np.arange(n_items + 1), np.arange(n_items), n_items),
                             Normalization(Mode.PRE_SCALE, self.item_scale, None, None))
        self.tables = [acc.load_features(acc.aggregate(eye, np.ascontiguousarray(r))) for r in item_rows]
        eye.release()

    @property
    def n_layers(self) -> int:
        return len(self.fixed.weights_q)

    def user_layers(self, item_lists: list[np.ndarray], timing: RequestTiming | None = None) -> list[np.ndarray]:
        """x^(1..L) (FEAT int16 [B, F] each) for B users whose neighbours are `item_lists`:
        one B-row request graph, one call per layer group."""
        timing = timing or RequestTiming()
        t0 = time.perf_counter()
        b = len(item_lists)
        deg = np.fromiter((len(items) for items in item_lists), np.int64, b)
        row_ptr = np.zeros(b + 1, np.uint32)
        np.cumsum(deg, out=row_ptr[1:])
        col_idx = item_lists[0] if b == 1 else np.concatenate(item_lists) if b else np.zeros(0, np.uint32)
        rows = CSR(row_ptr, col_idx, self.graph.n_items)
        # symmetric 1/sqrt(|N(u)||N(i)|): the item factor is in the pre-scaled tables (training
        # graph's degrees), the user's own is the row's one POST_SCALE factor
        post = np.zeros(b)
        post[deg > 0] = deg[deg > 0] ** -0.5  # a user without interactions: empty row, scale 0
        with self.acc.lock:  # this request's graph, calls and status: one critical section
            g = self.acc.load_graph(rows, Normalization(Mode.POST_SCALE, None, post, None))
            t1 = time.perf_counter()
            timing.graph_s += t1 - t0
            f = self.fixed.x0_q.shape[1]
            if self.stacked:
                y = self.acc.aggregate(g, self.tables[0], gather=self.gather)
                timing.cycles += self.acc.status.cycles
                outs = [y[:, k * f:(k + 1) * f] for k in range(self.n_layers)]
            else:
                outs = []
                for table, w, relu in zip(self.tables, self.fixed.weights_q, self.fixed.relu):
                    outs.append(self.acc.aggregate(g, table, weight_q=w, relu=relu, gather=self.gather))
                    timing.cycles += self.acc.status.cycles
            timing.calls += 1 if self.stacked else self.n_layers
            timing.aggregate_s += time.perf_counter() - t1
            g.release()
        return outs

    def user_embeddings(self, users, item_lists, timing: RequestTiming | None = None) -> np.ndarray:
        """Final float embeddings [B, F] of `users` (the same bits as the offline rows)."""
        layers = [self.fixed.x0_q[np.asarray(users)]] + self.user_layers(item_lists, timing)
        return combine_layers(layers, self.fixed)

    def user_embedding(self, user: int, items: np.ndarray, timing: RequestTiming | None = None) -> np.ndarray:
        return self.user_embeddings([user], [items], timing)[0]


class FloatOnlineGNN:
    """The same online user row in float (the "GNN only" and "Hybrid (float)" serving paths):
    item-side float layer outputs computed once, the user's row per request in NumPy."""

    def __init__(self, gnn, graph: BipartiteGraph):
        csr, norm = unified_graph(graph)
        adj = sparse_adjacency(csr, norm)
        with torch.no_grad():
            outs = [o.double().numpy() for o in gnn.layer_outputs(adj)]
        self.graph, self.outs = graph, outs
        self.final = np.mean(outs, axis=0)
        self.item_degree = csr.in_degree[graph.n_users:].astype(np.float64)
        self.layers = [(None if layer.weight is None else layer.weight.detach().double().numpy(), layer.relu)
                       for layer in gnn.layers]

    def user_embedding(self, user: int, items: np.ndarray, timing: RequestTiming | None = None) -> np.ndarray:
        t0 = time.perf_counter()
        n_users = self.graph.n_users
        coef = (self.item_degree[items] * len(items)) ** -0.5
        rows = [self.outs[0][user]]
        for k, (w, relu) in enumerate(self.layers):
            h = coef @ self.outs[k][n_users + items]
            if w is not None:
                h = w @ h
            rows.append(np.maximum(h, 0) if relu else h)
        if timing is not None:
            timing.aggregate_s += time.perf_counter() - t0
        return np.mean(rows, axis=0)


class HeadScorer:
    """FusionHead.score_all for one user at a time, on buffers laid out once.

    The item side of the head (B [h_i|e_i], h_i, P e_i) does not depend on the user, so it is
    laid out once as float32 tables; a request computes its user side (A [h_u|e_u] + b1, g h_u,
    P e_u: small matrix-vector products), then over every item one add + ReLU into a scratch
    [n_items, hidden] buffer and two matrix-vector products into a scratch [n_items] buffer (the
    output bias b2 rides as a column of ones in the dot table). The same numbers as score_all up
    to float32 summation order. The scratch buffers are per thread (threading.local, laid out on a
    thread's first call), so one scorer serves any number of threads; the returned array is the
    calling thread's scratch buffer: it is overwritten by that thread's next call."""

    def __init__(self, head: FusionHead, side: dict):
        with torch.no_grad():
            self.gnn_dim, self.text_dim = head.gnn_dim, head.text_dim
            w = head.user_in.weight.detach().float()
            self.w_h = w[:, :head.gnn_dim].numpy().copy()            # [H, g]
            self.w_e = w[:, head.gnn_dim:].numpy().copy()            # [H, t]
            self.b1 = head.user_in.bias.detach().float().numpy().copy()
            self.w2 = head.out.weight.detach().float()[0].contiguous()  # [H]
            self.gnn_weight = None if head.gnn_weight is None else head.gnn_weight.detach().float().numpy().copy()
            self.degree_bounds = head.degree_bounds.numpy().copy()
            self.proj = None if head.text_proj is None else head.text_proj.weight.detach().float().numpy().copy()
            self.first = side["first"].detach().float().contiguous()   # [n_items, H]
            cols = ([side["h"].float()] if self.gnn_weight is not None else []) + \
                ([side["proj"].float()] if self.proj is not None else [])
            n = self.first.shape[0]
            self.dots = torch.cat(cols + [torch.ones(n, 1)], dim=1).contiguous()  # [n_items, D + 1]
        self._bias = float(head.out.bias.detach()[0])
        self._local = threading.local()

    def _scratch(self):
        """This thread's buffers: (vec, vec as a tensor, hidden [n_items, H], mlp, scores)."""
        s = getattr(self._local, "buffers", None)
        if s is None:
            n = self.first.shape[0]
            vec = np.empty(self.dots.shape[1], np.float32)
            vec[-1] = self._bias
            s = self._local.buffers = (vec, torch.from_numpy(vec), torch.empty_like(self.first),
                                       torch.empty(n), torch.empty(n))
        return s

    def __call__(self, h_u: np.ndarray | None, e_u: np.ndarray, degree: int | None = None) -> np.ndarray:
        """float32 [n_items] scores of one user (h_u float [g] or None, e_u float32 [t], `degree`
        training interactions: needed when the head weighs the graph by degree)."""
        vec, vec_t, hidden, mlp, scores = self._scratch()
        a = self.w_e @ e_u + self.b1 if self.text_dim else self.b1.copy()
        k = 0
        if self.gnn_dim:
            h = np.asarray(h_u, dtype=np.float32)
            a += self.w_h @ h
            if self.gnn_weight is not None:
                np.multiply(h, self._user_gnn_weight(degree), out=vec[:self.gnn_dim])
                k = self.gnn_dim
        if self.proj is not None:
            np.dot(self.proj, e_u, out=vec[k:k + self.proj.shape[0]])
        with torch.inference_mode():
            torch.add(self.first, torch.from_numpy(a), out=hidden)
            hidden.relu_()
            torch.mv(hidden, self.w2, out=mlp)
            torch.addmv(mlp, self.dots, vec_t, out=scores)
        return scores.numpy()

    def _user_gnn_weight(self, degree: int | None) -> np.float32:
        """FusionHead.user_gnn_weight for one user (the same buckets, in NumPy)."""
        if not len(self.degree_bounds):
            return self.gnn_weight[0]
        if degree is None:
            raise ValueError("this head weighs the graph by user degree: pass the user's training degree")
        return self.gnn_weight[np.searchsorted(self.degree_bounds, degree, side="left")]


SAVE_FORMAT = "gnn-agg-recommender/1"  # what save() writes; load() refuses anything else


@dataclasses.dataclass(frozen=True)
class Recommendation:
    item: int       # contiguous item index
    item_id: str    # the data set's own item id
    title: str
    score: float


class OnlineRecommender:
    """A request end to end: online user embedding, fusion head over all items, top-k. Items in
    `known[u]` (train + valid for a trained pipeline) are never recommended to u. Users and items
    are contiguous indices; `user_ids` / `item_ids` are the data set's own ids of them (default
    "0", "1", ...), which user_index() and the recommendations accept and report."""

    def __init__(self, gnn: OnlineGNN | FloatOnlineGNN, head: FusionHead, e_user: torch.Tensor,
                 e_item: torch.Tensor, known: list[np.ndarray], titles: list[str] | None = None,
                 user_ids: list[str] | None = None, item_ids: list[str] | None = None):
        self.gnn, self.head, self.e_user, self.e_item, self.known = gnn, head.eval(), e_user, e_item, known
        n_users, n_items = gnn.graph.n_users, gnn.graph.n_items
        self.item_ids = list(item_ids) if item_ids is not None else [str(i) for i in range(n_items)]
        self.user_ids = list(user_ids) if user_ids is not None else [str(u) for u in range(n_users)]
        if len(self.item_ids) != n_items or len(self.user_ids) != n_users:
            raise ValueError(f"{len(self.user_ids)} user ids and {len(self.item_ids)} item ids for a graph of "
                             f"{n_users} users and {n_items} items")
        self._user_index = {raw: u for u, raw in enumerate(self.user_ids)}
        self.titles = titles or [f"item {raw}" for raw in self.item_ids]
        h_item = torch.from_numpy(gnn.final[n_users:]).float()
        with torch.no_grad():
            self.side = head.item_side(h_item, e_item)
        self.scorer = HeadScorer(head, self.side)
        self.e_user_np = e_user.detach().float().numpy()
        self.neighbours = neighbour_lists(gnn.graph)

    @property
    def n_users(self) -> int:
        return len(self.known)

    @property
    def n_items(self) -> int:
        return self.gnn.graph.n_items

    def user_index(self, user_id: str) -> int:
        """The index of the data set's user id `user_id` (ValueError naming it when unknown)."""
        try:
            return self._user_index[str(user_id)]
        except KeyError:
            raise ValueError(f"unknown user id {user_id!r} ({self.n_users} users, e.g. "
                             f"{', '.join(repr(u) for u in self.user_ids[:3])})") from None

    def recommend(self, user: int, k: int = 10, timing: RequestTiming | None = None) -> np.ndarray:
        """The top-k unseen items for `user` (ties broken by item id); ValueError on a bad user
        or k, exactly as recommendations(). Safe to call from many threads."""
        self._check_request(user, k)
        return self._rank(int(user), int(k), timing)[0]

    def _check_request(self, user, k) -> None:
        """The one validation of a request (recommend and recommendations)."""
        if isinstance(user, bool) or not isinstance(user, (int, np.integer)) or not 0 <= user < self.n_users:
            raise ValueError(f"user must be an integer in 0..{self.n_users - 1}, got {user!r}")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 < k <= self.n_items:
            raise ValueError(f"k must be an integer in 1..{self.n_items} (the catalogue), got {k!r}")

    def recommendations(self, user: int, k: int = 10) -> list[Recommendation]:
        """recommend() with ids, titles and scores, for people and services: `user` is an index
        (see user_index for the data set's ids); ValueError on a bad user or k. Fewer than k come
        back when the user has seen all but fewer than k items."""
        self._check_request(user, k)
        top, scores = self._rank(int(user), int(k), None)
        return [Recommendation(int(i), self.item_ids[i], self.titles[i], float(scores[i])) for i in top]

    def _rank(self, user: int, k: int, timing: RequestTiming | None) -> tuple[np.ndarray, np.ndarray]:
        timing = timing or RequestTiming()
        h_u = self.gnn.user_embedding(user, self.neighbours[user], timing)
        t0 = time.perf_counter()
        scores = self.scorer(h_u, self.e_user_np[user], len(self.neighbours[user]))
        t1 = time.perf_counter()
        top = top_k(scores, self.known[user], k, inplace=True)  # this thread's scratch buffer
        timing.head_s += t1 - t0
        timing.rank_s += time.perf_counter() - t1
        return top, scores

    # -- saved recommenders -----------------------------------------------------------------
    def save(self, path) -> None:
        """Everything a later process needs to serve (tensors and plain values only, so load()
        never unpickles code): the head, the fixed-point GNN, the training graph, the text
        embeddings, titles and the items known per user."""
        if not isinstance(self.gnn, OnlineGNN):
            raise ValueError("only a recommender over the accelerator (OnlineGNN) can be saved")
        head, fixed, graph = self.head, self.gnn.fixed, self.gnn.graph
        torch.save({
            "head_config": {"gnn_dim": head.gnn_dim, "text_dim": head.text_dim, "hidden": head.out.in_features,
                            "proj": head.text_proj.out_features if head.text_proj else 64,
                            "gnn_dot": head.gnn_weight is not None,
                            "degree_bounds": tuple(head.degree_bounds.tolist())},
            "head": head.state_dict(),
            "fixed": {"n_users": fixed.n_users, "scale": fixed.scale, "x0_q": torch.from_numpy(fixed.x0_q),
                      "weights_q": [None if w is None else torch.from_numpy(w) for w in fixed.weights_q],
                      "relu": list(fixed.relu)},
            "graph": {"n_users": graph.n_users, "n_items": graph.n_items,
                      "users": torch.from_numpy(np.asarray(graph.users, np.int64)),
                      "items": torch.from_numpy(np.asarray(graph.items, np.int64))},
            "e_user": self.e_user.detach().float(), "e_item": self.e_item.detach().float(),
            "titles": list(self.titles), "known": [torch.from_numpy(np.asarray(k, np.int64)) for k in self.known],
            "user_ids": self.user_ids, "item_ids": self.item_ids, "format": SAVE_FORMAT,
        }, path)

    @classmethod
    def load(cls, path, acc) -> "OnlineRecommender":
        """A recommender saved by save(), serving Eq. 1 on `acc` (a host.driver.Accelerator). Only
        tensors and plain values are read (no unpickling of code); a file that is not one gives a
        ValueError naming it."""
        blob = read_saved(path)
        head = FusionHead(**blob["head_config"])
        head.load_state_dict(blob["head"])
        f = blob["fixed"]
        fixed = FixedGNN(f["n_users"], f["scale"], f["x0_q"].numpy(),
                         tuple(None if w is None else w.numpy() for w in f["weights_q"]), tuple(f["relu"]))
        g = blob["graph"]
        graph = BipartiteGraph(g["n_users"], g["n_items"], g["users"].numpy(), g["items"].numpy())
        return cls(OnlineGNN(acc, fixed, graph), head, blob["e_user"], blob["e_item"],
                   [k.numpy() for k in blob["known"]], blob["titles"], blob["user_ids"], blob["item_ids"])


def read_saved(path) -> dict:
    """The contents of a file written by OnlineRecommender.save: tensors and plain values only (no
    unpickling of code); a missing file or one that is not such a file is a ValueError naming it."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such model file (python -m host.rec, or make demo, writes one)")
    try:
        blob = torch.load(path, weights_only=True)
        if not isinstance(blob, dict) or blob.get("format") != SAVE_FORMAT:
            raise ValueError("not written by this version")
    except Exception as e:  # torch raises several types for a file that is not a model
        raise ValueError(f"{path}: not a recommender saved by host.rec.serve ({str(e).splitlines()[0][:120]})") \
            from None
    return blob


def format_recommendations(user_id: str, recs: list[Recommendation]) -> str:
    lines = [f"user {user_id}:"]
    lines += [f"  {r + 1:2d}. {rec.title}  (item {rec.item_id}, score {rec.score:.3f})" for r, rec in enumerate(recs)]
    return "\n".join(lines)


def neighbour_lists(graph: BipartiteGraph) -> list[np.ndarray]:
    order = np.argsort(graph.users, kind="stable")
    bounds = np.searchsorted(graph.users[order], np.arange(graph.n_users + 1))
    items = graph.items[order].astype(np.uint32)  # the request CSR's col_idx dtype: no conversion
    return [items[bounds[u]:bounds[u + 1]] for u in range(graph.n_users)]


def main(argv=None) -> int:
    from host.driver import Accelerator
    from .cli import user_errors
    ap = argparse.ArgumentParser(prog="python -m host.rec.serve", description="Print top-k recommendations with titles.")
    ap.add_argument("--model", default="results/demo/recommender.pt",
                    help="file written by python -m host.rec (make demo writes results/demo/recommender.pt)")
    ap.add_argument("--user", nargs="+", required=True, help="the data set's own user ids")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--backend", default="cpu", help="accelerator backend of the online GNN: cpu | sim | board")
    ap.add_argument("--debug", action="store_true", help="a traceback instead of a one-line error")
    args = ap.parse_args(argv)

    def serve() -> None:
        torch.set_num_threads(1)
        with Accelerator(args.backend) as acc:
            rec = OnlineRecommender.load(args.model, acc)
            users = [rec.user_index(u) for u in args.user]  # every id checked before any output
            for raw, u in zip(args.user, users):
                recs = rec.recommendations(u, args.k)
                print(format_recommendations(raw, recs))
                if len(recs) < args.k:
                    print(f"  (only {len(recs)} items this user has not seen)")
    return user_errors(serve, ap.prog, args.debug)


if __name__ == "__main__":
    raise SystemExit(main())
