/*
 * gnn_agg_mem.h -- bus-word helpers shared by the gather and aggregate stages.
 *
 * Every buffer starts 64-byte aligned (checked before any access), so a buffer's element i sits
 * in bus word (base / BUS_BYTES + i / per_word) at lane (i % per_word). Each helper counts the
 * bus beats it moves; the counts become stat_rd_beats / stat_wr_beats.
 */
#ifndef GNN_AGG_MEM_H
#define GNN_AGG_MEM_H

#include "gnn_agg_types.h"

namespace gnn {

constexpr int WORDS_PER_CHUNK = LANES * FEAT_BITS / BUS_BITS;   // bus words of one feature chunk
constexpr int ACC_WORDS_PER_CHUNK = LANES * ACC_BITS / BUS_BITS;  // bus words of one acc chunk
static_assert(LANES * FEAT_BITS % BUS_BITS == 0,
              "a LANES-wide feature chunk must fill whole bus words (LANES a multiple of BUS_BITS/FEAT_BITS)");

typedef ap_uint<33> count_t;  // element counts up to 2**32 (row_ptr has n_dst + 1 entries)

inline unsigned long long word_of(addr_t byte_addr) {
#pragma HLS INLINE
    return (byte_addr >> clog2(BUS_BYTES)).to_uint64();
}

// Lane `i` (of N FEAT_BITS-wide lanes) of a packed word, as the fixed-point type T (feat_t, wgt_t).
template <typename T, int N>
T lane(const ap_uint<N * FEAT_BITS> &word, int i) {
#pragma HLS INLINE
    T v;
    v.range(FEAT_BITS - 1, 0) = word(FEAT_BITS * i + FEAT_BITS - 1, FEAT_BITS * i);
    return v;
}

template <typename T, int N>
void set_lane(ap_uint<N * FEAT_BITS> &word, int i, const T &v) {
#pragma HLS INLINE
    word(FEAT_BITS * i + FEAT_BITS - 1, FEAT_BITS * i) = v.range(FEAT_BITS - 1, 0);
}

// One element of a buffer by index (a single-beat read): used for per-row coefficients.
template <int BITS>
ap_uint<BITS> load_elem(const bus_t *mem, addr_t base, ap_uint<64> index, u32 &beats) {
#pragma HLS INLINE
    const addr_t byte_addr = base + index * (BITS / 8);
    const bus_t word = mem[word_of(byte_addr)];
    ++beats;
    const int lo = int(byte_addr(clog2(BUS_BYTES) - 1, 0)) * 8;
    return word(lo + BITS - 1, lo);
}

// Stream `count` elements of `elem_bits` (16, 32 or 64) bits from `base`, `passes` times: the CSR
// arrays are read once per source partition, the tiled ones once. Sequential word addresses:
// one burst per pass.
template <typename T>
void stream_elems(const bus_t *mem, addr_t base, count_t count, int elem_bits, u32 passes,
                  hls::stream<T> &out, u32 &beats) {
    const int per_word = BUS_BITS / elem_bits;
    const ap_uint<64> mask = elem_bits == 64 ? ~ap_uint<64>(0) : ap_uint<64>((ap_uint<64>(1) << elem_bits) - 1);
    u32 moved = 0;
    passes:
    for (u32 p = 0; p < passes; ++p) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 4 avg = 1
        unsigned long long word_addr = word_of(base);
        bus_t word = 0;
        int used = per_word;
        elems:
        for (count_t i = 0; i < count; ++i) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 1000000 avg = 10000
            if (used == per_word) {
                word = mem[word_addr++];
                ++moved;
                used = 0;
            }
            out.write(T(word(63, 0) & mask));
            word >>= elem_bits;
            ++used;
        }
    }
    beats = moved;
}

// Lane-wise coefficient multiply of N features, each product rounded once (AP_RND, AP_SAT):
// the pre-scale t = q(s * x) on a bus word and the edge weight m = q(w * t) on a chunk.
template <int N>
ap_uint<N * FEAT_BITS> scale_lanes(const ap_uint<N * FEAT_BITS> &in, coef_t coef) {
#pragma HLS INLINE
    ap_uint<N * FEAT_BITS> out;
    lanes:
    for (int i = 0; i < N; ++i) {
#pragma HLS UNROLL
        const feat_t scaled = coef * lane<feat_t, N>(in, i);
        set_lane<feat_t, N>(out, i, scaled);
    }
    return out;
}

}  // namespace gnn

#endif  // GNN_AGG_MEM_H
