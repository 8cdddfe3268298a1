"""The raw-register fuzzer (tests/fuzz/raw_register.py): a few hundred seeded runs per board in the
default suite (one harness build per board, cached on disk: the kv260 build takes about 2 minutes
the first time), thousands under `slow` and in `python -m tests.fuzz.report`; the error model
checked on its own; and the oracle shown to catch a wrong error code, a write outside the
outputs and a run past its bound."""
import numpy as np
import pytest

from golden.contract import BOARDS, BUFFER_NAMES, Err, Mode
from tests.fuzz import raw_register as rr

RUNS = {"pynq-z2": 400, "kv260": 300}


@pytest.fixture(scope="module", params=sorted(RUNS))
def board_lib(request):
    from sim.harness.build import build
    return request.param, build(BOARDS[request.param])


def _clean(stats):
    assert set(stats["outcomes"]) <= {"ok", "rejected"}, stats["failures"]
    assert stats["oob_reads"] == stats["oob_writes"] == stats["hangs"] == stats["recoveries_failed"] == 0
    assert stats["recoveries_checked"] == stats["cases"]


def test_raw_register_runs(board_lib):
    board, lib = board_lib
    stats = rr.run(RUNS[board], seed=19, board=board, library=lib)
    _clean(stats)
    assert all(sum(c.values()) > 0 for c in stats["by_fault"].values()), stats["by_fault"]  # every fault tried
    seen = {name for key in stats["by_error"] for name in key.split("|")}
    assert {"none", "reset", "ARG", "ROW_PTR", "INDEX", "AXI_RD", "AXI_WR", "TIMEOUT"} <= seen, seen
    assert stats["outcomes"]["ok"] > 20 and stats["outcomes"]["rejected"] > 50
    assert 0 < stats["max_bound_use"] < 1


def test_each_slave_fault_alone(board_lib):
    """Time-outs from a slave that stops answering, error responses, a reset in mid-run and a
    second start, one fault per run."""
    board, lib = board_lib
    for fault in ("stop_reads", "stop_writes", "stop_late", "read_error", "write_error", "reset_mid_run",
                  "start_while_busy"):
        stats = rr.run(12, seed=3, board=board, library=lib, faults=(fault,), max_faults=1)
        _clean(stats)
        if fault == "stop_late":
            assert stats["late_timeouts"] > 5  # most runs end in TIMEOUT somewhere in a pass


def _regs(**kw):
    base = dict(ptr={n: 0x1000_0000 + 0x1000 * i for i, n in enumerate(BUFFER_NAMES)}, n_dst=2, n_src=3,
                n_edges=2, feat_dim=16, mode=0, timeout=0)
    base.update(kw)
    return rr.Regs(**base)


def test_error_model_of_the_contract():
    """predict() on hand-made registers and memory: the argument checks, the row_ptr pre-check,
    run-time errors on the data as the kernel reads it (error words read as 0), time-outs."""
    hw = BOARDS["pynq-z2"]
    data = np.zeros(1 << 16, np.uint8)
    mem = rr.Memory(data, 0x1000_0000, hw.bus_bytes)

    def put(name, values, dtype="<u4"):
        off = 0x1000 * BUFFER_NAMES.index(name)
        a = np.asarray(values, dtype=dtype).view(np.uint8)
        data[off:off + a.size] = a

    put("row_ptr", [0, 1, 2])
    put("col_idx", [0, 2])
    assert rr.predict(_regs(), mem, hw).error == 0
    assert rr.predict(_regs(feat_dim=0, mode=1 << 9), mem, hw).error == Err.ARG  # feat_dim first, alone
    assert rr.predict(_regs(mode=1 << 9), mem, hw).error == Err.ARG
    r = _regs()
    r.ptr["col_idx"] += 8
    r.ptr["feat_out"] = (1 << 64) - 32  # 64 bytes from here wrap
    assert rr.predict(r, mem, hw).error == Err.ALIGN | Err.RANGE
    assert rr.predict(_regs(n_edges=5), mem, hw).error == Err.ROW_PTR  # pre-check, two reads
    assert rr.predict(_regs(n_edges=5), mem, hw).phase == "probe"
    assert rr.predict(_regs(n_src=2), mem, hw).error == Err.INDEX
    put("row_ptr", [0, 2, 1, 2])
    assert rr.predict(_regs(n_dst=3), mem, hw).error == Err.ROW_PTR
    put("row_ptr", [0, 1, 2])
    rd_err = rr.Memory(data, 0x1000_0000, hw.bus_bytes, read_error=(0x1000_0000 + 0x1000, 1))
    assert rr.predict(_regs(), rd_err, hw).error == Err.AXI_RD  # col_idx word reads 0: index 0 is valid
    put("row_ptr", [0, 1, 3])
    put("col_idx", [0, 0, 2])  # entries 0-1 in the error word (read as 0), entry 2 in the next
    assert rr.predict(_regs(n_src=1, n_edges=3), rd_err, hw).error == Err.AXI_RD | Err.INDEX
    put("row_ptr", [0, 1, 2])
    put("col_idx", [0, 2])
    probe_err = rr.Memory(data, 0x1000_0000, hw.bus_bytes, read_error=(0x1000_0000, 1))
    assert rr.predict(_regs(), probe_err, hw).error == Err.AXI_RD  # row_ptr[0]'s word: the run ends
    wr_err = rr.Memory(data, 0x1000_0000, hw.bus_bytes, write_error=(0x1000_0000 + 0x7000 + 40, 1))
    assert rr.predict(_regs(), wr_err, hw).error == Err.AXI_WR
    assert rr.predict(_regs(), mem, hw, stop_reads=0).error == Err.TIMEOUT
    assert rr.predict(_regs(n_edges=5), mem, hw, stop_reads=1).error == Err.TIMEOUT
    assert rr.predict(_regs(n_edges=5), mem, hw, stop_reads=2).error == Err.ROW_PTR
    assert rr.predict(_regs(n_src=2), mem, hw, stop_writes=True).error == Err.INDEX | Err.TIMEOUT
    assert rr.predict(_regs(n_dst=0, n_edges=0), mem, hw, stop_writes=True).error == 0  # nothing to write
    r = _regs(mode=int(Mode.DRAM_GATHER))
    r.ptr["feat_in"] = 0x2000_0000  # outside the memory: DECERR on the rows the edges use
    assert rr.predict(r, mem, hw).error == Err.AXI_RD
    assert rr.predict(_regs(n_src=1 << 31), mem, hw, work_budget=10_000) is None  # table mode: too big


@pytest.mark.parametrize("mutant", ["error_code", "windows", "bound"])
def test_the_oracle_catches_a_broken_kernel_or_model(board_lib, monkeypatch, mutant):
    """Non-vacuity: a wrong predicted error, a feat_out outside the write windows and a bound
    too small for the run are found as wrong / oob / hang."""
    board, lib = board_lib
    if mutant == "error_code":
        real = rr.predict
        monkeypatch.setattr(rr, "predict", lambda *a, **k: _flip(real(*a, **k)))
        stats = rr.run(10, seed=5, board=board, library=lib, faults=("bad_col_idx",), max_faults=1)
        assert stats["outcomes"]["wrong"] == 10
    elif mutant == "windows":
        real_windows = rr._windows
        monkeypatch.setattr(rr, "_windows", lambda r, hw: (real_windows(r, hw)[0], []) if r.n_dst else real_windows(r, hw))
        monkeypatch.setattr(rr, "_recover", lambda *a: "")
        stats = rr.run(10, seed=5, board=board, library=lib, faults=("slow_memory",), max_faults=1)
        assert stats["outcomes"]["oob"] > 0 and stats["oob_writes"] > 0
    else:
        monkeypatch.setattr(rr, "cycle_bound", lambda *a, **k: 20)
        stats = rr.run(10, seed=5, board=board, library=lib, faults=("slow_memory",), max_faults=1)
        assert stats["hangs"] > 0 and stats["recoveries_failed"] == 0  # the driver's reset brings it back


def _flip(p):
    if p is not None:
        p.error ^= int(Err.INDEX)
    return p


@pytest.mark.slow
@pytest.mark.parametrize("board", sorted(RUNS))
def test_raw_register_many(board):
    _clean(rr.run(2000, seed=1, board=board))
