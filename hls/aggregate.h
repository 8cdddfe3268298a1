/*
 * aggregate.h -- the aggregate stage: exact per-row sums and the epilogue.
 *
 *   aggregate    acc_v = sum of the row's m_e chunks (ACC, exact); with several source
 *                partitions the partial sums go through acc_buf; on the last pass the
 *                epilogue y = relu(q(W @ post(acc))) per row
 *   write_rows   feat_out rows as sequential bus words (one burst per row run)
 */
#ifndef GNN_AGG_AGGREGATE_H
#define GNN_AGG_AGGREGATE_H

#include "gnn_agg_mem.h"

namespace gnn {

typedef acc_t acc_row_t[MAX_CHUNKS][LANES];

// acc += one row's partial sums from acc_buf (int32, row-major, ACC_WORDS_PER_CHUNK per chunk).
inline void add_partial(const bus_t *mem, const call_t &call, u32 v, acc_row_t acc, u32 &beats) {
    const unsigned long long first = word_of(call.acc_buf) + (ap_uint<64>(v) * call.chunks).to_uint64() * ACC_WORDS_PER_CHUNK;
    words:
    for (u32 i = 0; i < call.chunks * ACC_WORDS_PER_CHUNK; ++i) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_CHUNKS * ACC_WORDS_PER_CHUNK
        const bus_t word = mem[first + i];
        ++beats;
        const u32 c = i / ACC_WORDS_PER_CHUNK, base = (i % ACC_WORDS_PER_CHUNK) * ACC_PER_WORD;
        lanes:
        for (int k = 0; k < ACC_PER_WORD; ++k) {
#pragma HLS UNROLL
            acc_t part;
            part.range(31, 0) = word(32 * k + 31, 32 * k);
            acc[c][base + k] += part;
        }
    }
}

inline void store_partial(bus_t *mem, const call_t &call, u32 v, const acc_row_t acc, u32 &beats) {
    const unsigned long long first = word_of(call.acc_buf) + (ap_uint<64>(v) * call.chunks).to_uint64() * ACC_WORDS_PER_CHUNK;
    words:
    for (u32 i = 0; i < call.chunks * ACC_WORDS_PER_CHUNK; ++i) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_CHUNKS * ACC_WORDS_PER_CHUNK
        const u32 c = i / ACC_WORDS_PER_CHUNK, base = (i % ACC_WORDS_PER_CHUNK) * ACC_PER_WORD;
        bus_t word;
        lanes:
        for (int k = 0; k < ACC_PER_WORD; ++k) {
#pragma HLS UNROLL
            word(32 * k + 31, 32 * k) = acc[c][base + k].range(31, 0);
        }
        mem[first + i] = word;
        ++beats;
    }
}

// W (feat_dim x feat_dim, W[out][in]) into an on-chip table of LANES-wide input chunks.
inline void load_weight(const bus_t *mem, const call_t &call, chunk_t w_tab[MAX_FEAT][MAX_CHUNKS], u32 &beats) {
    const unsigned long long first = word_of(call.weight);
    rows:
    for (u32 j = 0; j < call.feat_dim; ++j) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_FEAT
        chunks:
        for (u32 c = 0; c < call.chunks; ++c) {
#pragma HLS PIPELINE II = WORDS_PER_CHUNK
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_CHUNKS
            chunk_t w;
            words:
            for (int k = 0; k < WORDS_PER_CHUNK; ++k) {
                w(BUS_BITS * k + BUS_BITS - 1, BUS_BITS * k) = mem[first + (j * call.chunks + c) * WORDS_PER_CHUNK + k];
                ++beats;
            }
            w_tab[j][c] = w;
        }
    }
}

// y = post(acc): q(dst_scale * acc) with POST_SCALE, else sat(acc) (same fractional bits).
inline void post_scale(const acc_row_t acc, u32 chunks, bool post, coef_t scale, chunk_t y[MAX_CHUNKS]) {
    chunks_loop:
    for (u32 c = 0; c < chunks; ++c) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_CHUNKS
        chunk_t out;
        lanes:
        for (int l = 0; l < LANES; ++l) {
#pragma HLS UNROLL
            const feat_t v = post ? feat_t(scale * acc[c][l]) : feat_t(acc[c][l]);
            set_lane<feat_t, LANES>(out, l, v);
        }
        y[c] = out;
    }
}

inline feat_t relu(feat_t v, bool on) {
#pragma HLS INLINE
    return on && v < 0 ? feat_t(0) : v;
}

// z_j = relu(q(sum_k W[j][k] y_k)): one LANES-wide dot product per cycle, one rounding per output.
inline void apply_weight(const chunk_t y[MAX_CHUNKS], const chunk_t w_tab[MAX_FEAT][MAX_CHUNKS],
                         const call_t &call, bool relu_on, hls::stream<chunk_t> &out_s) {
    chunk_t out = 0;
    outputs:
    for (u32 j = 0; j < call.feat_dim; ++j) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_FEAT
        dot_t sum = 0;
        inputs:
        for (u32 c = 0; c < call.chunks; ++c) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_CHUNKS
            lanes:
            for (int l = 0; l < LANES; ++l) {
#pragma HLS UNROLL
                sum += lane<wgt_t, LANES>(w_tab[j][c], l) * lane<feat_t, LANES>(y[c], l);
            }
        }
        set_lane<feat_t, LANES>(out, j % LANES, relu(feat_t(sum), relu_on));
        if (j % LANES == LANES - 1) out_s.write(out);
    }
}

inline void emit_rows(const chunk_t y[MAX_CHUNKS], u32 chunks, bool relu_on, hls::stream<chunk_t> &out_s) {
    chunks_loop:
    for (u32 c = 0; c < chunks; ++c) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_CHUNKS
        chunk_t out;
        lanes:
        for (int l = 0; l < LANES; ++l) {
#pragma HLS UNROLL
            set_lane<feat_t, LANES>(out, l, relu(lane<feat_t, LANES>(y[c], l), relu_on));
        }
        out_s.write(out);
    }
}

// Per pass and destination row: sum the incoming chunks (chunk c of every edge adds into acc[c]),
// fold in / spill to acc_buf when there are several partitions, and on the last pass run the
// epilogue. `busy` counts the iterations of its pipelined loops (see docs/HLS.md, stat_cycles).
inline void aggregate(bus_t *mem, const call_t &call, hls::stream<chunk_tok> &chunks_s,
                      hls::stream<chunk_t> &out_s, u32 &rd_beats, u32 &wr_beats, u32 &busy) {
    static chunk_t w_tab[MAX_FEAT][MAX_CHUNKS];
#pragma HLS ARRAY_PARTITION variable = w_tab dim = 2 complete
    acc_t acc[MAX_CHUNKS][LANES];
#pragma HLS ARRAY_PARTITION variable = acc dim = 2 complete
    chunk_t y[MAX_CHUNKS];
    const bool post = call.mode & GNN_AGG_MODE_POST_SCALE;
    const bool apply_w = call.mode & GNN_AGG_MODE_APPLY_W;
    const bool relu_on = call.mode & GNN_AGG_MODE_RELU;
    u32 rd = 0, wr = 0, iterations = 0;
    if (apply_w) {
        load_weight(mem, call, w_tab, rd);
        iterations += call.feat_dim * call.chunks * WORDS_PER_CHUNK;
    }
    passes:
    for (u32 p = 0; p < call.passes; ++p) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 4 avg = 1
        const bool first_pass = p == 0, last_pass = p + 1 == call.passes;
        rows:
        for (u32 v = 0; v < call.n_dst; ++v) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 100000 avg = 1000
            clear:
            for (u32 c = 0; c < call.chunks; ++c) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = MAX_CHUNKS
                for (int l = 0; l < LANES; ++l) acc[c][l] = 0;
            }
            u32 c = 0;
            accumulate:
            for (chunk_tok t = chunks_s.read(); !t.last; t = chunks_s.read()) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 0 max = 65536 avg = 40
                lanes:
                for (int l = 0; l < LANES; ++l) {
#pragma HLS UNROLL
                    acc[c][l] += lane<feat_t, LANES>(t.data, l);
                }
                c = c + 1 == call.chunks ? u32(0) : u32(c + 1);
                ++iterations;
            }
            if (!first_pass) {
                add_partial(mem, call, v, acc, rd);
                iterations += call.chunks * ACC_WORDS_PER_CHUNK;
            }
            if (!last_pass) {
                store_partial(mem, call, v, acc, wr);
                iterations += call.chunks * ACC_WORDS_PER_CHUNK;
                continue;
            }
            coef_t scale = 0;
            if (post) scale.range(15, 0) = load_elem<16>(mem, call.dst_scale, v, rd);
            post_scale(acc, call.chunks, post, scale, y);
            if (apply_w) {
                apply_weight(y, w_tab, call, relu_on, out_s);
                iterations += call.feat_dim * call.chunks;
            } else {
                emit_rows(y, call.chunks, relu_on, out_s);
            }
            iterations += 2 * call.chunks;
        }
    }
    rd_beats = rd;
    wr_beats = wr;
    busy = iterations;
}

inline void write_rows(bus_t *mem, const call_t &call, hls::stream<chunk_t> &out_s, u32 &beats) {
    const unsigned long long first = word_of(call.feat_out);
    const ap_uint<64> words = ap_uint<64>(call.n_dst) * call.chunks * WORDS_PER_CHUNK;
    chunk_t chunk = 0;
    words_loop:
    for (ap_uint<64> i = 0; i < words; ++i) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 1000000 avg = 10000
        const int k = int(i % WORDS_PER_CHUNK);
        if (k == 0) chunk = out_s.read();
        mem[first + i.to_uint64()] = chunk(BUS_BITS * k + BUS_BITS - 1, BUS_BITS * k);
    }
    beats = u32(words);
}

}  // namespace gnn

#endif  // GNN_AGG_AGGREGATE_H
