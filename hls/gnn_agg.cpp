/*
 * gnn_agg.cpp -- top function: argument check, then the DATAFLOW region
 *
 *   row_ptr ─┐
 *   col_idx ─┼─ walk_rows ── fetch_neighbours ── accumulate ── epilogue ── write_rows ── feat_out
 *   edge_w  ─┘ └──────── gather ───────────┘   └──────── aggregate ────────┘
 *              index check, partition, node     exact sums, acc_buf between
 *              table or DRAM rows, edge weight  passes; post-scale, W, ReLU
 *
 * The s_axilite offsets below are the contract's register map (hls/gnn_agg_regs.h); the
 * argument order alone gives the same map, the explicit offsets make it impossible to shift.
 */
#include "gnn_agg.h"

#include "aggregate.h"
#include "gather.h"

namespace gnn {

// Err.ARG / ALIGN / RANGE: everything that can be known before the first memory access.
// Sizes follow golden.contract.Problem.buffer_bytes; a buffer is used when it has bytes.
static u32 check_call(call_t &call) {
    const u32 mode = call.mode;
    u32 err = 0;
    const ap_uint<32> known = GNN_AGG_MODE_PRE_SCALE | GNN_AGG_MODE_POST_SCALE | GNN_AGG_MODE_EDGE_WEIGHT |
                              GNN_AGG_MODE_APPLY_W | GNN_AGG_MODE_RELU | GNN_AGG_MODE_DRAM_GATHER | GNN_AGG_MODE_IDX16 |
                              GNN_AGG_MODE_TILED;
    const bool dram = mode & GNN_AGG_MODE_DRAM_GATHER;
    const bool tiled = mode & GNN_AGG_MODE_TILED;
    if (mode & ~known) err |= GNN_AGG_ERR_ARG;
    if ((mode & GNN_AGG_MODE_IDX16) && call.n_src > GNN_AGG_IDX16_MAX_SRC) err |= GNN_AGG_ERR_ARG;
    // TILED is a table mode with its own 16-bit indices; every tile ends with a pair (n_pairs >= 1)
    if (tiled && (dram || (mode & GNN_AGG_MODE_IDX16) || call.n_pairs == 0 || call.n_dst > GNN_AGG_TILE_END))
        err |= GNN_AGG_ERR_ARG;
    if (call.feat_dim == 0 || call.feat_dim > MAX_FEAT || call.feat_dim % FEAT_ALIGN != 0) {
        // the buffer sizes the pointer checks need are undefined: report the argument alone
        return err | GNN_AGG_ERR_ARG;
    }
    call.chunks = call.feat_dim / LANES;
    call.table_rows = dram ? call.n_src : u32(TABLE_ELEMS / call.feat_dim);
    if (tiled && call.table_rows > GNN_AGG_TILED_MAX_ROWS) err |= GNN_AGG_ERR_ARG;  // local indices are 16-bit
    call.parts = dram || call.n_src <= call.table_rows ? u32(1)
                                                       : u32((call.n_src + call.table_rows - 1) / call.table_rows);

    const ap_uint<64> f = call.feat_dim;
    const ap_uint<64> idx_bytes = mode & (GNN_AGG_MODE_IDX16 | GNN_AGG_MODE_TILED) ? 2 : 4;
    struct buffer {
        addr_t addr;
        ap_uint<64> bytes;
    };
    const buffer used[9] = {
        {call.row_ptr, tiled ? ap_uint<64>(8 * ap_uint<64>(call.n_pairs)) : ap_uint<64>(4 * (ap_uint<64>(call.n_dst) + 1))},
        {call.col_idx, idx_bytes * call.n_edges},
        {call.edge_w, mode & GNN_AGG_MODE_EDGE_WEIGHT ? ap_uint<64>(2 * ap_uint<64>(call.n_edges)) : ap_uint<64>(0)},
        {call.src_scale, mode & GNN_AGG_MODE_PRE_SCALE ? ap_uint<64>(2 * ap_uint<64>(call.n_src)) : ap_uint<64>(0)},
        {call.dst_scale, mode & GNN_AGG_MODE_POST_SCALE ? ap_uint<64>(2 * ap_uint<64>(call.n_dst)) : ap_uint<64>(0)},
        {call.feat_in, FEAT_BYTES * f * call.n_src},
        {call.weight, mode & GNN_AGG_MODE_APPLY_W ? ap_uint<64>(FEAT_BYTES * f * f) : ap_uint<64>(0)},
        {call.feat_out, FEAT_BYTES * f * call.n_dst},
        {call.acc_buf, call.parts > 1 ? ap_uint<64>(ACC_BUF_BYTES * f * call.n_dst) : ap_uint<64>(0)},
    };
    buffers:
    for (int b = 0; b < 9; ++b) {
#pragma HLS UNROLL
        if (used[b].bytes == 0) continue;
        if (used[b].addr == 0) err |= GNN_AGG_ERR_ARG;
        if (used[b].addr % GNN_AGG_BUFFER_ALIGN != 0) err |= GNN_AGG_ERR_ALIGN;
        if (ap_uint<65>(used[b].addr) + used[b].bytes > (ap_uint<65>(1) << 64)) err |= GNN_AGG_ERR_RANGE;
    }
    return err;
}

// Err.ROW_PTR before the passes: row_ptr[0] == 0 and row_ptr[n_dst] == n_edges, one bus word each
// (TILED: pair 0 is a marker naming a partition < P, and the last pair's edge end == n_edges), so
// registers that disagree with row_ptr end the call after two reads instead of a stream over
// n_edges (or n_dst) entries. The RTL makes the same check (gnn_agg_seq, ROWS_*).
static u32 check_row_ptr(const bus_t *gmem_row_ptr, const call_t &call, u32 &beats) {
    if (call.mode & GNN_AGG_MODE_TILED) {
        const u32 first = load_elem<32>(gmem_row_ptr, call.row_ptr, 0, beats);  // pair 0's row word
        if (!(first & GNN_AGG_TILE_END) || (first & (GNN_AGG_TILE_END - 1)) >= call.parts) return GNN_AGG_ERR_ROW_PTR;
        const ap_uint<64> last_end = 2 * ap_uint<64>(call.n_pairs) - 1;  // u32 element of pair n_pairs - 1
        const u32 end = load_elem<32>(gmem_row_ptr, call.row_ptr, last_end, beats);
        // pair 0's end is the read-ahead hint, no edge end: one pair alone ends at edge 0
        return (call.n_pairs == 1 ? u32(0) : end) != call.n_edges ? u32(GNN_AGG_ERR_ROW_PTR) : u32(0);
    }
    if (load_elem<32>(gmem_row_ptr, call.row_ptr, 0, beats) != 0) return GNN_AGG_ERR_ROW_PTR;
    if (load_elem<32>(gmem_row_ptr, call.row_ptr, call.n_dst, beats) != call.n_edges) return GNN_AGG_ERR_ROW_PTR;
    return 0;
}

// The dataflow region. Each process reports its own counts through its own scalar (one writer
// per variable, as dataflow requires); the top adds them up.
static void run(const bus_t *gmem_row_ptr, const bus_t *gmem_col_idx, const bus_t *gmem_edge_w,
                const bus_t *gmem_nodes, bus_t *gmem_acc, const bus_t *gmem_epilogue, bus_t *gmem_out,
                const call_t &call, u32 &errors, u32 &edges, u32 &busy_sum, u32 &busy_epilogue,
                u32 &rd_row_ptr, u32 &rd_col_idx, u32 &rd_edge_w, u32 &rd_nodes, u32 &rd_acc,
                u32 &rd_epilogue, u32 &wr_acc, u32 &wr_out) {
#pragma HLS DATAFLOW
    hls::stream<pair_t> row_ptr_s("row_ptr_s");
    hls::stream<u32> col_s("col_s");
    hls::stream<u16> weight_s("weight_s");
    hls::stream<u32> parts_s("parts_s");
    hls::stream<edge_tok> edges_s("edges_s");
    hls::stream<chunk_tok> chunks_s("chunks_s");
    hls::stream<out_row_tok> rows_s("rows_s");
    hls::stream<acc_chunk_t> sums_s("sums_s");
    hls::stream<out_row_tok> out_rows_s("out_rows_s");
    hls::stream<chunk_t> out_s("out_s");
#pragma HLS STREAM variable = row_ptr_s depth = 32
#pragma HLS STREAM variable = col_s depth = 64
#pragma HLS STREAM variable = weight_s depth = 64
#pragma HLS STREAM variable = parts_s depth = 2
#pragma HLS STREAM variable = edges_s depth = 64
#pragma HLS STREAM variable = chunks_s depth = 2 * MAX_CHUNKS + 2
#pragma HLS STREAM variable = rows_s depth = 2
#pragma HLS STREAM variable = sums_s depth = 2 * MAX_CHUNKS
#pragma HLS STREAM variable = out_rows_s depth = 2
#pragma HLS STREAM variable = out_s depth = 2 * MAX_CHUNKS

    const bool tiled = call.mode & GNN_AGG_MODE_TILED;
    const bool idx16 = call.mode & (GNN_AGG_MODE_IDX16 | GNN_AGG_MODE_TILED);
    const bool weighted = call.mode & GNN_AGG_MODE_EDGE_WEIGHT;
    const u32 reads = tiled ? u32(1) : call.parts;  // the tiles are read once per call, the CSR once per pass
    stream_elems(gmem_row_ptr, call.row_ptr, tiled ? count_t(call.n_pairs) : count_t(call.n_dst + count_t(1)), tiled ? 64 : 32,
                 reads, row_ptr_s, rd_row_ptr);
    stream_elems(gmem_col_idx, call.col_idx, call.n_edges, idx16 ? 16 : 32, reads, col_s, rd_col_idx);
    stream_elems(gmem_edge_w, call.edge_w, weighted ? call.n_edges : u32(0), 16, reads, weight_s, rd_edge_w);
    walk_rows(call, row_ptr_s, col_s, weight_s, edges_s, parts_s, errors, edges);
    fetch_neighbours(gmem_nodes, call, parts_s, edges_s, chunks_s, rd_nodes);
    accumulate(gmem_acc, call, chunks_s, rows_s, sums_s, rd_acc, wr_acc, busy_sum);
    epilogue(gmem_epilogue, call, rows_s, sums_s, out_rows_s, out_s, rd_epilogue, busy_epilogue);
    write_rows(gmem_out, call, out_rows_s, out_s, wr_out);
}

}  // namespace gnn

using namespace gnn;

void gnn_agg(const bus_t *gmem_row_ptr, const bus_t *gmem_col_idx, const bus_t *gmem_edge_w,
             const bus_t *gmem_nodes, bus_t *gmem_acc, const bus_t *gmem_epilogue, bus_t *gmem_out,
             addr_t row_ptr, addr_t col_idx, addr_t edge_w, addr_t src_scale, addr_t dst_scale,
             addr_t feat_in, addr_t weight, addr_t feat_out, addr_t acc_buf,
             u32 n_dst, u32 n_src, u32 n_edges, u32 feat_dim, u32 mode, u32 n_pairs,
             u32 &stat_cycles, u32 &stat_edges, u32 &stat_stalls, u32 &stat_rd_beats,
             u32 &stat_wr_beats, u32 &stat_error, u32 &hw_magic, u32 &hw_params, u32 &hw_max_feat,
             u32 &hw_table_elems, u32 &hw_formats) {
    // one port, seven views: the bundle's options must agree, so every view states all of them
#pragma HLS INTERFACE mode = m_axi port = gmem_row_ptr bundle = gmem offset = off depth = 1048576 max_read_burst_length = 256 max_write_burst_length = 256 num_read_outstanding = 32 num_write_outstanding = 16
#pragma HLS INTERFACE mode = m_axi port = gmem_col_idx bundle = gmem offset = off depth = 1048576 max_read_burst_length = 256 max_write_burst_length = 256 num_read_outstanding = 32 num_write_outstanding = 16
#pragma HLS INTERFACE mode = m_axi port = gmem_edge_w bundle = gmem offset = off depth = 1048576 max_read_burst_length = 256 max_write_burst_length = 256 num_read_outstanding = 32 num_write_outstanding = 16
#pragma HLS INTERFACE mode = m_axi port = gmem_nodes bundle = gmem offset = off depth = 1048576 max_read_burst_length = 256 max_write_burst_length = 256 num_read_outstanding = 32 num_write_outstanding = 16
#pragma HLS INTERFACE mode = m_axi port = gmem_acc bundle = gmem offset = off depth = 1048576 max_read_burst_length = 256 max_write_burst_length = 256 num_read_outstanding = 32 num_write_outstanding = 16
#pragma HLS INTERFACE mode = m_axi port = gmem_epilogue bundle = gmem offset = off depth = 1048576 max_read_burst_length = 256 max_write_burst_length = 256 num_read_outstanding = 32 num_write_outstanding = 16
#pragma HLS INTERFACE mode = m_axi port = gmem_out bundle = gmem offset = off depth = 1048576 max_read_burst_length = 256 max_write_burst_length = 256 num_read_outstanding = 32 num_write_outstanding = 16
#pragma HLS INTERFACE mode = s_axilite port = row_ptr bundle = control offset = 0x10
#pragma HLS INTERFACE mode = s_axilite port = col_idx bundle = control offset = 0x1C
#pragma HLS INTERFACE mode = s_axilite port = edge_w bundle = control offset = 0x28
#pragma HLS INTERFACE mode = s_axilite port = src_scale bundle = control offset = 0x34
#pragma HLS INTERFACE mode = s_axilite port = dst_scale bundle = control offset = 0x40
#pragma HLS INTERFACE mode = s_axilite port = feat_in bundle = control offset = 0x4C
#pragma HLS INTERFACE mode = s_axilite port = weight bundle = control offset = 0x58
#pragma HLS INTERFACE mode = s_axilite port = feat_out bundle = control offset = 0x64
#pragma HLS INTERFACE mode = s_axilite port = acc_buf bundle = control offset = 0x70
#pragma HLS INTERFACE mode = s_axilite port = n_dst bundle = control offset = 0x7C
#pragma HLS INTERFACE mode = s_axilite port = n_src bundle = control offset = 0x84
#pragma HLS INTERFACE mode = s_axilite port = n_edges bundle = control offset = 0x8C
#pragma HLS INTERFACE mode = s_axilite port = feat_dim bundle = control offset = 0x94
#pragma HLS INTERFACE mode = s_axilite port = mode bundle = control offset = 0x9C
#pragma HLS INTERFACE mode = s_axilite port = n_pairs bundle = control offset = 0x100
#pragma HLS INTERFACE mode = s_axilite port = stat_cycles bundle = control offset = 0xA4
#pragma HLS INTERFACE mode = s_axilite port = stat_edges bundle = control offset = 0xAC
#pragma HLS INTERFACE mode = s_axilite port = stat_stalls bundle = control offset = 0xB4
#pragma HLS INTERFACE mode = s_axilite port = stat_rd_beats bundle = control offset = 0xBC
#pragma HLS INTERFACE mode = s_axilite port = stat_wr_beats bundle = control offset = 0xC4
#pragma HLS INTERFACE mode = s_axilite port = stat_error bundle = control offset = 0xCC
#pragma HLS INTERFACE mode = s_axilite port = hw_magic bundle = control offset = 0xD4
#pragma HLS INTERFACE mode = s_axilite port = hw_params bundle = control offset = 0xDC
#pragma HLS INTERFACE mode = s_axilite port = hw_max_feat bundle = control offset = 0xE4
#pragma HLS INTERFACE mode = s_axilite port = hw_table_elems bundle = control offset = 0xEC
#pragma HLS INTERFACE mode = s_axilite port = hw_formats bundle = control offset = 0xF4
#pragma HLS INTERFACE mode = s_axilite port = return bundle = control

    call_t call = {row_ptr, col_idx, edge_w, src_scale, dst_scale, feat_in, weight, feat_out, acc_buf,
                   n_dst, n_src, n_edges, feat_dim, mode, n_pairs, 0, 0, 1};
    const u32 arg_err = check_call(call);
    // ap_uint has no zero default: after an argument error these stay 0
    u32 errors = 0, edges = 0, busy_sum = 0, busy_epilogue = 0, rd_row_ptr = 0, rd_col_idx = 0, rd_edge_w = 0,
        rd_nodes = 0, rd_acc = 0, rd_epilogue = 0, wr_acc = 0, wr_out = 0, rd_check = 0;
    const u32 rows_err = arg_err == 0 ? check_row_ptr(gmem_row_ptr, call, rd_check) : u32(0);
    if (arg_err == 0 && rows_err == 0)
        run(gmem_row_ptr, gmem_col_idx, gmem_edge_w, gmem_nodes, gmem_acc, gmem_epilogue, gmem_out, call, errors,
            edges, busy_sum, busy_epilogue, rd_row_ptr, rd_col_idx, rd_edge_w, rd_nodes, rd_acc, rd_epilogue, wr_acc,
            wr_out);

    // C cannot see the clock: the busiest process's pipelined iterations, a lower bound
    stat_cycles = busy_sum > busy_epilogue ? busy_sum : busy_epilogue;
    stat_edges = edges;
    stat_stalls = 0;  // not observable from C: see docs/HLS.md
    stat_rd_beats = rd_check + rd_row_ptr + rd_col_idx + rd_edge_w + rd_nodes + rd_acc + rd_epilogue;
    stat_wr_beats = wr_acc + wr_out;
    stat_error = arg_err | rows_err | errors;
    hw_magic = GNN_AGG_HW_MAGIC;
    hw_params = HW_PARAMS;
    hw_max_feat = MAX_FEAT;
    hw_table_elems = TABLE_ELEMS;
    hw_formats = HW_FORMATS;
}
