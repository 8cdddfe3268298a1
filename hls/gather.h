/*
 * gather.h -- the gather stage: CSR neighbour gathering.
 *
 *   stream_elems (x3)   row_ptr, col_idx, edge_w as element streams, once per source partition
 *   walk_rows           pairs rows with their edges, checks row_ptr and every index *before* it
 *                       becomes an address, keeps the edges whose source is in this partition
 *   fetch_neighbours    node table (table mode: one partition of pre-scaled rows on chip) or
 *                       DRAM reads (DRAM_GATHER), edge weight, LANES features per cycle out
 */
#ifndef GNN_AGG_GATHER_H
#define GNN_AGG_GATHER_H

#include "gnn_agg_mem.h"

namespace gnn {

// Source rows [lo, hi) of partition p (all of them in DRAM-gather mode: table_rows = n_src).
inline void partition_rows(const call_t &call, u32 p, ap_uint<64> &lo, ap_uint<64> &hi) {
#pragma HLS INLINE
    lo = ap_uint<64>(p) * call.table_rows;
    const ap_uint<64> end = lo + call.table_rows;
    hi = end < call.n_src ? end : ap_uint<64>(call.n_src);
}

// Row/edge walk of one pass. A malformed row_ptr cannot derail the streams: each row takes the
// edges between the previous row's end and its own end clamped to [that end, n_edges], and the
// edges no row claims are drained, so exactly n_edges indices are consumed per pass. A bad
// index or row is flagged and its edges skipped; nothing about them reaches an address.
inline void walk_rows(const call_t &call, hls::stream<u32> &row_ptr_s, hls::stream<u32> &col_s,
                      hls::stream<u16> &weight_s, hls::stream<edge_tok> &edges_s, u32 &errors,
                      u32 &edges_taken) {
    const bool weighted = call.mode & GNN_AGG_MODE_EDGE_WEIGHT;
    u32 err = 0;
    u32 taken = 0;
    passes:
    for (u32 p = 0; p < call.passes; ++p) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 4 avg = 1
        ap_uint<64> lo, hi;
        partition_rows(call, p, lo, hi);
        u32 prev = row_ptr_s.read();
        if (prev != 0) err |= GNN_AGG_ERR_ROW_PTR;
        count_t cursor = 0;  // edges consumed so far
        rows:
        for (u32 v = 0; v < call.n_dst; ++v) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 100000 avg = 1000
            const u32 end = row_ptr_s.read();
            if (end < prev || end - prev > GNN_AGG_MAX_DEGREE || end > call.n_edges)
                err |= GNN_AGG_ERR_ROW_PTR;
            prev = end;
            const count_t limit = end < cursor ? cursor : end > call.n_edges ? count_t(call.n_edges) : count_t(end);
            edges:
            for (; cursor < limit; ++cursor) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 0 max = 65536 avg = 10
                const u32 src = col_s.read();
                const u16 w = weighted ? weight_s.read() : u16(0);
                if (src >= call.n_src) {
                    err |= GNN_AGG_ERR_INDEX;
                } else if (src >= lo && src < hi) {
                    const edge_tok tok = {src, w, false};
                    edges_s.write(tok);
                    ++taken;
                }
            }
            const edge_tok row_end = {0, 0, true};
            edges_s.write(row_end);
        }
        if (prev != call.n_edges) err |= GNN_AGG_ERR_ROW_PTR;
        unclaimed:
        for (; cursor < call.n_edges; ++cursor) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 0 max = 16 avg = 0
            const u32 src = col_s.read();
            if (weighted) weight_s.read();
            if (src >= call.n_src) err |= GNN_AGG_ERR_INDEX;
        }
    }
    errors = err;
    edges_taken = taken;
}

// One LANES-wide chunk of source row `u`, pre-scaled when PRE_SCALE: WORDS_PER_CHUNK beats.
inline chunk_t load_chunk(const bus_t *mem, const call_t &call, ap_uint<64> u, u32 chunk,
                          bool pre_scale, coef_t scale, u32 &beats) {
#pragma HLS INLINE
    const unsigned long long first = word_of(call.feat_in) +
        (u * call.chunks + chunk).to_uint64() * WORDS_PER_CHUNK;
    chunk_t out;
    words:
    for (int k = 0; k < WORDS_PER_CHUNK; ++k) {
        const bus_t raw = mem[first + k];
        ++beats;
        out(BUS_BITS * k + BUS_BITS - 1, BUS_BITS * k) =
            pre_scale ? scale_lanes<FEAT_PER_WORD>(raw, scale) : raw;
    }
    return out;
}

// Table mode: fill the node table with partition p's rows [lo, hi), pre-scaled.
inline void load_partition(const bus_t *mem, const call_t &call, ap_uint<64> lo, ap_uint<64> hi,
                           chunk_t table[TABLE_ELEMS / LANES], u32 &beats) {
    const bool pre = call.mode & GNN_AGG_MODE_PRE_SCALE;
    rows:
    for (ap_uint<64> u = lo; u < hi; ++u) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 8192 avg = 1024
        coef_t s = 0;
        if (pre) s.range(15, 0) = load_elem<16>(mem, call.src_scale, u, beats);
        chunks:
        for (u32 c = 0; c < call.chunks; ++c) {
#pragma HLS PIPELINE II = WORDS_PER_CHUNK
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_CHUNKS avg = MAX_CHUNKS
            table[((u - lo) * call.chunks + c).to_uint64()] = load_chunk(mem, call, u, c, pre, s, beats);
        }
    }
}

// Neighbour fetch: for every accepted edge, feat_dim / LANES chunks of m_e = q(edge_w * t_u)
// (t_u from the node table, or read from DRAM and pre-scaled on the way in DRAM_GATHER mode);
// each row closes with a `last` token.
inline void fetch_neighbours(const bus_t *mem, const call_t &call, hls::stream<edge_tok> &edges_s,
                             hls::stream<chunk_tok> &chunks_s, u32 &beats) {
    static chunk_t table[TABLE_ELEMS / LANES];
#pragma HLS BIND_STORAGE variable = table type = ram_2p
    const bool dram = call.mode & GNN_AGG_MODE_DRAM_GATHER;
    const bool pre = call.mode & GNN_AGG_MODE_PRE_SCALE;
    const bool weighted = call.mode & GNN_AGG_MODE_EDGE_WEIGHT;
    u32 moved = 0;
    passes:
    for (u32 p = 0; p < call.passes; ++p) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 4 avg = 1
        ap_uint<64> lo, hi;
        partition_rows(call, p, lo, hi);
        if (!dram) load_partition(mem, call, lo, hi, table, moved);
        rows:
        for (u32 v = 0; v < call.n_dst; ++v) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 100000 avg = 1000
            edges:
            for (edge_tok e = edges_s.read(); !e.last; e = edges_s.read()) {
#pragma HLS LOOP_TRIPCOUNT min = 0 max = 65536 avg = 10
                coef_t w, s = 0;
                w.range(15, 0) = e.weight;
                if (dram && pre) s.range(15, 0) = load_elem<16>(mem, call.src_scale, e.src, moved);
                chunks:
                for (u32 c = 0; c < call.chunks; ++c) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_CHUNKS avg = MAX_CHUNKS
                    const chunk_t t = dram ? load_chunk(mem, call, e.src, c, pre, s, moved)
                                           : table[((e.src - lo) * call.chunks + c).to_uint64()];
                    const chunk_tok out = {weighted ? scale_lanes<LANES>(t, w) : t, false};
                    chunks_s.write(out);
                }
            }
            const chunk_tok row_end = {0, true};
            chunks_s.write(row_end);
        }
    }
    beats = moved;
}

}  // namespace gnn

#endif  // GNN_AGG_GATHER_H
