"""The shared case set and the test-vector file format that HLS csim and cocotb both read."""
import numpy as np
import pytest

from golden.cases import standard_cases
from golden.contract import BOARDS, BUFFER_ALIGN, BUFFER_NAMES, Err, HwConfig
from golden.hw_model import gnn_agg
from golden.vectors import GUARD_BYTE, HEADER_BYTES, OUT_FILL_BYTE, parse, write_dir

SMALL = HwConfig(bus_bits=64, lanes=16, pes=1, max_feat=64, table_elems=1024)


@pytest.fixture(scope="module")
def cases():
    return standard_cases(SMALL, seed=3, n_random=60)


def test_case_set_covers_the_issue(cases):
    names = {v.name for v in cases}
    for needed in ("empty_graph", "rows_without_neighbours", "single_node_self_loop", "hub_4096_sum",
                   "feat_dim_at_limit", "saturate_sum", "tiled_symmetric", "tiled_symmetric_dram",
                   "idx16_gcn", "err_index_eq_n_src", "err_row_ptr_decreasing", "err_misaligned_feat_in",
                   "err_wrapping_feat_out", "err_axi_slverr_feat_in", "err_feat_dim_not_lanes"):
        assert needed in names
    tiled = next(v for v in cases if v.name == "tiled_symmetric")
    assert SMALL.partitions(tiled.problem.n_src, tiled.problem.feat_dim) >= 3
    assert tiled.problem.needs_acc_buf(SMALL)
    sat = next(v for v in cases if v.name == "saturate_sum")
    assert np.abs(sat.expect.astype(np.int64)).max() in (32767, 32768)


def test_round_trip_and_layout(cases, tmp_path):
    write_dir(cases, tmp_path, SMALL)
    index = (tmp_path / "index.txt").read_text().split()
    assert len(index) == len(cases)
    for v, fname in zip(cases, index):
        f = parse((tmp_path / fname).read_bytes())
        p = v.problem
        assert (f.n_dst, f.n_src, f.n_edges, f.feat_dim, f.mode) == (p.n_dst, p.n_src, p.n_edges, p.feat_dim, p.mode)
        assert f.expect_error == v.expect_error
        img = np.frombuffer(f.image, np.uint8)
        layout, _ = v.layout(SMALL)
        for name in BUFFER_NAMES:
            ptr = f.pointers[name]
            if name not in layout:
                assert ptr == v.pointer_override.get(name, 0)
                continue
            addr, nbytes = layout[name]
            if name in v.pointer_override:
                assert ptr == v.pointer_override[name]
                continue
            assert ptr == addr and ptr % BUFFER_ALIGN == 0
            off = addr - f.image_base
            guard_end = -(-(off + nbytes) // BUFFER_ALIGN) * BUFFER_ALIGN + 64
            assert (img[off + nbytes:guard_end] == GUARD_BYTE).all()
            if name == "feat_out":
                assert (img[off:off + nbytes] == OUT_FILL_BYTE).all()
            elif name in v.arrays:
                assert img[off:off + nbytes].tobytes() == v.arrays[name].tobytes()
        if v.expect_error == 0:
            np.testing.assert_array_equal(f.expect, v.expect)
        else:
            assert f.expect is None


def test_expected_outputs_recompute_from_the_image(cases):
    """The expected output is what golden computes from the bytes in the image."""
    for v in cases:
        if v.expect_error:
            continue
        a = v.arrays
        y = gnn_agg(a["row_ptr"], a["col_idx"], a["feat_in"].reshape(v.problem.n_src, -1)
                    if v.problem.n_src else np.zeros((0, v.problem.feat_dim), np.int16),
                    n_src=v.problem.n_src, mode=v.problem.mode, src_scale=a.get("src_scale"),
                    dst_scale=a.get("dst_scale"), edge_w=a.get("edge_w"),
                    weight=a.get("weight"), hw=SMALL)
        np.testing.assert_array_equal(y, v.expect)


def test_error_cases_are_rejected_by_golden(cases):
    """Every index/row_ptr error vector is one the golden model refuses (never a silent pass)."""
    for v in cases:
        if not v.expect_error & (Err.INDEX | Err.ROW_PTR):
            continue
        a = v.arrays
        with pytest.raises(ValueError):
            gnn_agg(a["row_ptr"], a["col_idx"], a["feat_in"], n_src=v.problem.n_src, mode=v.problem.mode,
                    src_scale=a.get("src_scale"), dst_scale=a.get("dst_scale"), hw=SMALL)


def test_parse_rejects_garbage():
    with pytest.raises(ValueError, match="magic"):
        parse(b"x" * HEADER_BYTES)
    v = standard_cases(SMALL, n_random=1)[0]
    data = v.to_bytes(SMALL)
    with pytest.raises(ValueError, match="truncated"):
        parse(data[:-1])


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_board_configs_generate(board):
    hw = BOARDS[board]
    vs = standard_cases(hw, seed=0, n_random=5)
    assert all(v.problem.feat_dim % hw.feat_align == 0 for v in vs if not v.expect_error)
