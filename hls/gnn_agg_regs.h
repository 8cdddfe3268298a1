/*
 * gnn_agg_regs.h -- the gnn_agg interface contract (docs/CONTRACT.md, version 1) in C.
 *
 * Register byte offsets in s_axi_control, mode bits, stat_error bits and the magic word. The same
 * numbers live in golden/contract.py and rtl/gnn_agg_pkg.sv; tests check that all agree.
 * Plain C so that drivers and testbenches can include it without the HLS headers.
 */
#ifndef GNN_AGG_REGS_H
#define GNN_AGG_REGS_H

/* s_axi_control register offsets (bytes) */
#define GNN_AGG_REG_CTRL 0x00
#define GNN_AGG_REG_GIE 0x04
#define GNN_AGG_REG_IER 0x08
#define GNN_AGG_REG_ISR 0x0C
#define GNN_AGG_REG_ROW_PTR 0x10
#define GNN_AGG_REG_COL_IDX 0x1C
#define GNN_AGG_REG_EDGE_W 0x28
#define GNN_AGG_REG_SRC_SCALE 0x34
#define GNN_AGG_REG_DST_SCALE 0x40
#define GNN_AGG_REG_FEAT_IN 0x4C
#define GNN_AGG_REG_WEIGHT 0x58
#define GNN_AGG_REG_FEAT_OUT 0x64
#define GNN_AGG_REG_ACC_BUF 0x70
#define GNN_AGG_REG_N_DST 0x7C
#define GNN_AGG_REG_N_SRC 0x84
#define GNN_AGG_REG_N_EDGES 0x8C
#define GNN_AGG_REG_FEAT_DIM 0x94
#define GNN_AGG_REG_MODE 0x9C
#define GNN_AGG_REG_STAT_CYCLES 0xA4
#define GNN_AGG_REG_STAT_EDGES 0xAC
#define GNN_AGG_REG_STAT_STALLS 0xB4
#define GNN_AGG_REG_STAT_RD_BEATS 0xBC
#define GNN_AGG_REG_STAT_WR_BEATS 0xC4
#define GNN_AGG_REG_STAT_ERROR 0xCC
#define GNN_AGG_REG_HW_MAGIC 0xD4
#define GNN_AGG_REG_HW_PARAMS 0xDC
#define GNN_AGG_REG_HW_MAX_FEAT 0xE4
#define GNN_AGG_REG_HW_TABLE_ELEMS 0xEC
#define GNN_AGG_REG_HW_FORMATS 0xF4
/* RTL kernel only: the HLS kernel has no AXI response time-out (docs/HLS.md); 0xFC reads 0 there */
#define GNN_AGG_REG_TIMEOUT 0xFC
/* the tiled layout's pair count (MODE_TILED), past the block above: 0x100, 0x104 reserved */
#define GNN_AGG_REG_N_PAIRS 0x100

/* mode register bits */
#define GNN_AGG_MODE_PRE_SCALE (1u << 0)
#define GNN_AGG_MODE_POST_SCALE (1u << 1)
#define GNN_AGG_MODE_EDGE_WEIGHT (1u << 2)
#define GNN_AGG_MODE_APPLY_W (1u << 3)
#define GNN_AGG_MODE_RELU (1u << 4)
#define GNN_AGG_MODE_DRAM_GATHER (1u << 5)
#define GNN_AGG_MODE_IDX16 (1u << 6)
#define GNN_AGG_MODE_TILED (1u << 7)

/* stat_error bits: ARG/ALIGN/RANGE are found before any memory access, the rest while running */
#define GNN_AGG_ERR_ARG (1u << 0)
#define GNN_AGG_ERR_ALIGN (1u << 1)
#define GNN_AGG_ERR_RANGE (1u << 2)
#define GNN_AGG_ERR_ROW_PTR (1u << 3)
#define GNN_AGG_ERR_INDEX (1u << 4)
#define GNN_AGG_ERR_AXI_RD (1u << 5)
#define GNN_AGG_ERR_AXI_WR (1u << 6)
#define GNN_AGG_ERR_TIMEOUT (1u << 7)

#define GNN_AGG_HW_MAGIC 0x474E4101u

/* memory layout rules */
#define GNN_AGG_BUFFER_ALIGN 64u
#define GNN_AGG_MAX_DEGREE 65536u
/* the tiled layout (MODE_TILED): a tile pair's row word is v | flags */
#define GNN_AGG_TILE_END (1u << 29)
#define GNN_AGG_TILE_ADD (1u << 30)
#define GNN_AGG_TILE_FIN (1u << 31)
#define GNN_AGG_TILED_MAX_ROWS 65536u
#define GNN_AGG_IDX16_MAX_SRC 65536u
/* scales and edge weights are unsigned 16-bit containers; acc_buf elements are 32-bit (the
   accumulator sign-extended); the other formats are build parameters (gnn_agg_types.h) */
#define GNN_AGG_COEF_BITS 16u
#define GNN_AGG_ACC_BUF_BITS 32u

#endif /* GNN_AGG_REGS_H */
