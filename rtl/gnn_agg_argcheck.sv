// gnn_agg_argcheck: the argument checks of a run, before any memory access (docs/CONTRACT.md,
// "Errors"). Combinational; gnn_agg_seq samples the results in its CHECK_DIM and CHECK_PTRS
// states:
//   dim_err   feat_dim is 0, above MAX_FEAT or not a multiple of LANES (the run stops at once);
//   mode_err  unknown mode bits, or IDX16 with more than IDX16_MAX_SRC sources; TILED with
//             DRAM_GATHER or IDX16, with n_pairs = 0 or with more rows than a tile word names;
//   ptr_err   ERR_ARG / ERR_ALIGN / ERR_RANGE bits for the buffers the run uses: a used pointer
//             is NULL, not BUFFER_ALIGN-aligned, or its buffer runs past the 64-bit address space;
//             ERR_ARG also for TILED with R above TILED_MAX_ROWS (16-bit local indices).
// It also gives the byte size of every buffer (`bytes`), from which the sequencer sizes the
// one-per-pass read commands.
`default_nettype none

module gnn_agg_argcheck #(
    parameter int LANES = 16,            // gnn_agg's parameters of the same names
    parameter int MAX_FEAT = 256,   // largest feat_dim
    parameter int TABLE_ELEMS = 131072,   // node table capacity in elements
    parameter int FEAT_BITS = 16,   // FEAT element width: 8 or 16
    localparam int LOG_LANES = $clog2(LANES),   // log2(LANES)
    localparam int FW = $clog2(MAX_FEAT + 1),       // bits of feat_dim
    localparam int QB = $clog2(TABLE_ELEMS + 1),    // bits of R = TABLE_ELEMS / feat_dim
    localparam int N_PTRS = 9                       // pointer arguments (row_ptr .. acc_buf)
) (
    // the run's arguments as the sequencer latched them
    input  logic [N_PTRS-1:0][63:0] ptr,        // contract order: row_ptr .. acc_buf
    input  logic [31:0]             n_dst,
    input  logic [31:0]             n_src,
    input  logic [31:0]             n_edges,
    input  logic [31:0]             feat_dim_arg,   // feat_dim as written
    input  logic [31:0]             mode,
    input  logic [31:0]             n_pairs,        // TILED: pairs of the tile layout
    // derived, valid once dim_err is clear (CHECK_PTRS)
    input  logic [FW-1:0]           feat_dim,
    input  logic [15:0]             row_bytes,      // feat_dim * FEAT_BITS / 8
    input  logic [QB-1:0]           rows_per_part,  // R: sources per table partition
    output logic                    dim_err,
    output logic                    mode_err,
    output logic [gnn_agg_pkg::ERR_BITS-1:0] ptr_err,
    output logic [N_PTRS-1:0][64:0] bytes           // bytes of each buffer the run touches
);
  localparam int ACC_BUF_BITS = gnn_agg_pkg::ACC_BUF_BITS;   // acc_buf element width in memory

  logic pre, post, ew, apply_w, gather, idx16, tiled;
  assign pre = mode[gnn_agg_pkg::MODE_PRE_SCALE];
  assign post = mode[gnn_agg_pkg::MODE_POST_SCALE];
  assign ew = mode[gnn_agg_pkg::MODE_EDGE_WEIGHT];
  assign apply_w = mode[gnn_agg_pkg::MODE_APPLY_W];
  assign gather = mode[gnn_agg_pkg::MODE_DRAM_GATHER];
  assign idx16 = mode[gnn_agg_pkg::MODE_IDX16];
  assign tiled = mode[gnn_agg_pkg::MODE_TILED];

  // feat_dim must be a positive multiple of LANES (= lcm(LANES, BUS_BITS/FEAT_BITS)), <= MAX_FEAT
  assign dim_err = feat_dim_arg == 0 || feat_dim_arg > 32'(MAX_FEAT) || feat_dim_arg[LOG_LANES-1:0] != 0;
  assign mode_err = mode[31:gnn_agg_pkg::MODE_BITS] != 0 || (idx16 && n_src > 32'(gnn_agg_pkg::IDX16_MAX_SRC)) ||
                    (tiled && (gather || idx16 || n_pairs == 0 || n_dst > 32'(gnn_agg_pkg::TILED_MAX_DST)));

  logic [N_PTRS-1:0] used;   // the run reads or writes buffer i
  always_comb begin
    bytes[0] = tiled ? 65'(n_pairs) << 3                      // row_ptr: tile pairs
                     : 65'({1'b0, n_dst} + 33'd1) << 2;       //   or n_dst + 1 entries
    bytes[1] = 65'(n_edges) << (idx16 || tiled ? 1 : 2);      // col_idx
    bytes[2] = 65'(n_edges) << 1;                             // edge_w
    bytes[3] = 65'(n_src) << 1;                               // src_scale
    bytes[4] = 65'(n_dst) << 1;                               // dst_scale
    bytes[5] = 65'(n_src) * 65'(row_bytes);                   // feat_in
    bytes[6] = 65'(feat_dim) * 65'(row_bytes);                // weight
    bytes[7] = 65'(n_dst) * 65'(row_bytes);                   // feat_out
    bytes[8] = bytes[7] << $clog2(ACC_BUF_BITS / FEAT_BITS);  // acc_buf: 32-bit elements
    used = {!gather && {1'b0, n_src} > 33'(rows_per_part) && n_dst != 0,  // acc_buf: several partitions
            n_dst != 0, apply_w, n_src != 0, post && n_dst != 0, pre && n_src != 0,
            ew && n_edges != 0, n_edges != 0, 1'b1};
  end

  always_comb begin
    ptr_err = '0;
    if (tiled && 33'(rows_per_part) > 33'(gnn_agg_pkg::TILED_MAX_ROWS)) ptr_err[gnn_agg_pkg::ERR_ARG] = 1'b1;
    for (int i = 0; i < N_PTRS; i++) begin
      if (used[i]) begin
        if (ptr[i] == 64'd0) ptr_err[gnn_agg_pkg::ERR_ARG] = 1'b1;
        if (ptr[i][5:0] != 6'd0) ptr_err[gnn_agg_pkg::ERR_ALIGN] = 1'b1;
        if ({1'b0, ptr[i]} + bytes[i] > {1'b1, 64'd0}) ptr_err[gnn_agg_pkg::ERR_RANGE] = 1'b1;
      end
    end
  end
endmodule

`default_nettype wire
