"""host.driver: the API, input validation and the cpu backend (bit-exact with golden)."""
from __future__ import annotations

import numpy as np
import pytest

from golden.cases import random_features, random_graph, standard_cases
from golden.contract import BOARDS, MAX_DEGREE, Err, Mode
from golden.graph import CSR
from golden.norm import Normalization, normalization
from host.driver import Accelerator, DeviceError, decode_error
from tests.support.vectors import run_vector


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_cpu_matches_golden_on_shared_cases(board):
    hw = BOARDS[board]
    cases = [v for v in standard_cases(hw, seed=5, n_random=60) if v.expect is not None]
    with Accelerator("cpu", hw=hw) as acc:
        for v in cases:
            np.testing.assert_array_equal(run_vector(acc, v), v.expect, err_msg=v.name)
            assert acc.status.edges == v.problem.n_edges


def test_graph_loaded_once_serves_many_layers():
    rng = np.random.default_rng(11)
    csr = random_graph(rng, 40, 40, 5)
    with Accelerator("cpu") as acc:
        g = acc.load_graph(csr, normalization(csr, "symmetric"))
        x = random_features(rng, 40, 32)
        ref_acc = Accelerator("cpu")
        for layer in range(3):
            y = acc.aggregate(g, x, relu=layer < 2)
            g_ref = ref_acc.load_graph(csr, normalization(csr, "symmetric"))
            np.testing.assert_array_equal(y, ref_acc.aggregate(g_ref, x, relu=layer < 2))
            x = y
        ref_acc.close()


def _graph(rng, n_dst=6, n_src=9):
    return random_graph(rng, n_dst, n_src, 3)


def _bad_graph_inputs():
    rng = np.random.default_rng(3)
    csr = _graph(rng)
    sym = normalization(csr, "symmetric")
    nan = sym.src_scale.copy()
    nan[2] = np.nan
    big = sym.dst_scale.copy()
    big[0] = 2.5
    return [
        ("not a CSR", (csr.row_ptr, sym), "golden.graph.CSR"),
        ("not a Normalization", (csr, "symmetric"), "Normalization"),
        ("NaN scale", (csr, Normalization(sym.mode, nan, sym.dst_scale, None)), "NaN"),
        ("scale out of COEF range", (csr, Normalization(sym.mode, sym.src_scale, big, None)), "must lie in"),
        ("missing factor", (csr, Normalization(sym.mode, None, sym.dst_scale, None)), "missing"),
        ("short factor", (csr, Normalization(sym.mode, sym.src_scale[:-1], sym.dst_scale, None)), "shape"),
        ("unused factor", (csr, Normalization(Mode.MEAN, sym.src_scale, sym.dst_scale, None)), "no PRE_SCALE"),
        ("non-norm mode bits", (csr, Normalization(Mode.APPLY_W, None, None, None)), "bits other"),
    ]


@pytest.mark.parametrize("name,args,message", _bad_graph_inputs(), ids=lambda p: p if isinstance(p, str) else "")
def test_load_graph_rejects(name, args, message):
    with Accelerator("cpu") as acc, pytest.raises(ValueError, match=message):
        acc.load_graph(*args)


def test_load_graph_rejects_mutated_csr_and_huge_degree():
    rng = np.random.default_rng(4)
    csr = _graph(rng)
    with Accelerator("cpu") as acc:
        csr.col_idx[0] = csr.n_src  # CSR arrays are mutable after construction
        with pytest.raises(ValueError, match="out of range"):
            acc.load_graph(csr, normalization(CSR(csr.row_ptr, np.zeros_like(csr.col_idx), csr.n_src), "sum"))
        hub = CSR(np.array([0, MAX_DEGREE + 1]), np.zeros(MAX_DEGREE + 1, np.uint32), 1)
        with pytest.raises(ValueError, match="MAX_DEGREE"):
            acc.load_graph(hub, normalization(hub, "sum"))
        with pytest.raises(ValueError, match="idx16"):
            big = CSR(np.zeros(2, np.uint32), np.zeros(0, np.uint32), 70000)
            acc.load_graph(big, normalization(big, "sum"), idx16=True)


def _bad_calls(hw):
    fa = hw.feat_align
    rng = np.random.default_rng(8)
    x = random_features(rng, 9, fa)
    return [
        ("float features", dict(x_q=x.astype(np.float32)), "quantize"),
        ("NaN features", dict(x_q=np.full((9, fa), np.nan)), "NaN"),
        ("list features", dict(x_q=x.tolist()), "numpy array"),
        ("wrong rows", dict(x_q=x[:-1]), "n_src=9"),
        ("1-D features", dict(x_q=x.ravel()), "2-D"),
        ("out of FEAT range", dict(x_q=x.astype(np.int32) + 40000), "outside"),
        ("feat_dim not aligned", dict(x_q=np.zeros((9, fa + 1), np.int16)), "multiple of"),
        ("feat_dim too big", dict(x_q=np.zeros((9, hw.max_feat + fa), np.int16)), "at most"),
        ("weight shape", dict(x_q=x, weight_q=np.zeros((fa, fa + 1), np.int16)), r"\[F, F\]"),
        ("float weight", dict(x_q=x, weight_q=np.zeros((fa, fa))), "quantize"),
        ("bad gather", dict(x_q=x, gather="sram"), "gather"),
        ("bad relu", dict(x_q=x, relu="yes"), "relu"),
    ]


@pytest.mark.parametrize("name,kwargs,message", _bad_calls(BOARDS["pynq-z2"]),
                         ids=lambda p: p if isinstance(p, str) else "")
def test_aggregate_rejects(name, kwargs, message):
    rng = np.random.default_rng(3)
    with Accelerator("cpu") as acc:
        csr = _graph(rng)
        g = acc.load_graph(csr, normalization(csr, "mean"))
        with pytest.raises(ValueError, match=message):
            acc.aggregate(g, **kwargs)


def test_handles_belong_to_their_accelerator():
    rng = np.random.default_rng(9)
    csr = _graph(rng)
    a, b = Accelerator("cpu"), Accelerator("cpu")
    g = a.load_graph(csr, normalization(csr, "sum"))
    x = random_features(rng, 9, 16)
    with pytest.raises(ValueError, match="this Accelerator"):
        b.aggregate(g, x)
    g.release()
    with pytest.raises(ValueError, match="released"):
        a.aggregate(g, x)
    a.close()
    with pytest.raises(ValueError, match="closed"):
        a.load_graph(csr, normalization(csr, "sum"))
    b.close()


def test_unknown_backend_and_hw():
    with pytest.raises(ValueError, match="backend"):
        Accelerator("gpu")
    with pytest.raises(ValueError, match="HwConfig"):
        Accelerator("cpu", hw="pynq-z2")


def test_device_error_decodes_bits():
    e = DeviceError(int(Err.INDEX | Err.AXI_RD) | 1 << 12)
    assert e.reasons == ("INDEX", "AXI_RD", "BIT12")
    assert "INDEX" in str(e) and e.error == 0x1030
    assert decode_error(0) == ()


def test_device_error_for_a_timeout_says_reset_the_memory_path():
    e = DeviceError(int(Err.TIMEOUT | Err.INDEX), "n_dst=3", axi_timeout_cycles=4096)
    assert e.reasons == ("INDEX", "TIMEOUT") and e.error == 0x90
    assert str(e) == ("gnn_agg reported stat_error=0x90 (INDEX, TIMEOUT); the AXI response time-out fired: "
                      "the memory slave left a transaction unanswered for TIMEOUT = 4096 cycles and the run "
                      "was aborted; reset the memory path (interconnect or slave, e.g. the PL reset) before "
                      "the next call, or a late response is taken as its data: n_dst=3")
    assert "time-out" not in str(DeviceError(int(Err.AXI_RD), axi_timeout_cycles=4096))
    assert "unanswered for TIMEOUT cycles" in str(DeviceError(int(Err.TIMEOUT)))


# -- issue 19, item 1: the driver keeps what it validated; odd array types; threads -------------

def test_driver_copies_what_it_validated():
    """A caller mutating its uint32 CSR arrays or int16 features after load_graph/load_features
    changes nothing the cpu backend computes later (the sim copies them into DDR anyway)."""
    rng = np.random.default_rng(21)
    csr = random_graph(rng, 12, 10, 4)
    csr = CSR(csr.row_ptr.astype(np.uint32), csr.col_idx.astype(np.uint32), csr.n_src)
    x = random_features(rng, 10, 16)
    with Accelerator("cpu") as acc:
        g = acc.load_graph(csr, normalization(csr, "sum"), idx16=False)
        fx = acc.load_features(x)
        want = acc.aggregate(g, x.copy())
        csr.col_idx[:] = csr.n_src + 5   # would raise IndexError inside golden if aliased
        csr.row_ptr[1:] = 0
        x[:] = 7
        np.testing.assert_array_equal(acc.aggregate(g, fx), want)


@pytest.mark.parametrize("where", ["x_q", "weight_q", "load_features"])
def test_masked_arrays_are_refused(where):
    rng = np.random.default_rng(22)
    csr = _graph(rng)
    x = random_features(rng, 9, 16).astype(np.int32)
    x[0, 0] = 40000  # outside FEAT, hidden by the mask from min()/max()
    masked = np.ma.array(x, mask=x == 40000)
    with Accelerator("cpu") as acc:
        g = acc.load_graph(csr, normalization(csr, "sum"))
        with pytest.raises(ValueError, match="masked"):
            if where == "x_q":
                acc.aggregate(g, masked)
            elif where == "weight_q":
                w = np.ma.array(np.zeros((16, 16), np.int32), mask=np.eye(16, dtype=bool))
                acc.aggregate(g, x.clip(-100, 100).astype(np.int16), weight_q=w)
            else:
                acc.load_features(masked)


def test_masked_graph_arrays_are_refused():
    csr = CSR(np.array([0, 1, 2]), np.array([0, 1]), 2)
    with Accelerator("cpu") as acc:
        bad = CSR(csr.row_ptr, csr.col_idx, 2)
        object.__setattr__(bad, "col_idx", np.ma.array(bad.col_idx, mask=[False, True]))  # mutable in effect
        with pytest.raises(ValueError, match="masked"):
            acc.load_graph(bad, normalization(csr, "sum"))


def _solo_results(backend, jobs, **opts):
    with Accelerator(backend, **opts) as acc:
        return [acc.aggregate(acc.load_graph(c, n), x, relu=r) for c, n, x, r in jobs]


def _jobs(seed, count):
    rng = np.random.default_rng(seed)
    jobs = []
    for _ in range(count):
        n_dst, n_src = int(rng.integers(1, 30)), int(rng.integers(1, 30))
        csr = random_graph(rng, n_dst, n_src, int(rng.integers(1, 6)))
        jobs.append((csr, normalization(csr, "symmetric"), random_features(rng, n_src, 16), bool(rng.integers(2))))
    return jobs


@pytest.mark.parametrize("backend", ["cpu", "sim"])
def test_accelerator_is_safe_from_many_threads(backend, sim_library):
    """One Accelerator shared by 6 threads: every concurrent answer (and its status) equals the
    same call made alone, and the device stays usable."""
    import concurrent.futures
    opts = {"library": sim_library} if backend == "sim" else {}
    jobs = _jobs(23, 36)
    want = _solo_results(backend, jobs, **opts)
    with Accelerator(backend, **opts) as acc:
        def one(j):
            c, n, x, r = jobs[j]
            g = acc.load_graph(c, n)
            with acc.lock:  # the status of this call, not another thread's
                y = acc.aggregate(g, x, relu=r)
                edges = acc.status.edges
            g.release()
            return j, y, edges
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            for j, y, edges in pool.map(one, list(range(len(jobs))) * 2):
                np.testing.assert_array_equal(y, want[j], err_msg=f"job {j}")
                assert edges == jobs[j][0].n_edges
        c, n, x, r = jobs[0]
        np.testing.assert_array_equal(acc.aggregate(acc.load_graph(c, n), x, relu=r), want[0])
