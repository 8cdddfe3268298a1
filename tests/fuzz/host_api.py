"""Fuzzer of the host driver API (host.driver.Accelerator): random valid calls checked bit for bit
against golden.hw_model.gnn_agg on private copies, valid-but-odd array forms, caller arrays
mutated after upload, and malformed graphs / normalizations / features / weights / arguments that
must be a ValueError before any device access. On the sim backend it also checks that nothing
outside feat_out/acc_buf is written (the transport's write windows; counted as oob_writes), that
no call hangs (timeout_s), and that the device answers a sentinel call correctly after every
refused or failed call (recoveries)."""
from __future__ import annotations

import collections
import concurrent.futures
import time

import numpy as np

from golden.cases import random_graph
from golden.contract import BOARDS, Mode
from golden.graph import CSR
from golden.hw_model import gnn_agg
from golden.norm import Normalization, normalization
from host.driver import Accelerator

VALID = ("valid", "odd_form", "mutate_after_upload")
INVALID = ("bad_features", "bad_weight", "bad_graph", "bad_norm", "bad_args")
CATEGORIES = VALID + INVALID


class _Case:
    """One random valid problem: graph, normalization, features, weight, flags, and its reference."""

    def __init__(self, rng, hw):
        fa, fmt = hw.feat_align, hw.formats
        self.hw = hw
        n_dst, n_src = int(rng.integers(1, 40)), int(rng.integers(1, 40))
        self.csr = random_graph(rng, n_dst, n_src, float(rng.choice([0, 0.5, 2, 5])))
        self.kind = str(rng.choice(["symmetric", "mean", "sum", "weighted"]))
        ew = rng.uniform(0, 1.5, self.csr.n_edges) if self.kind == "weighted" else None
        self.norm = normalization(self.csr, self.kind, edge_w=ew)
        self.f = fa * int(rng.integers(1, 3))
        self.x = fmt.feat.quantize(rng.normal(0, float(rng.choice([0.1, 0.5, 2])), (n_src, self.f)))
        self.w = fmt.wgt.quantize(rng.normal(0, 0.3 / np.sqrt(self.f), (self.f, self.f))) if rng.random() < 0.3 else None
        self.relu = bool(rng.random() < 0.5)
        self.gather = str(rng.choice(["table", "dram"]))

    def reference(self, x=None, w="same"):
        qn = self.norm.quantized(self.hw.formats.coef)
        w = self.w if isinstance(w, str) else w
        mode = int(qn.mode) | (int(Mode.RELU) if self.relu else 0) | (int(Mode.APPLY_W) if w is not None else 0)
        return gnn_agg(self.csr.row_ptr.copy(), self.csr.col_idx.copy(), self.x if x is None else x,
                       n_src=self.csr.n_src, mode=mode, src_scale=qn.src_scale, dst_scale=qn.dst_scale,
                       edge_w=qn.edge_w, weight=w, hw=self.hw)

    def call(self, acc, g=None, x="same", w="same"):
        g = acc.load_graph(self.csr, self.norm) if g is None else g
        return acc.aggregate(g, self.x if isinstance(x, str) and x == "same" else x,
                             weight_q=self.w if isinstance(w, str) else w,
                             relu=self.relu, gather=self.gather)


def _odd_forms(rng, x):
    """The same integers in forms the driver must accept (result unchanged)."""
    forms = [
        lambda: np.asfortranarray(x),
        lambda: np.repeat(x, 2, axis=1)[:, ::2],                       # strided view
        lambda: x.astype(np.int32), lambda: x.astype(np.int64),
        lambda: x.astype(x.dtype.newbyteorder(">")),                   # big-endian
        lambda: np.asmatrix(x) if x.size else x,                       # ndarray subclass
        lambda: np.ma.array(x).filled(),                               # a filled masked array
        lambda: x.copy().view(type("Sub", (np.ndarray,), {})),        # user subclass
    ]
    return forms[int(rng.integers(len(forms)))]()


def _bad_features(rng, case, fmt):
    x = case.x
    choices = [
        lambda: np.ma.array(np.where(np.arange(x.size).reshape(x.shape) == 0, fmt.feat.int_max + 5, x).astype(np.int32),
                            mask=np.arange(x.size).reshape(x.shape) == 0),          # hidden out-of-range
        lambda: np.ma.array(x, mask=rng.random(x.shape) < 0.5),
        lambda: x.astype(np.int32) + (fmt.feat.int_max + 1) * int(rng.choice([-2, 1])),
        lambda: x.astype(np.float32), lambda: np.full(x.shape, np.nan),
        lambda: x.astype(np.complex64), lambda: x.astype(object), lambda: x.astype(bool),
        lambda: x.tolist(), lambda: x.ravel(), lambda: x[None], lambda: x[:-1] if len(x) else x[None],
        lambda: np.zeros((x.shape[0], x.shape[1] + 1), x.dtype),
        lambda: np.zeros((x.shape[0], case.hw.max_feat + case.hw.feat_align), x.dtype),
        lambda: x.astype(np.uint64) + np.uint64(1 << 63),
        lambda: "features", lambda: None, lambda: 3,
    ]
    return choices[int(rng.integers(len(choices)))]()


def _bad_weight(rng, case, fmt):
    f = case.f
    w = np.zeros((f, f), fmt.wgt.dtype)
    choices = [
        lambda: np.ma.array(np.full((f, f), fmt.wgt.int_max + 9, np.int32), mask=True),
        lambda: np.full((f, f), fmt.wgt.int_min - 1, np.int32), lambda: w.astype(np.float64),
        lambda: np.zeros((f, f + 1), w.dtype), lambda: np.zeros((f + 1, f), w.dtype), lambda: w[0],
        lambda: w.tolist(), lambda: w.astype(np.complex128),
    ]
    return choices[int(rng.integers(len(choices)))]()


def _bad_graph(rng, case):
    """(csr, norm) that load_graph must refuse: a CSR mutated after construction, masked arrays."""
    c = case.csr
    rp, ci = c.row_ptr.copy(), c.col_idx.copy()
    kind = int(rng.integers(6))
    if kind == 0 and len(ci):
        ci[int(rng.integers(len(ci)))] = c.n_src + int(rng.integers(0, 1 << 20))
    elif kind == 1 and len(rp) > 2 and rp[-1] > 0:
        j = int(rng.integers(1, len(rp) - 1))
        rp[j] = rp[-1] + 1                               # not monotone
    elif kind == 2:
        rp[-1] += 1                                     # row_ptr[-1] != n_edges
    elif kind == 3:
        rp[0] = 1
    elif kind == 4:
        ci = np.ma.array(ci, mask=True)
    else:
        rp = np.ma.array(rp, mask=np.zeros(len(rp), bool))
    if isinstance(rp, np.ndarray) and not isinstance(rp, np.ma.MaskedArray) and np.array_equal(rp, c.row_ptr) \
            and not isinstance(ci, np.ma.MaskedArray) and np.array_equal(ci, c.col_idx):
        rp = rp.copy()
        rp[0] = 1
    bad = CSR(c.row_ptr.copy(), c.col_idx.copy(), c.n_src)
    object.__setattr__(bad, "row_ptr", rp)
    object.__setattr__(bad, "col_idx", ci)
    return bad, case.norm


def _bad_norm(rng, case):
    n = normalization(case.csr, "symmetric")
    s, d = n.src_scale.copy(), n.dst_scale.copy()
    choices = [
        lambda: Normalization(n.mode, np.where(np.arange(len(s)) == 0, np.nan, s), d, None),
        lambda: Normalization(n.mode, s, np.where(np.arange(len(d)) == 0, np.inf, d), None),
        lambda: Normalization(n.mode, s + 2.5, d, None), lambda: Normalization(n.mode, s - 1.5, d, None),
        lambda: Normalization(n.mode, s[:-1], d, None), lambda: Normalization(n.mode, None, d, None),
        lambda: Normalization(Mode.MEAN, s, d, None), lambda: Normalization(n.mode, s.astype(complex), d, None),
        lambda: Normalization(n.mode, np.ma.array(s, mask=True), d, None),
        lambda: Normalization(Mode.APPLY_W | Mode.POST_SCALE, None, d, None),
        lambda: Normalization(n.mode | Mode.EDGE_WEIGHT, s, d, np.full(case.csr.n_edges + 1, 0.5)),
    ]
    return case.csr, choices[int(rng.integers(len(choices)))]()


def _new_stats(backend):
    return {"backend": backend, "cases": 0, "by_category": {c: collections.Counter() for c in CATEGORIES},
            "outcomes": collections.Counter(), "oob_writes": 0, "hangs": 0, "recoveries_checked": 0,
            "recoveries_failed": 0, "max_case_s": 0.0, "failures": []}


def run(n: int, seed: int = 0, backend: str = "cpu", hw=None, hang_s: float = 30.0, **options) -> dict:
    """`n` cases; options go to Accelerator (e.g. library= for sim). Returns the stats dict."""
    hw = hw or BOARDS["pynq-z2"]
    stats = _new_stats(backend)
    if backend == "sim":
        options.setdefault("timeout_s", hang_s)
    acc = Accelerator(backend, hw=hw, **options)
    other = Accelerator("cpu", hw=hw)
    sentinel = _Case(np.random.default_rng([seed, 1 << 30]), hw)
    sentinel_want = sentinel.reference()
    try:
        for i in range(n):
            rng = np.random.default_rng([seed, i])
            cat = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
            t0 = time.perf_counter()
            before = _violations(acc)
            outcome, detail = _one(rng, cat, acc, other, hw)
            dt = time.perf_counter() - t0
            stats["max_case_s"] = max(stats["max_case_s"], dt)
            if dt > hang_s:
                stats["hangs"] += 1
            stats["oob_writes"] += _violations(acc) - before
            stats["cases"] += 1
            stats["by_category"][cat][outcome] += 1
            stats["outcomes"][outcome] += 1
            if outcome in ("wrong", "crash") and len(stats["failures"]) < 20:
                stats["failures"].append(f"case {i} ({cat}): {detail}")
            if backend != "cpu" and outcome != "ok":  # the device must still answer correctly
                stats["recoveries_checked"] += 1
                try:
                    if not np.array_equal(sentinel.call(acc), sentinel_want):
                        stats["recoveries_failed"] += 1
                except Exception as e:  # noqa: BLE001 -- any failure here is a finding
                    stats["recoveries_failed"] += 1
                    stats["failures"].append(f"case {i}: sentinel after it failed: {type(e).__name__}: {e}")
    finally:
        acc.close()
        other.close()
    return _plain(stats)


def _violations(acc) -> int:
    t = getattr(acc.backend, "transport", None)
    return int(t.counters()["violations"]) if t is not None and hasattr(t, "counters") else 0


def _one(rng, cat, acc, other, hw):
    """(outcome, detail) of one case."""
    case = _Case(rng, hw)
    fmt = hw.formats
    try:
        if cat == "valid":
            return _compare(case.call(acc), case.reference())
        if cat == "odd_form":
            target = rng.integers(2) if case.w is not None else 0
            if target:
                return _compare(case.call(acc, w=_odd_forms(rng, case.w)), case.reference())
            return _compare(case.call(acc, x=_odd_forms(rng, case.x)), case.reference())
        if cat == "mutate_after_upload":
            c = case.csr
            mine = CSR(c.row_ptr.astype(np.uint32), c.col_idx.astype(np.uint32), c.n_src)  # aliased by CSR
            x = case.x.copy()
            want = case.reference()
            g = acc.load_graph(mine, case.norm, idx16=bool(rng.integers(2)))
            fx = acc.load_features(x)
            if len(mine.col_idx):
                mine.col_idx[:] = rng.integers(0, 1 << 32, len(mine.col_idx), dtype=np.uint64).astype(np.uint32)
            mine.row_ptr[:] = rng.integers(0, 1 << 32, len(mine.row_ptr), dtype=np.uint64).astype(np.uint32)
            x[:] = rng.integers(fmt.feat.int_min, fmt.feat.int_max + 1, x.shape)
            return _compare(case.call(acc, g=g, x=fx), want)
        if cat == "bad_features":
            bad = _bad_features(rng, case, fmt)
            return _expect_error(lambda: case.call(acc, x=bad), bad)
        if cat == "bad_weight":
            return _expect_error(lambda: case.call(acc, w=_bad_weight(rng, case, fmt)))
        if cat == "bad_graph":
            return _expect_error(lambda: acc.load_graph(*_bad_graph(rng, case)))
        if cat == "bad_norm":
            return _expect_error(lambda: acc.load_graph(*_bad_norm(rng, case)))
        # bad_args
        g = acc.load_graph(case.csr, case.norm)
        kind = int(rng.integers(6))
        if kind == 0:
            return _expect_error(lambda: acc.aggregate(g, case.x, gather=str(rng.choice(["sram", "", "DRAM"]))))
        if kind == 1:
            return _expect_error(lambda: acc.aggregate(g, case.x, relu=[1, "yes", None, 0][int(rng.integers(4))]))
        if kind == 2:
            g.release()
            return _expect_error(lambda: acc.aggregate(g, case.x))
        if kind == 3:
            return _expect_error(lambda: acc.aggregate(other.load_graph(case.csr, case.norm), case.x))
        if kind == 4:
            big = CSR(np.zeros(2, np.uint32), np.zeros(0, np.uint32), 70000)
            return _expect_error(lambda: acc.load_graph(big, normalization(big, "sum"), idx16=True))
        return _expect_error(lambda: acc.aggregate(g, other.load_features(case.x)))
    except ValueError as e:
        return "wrong", f"a valid call refused: {e}"
    except Exception as e:  # noqa: BLE001 -- any other exception is a finding
        return "crash", f"{type(e).__name__}: {e}"


def _compare(y, want):
    if isinstance(y, np.ndarray) and y.shape == want.shape and np.array_equal(y, want):
        return "ok", ""
    return "wrong", "result differs from golden.hw_model.gnn_agg"


def _expect_error(fn, what=None):
    try:
        fn()
    except ValueError:
        return "rejected", ""
    except Exception as e:  # noqa: BLE001
        return "crash", f"{type(e).__name__} instead of ValueError: {e}"
    desc = "" if what is None else f" ({type(what).__name__} {getattr(what, 'dtype', '')} {getattr(what, 'shape', '')})"
    return "wrong", "an invalid input was accepted" + desc


def run_concurrent(n: int, seed: int = 0, backend: str = "cpu", threads: int = 6, hw=None, **options) -> dict:
    """`n` valid calls on one shared Accelerator from `threads` threads (each loads its graph,
    calls aggregate with acc.lock held to read its own status, releases); every answer and
    status.edges is compared with the same call made alone."""
    hw = hw or BOARDS["pynq-z2"]
    cases = [_Case(np.random.default_rng([seed, 7, i]), hw) for i in range(n)]
    want = [c.reference() for c in cases]
    stats = {"backend": backend, "threads": threads, "requests": n, "outcomes": collections.Counter(),
             "oob_writes": 0, "failures": []}
    with Accelerator(backend, hw=hw, **options) as acc:
        before = _violations(acc)

        def one(i):
            c = cases[i]
            try:
                g = acc.load_graph(c.csr, c.norm)
                with acc.lock:
                    y = acc.aggregate(g, c.x, weight_q=c.w, relu=c.relu, gather=c.gather)
                    edges = acc.status.edges
                g.release()
            except Exception as e:  # noqa: BLE001
                return i, "crash", f"{type(e).__name__}: {e}"
            ok = np.array_equal(y, want[i]) and edges == c.csr.n_edges
            return i, ("ok" if ok else "wrong"), "" if ok else "differs from the same call alone"
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            for i, outcome, detail in pool.map(one, range(n)):
                stats["outcomes"][outcome] += 1
                if detail and len(stats["failures"]) < 20:
                    stats["failures"].append(f"request {i}: {detail}")
        stats["oob_writes"] = _violations(acc) - before
        stats["usable_after"] = bool(np.array_equal(cases[0].call(acc), want[0]))
    return _plain(stats)


def _plain(d):
    if isinstance(d, dict):
        return {k: _plain(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_plain(v) for v in d]
    return d
