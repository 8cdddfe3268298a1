"""The tiled layout (docs/CONTRACT.md, "Tiled layout"): golden.graph.tile_csr, validate_tiled,
TiledLayout.to_csr and the pass-order model (PassTraffic, pass_order), exact on seeded graphs
and hand-made edge cases."""
import itertools

import numpy as np
import pytest

from golden.cases import random_graph
from golden.contract import TILE_ADD, TILE_END, TILE_FIN, HwConfig, Mode, Problem
from golden.graph import CSR, PassTraffic, pass_order, synthetic_bipartite, tile_csr, validate_tiled


def by_partition(csr: CSR, rows: int, order=None) -> CSR:
    """csr with each row's edges stably sorted by partition in pass order (default: highest first)."""
    parts = max(1, -(-csr.n_src // rows))
    pos = np.empty(parts, np.int64)
    pos[list(order or range(parts - 1, -1, -1))] = np.arange(parts)
    dst = csr.dst_of_edges()
    edges = np.lexsort((np.arange(csr.n_edges), pos[csr.col_idx.astype(np.int64) // rows], dst))
    return CSR(csr.row_ptr, csr.col_idx[edges], csr.n_src)


def csr_of(cols, n_src: int) -> CSR:
    return CSR(np.cumsum([0] + [len(c) for c in cols]),
               np.concatenate([np.asarray(c, np.int64) for c in cols]).astype(np.uint32), n_src)


def check_round_trip(csr: CSR, rows: int, order=None):
    t = tile_csr(csr, rows, order)
    back = t.to_csr()
    ref = by_partition(csr, rows, order)
    assert np.array_equal(back.row_ptr, ref.row_ptr) and np.array_equal(back.col_idx, ref.col_idx)
    # edge_order names each tiled edge's CSR edge: same source, same row
    parts = t.parts
    src = np.concatenate([t.col_idx[s[0]:e[-1]].astype(np.int64) + p * rows
                          for p, r, _, _, s, e in t.tiles() if len(r)] or [np.zeros(0, np.int64)])
    assert np.array_equal(csr.col_idx[t.edge_order], src)
    assert np.array_equal(np.sort(t.edge_order), np.arange(csr.n_edges))
    assert t.n_pairs == csr.n_dst + csr.partial_rows(rows) + parts
    assert t.nbytes == 8 * t.n_pairs + 2 * csr.n_edges
    return t


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs_round_trip(seed):
    rng = np.random.default_rng(seed)
    n_dst, n_src = int(rng.integers(1, 60)), int(rng.integers(1, 200))
    csr = random_graph(rng, n_dst, n_src, float(rng.uniform(0, 8)))
    for rows in (1, 7, 16, n_src, n_src + 5):
        parts = max(1, -(-n_src // rows))
        check_round_trip(csr, rows)
        t = check_round_trip(csr, rows, tuple(int(p) for p in rng.permutation(parts)))
        assert len(t.order) == parts and t.pairs[0, 0] == TILE_END | t.order[0]


def test_hand_made_layout():
    """Three partitions of 4 rows; row 0: partitions 2 and 0; row 1: no edges; row 2: only 1;
    row 3: 2, 1, 0 (a hub); row 4: only 2."""
    cols = [[9, 1, 8], [], [5], [10, 0, 6, 11, 2, 3], [8]]
    csr = csr_of(cols, 12)
    t = check_round_trip(csr, 4)
    E, A, F = TILE_END, TILE_ADD, TILE_FIN
    assert t.pairs.tolist() == [
        [E | 2, 1], [0, 2], [3, 4], [4 | F, 5],         # partition 2 (hint: 1 next): rows 0, 3, 4
        [E | 1, 5], [2 | F, 6], [3 | A, 7],             # partition 1: rows 2, 3
        [E | 0, 7], [0 | A | F, 8], [1 | F, 8], [3 | A | F, 11]]   # partition 0, with row 1 (no edges)
    assert t.col_idx.tolist() == [1, 0, 2, 3, 0, 1, 2, 1, 0, 2, 3]
    assert t.edge_order.tolist() == [0, 2, 4, 7, 10, 3, 6, 1, 5, 8, 9]
    w = np.arange(csr.n_edges) * 10
    assert t.permute_edges(w).tolist() == (t.edge_order * 10).tolist()
    # ascending: ADD / FIN follow the pass order, the rows without edges go to the last tile
    up = check_round_trip(csr, 4, (0, 1, 2))
    assert up.order == (0, 1, 2)
    assert up.pairs.tolist() == [
        [E | 0, 1], [0, 1], [3, 4],                     # partition 0 (hint: 1 next): rows 0, 3
        [E | 1, 4], [2 | F, 5], [3 | A, 6],             # partition 1: rows 2, 3
        [E | 2, 6], [0 | A | F, 8], [1 | F, 8], [3 | A | F, 10], [4 | F, 11]]
    assert up.col_idx.tolist() == [1, 0, 2, 3, 1, 2, 1, 0, 2, 3, 0]


def test_one_partition_and_empty_graphs():
    csr = CSR(np.array([0, 2, 2, 3]), np.array([1, 0, 1]), 2)
    t = check_round_trip(csr, 8)
    assert t.pairs.tolist() == [[TILE_END, 0], [TILE_FIN, 2], [1 | TILE_FIN, 2], [2 | TILE_FIN, 3]]
    empty = check_round_trip(CSR(np.zeros(1, np.uint32), np.zeros(0, np.uint32), 0), 4)
    assert empty.pairs.tolist() == [[TILE_END, 0]]
    rows_only = check_round_trip(CSR(np.zeros(4, np.uint32), np.zeros(0, np.uint32), 9), 4)
    assert rows_only.pairs.tolist() == [[TILE_END | 2, 1], [TILE_END | 1, 0], [TILE_END, 0], [0 | TILE_FIN, 0],
                                        [1 | TILE_FIN, 0], [2 | TILE_FIN, 0]]


def test_partitions_no_row_touches_and_hubs():
    """A partition no edge reads is an empty tile (a marker alone); a hub of 4096 edges over all."""
    rng = np.random.default_rng(5)
    n_src, rows = 40, 8
    cols = [rng.integers(0, 8, 3), rng.integers(32, 40, 2), rng.integers(0, n_src, 4096), [], rng.integers(32, 40, 1)]
    csr = csr_of(cols, n_src)
    cols2 = [c[(c // rows != 1) & (c // rows != 3)] for c in (np.asarray(c, np.int64) for c in cols)]
    sparse = csr_of(cols2, n_src)
    t = check_round_trip(sparse, rows)
    tiles = list(t.tiles())
    assert [p for p, *_ in tiles] == [4, 3, 2, 1, 0]
    assert [len(r) for _, r, *_ in tiles] == [3, 0, 1, 0, 3]   # partitions 3 and 1: markers only
    check_round_trip(csr, rows)
    check_round_trip(synthetic_bipartite(60, 50, 700, seed=2).unified(), 16)


def test_problem_sizes_and_mode():
    hw = HwConfig()
    csr = random_graph(np.random.default_rng(1), 30, 50, 4)
    t = tile_csr(csr, 16)
    p = Problem(csr.n_dst, csr.n_src, csr.n_edges, 16, int(Mode.SYMMETRIC | Mode.TILED), t.n_pairs)
    sizes = p.buffer_bytes(hw)
    assert sizes["row_ptr"] == 8 * t.n_pairs and sizes["col_idx"] == 2 * csr.n_edges


def mutate(t, fn):
    pairs, idx = t.pairs.copy(), t.col_idx.copy()
    fn(pairs, idx)
    return pairs, idx


@pytest.mark.parametrize("name,fn,message", [
    ("first_not_marker", lambda p, i: p.__setitem__((0, 0), 0), "the first pair must be a marker"),
    ("marker_twice", lambda p, i: p.__setitem__((3, 0), TILE_END | 2), r"each of the 3 partitions once, got \[2, 2, 0\]"),
    ("marker_range", lambda p, i: p.__setitem__((3, 0), TILE_END | 3), r"each of the 3 partitions once, got \[2, 3, 0\]"),
    ("marker_lost", lambda p, i: p.__setitem__((3, 0), 2 | TILE_FIN), r"each of the 3 partitions once, got \[2, 0\]"),
    ("marker_flags", lambda p, i: p.__setitem__((3, 0), TILE_END | TILE_FIN | 1), "a marker has flag bits"),
    ("hint", lambda p, i: p.__setitem__((0, 1), 0), "the read-ahead hint. must name the second tile's partition 1, got 0"),
    ("ends_decrease", lambda p, i: p.__setitem__((2, 1), 1), "edge ends decrease"),
    ("last_end", lambda p, i: p.__setitem__((-1, 1), 10), "last edge end 10 is not n_edges=9"),
    ("marker_edges", lambda p, i: p.__setitem__((2, 1), 2), "the marker at pair 3 has edges"),
    ("row_range", lambda p, i: p.__setitem__((5, 0), 7 | TILE_FIN), "pair 5 names row 7 >= n_dst=4"),
    ("not_ascending", lambda p, i: p.__setitem__((2, 0), 0), "do not ascend within a tile at pair 2"),
    ("local_index", lambda p, i: i.__setitem__(4, 4), r"col_idx\[4\]=4 is outside its partition \(1: 4 rows\)"),
    ("remainder_index", lambda p, i: i.__setitem__(1, 3), r"col_idx\[1\]=3 is outside its partition \(2: 2 rows\)"),
    ("flags", lambda p, i: p.__setitem__((5, 0), 3), "pair 5 .row 3. has add=False fin=False; the tiles listing "
                                                     "the row ask for add=True fin=False"),
    ("unlisted", lambda p, i: p.__setitem__((8, 0), 2 | TILE_ADD | TILE_FIN), "row 1 is listed in no tile"),
])
def test_validation_names_the_problem(name, fn, message):
    # 10 sources in partitions of 4 (the remainder partition 2 has 2 rows)
    t = tile_csr(csr_of([[9, 1, 8], [], [5], [8, 0, 6, 2, 3]], 10), 4)
    assert t.pairs.tolist() == [[TILE_END | 2, 1], [0, 2], [3, 3], [TILE_END | 1, 3], [2 | TILE_FIN, 4],
                                [3 | TILE_ADD, 5], [TILE_END, 5], [0 | TILE_ADD | TILE_FIN, 6], [1 | TILE_FIN, 6],
                                [3 | TILE_ADD | TILE_FIN, 9]]
    validate_tiled(t.pairs, t.col_idx, 4, 10, 4)
    pairs, idx = mutate(t, fn)
    with pytest.raises(ValueError, match=message):
        validate_tiled(pairs, idx, 4, 10, 4)


def test_validation_rows_without_edges_in_the_last_tile_only():
    t = tile_csr(csr_of([[9, 1, 8], [], [5], [8, 0, 6, 2, 3]], 10), 4)
    with pytest.raises(ValueError, match="pair 2 lists row 1 with no edges outside the last tile"):
        validate_tiled(np.insert(t.pairs, 2, [1 | TILE_FIN, 2], axis=0), t.col_idx, 4, 10, 4)


def naive_cost(csr: CSR, rows: int, order, feat_dim: int, fb: int) -> int:
    """PassTraffic's formula pass by pass over the layout tile_csr makes in `order`."""
    t = tile_csr(csr, rows, order)
    total = 0
    parts = len(t.order)
    rem = csr.n_src - (parts - 1) * rows
    ahead = (rows - rem) * feat_dim * fb if parts > 1 and t.order[0] == parts - 1 else 0   # the read-ahead
    for k, (p, r, add, fin, s, e) in enumerate(t.tiles()):
        load = min(rows, csr.n_src - p * rows) * feat_dim * fb - (ahead if k == 1 else 0)
        read = 8 * (len(r) + 1) + 2 * int((e - s).sum()) + 4 * feat_dim * int(add.sum()) + (ahead if k == 0 else 0)
        write = 4 * feat_dim * int((~fin).sum()) + fb * feat_dim * int(fin.sum())
        total += load + max(read, write)
    return total


@pytest.mark.parametrize("seed", range(4))
def test_pass_order_is_the_cheapest(seed):
    """The model's cost is its formula over the layout; the subset search finds the cheapest of
    all orders (exhaustive here); ties keep descending."""
    rng = np.random.default_rng(seed)
    rows, parts = 8, int(rng.integers(2, 6))
    n_src = rows * parts - int(rng.integers(0, rows))
    csr = random_graph(rng, int(rng.integers(20, 80)), n_src, float(rng.uniform(1, 6)), skew=float(rng.uniform(0.3, 1.5)))
    fd, fb = 16 * int(rng.integers(1, 5)), int(rng.choice([1, 2]))
    model = PassTraffic(csr, rows, fd, fb)
    costs = {o: model.cost(o) for o in itertools.permutations(range(parts))}
    for o in list(costs)[:: max(1, len(costs) // 6)]:
        assert costs[o] == naive_cost(csr, rows, o, fd, fb)
    best = pass_order(csr, rows, fd, fb)
    assert costs[best] == min(costs.values())
    desc = tuple(range(parts - 1, -1, -1))
    assert best == desc or costs[best] < costs[desc]


def test_pass_order_many_partitions(monkeypatch):
    """Above EXACT_PARTS the choice is the cheapest of descending, ascending and greedy: never
    costlier than the exact search would call descending or ascending."""
    rng = np.random.default_rng(9)
    csr = random_graph(rng, 200, 7 * 8 - 3, 5, skew=1.2)
    exact = pass_order(csr, 8, 32, 2)
    monkeypatch.setattr(PassTraffic, "EXACT_PARTS", 3)
    model = PassTraffic(csr, 8, 32, 2)
    heur = model.best()
    assert sorted(heur) == list(range(7))
    assert model.cost(exact) <= model.cost(heur) <= min(model.cost(tuple(range(7))), model.cost(tuple(range(6, -1, -1))),
                                                        model.cost(model._greedy()))
