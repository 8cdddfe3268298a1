// gnn_agg_accum: the accumulate stage of one processing element, with its node table.
//
// Edge tokens arrive in CSR order: an edge that contributes in this pass (source row in the
// table, or, in DRAM-gather mode, a row that arrives from memory) or a row end. Every cycle one lane word (LANES elements) of
// one edge enters a fixed 4-stage pipeline, so an edge of feat_dim F takes F/LANES cycles:
//   I  issue: table read address (or take the gathered word)
//   S1 data:  t = PRE_SCALE in gather mode ? q(src_scale[u] * x) : x   (table rows are pre-scaled)
//   S2 edge:  m = EDGE_WEIGHT ? q(edge_w[e] * t) : t
//   S3 add:   acc[k] += m     (exact 32-bit lanes); a row end hands acc to the epilogue and clears it
// The only stall point is the issue stage, so no pipeline register ever needs a hold path.
module gnn_agg_accum
#(
    parameter int LANES = 16,
    parameter int MAX_FEAT = 256,
    parameter int TABLE_ELEMS = 131072,
    parameter int BUS_BITS = 64,
    localparam int MAX_WPR = MAX_FEAT / LANES,
    localparam int KW = $clog2(MAX_WPR + 1),
    localparam int KIW = MAX_WPR > 1 ? $clog2(MAX_WPR) : 1,   // index into a row's lane words
    localparam int TABLE_WORDS = TABLE_ELEMS / LANES,
    localparam int TAW = $clog2(TABLE_WORDS),
    localparam int LANE_SEL_W = $clog2(BUS_BITS / 16)
) (
    input  logic                       clk,
    input  logic                       rst_n,
    input  logic [KW-1:0]              wpr,          // lane words per row = feat_dim / LANES
    input  logic                       gather,       // DRAM_GATHER: rows come from gather_*
    input  logic                       pre_scale,    // PRE_SCALE (applied here only in gather mode)
    input  logic                       edge_weight,  // EDGE_WEIGHT
    // node table write port (the loader)
    input  logic                       tw_en,
    input  logic [TAW-1:0]             tw_addr,
    input  logic [LANES*16-1:0]        tw_data,
    // edge tokens
    input  logic                       tok_valid,
    output logic                       tok_ready,
    input  logic                       tok_row_end,
    input  logic [TAW-1:0]             tok_row,      // table row of the source (table mode)
    input  logic [15:0]                tok_weight,
    input  logic [LANE_SEL_W-1:0]      tok_scale_lane,
    // DRAM-gather data: the source row's lane words, and the bus word holding src_scale[u]
    input  logic                       gather_valid,
    output logic                       gather_ready,
    input  logic [LANES*16-1:0]        gather_data,
    input  logic                       gscale_valid,
    output logic                       gscale_ready,
    input  logic [BUS_BITS-1:0]        gscale_data,
    // row hand-off to the epilogue
    input  logic                       epilogue_free,
    output logic                       row_done,     // one cycle: acc_flat holds the finished row
    output logic [MAX_WPR*LANES*32-1:0] acc_flat,
    // statistics
    output logic                       edge_done,    // one cycle per accumulated edge
    output logic                       starved,      // the issue stage waits for data
    output logic                       busy
);
  initial if (TABLE_WORDS != (1 << TAW)) $fatal(1, "gnn_agg_accum: TABLE_ELEMS / LANES must be a power of two");

  logic [LANES*16-1:0] table_mem[TABLE_WORDS];
  logic [LANES*16-1:0] table_q;

  // ---------------- issue
  logic [KW-1:0] k;
  logic last_word;
  assign last_word = k == wpr - 1'b1;
  logic s1_v, s1_end, s2_v, s2_end, s3_v, s3_end;
  logic end_in_flight;
  assign end_in_flight = (s1_v && s1_end) || (s2_v && s2_end) || (s3_v && s3_end);

  logic data_ready, issue_end, issue_word;
  assign data_ready = !gather || (gather_valid && (!pre_scale || gscale_valid));
  assign issue_end = tok_valid && tok_row_end && epilogue_free && !end_in_flight;
  assign issue_word = tok_valid && !tok_row_end && data_ready;
  assign tok_ready = issue_end || (issue_word && last_word);
  assign gather_ready = issue_word && gather;
  assign gscale_ready = issue_word && gather && pre_scale && last_word;
  assign starved = !tok_valid || (!tok_row_end && !data_ready);
  assign edge_done = issue_word && last_word;

  logic [TAW-1:0] raddr;
  assign raddr = TAW'(tok_row * wpr) + TAW'(k);

  always_ff @(posedge clk) begin
    if (tw_en) table_mem[tw_addr] <= tw_data;
    if (issue_word && !gather) table_q <= table_mem[raddr];
  end

  // ---------------- pipeline registers
  logic [KIW-1:0] s1_k, s2_k, s3_k;
  logic [15:0] s1_w, s2_w, s1_scale;
  logic [LANES*16-1:0] s1_gdata, s2_t, s3_m;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      k <= '0;
      {s1_v, s2_v, s3_v} <= '0;
    end else begin
      if (issue_word) k <= last_word ? '0 : k + 1'b1;
      s1_v <= issue_word || issue_end;
      s2_v <= s1_v;
      s3_v <= s2_v;
    end
  end

  always_ff @(posedge clk) begin
    s1_end <= issue_end;
    s1_k <= KIW'(k);
    s1_w <= tok_weight;
    s1_scale <= gscale_data[int'(tok_scale_lane) * 16 +: 16];
    s1_gdata <= gather_data;
    s2_end <= s1_end;
    s2_k <= s1_k;
    s2_w <= s1_w;
    s3_end <= s2_end;
    s3_k <= s2_k;
  end

  // S1 -> S2: pre-scale of gathered rows
  logic [LANES*16-1:0] s1_x;
  assign s1_x = gather ? s1_gdata : table_q;
  always_ff @(posedge clk) begin
    for (int l = 0; l < LANES; l++) begin
      logic signed [15:0] x;
      x = s1_x[16*l +: 16];
      s2_t[16*l +: 16] <= (gather && pre_scale)
          ? gnn_agg_pkg::scale_feat(s1_scale, x) : x;
    end
  end

  // S2 -> S3: per-edge weight
  always_ff @(posedge clk) begin
    for (int l = 0; l < LANES; l++) begin
      logic signed [15:0] t;
      t = s2_t[16*l +: 16];
      s3_m[16*l +: 16] <= edge_weight ? gnn_agg_pkg::scale_feat(s2_w, t) : t;
    end
  end

  // S3: accumulate
  logic signed [31:0] acc[MAX_WPR][LANES];
  always_ff @(posedge clk) begin
    if (!rst_n || (s3_v && s3_end)) begin
      for (int w = 0; w < MAX_WPR; w++)
        for (int l = 0; l < LANES; l++) acc[w][l] <= '0;
    end else if (s3_v) begin
      for (int l = 0; l < LANES; l++)
        acc[s3_k][l] <= acc[s3_k][l] + 32'($signed(s3_m[16*l +: 16]));
    end
  end
  assign row_done = s3_v && s3_end;
  always_comb
    for (int w = 0; w < MAX_WPR; w++)
      for (int l = 0; l < LANES; l++) acc_flat[(w*LANES + l)*32 +: 32] = acc[w][l];

  assign busy = s1_v || s2_v || s3_v;
endmodule
