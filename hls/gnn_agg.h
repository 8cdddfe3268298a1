/*
 * gnn_agg.h -- top function of the gnn_agg HLS kernel (docs/CONTRACT.md, docs/HLS.md).
 *
 * The nine buffer addresses are 64-bit s_axilite scalars (12-byte slots, the contract's register
 * map) rather than offset=slave pointers, so that the kernel itself can check alignment and
 * wrap-around before it issues any address. All memory traffic goes through one m_axi port
 * (bundle gmem, offset=off: absolute addresses); the seven gmem_* pointers are that one port seen
 * by the seven dataflow processes that use it (Vitis allows one accessing process per argument),
 * and callers pass the same base pointer (address 0) to all seven.
 */
#ifndef GNN_AGG_H
#define GNN_AGG_H

#include "gnn_agg_types.h"

void gnn_agg(const gnn::bus_t *gmem_row_ptr, const gnn::bus_t *gmem_col_idx,
             const gnn::bus_t *gmem_edge_w, const gnn::bus_t *gmem_nodes, gnn::bus_t *gmem_acc,
             const gnn::bus_t *gmem_epilogue, gnn::bus_t *gmem_out,
             gnn::addr_t row_ptr, gnn::addr_t col_idx, gnn::addr_t edge_w, gnn::addr_t src_scale,
             gnn::addr_t dst_scale, gnn::addr_t feat_in, gnn::addr_t weight, gnn::addr_t feat_out,
             gnn::addr_t acc_buf,
             gnn::u32 n_dst, gnn::u32 n_src, gnn::u32 n_edges, gnn::u32 feat_dim, gnn::u32 mode,
             gnn::u32 n_pairs,
             gnn::u32 &stat_cycles, gnn::u32 &stat_edges, gnn::u32 &stat_stalls,
             gnn::u32 &stat_rd_beats, gnn::u32 &stat_wr_beats, gnn::u32 &stat_error,
             gnn::u32 &hw_magic, gnn::u32 &hw_params, gnn::u32 &hw_max_feat,
             gnn::u32 &hw_table_elems, gnn::u32 &hw_formats);

#endif  // GNN_AGG_H
