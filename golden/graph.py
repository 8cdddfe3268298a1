"""Graphs in CSR form: validation, building from interaction lists, degree statistics.

A `CSR` is destination-major, as the accelerator reads it: the neighbours u of destination v are
`col_idx[row_ptr[v]:row_ptr[v+1]]`, each an index into the n_src source rows.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .contract import MAX_DEGREE, TILE_ADD, TILE_END, TILE_FIN, TILE_ROW_MASK, TILED_MAX_DST, TILED_MAX_ROWS


@dataclasses.dataclass(frozen=True)
class CSR:
    row_ptr: np.ndarray  # uint32 [n_dst + 1]
    col_idx: np.ndarray  # uint32 [n_edges]
    n_src: int

    def __post_init__(self):
        validate_csr(self.row_ptr, self.col_idx, self.n_src)
        object.__setattr__(self, "row_ptr", np.ascontiguousarray(self.row_ptr, dtype=np.uint32))
        object.__setattr__(self, "col_idx", np.ascontiguousarray(self.col_idx, dtype=np.uint32))

    @property
    def n_dst(self) -> int:
        return len(self.row_ptr) - 1

    @property
    def n_edges(self) -> int:
        return len(self.col_idx)

    @property
    def in_degree(self) -> np.ndarray:
        """|N(v)| for every destination: the row lengths."""
        return np.diff(self.row_ptr.astype(np.int64))

    @property
    def out_degree(self) -> np.ndarray:
        """How often each source row is gathered (|N(u)| in a symmetric graph)."""
        return np.bincount(self.col_idx, minlength=self.n_src).astype(np.int64)

    def dst_of_edges(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_dst, dtype=np.int64), self.in_degree)

    def partitions_touched(self, rows_per_part: int) -> np.ndarray:
        """Per destination row, how many source partitions of `rows_per_part` rows its edges read
        (0 for a row without edges)."""
        parts = max(-(-self.n_src // rows_per_part), 1)
        pairs = np.unique(self.dst_of_edges() * parts + self.col_idx.astype(np.int64) // rows_per_part)
        return np.bincount(pairs // parts, minlength=self.n_dst).astype(np.int64)

    def partial_rows(self, rows_per_part: int) -> int:
        """Partial rows that source tiling must park in acc_buf: per destination row, the source
        partitions its edges read, less one (the row's last partition finishes it on chip). The
        RTL writes and reads back exactly these (docs/RTL.md, "Key decisions")."""
        return int(np.maximum(self.partitions_touched(rows_per_part) - 1, 0).sum())

    def to_scipy(self, data: np.ndarray | None = None):
        import scipy.sparse as sp
        if data is None:
            data = np.ones(self.n_edges, dtype=np.float64)
        return sp.csr_matrix((data, self.col_idx.astype(np.int64), self.row_ptr.astype(np.int64)),
                             shape=(self.n_dst, self.n_src))

    def transpose(self) -> "CSR":
        """The reverse direction (sources become destinations), edges stably ordered."""
        order = np.argsort(self.col_idx, kind="stable")
        counts = self.out_degree
        row_ptr = np.concatenate([[0], np.cumsum(counts)])
        return CSR(row_ptr, self.dst_of_edges()[order], self.n_dst)

    def take_rows(self, order: np.ndarray) -> "CSR":
        """The CSR whose row i is row order[i] of this one (same sources): a layer on it gives
        y[order], so y = result[argsort(order)]."""
        order = np.asarray(order, dtype=np.int64)
        if order.shape != (self.n_dst,) or not np.array_equal(np.sort(order), np.arange(self.n_dst)):
            raise ValueError(f"order must be a permutation of the {self.n_dst} rows")
        deg = self.in_degree[order]
        row_ptr = np.concatenate([[0], np.cumsum(deg)])
        starts = self.row_ptr[order].astype(np.int64)
        edges = np.repeat(starts - row_ptr[:-1], deg) + np.arange(self.n_edges, dtype=np.int64)
        return CSR(row_ptr, self.col_idx[edges], self.n_src)

    @staticmethod
    def from_edges(dst: np.ndarray, src: np.ndarray, n_dst: int, n_src: int) -> "CSR":
        """CSR of the edges src -> dst, ordered by destination then by input position."""
        dst = _as_index(dst, "dst")
        src = _as_index(src, "src")
        if len(dst) != len(src):
            raise ValueError(f"dst and src have different lengths ({len(dst)} vs {len(src)})")
        if len(dst) and (dst.max() >= n_dst):
            raise ValueError(f"dst index {int(dst.max())} out of range for n_dst={n_dst}")
        if len(src) and (src.max() >= n_src):
            raise ValueError(f"src index {int(src.max())} out of range for n_src={n_src}")
        order = np.argsort(dst, kind="stable")
        row_ptr = np.concatenate([[0], np.cumsum(np.bincount(dst, minlength=n_dst))])
        return CSR(row_ptr, src[order], n_src)


def spread_row_order(n_dst: int) -> np.ndarray:
    """A row order that spreads any contiguous block of rows evenly over the whole run: row i of
    the reordered CSR is row order[i], with the rows sorted by frac(v * golden ratio) (each
    prefix of the order samples the row ids at nearly equal spacing). Under source tiling, a
    pass then finds work for the processing elements all along the rows instead of in one
    block (in a user-first bipartite graph a pass over user sources has work only in the item
    rows), so the rows without work (their col_idx scan and partial sums) overlap the others'
    accumulation."""
    key = (np.arange(n_dst, dtype=np.float64) * 0.6180339887498949) % 1.0
    return np.argsort(key, kind="stable")


def _as_index(a, name: str) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {a.shape}")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got {a.dtype}")
    a = a.astype(np.int64)
    if a.size and a.min() < 0:
        raise ValueError(f"{name} has a negative index ({int(a.min())})")
    return a


def validate_csr(row_ptr, col_idx, n_src: int) -> None:
    """Raise ValueError naming the first problem; accept every well-formed CSR."""
    row_ptr = np.asarray(row_ptr)
    col_idx = np.asarray(col_idx)
    if row_ptr.ndim != 1 or len(row_ptr) < 1:
        raise ValueError(f"row_ptr must be a 1-D array of n_dst+1 >= 1 entries, got shape {row_ptr.shape}")
    if col_idx.ndim != 1:
        raise ValueError(f"col_idx must be one-dimensional, got shape {col_idx.shape}")
    for name, a in (("row_ptr", row_ptr), ("col_idx", col_idx)):
        if a.size and not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"{name} must hold integers, got {a.dtype}")
    if not isinstance(n_src, (int, np.integer)) or n_src < 0:
        raise ValueError(f"n_src must be a non-negative integer, got {n_src!r}")
    if n_src >= 1 << 32:
        raise ValueError(f"n_src={n_src} does not fit the 32-bit index")
    rp = row_ptr.astype(np.int64)
    if rp[0] != 0:
        raise ValueError(f"row_ptr[0] must be 0, got {int(rp[0])}")
    steps = np.diff(rp)
    if steps.size and steps.min() < 0:
        v = int(np.argmax(steps < 0))
        raise ValueError(f"row_ptr is not monotone: row_ptr[{v + 1}]={int(rp[v + 1])} < row_ptr[{v}]={int(rp[v])}")
    if rp[-1] != len(col_idx):
        raise ValueError(f"row_ptr[-1]={int(rp[-1])} does not match len(col_idx)={len(col_idx)}")
    if len(col_idx) >= 1 << 32:
        raise ValueError("more than 2**32-1 edges do not fit the 32-bit row_ptr")
    if col_idx.size:
        ci = col_idx.astype(np.int64)
        bad = (ci < 0) | (ci >= n_src)
        if bad.any():
            e = int(np.argmax(bad))
            raise ValueError(f"col_idx[{e}]={int(ci[e])} out of range for n_src={n_src}")


@dataclasses.dataclass(frozen=True)
class BipartiteGraph:
    """A user-item interaction graph. Node ids of the unified graph: users 0..n_users-1, then
    items n_users..n_users+n_items-1 (LightGCN's layout)."""

    n_users: int
    n_items: int
    users: np.ndarray  # int64 [n_interactions]
    items: np.ndarray  # int64 [n_interactions]

    @property
    def n_nodes(self) -> int:
        return self.n_users + self.n_items

    def user_to_item(self) -> CSR:
        """Rows are users, neighbours are items (aggregates item rows into users)."""
        return CSR.from_edges(self.users, self.items, self.n_users, self.n_items)

    def item_to_user(self) -> CSR:
        """Rows are items, neighbours are users."""
        return CSR.from_edges(self.items, self.users, self.n_items, self.n_users)

    def unified(self, self_loops: bool = False) -> CSR:
        """The symmetric (n_users+n_items)-node adjacency, optionally with A + I."""
        u = self.users
        i = self.items + self.n_users
        dst = [u, i]
        src = [i, u]
        if self_loops:
            nodes = np.arange(self.n_nodes, dtype=np.int64)
            dst.append(nodes)
            src.append(nodes)
        return CSR.from_edges(np.concatenate(dst), np.concatenate(src), self.n_nodes, self.n_nodes)


def build_bipartite(users, items, n_users: int | None = None, n_items: int | None = None,
                    ratings=None, min_rating: float | None = None,
                    dedupe: bool = True) -> BipartiteGraph:
    """Interactions (user, item[, rating]) -> BipartiteGraph. Ratings below `min_rating` are
    dropped (implicit feedback); repeated (user, item) pairs are merged when `dedupe`."""
    users = _as_index(users, "users")
    items = _as_index(items, "items")
    if len(users) != len(items):
        raise ValueError(f"users and items have different lengths ({len(users)} vs {len(items)})")
    if ratings is not None:
        ratings = np.asarray(ratings, dtype=np.float64)
        if ratings.shape != users.shape:
            raise ValueError(f"ratings has shape {ratings.shape}, expected {users.shape}")
        if not np.all(np.isfinite(ratings)):
            raise ValueError("ratings contain NaN or inf")
        if min_rating is not None:
            keep = ratings >= min_rating
            users, items = users[keep], items[keep]
    n_users = int(users.max()) + 1 if n_users is None and len(users) else (n_users or 0)
    n_items = int(items.max()) + 1 if n_items is None and len(items) else (n_items or 0)
    if len(users) and users.max() >= n_users:
        raise ValueError(f"user id {int(users.max())} out of range for n_users={n_users}")
    if len(items) and items.max() >= n_items:
        raise ValueError(f"item id {int(items.max())} out of range for n_items={n_items}")
    if dedupe and len(users):
        key = np.unique(users * n_items + items)
        users, items = key // n_items, key % n_items
    return BipartiteGraph(n_users, n_items, users, items)


def degree_stats(deg: np.ndarray) -> dict:
    """Summary of a degree array: what a designer needs to size tables and balance PEs."""
    deg = np.asarray(deg, dtype=np.int64)
    if deg.size == 0:
        return {"n": 0, "min": 0, "max": 0, "mean": 0.0, "median": 0.0, "p99": 0.0,
                "isolated": 0, "gini": 0.0}
    s = np.sort(deg)
    total = s.sum()
    gini = 0.0 if total == 0 else float(1 - 2 * np.sum(np.cumsum(s)) / (len(s) * total) + 1 / len(s))
    return {"n": int(len(deg)), "min": int(s[0]), "max": int(s[-1]), "mean": float(s.mean()),
            "median": float(np.median(s)), "p99": float(np.percentile(s, 99)),
            "isolated": int(np.sum(s == 0)), "gini": gini}


#: MovieLens-1M's shape: the size every benchmark in this project quotes
ML1M_USERS, ML1M_ITEMS, ML1M_RATINGS = 6040, 3706, 1_000_209


def synthetic_bipartite(n_users: int = ML1M_USERS, n_items: int = ML1M_ITEMS,
                        n_interactions: int = ML1M_RATINGS, seed: int = 0,
                        user_sigma: float = 1.0, item_exponent: float = 0.9) -> BipartiteGraph:
    """A user-item graph with exactly `n_interactions` distinct pairs and ML-1M-like skew:
    log-normal user activity and Zipf-like item popularity (a few hub items, a long tail).
    The default is ML-1M-sized: its unified graph has 2,000,418 directed edges."""
    if n_interactions > n_users * n_items:
        raise ValueError(f"{n_interactions} interactions do not fit {n_users} x {n_items} pairs")
    rng = np.random.default_rng(seed)
    p_user = rng.lognormal(0.0, user_sigma, n_users)
    p_item = rng.permutation(np.arange(1, n_items + 1, dtype=np.float64) ** -item_exponent)
    p_user, p_item = p_user / p_user.sum(), p_item / p_item.sum()
    keys = np.zeros(0, dtype=np.int64)
    while len(keys) < n_interactions:
        need = int((n_interactions - len(keys)) * 1.3) + 16
        new = rng.choice(n_users, need, p=p_user) * n_items + rng.choice(n_items, need, p=p_item)
        keys = np.unique(np.concatenate([keys, new]))
    keys = rng.choice(keys, n_interactions, replace=False)
    return BipartiteGraph(n_users, n_items, keys // n_items, keys % n_items)


def ml1m_shaped(scale: float = 1.0, seed: int = 0) -> BipartiteGraph:
    """The benchmarks' graph: dataset_shaped("ml1m", scale, seed) (scale 1 is ML-1M-sized,
    2,000,418 directed edges in the unified graph)."""
    return dataset_shaped("ml1m", scale, seed)


#: (users, items, interactions) of the data sets the scale benchmark imitates: MovieLens-1M, and
#: Gowalla and Amazon-Book as LightGCN uses them (Gowalla: all 1,027,370 check-in pairs, 2,054,740
#: directed edges; Amazon-Book: its 2,380,730 training pairs, 4,761,460 directed edges)
DATASET_SHAPES = {
    "ml1m": (ML1M_USERS, ML1M_ITEMS, ML1M_RATINGS),
    "gowalla": (29_858, 40_981, 1_027_370),
    "amazon-book": (52_643, 91_599, 2_380_730),
}


def dataset_shaped(name: str, scale: float = 1.0, seed: int = 0) -> BipartiteGraph:
    """synthetic_bipartite with the users, items and interactions of DATASET_SHAPES[name] at
    `scale` x its users and items and `scale`^2 x its interactions (the generator's log-normal
    user activity and Zipf item popularity: the shape, not the data)."""
    if name not in DATASET_SHAPES:
        raise ValueError(f"unknown data set shape {name!r}, expected one of {sorted(DATASET_SHAPES)}")
    users, items, pairs = DATASET_SHAPES[name]
    return synthetic_bipartite(max(2, int(users * scale)), max(2, int(items * scale)),
                               max(1, int(pairs * scale * scale)), seed=seed)


# ---------------------------------------------------------------------------------------------
# The tiled (partition-major) layout of a CSR for source-tiled table mode (Mode.TILED,
# docs/CONTRACT.md "Tiled layout"): the edges grouped by source partition so that each pass
# reads only its own edges, once.


@dataclasses.dataclass(frozen=True)
class TiledLayout:
    """A CSR re-encoded partition-major for R source rows per partition (P = ceil(n_src / R)
    partitions, at least 1), one tile per partition in the pass order the host chose (`order`,
    see pass_order). Each tile begins with a marker naming its partition p, then lists the
    destination rows with at least one edge in partition p, ascending (the last tile also lists
    the rows without edges, so every row is finished once):

      pairs    uint32 [n_pairs, 2]: (row word, edge end). Row word: v | ADD | FIN, or TILE_END | p
               for the marker of partition p's tile. Edge end: one past the row's last edge in
               col_idx (cumulative over all tiles; the row's edges start at the previous pair's
               end, at 0 for pair 1); a later marker's end equals the previous pair's. Pair 0, the
               first marker, has no edges and holds the read-ahead hint in its end: the second
               tile's partition (0 with one tile), which lets a kernel load that partition's rows
               while the first pass runs (see tile_edges).
      col_idx  uint16 [n_edges]: each edge's source as a table row u - p R of its tile's partition.
      edge_order int64 [n_edges]: tiled edge i is CSR edge edge_order[i] (permute edge_w with
               `permute_edges`); within a row and a partition the CSR order is kept.

    ADD: an earlier tile lists the row; FIN: no later tile does. n_pairs = n_dst +
    CSR.partial_rows(R) + P: every row is listed once per partition it touches (once, in the
    last tile, when it has no edges), plus the P markers."""

    pairs: np.ndarray
    col_idx: np.ndarray
    edge_order: np.ndarray
    rows_per_part: int
    n_dst: int
    n_src: int

    def __post_init__(self):
        validate_tiled(self.pairs, self.col_idx, self.n_dst, self.n_src, self.rows_per_part)

    @property
    def parts(self) -> int:
        return max(1, -(-self.n_src // self.rows_per_part))

    @property
    def order(self) -> tuple[int, ...]:
        """The partitions in pass order (the markers')."""
        word = self.pairs[:, 0].astype(np.int64)
        return tuple(int(p) for p in word[(word & TILE_END) != 0] & TILE_ROW_MASK)

    @property
    def n_pairs(self) -> int:
        return len(self.pairs)

    @property
    def n_edges(self) -> int:
        return len(self.col_idx)

    @property
    def nbytes(self) -> int:
        """Bytes of the pairs and the local indices (what a tiled pass streams, once per run)."""
        return self.pairs.nbytes + self.col_idx.nbytes

    def permute_edges(self, values) -> np.ndarray:
        """Per-edge values (edge_w) of the CSR in the tiled edge order."""
        values = np.asarray(values)
        if values.shape[:1] != (self.n_edges,):
            raise ValueError(f"expected {self.n_edges} per-edge values, got shape {values.shape}")
        return values[self.edge_order]

    def tiles(self):
        """Per tile in pass order: (partition, rows, add, fin, starts, ends) as int64 / bool arrays
        (the rows' edges are col_idx[starts[i]:ends[i]])."""
        word = self.pairs[:, 0].astype(np.int64)
        start, end = tile_edges(self.pairs)
        marks = np.flatnonzero(word & TILE_END)
        for m, nxt in zip(marks, np.append(marks[1:], len(word))):
            sl = slice(m + 1, nxt)
            yield (int(word[m] & TILE_ROW_MASK), word[sl] & TILE_ROW_MASK, (word[sl] & TILE_ADD) != 0,
                   (word[sl] & TILE_FIN) != 0, start[sl], end[sl])

    def to_csr(self) -> CSR:
        """The CSR these tiles encode: row v's edges in tiled order (partitions in pass order,
        CSR order within one), global source indices."""
        dst, src = [], []
        for p, rows, _, _, starts, ends in self.tiles():
            deg = ends - starts
            dst.append(np.repeat(rows, deg))
            src.append(self.col_idx[starts[0]:ends[-1]].astype(np.int64) + p * self.rows_per_part
                       if len(rows) else np.zeros(0, np.int64))
        dst = np.concatenate(dst) if dst else np.zeros(0, np.int64)
        src = np.concatenate(src) if src else np.zeros(0, np.int64)
        return CSR.from_edges(dst, src, self.n_dst, self.n_src)


def tile_edges(pairs) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's edges as col_idx[start:end] (int64 arrays): a pair's edges start at the previous
    pair's end, and pair 0 (the first marker, whose end is the read-ahead hint) has none."""
    end = np.asarray(pairs)[:, 1].astype(np.int64)
    if len(end):
        end[0] = 0
    return np.concatenate([[0], end[:-1]]), end


def _part_count(csr: CSR, rows_per_part: int) -> int:
    return max(1, -(-csr.n_src // rows_per_part))


def _check_order(order, parts: int) -> tuple[int, ...]:
    order = tuple(int(p) for p in order)
    if sorted(order) != list(range(parts)):
        raise ValueError(f"order must name each of the {parts} partitions once, got {order}")
    return order


class PassTraffic:
    """The byte-traffic model a host uses to choose the pass order of a tiled layout (docs/CONTRACT.md,
    "Tiled layout"): a pass over partition p after the partitions S costs

        load  = rows(p) F feat_bytes                                   (the table load: reads, alone)
        read  = 8 (pairs + 1) + 2 edges(p) + 4 F add                   (tile, acc_buf read-back)
        write = 4 F (pairs - fin) + feat_bytes F fin                   (acc_buf, feat_out)
        cost  = load + max(read, write)

    with pairs = the rows touching p (plus, in the last pass, the rows without edges, all fin),
    add = those also touching S, fin = those touching no partition after p. A pass streams its
    reads and writes at once and the table load precedes it, so it is bound by its larger bus
    direction; mode-dependent reads (edge_w, a POST_SCALE dst_scale word per finished row) are
    left out. The read-ahead: when the first pass is the remainder partition P-1 (fewer than R
    rows), the second partition's rows that fit beside it load during the first pass (its
    reads) instead of before the second (its load). cost(S, p) depends only on S and p, so the
    cheapest order is a shortest path over the subsets of partitions (exact for P <=
    EXACT_PARTS; above, the cheapest of descending, ascending and the greedy order, which adds
    the cheapest next pass each step)."""

    EXACT_PARTS = 12

    def __init__(self, csr: CSR, rows_per_part: int, feat_dim: int, feat_bytes: int):
        self.parts = parts = _part_count(csr, rows_per_part)
        self.feat_dim, self.feat_bytes = feat_dim, feat_bytes
        part = csr.col_idx.astype(np.int64) // rows_per_part
        key = np.unique(csr.dst_of_edges() * parts + part)
        self.row_part = (key // parts, key % parts)                 # the (row, partition) pairs
        self.edges = np.bincount(part, minlength=parts)
        self.touch = np.bincount(self.row_part[1], minlength=parts)  # rows touching each partition
        self.empty = int((csr.in_degree == 0).sum())
        self.rows = np.minimum(rows_per_part, csr.n_src - np.arange(parts) * rows_per_part).clip(0)
        self.n_dst = csr.n_dst
        # bytes the read-ahead moves from the second pass's load into the first pass's reads
        self.ahead = (rows_per_part - int(self.rows[-1])) * feat_dim * feat_bytes if parts > 1 else 0

    def _pass_cost(self, p, touch, add, fin, last, first=False, second=False):
        """Bytes of the pass over p (arrays broadcast); first: it is the first pass, second: the
        second after the remainder partition (the read-ahead's two ends)."""
        F, fb = self.feat_dim, self.feat_bytes
        pairs = touch + np.where(last, self.empty, 0)
        fin = fin + np.where(last, self.empty, 0)
        ahead = np.where(first & (p == self.parts - 1), self.ahead, 0)
        read = 8 * (pairs + 1) + 2 * self.edges[p] + 4 * F * add + ahead
        write = 4 * F * (pairs - fin) + fb * F * fin
        return self.rows[p] * F * fb - np.where(second, self.ahead, 0) + np.maximum(read, write)

    def cost(self, order) -> int:
        """Model bytes of a run in this pass order."""
        order = _check_order(order, self.parts)
        pos = np.empty(self.parts, np.int64)
        pos[list(order)] = np.arange(self.parts)
        v, q = self.row_part
        first = np.full(self.n_dst, self.parts, np.int64)
        last = np.full(self.n_dst, -1, np.int64)
        np.minimum.at(first, v, pos[q])
        np.maximum.at(last, v, pos[q])
        k = pos[q]
        add = np.bincount(k, weights=first[v] < k, minlength=self.parts).astype(np.int64)
        fin = np.bincount(k, weights=last[v] == k, minlength=self.parts).astype(np.int64)
        ks = np.arange(self.parts)
        o = np.asarray(order)
        return int(self._pass_cost(o, self.touch[o], add, fin, ks == self.parts - 1, ks == 0,
                                   (ks == 1) & (o[0] == self.parts - 1)).sum())

    def _exact(self) -> tuple[int, ...]:
        P = self.parts
        full = (1 << P) - 1
        v, q = self.row_part
        mask = np.zeros(self.n_dst, np.int64)
        np.bitwise_or.at(mask, v, 1 << q)
        hist = np.bincount(mask[mask != 0], minlength=1 << P)
        # z[p, X]: rows touching p whose partitions all lie in X (subset sums over the masks)
        has = (np.arange(1 << P)[None, :] >> np.arange(P)[:, None]) & 1
        z = (hist[None, :] * has).astype(np.int64)
        for i in range(P):
            z = z.reshape(P, -1, 2, 1 << i)
            z[:, :, 1, :] += z[:, :, 0, :]
        z = z.reshape(P, 1 << P)
        best = np.full(1 << P, np.iinfo(np.int64).max, np.int64)
        best[0] = 0
        step = np.full(1 << P, -1, np.int64)
        pop = np.array([bin(s).count("1") for s in range(1 << P)])
        for k in range(P):
            S = np.flatnonzero(pop == k)
            for p in range(P - 1, -1, -1):
                s = S[(S >> p) & 1 == 0]
                t = s | (1 << p)
                c = best[s] + self._pass_cost(p, self.touch[p], self.touch[p] - z[p, full & ~s], z[p, t], t == full,
                                              s == 0, s == 1 << (P - 1))
                better = c < best[t]
                best[t[better]], step[t[better]] = c[better], p
        order, s = [], full
        while s:
            order.append(int(step[s]))
            s &= ~(1 << int(step[s]))
        return tuple(order[::-1])

    def _greedy(self) -> tuple[int, ...]:
        v, q = self.row_part
        left = np.bincount(v, minlength=self.n_dst)     # partitions not yet passed, per row
        seen = np.zeros(self.n_dst, bool)               # rows touched by a pass so far
        order = []
        for k in range(self.parts):
            free = [p for p in range(self.parts) if p not in order]
            costs = []
            for p in free:
                r = v[q == p]
                costs.append(int(self._pass_cost(p, len(r), int(seen[r].sum()), int((left[r] == 1).sum()),
                                                 k == self.parts - 1, k == 0,
                                                 k == 1 and order[0] == self.parts - 1)))
            p = free[int(np.argmin(costs))]
            r = v[q == p]
            seen[r] = True
            left[r] -= 1
            order.append(p)
        return tuple(order)

    def best(self) -> tuple[int, ...]:
        """The cheapest order found; descending (P-1 .. 0) when nothing is cheaper."""
        desc = tuple(range(self.parts - 1, -1, -1))
        cands = [self._exact()] if self.parts <= self.EXACT_PARTS else [desc[::-1], self._greedy()]
        cost = self.cost(desc)
        for o in cands:
            c = self.cost(o)
            if c < cost:
                desc, cost = o, c
        return desc


def pass_order(csr: CSR, rows_per_part: int, feat_dim: int, feat_bytes: int) -> tuple[int, ...]:
    """The pass order a host gives tile_csr: the cheapest under PassTraffic (feat_bytes: the
    build's FEAT element, HwConfig.feat_bytes)."""
    return PassTraffic(csr, rows_per_part, feat_dim, feat_bytes).best()


def tile_csr(csr: CSR, rows_per_part: int, order=None) -> TiledLayout:
    """The tiled layout of `csr` for partitions of `rows_per_part` source rows (the build's
    HwConfig.table_rows(feat_dim)) with the tiles in `order` (each partition once; None:
    descending, P-1 first); see TiledLayout and pass_order."""
    if not 0 < rows_per_part <= TILED_MAX_ROWS:
        raise ValueError(f"rows_per_part must be 1..{TILED_MAX_ROWS} (16-bit local indices), got {rows_per_part}")
    if csr.n_dst > TILED_MAX_DST:
        raise ValueError(f"n_dst={csr.n_dst} does not fit the tile row word (at most {TILED_MAX_DST})")
    n_dst, n_edges = csr.n_dst, csr.n_edges
    parts = _part_count(csr, rows_per_part)
    order = _check_order(range(parts - 1, -1, -1) if order is None else order, parts)
    pos = np.empty(parts, np.int64)
    pos[list(order)] = np.arange(parts)
    src = csr.col_idx.astype(np.int64)
    part = src // rows_per_part
    dst = csr.dst_of_edges()
    edge_order = np.lexsort((np.arange(n_edges), dst, pos[part]))   # pass, row, CSR order
    spart, sdst = part[edge_order], dst[edge_order]
    key = pos[spart] * max(n_dst, 1) + sdst
    first = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if n_edges else np.zeros(0, np.int64)
    pv, pk = sdst[first], pos[spart[first]]
    cnt = np.diff(np.concatenate([first, [n_edges]]))
    empty = np.flatnonzero(csr.in_degree == 0)
    v = np.concatenate([pv, empty])
    k = np.concatenate([pk, np.full(len(empty), parts - 1, np.int64)])   # rows without edges: last tile
    cnt = np.concatenate([cnt, np.zeros(len(empty), np.int64)])
    sort = np.lexsort((v, k))
    v, k, cnt = v[sort], k[sort], cnt[sort]
    # a row's first and last pass (rows without edges: parts / -1, so add = 0, fin = 1)
    lo = np.full(n_dst, parts, np.int64)
    hi = np.full(n_dst, -1, np.int64)
    np.minimum.at(lo, pv, pk)
    np.maximum.at(hi, pv, pk)
    word = v | np.where(lo[v] < k, TILE_ADD, 0) | np.where((hi[v] == k) | (hi[v] < 0), TILE_FIN, 0)
    end = np.cumsum(cnt)
    # pass k's marker precedes its tile: row pair j of pass k sits at j + k + 1
    per_pass = np.bincount(k, minlength=parts)
    pairs = np.zeros((len(v) + parts, 2), np.uint32)
    pairs[np.arange(len(v)) + k + 1, 0] = word
    pairs[np.arange(len(v)) + k + 1, 1] = end
    before = np.concatenate([[0], np.cumsum(per_pass)[:-1]])     # row pairs before each tile
    pairs[before + np.arange(parts), 0] = TILE_END | np.asarray(order, np.int64)
    pairs[before + np.arange(parts), 1] = np.concatenate([[0], end])[before]
    pairs[0, 1] = order[1] if parts > 1 else 0                    # the read-ahead hint
    local = (src[edge_order] - spart * rows_per_part).astype(np.uint16)
    return TiledLayout(pairs, local, edge_order.astype(np.int64), rows_per_part, n_dst, csr.n_src)


def validate_tiled(pairs, col_idx, n_dst: int, n_src: int, rows_per_part: int) -> None:
    """Raise ValueError naming the first problem of a tiled layout; accept every one tile_csr
    makes (and only layouts that encode some CSR as the kernel expects: one tile per partition,
    every row finished once, ADD exactly when an earlier tile listed the row, FIN exactly when
    no later one does)."""
    pairs = np.asarray(pairs)
    col_idx = np.asarray(col_idx)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or pairs.dtype != np.uint32:
        raise ValueError(f"pairs must be uint32 [n_pairs, 2], got {pairs.dtype} {pairs.shape}")
    if col_idx.ndim != 1 or col_idx.dtype != np.uint16:
        raise ValueError(f"col_idx must be uint16 [n_edges], got {col_idx.dtype} {col_idx.shape}")
    if not 0 < rows_per_part <= TILED_MAX_ROWS:
        raise ValueError(f"rows_per_part must be 1..{TILED_MAX_ROWS}, got {rows_per_part}")
    if not 0 <= n_dst <= TILED_MAX_DST:
        raise ValueError(f"n_dst={n_dst} does not fit the tile row word (at most {TILED_MAX_DST})")
    parts = max(1, -(-n_src // rows_per_part))
    word = pairs[:, 0].astype(np.int64)
    is_mark = (word & TILE_END) != 0
    if not len(word) or not is_mark[0]:
        raise ValueError("the first pair must be a marker")
    named = word[is_mark] & TILE_ROW_MASK
    if sorted(named.tolist()) != list(range(parts)):
        raise ValueError(f"the markers must name each of the {parts} partitions once, got {named.tolist()}")
    if np.any(word[is_mark] & (TILE_ADD | TILE_FIN)):
        raise ValueError("a marker has flag bits set")
    hint = int(named[1]) if parts > 1 else 0
    if int(pairs[0, 1]) != hint:
        raise ValueError(f"pair 0's end (the read-ahead hint) must name the second tile's partition {hint}, "
                         f"got {int(pairs[0, 1])}")
    start, end = tile_edges(pairs)
    deg = end - start
    if np.any(deg < 0):
        j = int(np.argmax(deg < 0))
        raise ValueError(f"edge ends decrease at pair {j} ({int(start[j])} -> {int(end[j])})")
    if end[-1] != len(col_idx):
        raise ValueError(f"the last edge end {int(end[-1])} is not n_edges={len(col_idx)}")
    if np.any(deg[is_mark] != 0):
        raise ValueError(f"the marker at pair {int(np.argmax(is_mark & (deg != 0)))} has edges")
    if np.any(deg > MAX_DEGREE):
        raise ValueError(f"pair {int(np.argmax(deg > MAX_DEGREE))} has more than {MAX_DEGREE} edges")
    tile = np.cumsum(is_mark) - 1              # pass index of each pair
    part = named[tile]
    v = word & TILE_ROW_MASK
    rows = ~is_mark
    if np.any(v[rows] >= n_dst):
        j = int(np.flatnonzero(rows)[np.argmax(v[rows] >= n_dst)])
        raise ValueError(f"pair {j} names row {int(v[j])} >= n_dst={n_dst}")
    same_tile = rows[1:] & rows[:-1]
    if np.any(same_tile & (v[1:] <= v[:-1])):
        j = int(np.argmax(same_tile & (v[1:] <= v[:-1]))) + 1
        raise ValueError(f"rows do not ascend within a tile at pair {j} ({int(v[j - 1])} then {int(v[j])})")
    edge_part = np.repeat(part, deg)
    limit = np.minimum(n_src - edge_part * rows_per_part, rows_per_part)
    if np.any(col_idx.astype(np.int64) >= limit):
        e = int(np.argmax(col_idx >= limit))
        raise ValueError(f"col_idx[{e}]={int(col_idx[e])} is outside its partition "
                         f"({int(edge_part[e])}: {int(limit[e])} rows)")
    if np.any(rows & (tile != parts - 1) & (deg == 0)):
        j = int(np.argmax(rows & (tile != parts - 1) & (deg == 0)))
        raise ValueError(f"pair {j} lists row {int(v[j])} with no edges outside the last tile")
    rv, rk = v[rows], tile[rows]
    count = np.bincount(rv, minlength=n_dst)
    if n_dst and count.min() == 0:
        raise ValueError(f"row {int(np.argmin(count))} is listed in no tile")
    lo = np.full(n_dst, parts, np.int64)
    hi = np.full(n_dst, -1, np.int64)
    np.minimum.at(lo, rv, rk)
    np.maximum.at(hi, rv, rk)
    want = np.where(lo[rv] < rk, TILE_ADD, 0) | np.where(hi[rv] == rk, TILE_FIN, 0)
    got = word[rows] & (TILE_ADD | TILE_FIN)
    if np.any(got != want):
        i = int(np.argmax(got != want))
        j = int(np.flatnonzero(rows)[i])
        raise ValueError(f"pair {j} (row {int(v[j])}) has add={bool(got[i] & TILE_ADD)} fin={bool(got[i] & TILE_FIN)}; "
                         f"the tiles listing the row ask for add={bool(want[i] & TILE_ADD)} fin={bool(want[i] & TILE_FIN)}")
