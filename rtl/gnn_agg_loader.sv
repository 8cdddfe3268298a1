// gnn_agg_loader: fills the node table (or the W memory) from the feature-row read stream.
// A load command -- source row src0, nrows rows, first table row row0, or W (to_w) -- issues the
// reads itself: feat_in rows [src0, src0 + nrows) (W: feat_dim rows of `weight`) on the feature
// stream and, with pre_scale, their src_scale entries on the scale stream (starting inside a bus
// word when src0 is not word-aligned: scale_start/skip/count set up the scale unpacker). The
// rows are then written one lane word per cycle into consecutive table rows from row0 (table
// row r lives in bank r % PES), each element multiplied by its row's src_scale with pre_scale
// (W is never scaled). Table loads and the W load share the counters below.
//
// A command is taken when both streams take theirs (cmd_ready) and must only be given while
// the loader is not busy. `last` marks the cycle the final lane word is written.
`default_nettype none

module gnn_agg_loader #(
    parameter int BUS_BITS = 64,          // gnn_agg's parameters of the same names
    parameter int LANES = 16,   // feature elements per lane word
    parameter int MAX_FEAT = 256,   // largest feat_dim
    parameter int TABLE_ELEMS = 131072,   // node table capacity in elements
    parameter int FEAT_BITS = 16,   // FEAT element width: 8 or 16
    parameter int COEF_FRAC = 15,   // src_scale fraction bits
    parameter int BEATS_W = 40,           // width of a read command's beat count
    localparam int BUS_BYTES = BUS_BITS / 8,   // bus width in bytes
    localparam int MAX_WPR = MAX_FEAT / LANES,      // most lane words per row
    localparam int KW = $clog2(MAX_WPR + 1),        // bits of a lane-word count (wpr)
    localparam int TABLE_WORDS = TABLE_ELEMS / LANES,   // lane words of the table
    localparam int TAW = $clog2(TABLE_WORDS),       // bits of a table row number
    localparam int W_WORDS = MAX_FEAT * MAX_WPR,     // lane words of W
    localparam int WAW = $clog2(W_WORDS),           // bits of a W word address
    localparam int LANE_SEL_W = $clog2(BUS_BITS / gnn_agg_pkg::COEF_BITS)  // COEF elements per bus word
) (
    input  logic                       clk,
    input  logic                       rst_n,
    // run configuration, stable during a run
    input  logic [KW-1:0]              wpr,          // lane words per row = feat_dim / LANES
    input  logic [15:0]                row_bytes,    // feat_dim * FEAT_BITS / 8
    input  logic [15:0]                row_beats,    // row_bytes / BUS_BYTES
    input  logic                       pre_scale,    // PRE_SCALE: scale table rows by src_scale
    input  logic [63:0]                feat_in,
    input  logic [63:0]                weight,
    input  logic [63:0]                src_scale,
    // load command
    input  logic                       cmd_valid,
    output logic                       cmd_ready,
    input  logic                       cmd_to_w,     // load W (nrows = feat_dim) instead of table rows
    input  logic [32:0]                cmd_src0,     // first source row
    input  logic [32:0]                cmd_nrows,    // rows
    input  logic [TAW-1:0]             cmd_row0,     // first table row
    // read commands: feature rows (gnn_agg_pkg::RD_FEAT) and src_scale (RD_SRC_SCALE)
    output logic                       feat_cmd_valid,
    input  logic                       feat_cmd_ready,
    output logic [63:0]                feat_cmd_addr,
    output logic [BEATS_W-1:0]         feat_cmd_beats,
    output logic                       scale_cmd_valid,
    input  logic                       scale_cmd_ready,
    output logic [63:0]                scale_cmd_addr,
    output logic [BEATS_W-1:0]         scale_cmd_beats,
    // the src_scale unpacker's run (gnn_agg_unpack start/skip/count)
    output logic                       scale_start,
    output logic [LANE_SEL_W-1:0]      scale_skip,
    output logic [32:0]                scale_count,
    // data: lane words of the rows, and one src_scale entry per row
    input  logic                       feat_valid,
    output logic                       feat_ready,
    input  logic [LANES*FEAT_BITS-1:0] feat_data,
    input  logic                       scale_valid,
    output logic                       scale_ready,
    input  logic [15:0]                scale_data,
    // writes: node table (tw_*) or W memory (ww_*), same data
    output logic                       tw_en,
    output logic [TAW-1:0]             tw_row,
    output logic [KW-1:0]              tw_k,         // lane word within the row
    output logic                       ww_en,
    output logic [WAW-1:0]             ww_addr,
    output logic [LANES*FEAT_BITS-1:0] wr_data,
    output logic                       busy,         // a load is in progress
    output logic                       last          // one cycle: the load's last word is written
);
  localparam int LOG_BB = $clog2(BUS_BYTES);   // log2 of the bus width in bytes
  localparam int LDW = (TAW > WAW ? TAW : WAW) + 1;  // counts lane words of the table or of W

  // ---- command: both read commands go out in the cycle it is taken
  logic accept;
  assign cmd_ready = feat_cmd_ready && scale_cmd_ready;
  assign accept = cmd_valid && cmd_ready;

  function automatic logic [BEATS_W-1:0] beats_of(input logic [64:0] nbytes);
    beats_of = BEATS_W'((nbytes + 65'(BUS_BYTES - 1)) >> LOG_BB);
  endfunction

  assign feat_cmd_valid = accept;
  assign feat_cmd_addr = cmd_to_w ? weight : feat_in + 64'(cmd_src0) * 64'(row_bytes);
  assign feat_cmd_beats = BEATS_W'(cmd_nrows) * BEATS_W'(row_beats);
  assign scale_cmd_valid = accept && !cmd_to_w && pre_scale;
  assign scale_cmd_addr = (src_scale + 64'({cmd_src0, 1'b0})) & ~(64'(BUS_BYTES - 1));
  assign scale_cmd_beats = beats_of(65'({cmd_src0[LANE_SEL_W-1:0], 1'b0}) + 65'({cmd_nrows, 1'b0}));
  assign scale_start = accept && !cmd_to_w;
  assign scale_skip = cmd_src0[LANE_SEL_W-1:0];
  assign scale_count = pre_scale ? cmd_nrows : 33'd0;

  // ---- counters of the load in progress
  logic active, to_w;
  logic [LDW-1:0] words_left;   // lane words still to write
  logic [LDW-1:0] w_addr;       // W word being written
  logic [KW-1:0] k;             // lane word within the row
  logic [TAW-1:0] row;          // table row being written
  logic fire, scaled;
  assign scaled = pre_scale && !to_w;
  assign fire = active && feat_valid && (!scaled || scale_valid);
  assign busy = active;
  assign last = fire && words_left == 1;
  assign feat_ready = fire;
  assign scale_ready = fire && scaled && k == wpr - 1'b1;   // a row's entry goes with its last word

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      active <= 1'b0;
      to_w <= 1'b0;
      words_left <= '0;
      w_addr <= '0;
      k <= '0;
      row <= '0;
    end else begin
      if (fire) begin
        w_addr <= w_addr + 1'b1;
        k <= k == wpr - 1'b1 ? '0 : k + 1'b1;
        if (k == wpr - 1'b1) row <= row + 1'b1;
        words_left <= words_left - 1'b1;
        if (words_left == 1) active <= 1'b0;
      end
      if (accept) begin   // never while active, so never with fire
        active <= 1'b1;
        to_w <= cmd_to_w;
        words_left <= LDW'(cmd_nrows * 33'(wpr));
        w_addr <= '0;
        k <= '0;
        row <= cmd_row0;
      end
    end
  end

  // ---- data: q(src_scale * x) per element with pre_scale, else as read
  always_comb begin
    for (int l = 0; l < LANES; l++) begin
      logic signed [FEAT_BITS-1:0] x;
      x = feat_data[FEAT_BITS*l +: FEAT_BITS];
      wr_data[FEAT_BITS*l +: FEAT_BITS] = scaled
          ? FEAT_BITS'(gnn_agg_pkg::scale_feat(scale_data, gnn_agg_pkg::MAX_FEAT_BITS'(x), COEF_FRAC, FEAT_BITS))
          : x;
    end
  end

  assign tw_en = fire && !to_w;
  assign tw_row = row;
  assign tw_k = k;
  assign ww_en = fire && to_w;
  assign ww_addr = w_addr[WAW-1:0];
endmodule

`default_nettype wire
