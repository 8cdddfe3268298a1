/*
 * gather.h -- the gather stage: CSR neighbour gathering.
 *
 *   stream_elems (x3)   row_ptr, col_idx, edge_w as element streams: once per source partition
 *                       (CSR), once per call (TILED: the tile pairs, local indices, edge weights)
 *   walk_rows           pairs rows with their edges, checks row_ptr (the tile pairs) and every
 *                       index *before* it becomes an address, keeps the edges whose source is in
 *                       this partition, names each pass's partition (TILED: its marker's) and
 *                       plans each row's pass (row_plan)
 *   fetch_neighbours    node table (table mode: one partition of pre-scaled rows on chip) or
 *                       DRAM reads (DRAM_GATHER), edge weight, LANES features per cycle out
 */
#ifndef GNN_AGG_GATHER_H
#define GNN_AGG_GATHER_H

#include "gnn_agg_mem.h"

// Node-table memory: bram (PYNQ-Z2, 2 Mbit) or uram (Zynq UltraScale+, 16 Mbit); a board build
// sets it with -DGNN_AGG_TABLE_IMPL (the board's table_impl, golden/builds.py). _Pragma lets a macro
// reach the pragma.
#ifndef GNN_AGG_TABLE_IMPL
#define GNN_AGG_TABLE_IMPL bram
#endif
#define GNN_AGG_PRAGMA(text) _Pragma(#text)
#define GNN_AGG_BIND_TABLE(array, memory) GNN_AGG_PRAGMA(HLS BIND_STORAGE variable = array type = ram_2p impl = memory)

namespace gnn {

// Source rows [lo, hi) of partition p (all of them in DRAM-gather mode: table_rows = n_src); none
// for p >= P (a TILED marker may name one).
inline void partition_rows(const call_t &call, u32 p, ap_uint<64> &lo, ap_uint<64> &hi) {
#pragma HLS INLINE
    lo = ap_uint<64>(p) * call.table_rows;
    const ap_uint<64> end = lo + call.table_rows;
    hi = end < call.n_src ? end : lo < call.n_src ? ap_uint<64>(call.n_src) : lo;
}

// Checks a row's edge end (a row_ptr entry, or a tile pair's end) against the previous one and
// returns where the row's edges stop: its end clamped to [edges already consumed, n_edges]. So
// whatever the ends hold, the rows together consume at most n_edges indices, in order.
inline count_t edge_limit(const call_t &call, u32 end, count_t cursor, u32 &prev, u32 &err) {
#pragma HLS INLINE
    if (end < prev || end - prev > GNN_AGG_MAX_DEGREE || end > call.n_edges) err |= GNN_AGG_ERR_ROW_PTR;
    prev = end;
    return end < cursor ? cursor : end > call.n_edges ? count_t(call.n_edges) : count_t(end);
}

inline count_t open_row(const call_t &call, hls::stream<pair_t> &row_ptr_s, count_t cursor, u32 &prev, u32 &err) {
#pragma HLS INLINE
    return edge_limit(call, u32(row_ptr_s.read()), cursor, prev, err);
}

// CSR row/edge walk, once per pass: one token per cycle, an accepted edge or a row end. A
// malformed row_ptr cannot derail the streams: each row takes the edges between the previous
// row's end and its own (clamped), the edges no row claims are drained, so exactly n_edges
// indices are consumed per pass. A bad index or row is flagged and its edges skipped: nothing
// about them reaches an address. Edges whose source lies outside this pass's partition are
// dropped here; every row is planned in every pass (added back after pass 0, finished in the
// last). Pass p reads partition p.
inline void walk_csr(const call_t &call, hls::stream<pair_t> &row_ptr_s, hls::stream<u32> &col_s,
                     hls::stream<u16> &weight_s, hls::stream<edge_tok> &edges_s, hls::stream<u32> &parts_s,
                     u32 &err, u32 &taken) {
    const bool weighted = call.mode & GNN_AGG_MODE_EDGE_WEIGHT;
    passes:
    for (u32 p = 0; p < call.parts; ++p) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 4 avg = 1
        parts_s.write(p);
        ap_uint<64> lo, hi;
        partition_rows(call, p, lo, hi);
        u32 prev = u32(row_ptr_s.read());
        if (prev != 0) err |= GNN_AGG_ERR_ROW_PTR;
        count_t cursor = 0;  // edges consumed so far
        count_t limit = call.n_dst > 0 ? open_row(call, row_ptr_s, cursor, prev, err) : count_t(0);
        u32 v = 0;
        walk:
        while (v < call.n_dst) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 1000000 avg = 10000
            if (cursor < limit) {
                const u32 src = col_s.read();
                const u16 w = weighted ? weight_s.read() : u16(0);
                ++cursor;
                if (src >= call.n_src) {
                    err |= GNN_AGG_ERR_INDEX;
                } else if (src >= lo && src < hi) {
                    edges_s.write(edge_tok{u32(src - lo), w, false, false, false, row_plan{0, false, false}});
                    ++taken;
                }
            } else {
                edges_s.write(edge_tok{0, 0, true, false, false, row_plan{v, p > 0, p + 1 == call.parts}});
                if (++v < call.n_dst) limit = open_row(call, row_ptr_s, cursor, prev, err);
            }
        }
        edges_s.write(edge_tok{0, 0, true, true, p + 1 == call.parts, row_plan{0, false, false}});
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
}

// Reads the next tile pair after pair 0: its row word, and (through edge_limit) where its edges
// stop. A marker's edges start and stop at the previous pair's end; any edges it has are ROW_PTR.
inline u32 read_pair(const call_t &call, hls::stream<pair_t> &pairs_s, count_t &pairs_left, count_t cursor,
                     u32 &prev_end, count_t &limit, u32 &err) {
#pragma HLS INLINE
    const pair_t pair = pairs_s.read();
    --pairs_left;
    const u32 word = pair(31, 0);
    const u32 start = prev_end;
    limit = edge_limit(call, u32(pair(63, 32)), cursor, prev_end, err);
    if ((word & GNN_AGG_TILE_END) && prev_end != start) err |= GNN_AGG_ERR_ROW_PTR;
    return word;
}

// TILED walk (docs/CONTRACT.md, "Tiled layout"): one pass per marker, in the layout's order. A
// marker (pair 0 is one, check_row_ptr made sure) names the partition the pass loads, sent to
// fetch_neighbours ahead of the pass's edges; the pass then takes the pairs up to the next marker
// or the end of the pairs, and the edges they claim. A row's plan is its pair's row word and its
// degree the step of the edge ends. One token per cycle: an edge, or a pair read (with the
// previous row's end token). The pairs and indices are read once, in order, whatever they hold:
// ends are clamped like row_ptr entries, a row >= n_dst consumes its edges without using them, a
// marker's edges are dropped unchecked, a marker naming no partition (p >= P) loads no rows, so
// every index of its tile is INDEX, and the edges the pairs leave are drained unchecked: exactly
// n_pairs pairs and n_edges indices are consumed. Local indices are checked against the rows of
// the pass's partition.
inline void walk_tiles(const call_t &call, hls::stream<pair_t> &pairs_s, hls::stream<u32> &col_s,
                       hls::stream<u16> &weight_s, hls::stream<edge_tok> &edges_s, hls::stream<u32> &parts_s,
                       u32 &err, u32 &taken) {
    const bool weighted = call.mode & GNN_AGG_MODE_EDGE_WEIGHT;
    count_t pairs_left = call.n_pairs;
    count_t cursor = 0;  // edges consumed so far
    count_t limit = 0;
    u32 prev_end = 0;
    // Pair 0, the first pass's marker, has no edges (pair 1's start at 0): its end is the
    // read-ahead hint, which only saves a kernel that preloads the second tile's partition; this
    // one loads each pass's table in full, so it ignores the hint.
    u32 word = u32(pairs_s.read()(31, 0));
    --pairs_left;
    bool call_end = false;
    passes:
    while (!call_end) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 4 avg = 1
        const u32 part = word & (GNN_AGG_TILE_END - 1);
        if (part >= call.parts) err |= GNN_AGG_ERR_ROW_PTR;
        parts_s.write(part);
        ap_uint<64> lo, hi;
        partition_rows(call, part, lo, hi);
        const ap_uint<64> part_rows = hi - lo;
        bool marker = true;  // the open pair is the pass's marker (its edges are dropped unchecked)
        bool use = false;    // ... or a row that is processed (v < n_dst)
        bool first_row = true;
        u32 prev_v = 0;
        row_plan plan = {0, false, false};
        walk:
        for (;;) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 1000000 avg = 10000
            if (cursor < limit) {
                const u32 idx = col_s.read();
                const u16 w = weighted ? weight_s.read() : u16(0);
                ++cursor;
                if (!marker && idx >= part_rows) {
                    err |= GNN_AGG_ERR_INDEX;
                } else if (use) {
                    edges_s.write(edge_tok{idx, w, false, false, false, row_plan{0, false, false}});
                    ++taken;
                }
            } else {
                if (use) edges_s.write(edge_tok{0, 0, true, false, false, plan});
                if (pairs_left == 0) {
                    call_end = true;
                    break;
                }
                word = read_pair(call, pairs_s, pairs_left, cursor, prev_end, limit, err);
                if (word & GNN_AGG_TILE_END) break;  // it opens the next pass
                const u32 v = word & (GNN_AGG_TILE_END - 1);
                marker = false;
                use = v < call.n_dst;
                if (!use || (!first_row && v <= prev_v)) err |= GNN_AGG_ERR_ROW_PTR;
                first_row = false;
                prev_v = v;
                // one partition: acc_buf is not a buffer of the call, whatever the flags say
                plan = row_plan{v, call.parts > 1 && (word & GNN_AGG_TILE_ADD),
                                call.parts == 1 || (word & GNN_AGG_TILE_FIN)};
            }
        }
        edges_s.write(edge_tok{0, 0, true, true, call_end, row_plan{0, false, false}});
    }
    unclaimed_edges:
    for (; cursor < call.n_edges; ++cursor) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 0 max = 16 avg = 0
        col_s.read();
        if (weighted) weight_s.read();
    }
}

// The row walker process: checks, partition filter (CSR), each pass's partition and row plans.
inline void walk_rows(const call_t &call, hls::stream<pair_t> &row_ptr_s, hls::stream<u32> &col_s,
                      hls::stream<u16> &weight_s, hls::stream<edge_tok> &edges_s, hls::stream<u32> &parts_s,
                      u32 &errors, u32 &edges_taken) {
    u32 err = 0, taken = 0;
    if (call.mode & GNN_AGG_MODE_TILED) {
        walk_tiles(call, row_ptr_s, col_s, weight_s, edges_s, parts_s, err, taken);
    } else {
        walk_csr(call, row_ptr_s, col_s, weight_s, edges_s, parts_s, err, taken);
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

// One destination row of neighbour chunks: every (accepted edge, chunk) pair in one pipelined
// loop, so a row costs degree * chunks iterations with no per-edge drain and DRAM reads of
// consecutive edges overlap. From the table: one chunk per cycle. From DRAM: one bus word per
// cycle, the source row pre-scaled on the way in. Passes the row end (with its plan) or the pass
// end on and returns it.
template <bool FROM_DRAM>
edge_tok fetch_row(const bus_t *mem, const call_t &call, const chunk_t table[TABLE_ELEMS / LANES],
               hls::stream<edge_tok> &edges_s, hls::stream<chunk_tok> &chunks_s, u32 &beats) {
    constexpr int PAIR_II = FROM_DRAM ? WORDS_PER_CHUNK : 1;  // a bus word or a table chunk per cycle
    static_assert(PAIR_II >= 1 && PAIR_II <= 16, "one chunk is 1..16 bus words");
    const bool pre = call.mode & GNN_AGG_MODE_PRE_SCALE;
    const bool weighted = call.mode & GNN_AGG_MODE_EDGE_WEIGHT;
    edge_tok e = edges_s.read();
    coef_t w, s = 0;
    w.range(15, 0) = e.weight;
    if (FROM_DRAM && pre && !e.last) s.range(15, 0) = load_elem<16>(mem, call.src_scale, e.src, beats);
    u32 c = 0;
    pairs:
    while (!e.last) {
#pragma HLS PIPELINE II = PAIR_II
#pragma HLS LOOP_TRIPCOUNT min = 0 max = 65536 avg = 40
        const chunk_t t = FROM_DRAM ? load_chunk(mem, call, e.src, c, pre, s, beats)
                                    : table[(ap_uint<64>(e.src) * call.chunks + c).to_uint64()];
        chunks_s.write(
            chunk_tok{weighted ? scale_lanes<LANES>(t, w) : t, false, false, false, row_plan{0, false, false}});
        if (++c == call.chunks) {
            c = 0;
            e = edges_s.read();
            w.range(15, 0) = e.weight;
            if (FROM_DRAM && pre && !e.last) s.range(15, 0) = load_elem<16>(mem, call.src_scale, e.src, beats);
        }
    }
    chunks_s.write(chunk_tok{0, true, e.pass_end, e.call_end, e.plan});
    return e;
}

// Neighbour fetch: per pass, (table mode) load the partition the walker names into the node
// table, then for every row the walker plans the chunks of m_e = q(edge_w * t_u) of its accepted
// edges, until the walker ends the call.
inline void fetch_neighbours(const bus_t *mem, const call_t &call, hls::stream<u32> &parts_s,
                             hls::stream<edge_tok> &edges_s, hls::stream<chunk_tok> &chunks_s, u32 &beats) {
    static chunk_t table[TABLE_ELEMS / LANES];
    GNN_AGG_BIND_TABLE(table, GNN_AGG_TABLE_IMPL)
    const bool dram = call.mode & GNN_AGG_MODE_DRAM_GATHER;
    u32 moved = 0;
    edge_tok end;
    passes:
    do {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 4 avg = 1
        ap_uint<64> lo, hi;
        partition_rows(call, parts_s.read(), lo, hi);
        if (!dram) load_partition(mem, call, lo, hi, table, moved);
        rows:
        do {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 100000 avg = 1000
            end = dram ? fetch_row<true>(mem, call, table, edges_s, chunks_s, moved)
                       : fetch_row<false>(mem, call, table, edges_s, chunks_s, moved);
        } while (!end.pass_end);
    } while (!end.call_end);
    beats = moved;
}

}  // namespace gnn

#endif  // GNN_AGG_GATHER_H
