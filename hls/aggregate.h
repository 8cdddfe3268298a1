/*
 * aggregate.h -- the aggregate stage: exact per-row sums, then the epilogue.
 *
 *   accumulate   acc_v = sum of the row's m_e chunks (ACC, exact); with several source
 *                partitions the partial sums go through acc_buf, the last pass forwards them
 *   epilogue     y = relu(q(W @ post(acc))) per row; overlaps the next row's accumulation
 *   write_rows   feat_out as sequential bus words
 */
#ifndef GNN_AGG_AGGREGATE_H
#define GNN_AGG_AGGREGATE_H

#include "gnn_agg_mem.h"

namespace gnn {

typedef ap_uint<LANES * ACC_BITS> acc_chunk_t;  // LANES accumulators side by side

inline acc_t acc_lane(const acc_chunk_t &sums, int i) {
#pragma HLS INLINE
    acc_t v;
    v.range(31, 0) = sums(32 * i + 31, 32 * i);
    return v;
}

inline void set_acc_lane(acc_chunk_t &sums, int i, const acc_t &v) {
#pragma HLS INLINE
    sums(32 * i + 31, 32 * i) = v.range(31, 0);
}

// Chunk c of row v in acc_buf (int32, row-major): ACC_WORDS_PER_CHUNK bus words from here.
inline unsigned long long acc_buf_word(const call_t &call, u32 v, u32 c) {
#pragma HLS INLINE
    return word_of(call.acc_buf) + ((ap_uint<64>(v) * call.chunks + c) * ACC_WORDS_PER_CHUNK).to_uint64();
}

// Chunk k of a finished row's sums (zeros for a row without edges in this pass).
inline acc_chunk_t row_sums(const acc_t acc[MAX_CHUNKS][LANES], u32 k, bool empty) {
#pragma HLS INLINE
    acc_chunk_t sums;
    for (int l = 0; l < LANES; ++l) set_acc_lane(sums, l, empty ? acc_t(0) : acc[k][l]);
    return sums;
}

// Per planned row, pass after pass until the call's end: chunk c of every edge adds into acc[c];
// the row's first edge writes instead of adding, so no clearing pass is needed. Then, per the
// row's plan, per chunk: fold in the earlier passes' partial sums from acc_buf (add), and forward
// the sums to the epilogue (fin) or spill them back to acc_buf. A row planned fin without add
// (every row of a one-partition call) goes straight out at one chunk per cycle.
// `busy` counts the iterations of its pipelined loops (docs/HLS.md, stat_cycles).
inline void accumulate(bus_t *mem, const call_t &call, hls::stream<chunk_tok> &chunks_s,
                       hls::stream<out_row_tok> &rows_s, hls::stream<acc_chunk_t> &sums_s, u32 &rd_beats,
                       u32 &wr_beats, u32 &busy) {
    acc_t acc[MAX_CHUNKS][LANES];
#pragma HLS ARRAY_PARTITION variable = acc dim = 2 complete
    u32 rd = 0, wr = 0, iterations = 0;
    rows:
    for (;;) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 100000 avg = 1000
        u32 c = 0;
        bool first_edge = true;
        chunk_tok t = chunks_s.read();
        sum:
        while (!t.last) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 0 max = 65536 avg = 40
            lanes:
            for (int l = 0; l < LANES; ++l) {
#pragma HLS UNROLL
                acc[c][l] = (first_edge ? acc_t(0) : acc[c][l]) + lane<feat_t, LANES>(t.data, l);
            }
            if (++c == call.chunks) {
                c = 0;
                first_edge = false;
            }
            ++iterations;
            t = chunks_s.read();
        }
        if (t.pass_end) {
            if (t.call_end) break;
            continue;
        }
        const row_plan plan = t.plan;
        if (plan.fin) rows_s.write(out_row_tok{plan.v, false});
        if (plan.fin && !plan.add) {
            forward:
            for (u32 k = 0; k < call.chunks; ++k) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_CHUNKS
                sums_s.write(row_sums(acc, k, first_edge));
            }
            iterations += call.chunks;
            continue;
        }
        fold_spill:
        for (u32 k = 0; k < call.chunks; ++k) {
#pragma HLS PIPELINE II = ACC_WORDS_PER_CHUNK
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_CHUNKS
            acc_chunk_t sums = row_sums(acc, k, first_edge);
            const unsigned long long at = acc_buf_word(call, plan.v, k);
            if (plan.add) {
                fold:
                for (int w = 0; w < ACC_WORDS_PER_CHUNK; ++w) {
                    const bus_t word = mem[at + w];
                    ++rd;
                    for (int i = 0; i < ACC_PER_WORD; ++i) {
                        const int l = w * ACC_PER_WORD + i;
                        acc_t part;
                        part.range(31, 0) = word(32 * i + 31, 32 * i);
                        set_acc_lane(sums, l, acc_lane(sums, l) + part);
                    }
                }
            }
            if (plan.fin) {
                sums_s.write(sums);
            } else {
                spill:
                for (int w = 0; w < ACC_WORDS_PER_CHUNK; ++w) {
                    mem[at + w] = sums(BUS_BITS * w + BUS_BITS - 1, BUS_BITS * w);
                    ++wr;
                }
            }
        }
        iterations += call.chunks * ACC_WORDS_PER_CHUNK;
    }
    rows_s.write(out_row_tok{0, true});
    rd_beats = rd;
    wr_beats = wr;
    busy = iterations;
}

// W (feat_dim x feat_dim, W[out][in]) into an on-chip table of LANES-wide input chunks.
inline void load_weight(const bus_t *mem, const call_t &call, chunk_t w_tab[MAX_FEAT * MAX_CHUNKS], u32 &beats) {
    const unsigned long long first = word_of(call.weight);
    words:
    for (u32 i = 0; i < call.feat_dim * call.chunks; ++i) {
#pragma HLS PIPELINE II = WORDS_PER_CHUNK
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_FEAT * MAX_CHUNKS
        chunk_t w;
        for (int k = 0; k < WORDS_PER_CHUNK; ++k) {
            w(BUS_BITS * k + BUS_BITS - 1, BUS_BITS * k) = mem[first + i.to_uint64() * WORDS_PER_CHUNK + k];
            ++beats;
        }
        w_tab[i] = w;
    }
}

inline feat_t relu(feat_t v, bool on) {
#pragma HLS INLINE
    return on && v < 0 ? feat_t(0) : v;
}

// y = post(acc): q(dst_scale * acc) with POST_SCALE, else sat(acc) (same fractional bits).
inline chunk_t post_scale(const acc_chunk_t &sums, bool post, coef_t scale) {
#pragma HLS INLINE
    chunk_t y;
    lanes:
    for (int l = 0; l < LANES; ++l) {
#pragma HLS UNROLL
        const acc_t a = acc_lane(sums, l);
        set_lane<feat_t, LANES>(y, l, post ? feat_t(scale * a) : feat_t(a));
    }
    return y;
}

// z_j = relu(q(sum_k W[j][k] y_k)) for all j: (output, input chunk) pairs in one pipelined loop,
// LANES products per cycle summed exactly, one rounding per output.
inline void apply_weight(const chunk_t y[MAX_CHUNKS], const chunk_t w_tab[MAX_FEAT * MAX_CHUNKS],
                         const call_t &call, bool relu_on, hls::stream<chunk_t> &out_s) {
    chunk_t out = 0;
    dot_t sum = 0;
    u32 j = 0, c = 0;
    pairs:
    for (u32 i = 0; i < call.feat_dim * call.chunks; ++i) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_FEAT * MAX_CHUNKS
        dot_t partial = 0;
        lanes:
        for (int l = 0; l < LANES; ++l) {
#pragma HLS UNROLL
            partial += lane<wgt_t, LANES>(w_tab[i], l) * lane<feat_t, LANES>(y[c], l);
        }
        sum = (c == 0 ? dot_t(0) : sum) + partial;
        if (++c == call.chunks) {
            set_lane<feat_t, LANES>(out, j % LANES, relu(feat_t(sum), relu_on));
            if (j % LANES == LANES - 1) out_s.write(out);
            c = 0;
            ++j;
        }
    }
}

// Per finished row: post-scale (and with APPLY_W the matrix product), ReLU, to write_rows.
inline void epilogue(const bus_t *mem, const call_t &call, hls::stream<out_row_tok> &rows_s,
                     hls::stream<acc_chunk_t> &sums_s, hls::stream<out_row_tok> &out_rows_s,
                     hls::stream<chunk_t> &out_s, u32 &rd_beats, u32 &busy) {
    static chunk_t w_tab[MAX_FEAT * MAX_CHUNKS];
    chunk_t y[MAX_CHUNKS];
    const bool post = call.mode & GNN_AGG_MODE_POST_SCALE;
    const bool apply_w = call.mode & GNN_AGG_MODE_APPLY_W;
    const bool relu_on = call.mode & GNN_AGG_MODE_RELU;
    u32 rd = 0, iterations = 0;
    if (apply_w) {
        load_weight(mem, call, w_tab, rd);
        iterations += call.feat_dim * call.chunks * WORDS_PER_CHUNK;
    }
    rows:
    for (out_row_tok row = rows_s.read(); !row.end; row = rows_s.read()) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 100000 avg = 1000
        out_rows_s.write(row);
        coef_t scale = 0;
        if (post) scale.range(15, 0) = load_elem<16>(mem, call.dst_scale, row.v, rd);
        chunks:
        for (u32 c = 0; c < call.chunks; ++c) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_CHUNKS
            const chunk_t t = post_scale(sums_s.read(), post, scale);
            if (apply_w) {
                y[c] = t;
            } else {
                chunk_t out;
                for (int l = 0; l < LANES; ++l) set_lane<feat_t, LANES>(out, l, relu(lane<feat_t, LANES>(t, l), relu_on));
                out_s.write(out);
            }
        }
        iterations += call.chunks;
        if (apply_w) {
            apply_weight(y, w_tab, call, relu_on, out_s);
            iterations += call.feat_dim * call.chunks;
        }
    }
    out_rows_s.write(out_row_tok{0, true});
    rd_beats = rd;
    busy = iterations;
}

// Each finished row's bus words at feat_out + v * row_bytes: rows arrive in the order they are
// finished (row order with one partition; per tile otherwise), each one burst.
inline void write_rows(bus_t *mem, const call_t &call, hls::stream<out_row_tok> &rows_s,
                       hls::stream<chunk_t> &out_s, u32 &beats) {
    const u32 row_words = call.chunks * WORDS_PER_CHUNK;
    u32 moved = 0;
    rows:
    for (out_row_tok row = rows_s.read(); !row.end; row = rows_s.read()) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 100000 avg = 1000
        const unsigned long long first = word_of(call.feat_out) + (ap_uint<64>(row.v) * row_words).to_uint64();
        chunk_t chunk = 0;
        words:
        for (u32 i = 0; i < row_words; ++i) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_CHUNKS * WORDS_PER_CHUNK
            const int k = int(i % WORDS_PER_CHUNK);
            if (k == 0) chunk = out_s.read();
            mem[first + i] = chunk(BUS_BITS * k + BUS_BITS - 1, BUS_BITS * k);
        }
        moved += row_words;
    }
    beats = moved;
}

}  // namespace gnn

#endif  // GNN_AGG_AGGREGATE_H
