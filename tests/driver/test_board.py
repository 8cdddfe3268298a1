"""The board backend over a stand-in `pynq` (tests/support/fake_pynq.py), one of PYNQ 3.1 (PYNQ-Z2)
and one of PYNQ 4.0 (KV260, ZCU104): the PYNQ calls, the register sequence, syncs, interrupt and
polling completion, error and timeout recovery, drivers bound whatever the import order."""
from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

from golden.cases import standard_cases
from golden.contract import BOARDS, BUFFER_REG, Ctrl, Err, HwConfig, Irq, Reg
from host.driver import Accelerator, DeviceError
from host.driver.backends.device import DEFAULT_AXI_TIMEOUT_CYCLES
from tests.support.fake_pynq import PYNQ_APIS, make_fake_pynq
from tests.support.vectors import call_kwargs, graph_of, run_vector

HW = BOARDS["pynq-z2"]


@pytest.fixture(params=PYNQ_APIS, ids=[f"pynq{a}" for a in PYNQ_APIS])
def api(request):
    return request.param


@pytest.fixture(params=[False, True], ids=["polling", "interrupt"])
def board(request, monkeypatch, api):
    """(Accelerator on the fake board, fake pynq module)."""
    fake = make_fake_pynq(HW, with_interrupt=request.param, api=api)
    monkeypatch.setitem(sys.modules, "pynq", fake)
    monkeypatch.delitem(sys.modules, "host.driver.backends.board", raising=False)
    acc = Accelerator("board", bitfile="gnn_agg.bit", timeout_s=0.2)
    yield acc, fake
    acc.close()
    sys.modules.pop("host.driver.backends.board", None)


def test_board_reads_hw_config_and_matches_golden(board):
    acc, fake = board
    assert acc.hw == HW
    assert type(acc.backend.transport.ip).__name__ == "GnnAggIP"
    for v in [v for v in standard_cases(HW, seed=2, n_random=25) if v.expect is not None]:
        np.testing.assert_array_equal(run_vector(acc, v), v.expect, err_msg=v.name)
        assert acc.status.edges == v.problem.n_edges


def test_register_sequence_of_one_call(board):
    acc, fake = board
    v = standard_cases(HW, seed=3, n_random=3)[-12]
    csr, norm, idx16 = graph_of(v)
    g = acc.load_graph(csr, norm, idx16=idx16)
    fake.kernel.writes.clear()
    acc.aggregate(g, **call_kwargs(v))
    writes = fake.kernel.writes
    regs = [off for off, _ in writes]
    pointer_words = [w for reg in BUFFER_REG.values() for w in (reg, reg + 4)]
    scalars = [Reg.N_DST, Reg.N_SRC, Reg.N_EDGES, Reg.FEAT_DIM, Reg.MODE]
    assert regs == pointer_words + scalars + [Reg.TIMEOUT, Reg.GIE, Reg.IER, Reg.CTRL, Reg.ISR]
    assert writes[-5:] == [(Reg.TIMEOUT, DEFAULT_AXI_TIMEOUT_CYCLES), (Reg.GIE, 1), (Reg.IER, Irq.DONE),
                           (Reg.CTRL, Ctrl.AP_START), (Reg.ISR, Irq.DONE)]
    values = dict(writes)
    assert [values[r] for r in scalars] == [v.problem.n_dst, v.problem.n_src, v.problem.n_edges,
                                            v.problem.feat_dim, v.problem.mode]
    for name, reg in BUFFER_REG.items():
        used = name in v.problem.buffer_bytes(HW)
        assert (values[reg] != 0) == used, name
        assert values[reg] % 64 == 0 and values[reg + 4] == 0


def test_bad_input_never_reaches_the_board(board):
    acc, fake = board
    v = standard_cases(HW, seed=3, n_random=1)[-12]
    csr, norm, idx16 = graph_of(v)
    g = acc.load_graph(csr, norm, idx16=idx16)
    fake.kernel.writes.clear()
    x = call_kwargs(v)["x_q"]
    for bad in (x.astype(np.float32), x[:, :-1], x[1:], np.zeros((x.shape[0], 512), np.int16)):
        with pytest.raises(ValueError):
            acc.aggregate(g, bad)
    assert fake.kernel.writes == []


def test_status_error_raises_and_next_call_works(board):
    acc, fake = board
    v = [v for v in standard_cases(HW, seed=4, n_random=4) if v.expect is not None][-1]
    csr, norm, idx16 = graph_of(v)
    g = acc.load_graph(csr, norm, idx16=idx16)
    fake.kernel.force_error = int(Err.AXI_RD)
    with pytest.raises(DeviceError) as info:
        acc.aggregate(g, **call_kwargs(v))
    assert info.value.reasons == ("AXI_RD",)
    fake.kernel.force_error = 0
    np.testing.assert_array_equal(acc.aggregate(g, **call_kwargs(v)), v.expect)


@pytest.mark.parametrize("cycles", [0, 37, 2**32 - 1])
def test_axi_timeout_cycles_is_written_before_every_start(monkeypatch, cycles):
    fake = make_fake_pynq(HW)
    monkeypatch.setitem(sys.modules, "pynq", fake)
    monkeypatch.delitem(sys.modules, "host.driver.backends.board", raising=False)
    acc = Accelerator("board", bitfile="gnn_agg.bit", axi_timeout_cycles=cycles)
    v = [v for v in standard_cases(HW, seed=5, n_random=2) if v.expect is not None][-1]
    csr, norm, idx16 = graph_of(v)
    g = acc.load_graph(csr, norm, idx16=idx16)
    fake.kernel.writes.clear()
    for _ in range(2):
        acc.aggregate(g, **call_kwargs(v))
    regs = [off for off, _ in fake.kernel.writes]
    timeouts = [i for i, r in enumerate(regs) if r == Reg.TIMEOUT]
    starts = [i for i, r in enumerate(regs) if r == Reg.CTRL]
    assert len(timeouts) == len(starts) == 2 and all(t < s for t, s in zip(timeouts, starts))
    assert timeouts[1] > starts[0]
    assert [fake.kernel.writes[i][1] for i in timeouts] == [cycles, cycles]
    fake.kernel.force_error = int(Err.TIMEOUT)
    with pytest.raises(DeviceError, match=rf"TIMEOUT = {cycles} cycles .* reset the memory path") as info:
        acc.aggregate(g, **call_kwargs(v))
    assert info.value.reasons == ("TIMEOUT",)
    acc.close()
    sys.modules.pop("host.driver.backends.board", None)


@pytest.mark.parametrize("cycles", [-1, 2**32, 1.5, True])
def test_axi_timeout_cycles_out_of_range_is_refused(monkeypatch, cycles):
    fake = make_fake_pynq(HW)
    monkeypatch.setitem(sys.modules, "pynq", fake)
    monkeypatch.delitem(sys.modules, "host.driver.backends.board", raising=False)
    with pytest.raises(ValueError, match=r"axi_timeout_cycles must be an integer in \[0, 2\*\*32\)"):
        Accelerator("board", bitfile="gnn_agg.bit", axi_timeout_cycles=cycles)
    sys.modules.pop("host.driver.backends.board", None)


def test_timeout_resets_and_next_call_works(board):
    acc, fake = board
    v = [v for v in standard_cases(HW, seed=4, n_random=4) if v.expect is not None][-1]
    csr, norm, idx16 = graph_of(v)
    g = acc.load_graph(csr, norm, idx16=idx16)
    fake.kernel.hang = True
    downloads = fake.downloads  # one when the Overlay was made, as PYNQ does
    with pytest.raises(TimeoutError, match="reset"):
        acc.aggregate(g, **call_kwargs(v))
    assert fake.downloads == downloads + 1
    np.testing.assert_array_equal(acc.aggregate(g, **call_kwargs(v)), v.expect)


def test_board_without_pynq_or_device(monkeypatch, api):
    monkeypatch.setitem(sys.modules, "pynq", None)  # import pynq -> ModuleNotFoundError
    monkeypatch.delitem(sys.modules, "host.driver.backends.board", raising=False)
    with pytest.raises(RuntimeError, match="needs pynq"):
        Accelerator("board", bitfile="x.bit")
    fake = make_fake_pynq(HW, api=api)

    def no_device(bitfile):
        raise RuntimeError("No Devices Found")

    fake.Overlay = no_device
    monkeypatch.setitem(sys.modules, "pynq", fake)
    monkeypatch.delitem(sys.modules, "host.driver.backends.board", raising=False)
    with pytest.raises(RuntimeError, match="no PYNQ device"):
        Accelerator("board", bitfile="x.bit")
    sys.modules.pop("host.driver.backends.board", None)


# an 8-bit build: Q4.4 features, Q2.6 W, UQ2.14 coefficients, 24-bit accumulator
Q8 = HwConfig(64, 16, 1, 256, 1 << 17, feat_bits=8, feat_frac=4, wgt_frac=6, coef_frac=14, acc_bits=24)


def open_fake_board(monkeypatch, device_hw, formats_word=None, api="3.1", **options):
    fake = make_fake_pynq(device_hw, api=api)
    if formats_word is not None:
        fake.kernel.formats_word = formats_word
    monkeypatch.setitem(sys.modules, "pynq", fake)
    monkeypatch.delitem(sys.modules, "host.driver.backends.board", raising=False)
    return Accelerator("board", bitfile="gnn_agg.bit", timeout_s=0.2, **options), fake


def test_formats_come_from_the_device(monkeypatch, api):
    """The driver takes the number formats from HW_FORMATS: an 8-bit build gets 8-bit feature
    buffers, its own COEF quantization and FEAT range checks, bit-exact on that build's cases."""
    acc, fake = open_fake_board(monkeypatch, Q8, api=api)
    assert acc.hw == Q8 and acc.formats == Q8.formats
    for v in [v for v in standard_cases(Q8, seed=5, n_random=20) if v.expect is not None]:
        y = run_vector(acc, v)
        assert y.dtype == np.int8
        np.testing.assert_array_equal(y, v.expect, err_msg=v.name)
    v = standard_cases(Q8, seed=5, n_random=0)[1]
    csr, norm, idx16 = graph_of(v, Q8.formats.coef)
    g = acc.load_graph(csr, norm, idx16=idx16)
    fake.kernel.writes.clear()
    with pytest.raises(ValueError, match=r"outside \[-128, 127\]"):
        acc.aggregate(g, call_kwargs(v)["x_q"].astype(np.int16) * 2 + 200)
    assert fake.kernel.writes == []
    acc.close()
    sys.modules.pop("host.driver.backends.board", None)


def test_formats_the_driver_cannot_pack_are_refused(monkeypatch):
    """A build reporting formats outside the contract's choices (12-bit features), or other
    formats than the caller asked for, is refused when the Accelerator opens."""
    twelve_bit = Q8.hw_formats_word & ~0x3F | 12
    with pytest.raises(RuntimeError, match="does not handle: feat_bits must be one of"):
        open_fake_board(monkeypatch, Q8, formats_word=twelve_bit)
    with pytest.raises(ValueError, match="feat_bits=8"):
        open_fake_board(monkeypatch, Q8, hw=HW)
    sys.modules.pop("host.driver.backends.board", None)


def fresh_board_module(monkeypatch, fake):
    monkeypatch.setitem(sys.modules, "pynq", fake)
    monkeypatch.delitem(sys.modules, "host.driver.backends.board", raising=False)


@pytest.mark.parametrize("interrupt", [False, True], ids=["polling", "interrupt"])
def test_overlay_parsed_before_the_driver_is_imported(monkeypatch, api, interrupt):
    """A user who makes the Overlay first (as PYNQ's notebooks do) gets a DefaultIP for the kernel,
    because PYNQ assigns drivers at parse time; overlay= still works, through GnnAggIP."""
    fake = make_fake_pynq(HW, with_interrupt=interrupt, api=api)
    fresh_board_module(monkeypatch, fake)
    overlay = fake.Overlay("gnn_agg.bit")                  # no GnnAggIP registered yet
    assert type(overlay.gnn_agg_0) is fake.DefaultIP
    with Accelerator("board", overlay=overlay, timeout_s=0.2) as acc:
        transport = acc.backend.transport
        assert type(transport.ip).__name__ == "GnnAggIP" and transport.uses_interrupt == interrupt
        assert transport.pynq_version == fake.__version__
        for v in [v for v in standard_cases(HW, seed=6, n_random=5) if v.expect is not None]:
            np.testing.assert_array_equal(run_vector(acc, v), v.expect, err_msg=v.name)
    sys.modules.pop("host.driver.backends.board", None)


def test_overlay_parsed_after_the_driver_is_imported(monkeypatch, api):
    """Imported first, GnnAggIP is what PYNQ binds (by VLNV) and the backend uses that instance."""
    fake = make_fake_pynq(HW, api=api)
    fresh_board_module(monkeypatch, fake)
    board_module = importlib.import_module("host.driver.backends.board")  # a fresh import
    overlay = fake.Overlay("gnn_agg.bit")
    assert isinstance(overlay.gnn_agg_0, board_module.GnnAggIP)
    assert fake.drivers["gnnagg:hls:gnn_agg:1.0"] is board_module.GnnAggIP
    with Accelerator("board", overlay=overlay) as acc:
        assert acc.backend.transport.ip is overlay.gnn_agg_0
    sys.modules.pop("host.driver.backends.board", None)


def test_interrupt_pynq_could_not_create_means_polling(monkeypatch, api):
    fake = make_fake_pynq(HW, with_interrupt=True, interrupt_fails=True, api=api)
    fresh_board_module(monkeypatch, fake)
    with Accelerator("board", bitfile="gnn_agg.bit", timeout_s=0.2) as acc:
        assert not acc.backend.transport.uses_interrupt
        v = [v for v in standard_cases(HW, seed=7, n_random=2) if v.expect is not None][-1]
        np.testing.assert_array_equal(run_vector(acc, v), v.expect)
    sys.modules.pop("host.driver.backends.board", None)


def test_default_bitfile_is_found_in_the_overlay_folders(monkeypatch, tmp_path, api):
    """No bitfile=: host/overlays/<board>/gnn_agg.bit ($BOARD or board=), a folder works too."""
    from host.driver import overlays
    for b in ("kv260", "pynq-z2"):
        (tmp_path / b).mkdir()
        (tmp_path / b / "gnn_agg.bit").write_text("bit")
        (tmp_path / b / "gnn_agg.hwh").write_text("hwh")
    monkeypatch.setattr(overlays, "overlay_dirs", lambda: [tmp_path])
    fake = make_fake_pynq(HW, api=api)
    fresh_board_module(monkeypatch, fake)
    monkeypatch.setenv("BOARD", "KV260")                   # what Kria-PYNQ's image sets
    with Accelerator("board") as acc:
        assert acc.backend.transport.bitfile == str(tmp_path / "kv260" / "gnn_agg.bit")
    with Accelerator("board", board="pynq-z2") as acc:
        assert acc.backend.transport.bitfile == str(tmp_path / "pynq-z2" / "gnn_agg.bit")
    with Accelerator("board", bitfile=str(tmp_path / "pynq-z2")) as acc:
        assert acc.backend.transport.bitfile == str(tmp_path / "pynq-z2" / "gnn_agg.bit")
    with pytest.raises(FileNotFoundError, match="make bitstream BOARD=zcu104 IMPL=rtl"):
        Accelerator("board", board="zcu104")
    sys.modules.pop("host.driver.backends.board", None)
