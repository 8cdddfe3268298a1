/*
 * gnn_agg_types.h -- number types and hardware parameters of the gnn_agg HLS kernel.
 *
 * The fixed-point types are exactly the build's formats in golden (HwConfig.formats,
 * docs/CONTRACT.md "Numeric formats"): assigning a wider product to feat_t rounds half toward +inf
 * (AP_RND) and then saturates (AP_SAT), which is the golden q(.); assigning acc_t to feat_t only
 * saturates because both keep FEAT_FRAC fractional bits, which is the golden sat(.). The formats
 * default to the contract's (Q4.12, UQ1.15, Q4.12, 32-bit ACC) and are overridden like the
 * hardware parameters (-DGNN_AGG_FEAT_BITS=8 ...). The HLS kernel keeps ACC_BITS = 32, the
 * acc_buf element width; a narrower accumulator is an RTL option only.
 *
 * The hardware parameters default to the PYNQ-Z2 build; a board build or a C-simulation
 * configuration overrides them with -DGNN_AGG_BUS_BITS=128 etc. (Build.hls_defines of the build
 * registry, golden/builds.py: used by hls/flow/ and hls/csim.py). The kernel has one processing element (see docs/HLS.md, "Why one PE").
 */
#ifndef GNN_AGG_TYPES_H
#define GNN_AGG_TYPES_H

// a chunk of LANES accumulators is LANES * 32 bits wide (2048 at 64 lanes); ap_int's default
// limit is 1024 and must be raised before the first ap_* include
#ifndef AP_INT_MAX_W
#define AP_INT_MAX_W 4096
#endif
#include <ap_fixed.h>
#include <ap_int.h>
#include <hls_stream.h>

#include "gnn_agg_regs.h"

#ifndef GNN_AGG_BUS_BITS
#define GNN_AGG_BUS_BITS 64
#endif
#ifndef GNN_AGG_LANES
#define GNN_AGG_LANES 16
#endif
#ifndef GNN_AGG_MAX_FEAT
#define GNN_AGG_MAX_FEAT 256
#endif
#ifndef GNN_AGG_TABLE_ELEMS
#define GNN_AGG_TABLE_ELEMS 131072
#endif
#ifndef GNN_AGG_FEAT_BITS
#define GNN_AGG_FEAT_BITS 16
#endif
#ifndef GNN_AGG_FEAT_FRAC
#define GNN_AGG_FEAT_FRAC 12
#endif
#ifndef GNN_AGG_WGT_FRAC
#define GNN_AGG_WGT_FRAC 12
#endif
#ifndef GNN_AGG_COEF_FRAC
#define GNN_AGG_COEF_FRAC 15
#endif
#ifndef GNN_AGG_ACC_BITS
#define GNN_AGG_ACC_BITS 32
#endif

namespace gnn {

constexpr int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }
constexpr int lcm(int a, int b) { return a / gcd(a, b) * b; }
constexpr int clog2(long long n) { return n <= 1 ? 0 : 1 + clog2((n + 1) / 2); }

constexpr int BUS_BITS = GNN_AGG_BUS_BITS;    // m_axi data width
constexpr int BUS_BYTES = BUS_BITS / 8;
constexpr int LANES = GNN_AGG_LANES;          // feature elements added per cycle
constexpr int PES = 1;                        // edges per cycle
constexpr int MAX_FEAT = GNN_AGG_MAX_FEAT;    // largest feat_dim
constexpr int TABLE_ELEMS = GNN_AGG_TABLE_ELEMS;  // node-table capacity in feature elements

constexpr int FEAT_BITS = GNN_AGG_FEAT_BITS;  // FEAT and WGT elements, in memory and on chip
constexpr int FEAT_BYTES = FEAT_BITS / 8;
constexpr int FEAT_FRAC = GNN_AGG_FEAT_FRAC;
constexpr int WGT_FRAC = GNN_AGG_WGT_FRAC;
constexpr int COEF_BITS = GNN_AGG_COEF_BITS;
constexpr int COEF_FRAC = GNN_AGG_COEF_FRAC;
constexpr int ACC_BITS = GNN_AGG_ACC_BITS;
constexpr int ACC_BUF_BYTES = GNN_AGG_ACC_BUF_BITS / 8;
constexpr int FEAT_PER_WORD = BUS_BITS / FEAT_BITS;
constexpr int ACC_PER_WORD = BUS_BITS / ACC_BITS;
constexpr int FEAT_ALIGN = lcm(LANES, FEAT_PER_WORD);  // feat_dim must be a multiple of this
constexpr int MAX_CHUNKS = MAX_FEAT / LANES;            // LANES-wide chunks in the longest row
constexpr unsigned HW_PARAMS = unsigned(BUS_BYTES) | unsigned(LANES) << 8 | unsigned(PES) << 16;
// HW_FORMATS (golden HwConfig.hw_formats_word): six bits per field
constexpr unsigned HW_FORMATS = unsigned(FEAT_BITS) | unsigned(FEAT_FRAC) << 6 | unsigned(WGT_FRAC) << 12 |
                                unsigned(COEF_FRAC) << 18 | unsigned(ACC_BITS) << 24;

static_assert(BUS_BITS == 64 || BUS_BITS == 128 || BUS_BITS == 256 || BUS_BITS == 512,
              "GNN_AGG_BUS_BITS must be 64..512 and a power of two");
static_assert(LANES * 32 <= AP_INT_MAX_W, "raise AP_INT_MAX_W for this many lanes");
static_assert(LANES > 0 && MAX_FEAT % LANES == 0, "GNN_AGG_MAX_FEAT must be a multiple of GNN_AGG_LANES");
static_assert(MAX_FEAT % FEAT_PER_WORD == 0, "a row of MAX_FEAT elements must fill whole bus words");
static_assert(TABLE_ELEMS >= MAX_FEAT, "the node table must hold at least one row of MAX_FEAT elements");
static_assert(int(GNN_AGG_BUFFER_ALIGN) % BUS_BYTES == 0, "buffers must start on a bus word");
static_assert(FEAT_BITS == 8 || FEAT_BITS == 16, "GNN_AGG_FEAT_BITS must be 8 or 16");
static_assert(FEAT_FRAC >= 0 && FEAT_FRAC < FEAT_BITS && WGT_FRAC >= 1 && WGT_FRAC < FEAT_BITS,
              "GNN_AGG_FEAT_FRAC must be 0..FEAT_BITS-1 and GNN_AGG_WGT_FRAC 1..FEAT_BITS-1");
static_assert(COEF_FRAC >= 1 && COEF_FRAC <= COEF_BITS, "GNN_AGG_COEF_FRAC must be 1..16");
static_assert(ACC_BITS == int(GNN_AGG_ACC_BUF_BITS),
              "the HLS kernel accumulates in acc_buf's 32-bit elements (ACC_BITS < 32 is RTL only)");

// The build's formats (default FEAT Q4.12, COEF UQ1.15, WGT Q4.12, ACC Q20.12).
typedef ap_fixed<FEAT_BITS, FEAT_BITS - FEAT_FRAC, AP_RND, AP_SAT> feat_t;
typedef ap_ufixed<COEF_BITS, COEF_BITS - COEF_FRAC, AP_RND, AP_SAT> coef_t;
typedef ap_fixed<FEAT_BITS, FEAT_BITS - WGT_FRAC, AP_RND, AP_SAT> wgt_t;
typedef ap_fixed<ACC_BITS, ACC_BITS - FEAT_FRAC> acc_t;
// W @ y: a sum of MAX_FEAT exact 2*FEAT_BITS-bit products needs clog2(MAX_FEAT) guard bits
constexpr int PRODUCT_BITS = 2 * FEAT_BITS;
typedef ap_fixed<PRODUCT_BITS + clog2(MAX_FEAT), PRODUCT_BITS - FEAT_FRAC - WGT_FRAC + clog2(MAX_FEAT)> dot_t;

typedef ap_uint<BUS_BITS> bus_t;
typedef ap_uint<LANES * FEAT_BITS> chunk_t;  // LANES feature elements side by side
typedef ap_uint<64> addr_t;
typedef ap_uint<64> u64;
typedef ap_uint<32> u32;
typedef ap_uint<16> u16;
// TILED: a tile pair as one 64-bit element, the row word in [31:0], the edge end in [63:32]
// (little-endian u32 pairs); a CSR row_ptr entry travels zero-extended in the same stream type
typedef u64 pair_t;

// What one pass does with one destination row: its id v, whether earlier passes left its partial
// sums in acc_buf (add: fold them in), whether this pass finishes it (fin: to the epilogue; else
// the sums go back to acc_buf). In TILED mode this is the tile row word `v | add << 30 |
// fin << 31`; otherwise the kernel's own plan (every row in every pass).
struct row_plan {
    u32 v;
    bool add;
    bool fin;
};

// row walker -> neighbour fetch: an accepted edge (index checked; `src` is its node-table row in
// table mode, its source row in DRAM-gather mode), or with `last` the end of row `plan`, or with
// `last` and `pass_end` the end of the pass (no row), and with `call_end` too of the call's last
// pass (TILED: the number of passes is the layout's markers, found while walking).
struct edge_tok {
    u32 src;
    u16 weight;  // COEF bits of edge_w[e]; unused without EDGE_WEIGHT
    bool last;
    bool pass_end;
    bool call_end;
    row_plan plan;
};

// neighbour fetch -> accumulate: one neighbour's contribution, LANES elements at a time; `last`
// (data unused) closes row `plan` or, with `pass_end` (and `call_end`), the pass (and the call),
// so empty rows cost no chunks.
struct chunk_tok {
    chunk_t data;
    bool last;
    bool pass_end;
    bool call_end;
    row_plan plan;
};

// accumulate -> epilogue -> write_rows: a finished row's id ahead of its chunks; `end` closes the
// call (the number of finished rows is the layout's, not known in advance in TILED mode).
struct out_row_tok {
    u32 v;
    bool end;
};

// The call's scalar arguments plus what the argument check derived from them.
struct call_t {
    addr_t row_ptr, col_idx, edge_w, src_scale, dst_scale, feat_in, weight, feat_out, acc_buf;
    u32 n_dst, n_src, n_edges, feat_dim, mode;
    u32 n_pairs;     // TILED: (row word, edge end) pairs in row_ptr
    u32 chunks;      // feat_dim / LANES
    u32 table_rows;  // source rows per partition (n_src in DRAM-gather mode)
    u32 parts;       // source partitions P: one pass each (TILED: one pass per marker)
};

}  // namespace gnn

#endif  // GNN_AGG_TYPES_H
