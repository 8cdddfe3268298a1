// gnn_agg_accum: one processing element: its node-table bank and its accumulate pipeline.
//
// Entries arrive from the distributor in CSR order: 0..SLOTS edges of one destination row whose
// sources live in this bank (or, in DRAM-gather mode, whose rows arrive from memory), plus the
// row-end flag. The edges are taken one at a time; every cycle one lane word (LANES elements) of
// one edge enters a fixed 4-stage pipeline, so an edge of feat_dim F takes F/LANES cycles:
//   I  issue: bank read address (or take the gathered word)
//   S1 data:  t = PRE_SCALE in gather mode ? q(src_scale[u] * x) : x   (table rows are pre-scaled)
//   S2 edge:  m = EDGE_WEIGHT ? q(edge_w[e] * t) : t
//   S3 add:   acc[slot][k] += m   (exact ACC_BITS lanes)
// The row end rides on the last word of the entry's last edge (an entry without edges issues
// one empty cycle); when it reaches S3 the slot is finished and the next one takes the next
// row. ACC_SLOTS accumulator slots (a word is valid once written, so a slot is cleared by
// dropping its valid bits) form this PE's queue of finished partial rows; the reducer reads the
// oldest one word by word (rd_*) and releases it. A row end issues only if a free slot will be
// there for the row after it, so no pipeline register ever needs a hold path.
`default_nettype none

module gnn_agg_accum
#(
    parameter int LANES = 16,   // feature elements added per cycle
    parameter int MAX_FEAT = 256,   // largest feat_dim
    parameter int BANK_WORDS = 8192,      // lane words of this PE's table bank (a power of two)
    parameter int BUS_BITS = 64,   // m_axi_gmem data width (gather: src_scale words)
    parameter int SLOTS = 1,              // edges per entry
    parameter int ACC_SLOTS = 4,          // accumulator slots (a power of two >= 2)
    parameter int BANK = 0,               // this PE's bank: it holds table rows r = BANK mod PES
    parameter int TAW = 13,               // table row bits
    parameter int FEAT_BITS = 16,         // number formats (gnn_agg's parameters)
    parameter int COEF_FRAC = 15,   // scale / edge-weight fraction bits
    parameter int ACC_BITS = 32,   // accumulator width
    localparam int MAX_WPR = MAX_FEAT / LANES,   // most lane words per row
    localparam int KW = $clog2(MAX_WPR + 1),   // bits of wpr (0..MAX_WPR)
    localparam int KIW = MAX_WPR > 1 ? $clog2(MAX_WPR) : 1,   // index into a row's lane words
    localparam int BAW = BANK_WORDS > 1 ? $clog2(BANK_WORDS) : 1,   // bits of a bank word address
    localparam int SCW = $clog2(SLOTS + 1),   // bits of an entry's edge count (0..SLOTS)
    localparam int LANE_SEL_W = $clog2(BUS_BITS / gnn_agg_pkg::COEF_BITS)   // bits selecting a COEF element in a bus word
) (
    input  logic                       clk,
    input  logic                       rst_n,
    input  logic [KW-1:0]              wpr,          // lane words per row = feat_dim / LANES
    input  logic                       gather,       // DRAM_GATHER: rows come from gather_*
    input  logic                       pre_scale,    // PRE_SCALE (applied here only in gather mode)
    input  logic                       edge_weight,  // EDGE_WEIGHT
    input  logic [TAW:0]               ready_lo,     // table rows >= ready_lo are loaded
    // node table bank write port (the loader)
    input  logic                       tw_en,
    input  logic [BAW-1:0]             tw_addr,
    input  logic [LANES*FEAT_BITS-1:0] tw_data,
    // entries
    input  logic                       ent_valid,
    output logic                       ent_ready,
    input  logic                       ent_end,
    input  logic [SCW-1:0]             ent_cnt,
    input  logic [SLOTS-1:0][BAW-1:0]  ent_row,      // bank row of each edge's source (table mode)
    input  logic [SLOTS-1:0][15:0]     ent_weight,
    input  logic [LANE_SEL_W-1:0]      ent_scale_lane,
    // DRAM-gather data: the source row's lane words, and the bus word holding src_scale[u]
    input  logic                       gather_valid,
    output logic                       gather_ready,
    input  logic [LANES*FEAT_BITS-1:0] gather_data,
    input  logic                       gscale_valid,
    output logic                       gscale_ready,
    input  logic [BUS_BITS-1:0]        gscale_data,
    // finished partial rows, oldest first
    output logic                       part_valid,
    input  logic [KIW-1:0]             rd_k,
    output logic [LANES*ACC_BITS-1:0]  rd_word,
    input  logic                       release_part,
    // statistics
    output logic                       edge_done,    // one cycle per accumulated edge
    output logic                       starved,      // the issue stage waits for data
    output logic                       busy
);
  localparam int SLW = $clog2(ACC_SLOTS);   // bits of an accumulator slot number
  localparam int AAW = SLW + KIW;   // bits of an accumulator memory address (slot, lane word)
  initial if (ACC_SLOTS != (1 << SLW) || ACC_SLOTS < 2) $fatal(1, "gnn_agg_accum: ACC_SLOTS must be a power of two >= 2");

  logic [LANES*FEAT_BITS-1:0] table_mem[BANK_WORDS];
  logic [LANES*FEAT_BITS-1:0] table_q;

  // ---------------- entry -> one edge (or a bare row end) at a time
  logic [SCW-1:0] j;
  logic has_edge, last_edge, tok_end;
  logic [BAW-1:0] tok_row;
  logic [15:0] tok_weight;
  assign has_edge = ent_cnt != 0;
  assign last_edge = !has_edge || j == ent_cnt - 1'b1;
  assign tok_end = ent_end && last_edge;
  if (SLOTS > 1) begin : g_slots
    assign tok_row = ent_row[j[$clog2(SLOTS)-1:0]];
    assign tok_weight = ent_weight[j[$clog2(SLOTS)-1:0]];
  end else begin : g_one
    assign tok_row = ent_row[0];
    assign tok_weight = ent_weight[0];
  end

  // ---------------- issue
  logic [KW-1:0] k;
  logic last_word;
  assign last_word = k == wpr - 1'b1;
  logic s1_v, s1_end, s1_add, s2_v, s2_end, s2_add, s3_v, s3_end, s3_add;
  logic [SLW:0] full_cnt;   // finished slots waiting for the reducer
  logic [1:0] ends_in_flight;
  assign ends_in_flight = 2'(s1_v && s1_end) + 2'(s2_v && s2_end) + 2'(s3_v && s3_end);
  logic credit;             // a row end may issue: the row after it gets a free slot
  assign credit = 32'(full_cnt) + 32'(ends_in_flight) + 1 < ACC_SLOTS;

  logic data_ready, issue_end, issue_word;
  assign data_ready = !gather || (gather_valid && (!pre_scale || gscale_valid));
  // table row of the edge = bank row * PES + BANK (SLOTS = PES)
  logic row_loaded;
  assign row_loaded = gather || 64'(tok_row) * 64'(SLOTS) + 64'(BANK) >= 64'(ready_lo);
  assign issue_word = ent_valid && has_edge && data_ready && row_loaded && (!(tok_end && last_word) || credit);
  assign issue_end = ent_valid && (has_edge ? issue_word && last_word && tok_end : ent_end && credit);
  assign ent_ready = issue_end || (issue_word && last_word && last_edge);
  assign gather_ready = issue_word && gather;
  assign gscale_ready = issue_word && gather && pre_scale && last_word;
  assign starved = !ent_valid || (has_edge && (!data_ready || !row_loaded));
  assign edge_done = issue_word && last_word;

  logic [BAW-1:0] raddr;
  assign raddr = BAW'(tok_row * wpr) + BAW'(k);

  always_ff @(posedge clk) begin
    if (tw_en) table_mem[tw_addr] <= tw_data;
    if (issue_word && !gather) table_q <= table_mem[raddr];
  end

  logic [KIW-1:0] s1_k, s2_k, s3_k;
  logic [15:0] s1_w, s2_w, s1_scale;
  logic [LANES*FEAT_BITS-1:0] s1_gdata, s2_t, s3_m;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      k <= '0;
      j <= '0;
      {s1_v, s2_v, s3_v} <= '0;
    end else begin
      if (issue_word) k <= last_word ? '0 : k + 1'b1;
      if (ent_ready) j <= '0;
      else if (issue_word && last_word) j <= j + 1'b1;
      s1_v <= issue_word || issue_end;
      s2_v <= s1_v;
      s3_v <= s2_v;
    end
  end

  always_ff @(posedge clk) begin
    s1_end <= issue_end;
    s1_add <= issue_word;
    s1_k <= KIW'(k);
    s1_w <= tok_weight;
    s1_scale <= gscale_data[int'(ent_scale_lane) * 16 +: 16];
    s1_gdata <= gather_data;
    s2_end <= s1_end;
    s2_add <= s1_add;
    s2_k <= s1_k;
    s2_w <= s1_w;
    s3_end <= s2_end;
    s3_add <= s2_add;
    s3_k <= s2_k;
  end

  // S1 -> S2: pre-scale of gathered rows
  logic [LANES*FEAT_BITS-1:0] s1_x;
  assign s1_x = gather ? s1_gdata : table_q;
  always_ff @(posedge clk) begin
    for (int l = 0; l < LANES; l++) begin
      logic signed [FEAT_BITS-1:0] x;
      x = s1_x[FEAT_BITS*l +: FEAT_BITS];
      s2_t[FEAT_BITS*l +: FEAT_BITS] <= (gather && pre_scale)
          ? FEAT_BITS'(gnn_agg_pkg::scale_feat(s1_scale, gnn_agg_pkg::MAX_FEAT_BITS'(x), COEF_FRAC, FEAT_BITS))
          : x;
    end
  end

  // S2 -> S3: per-edge weight
  always_ff @(posedge clk) begin
    for (int l = 0; l < LANES; l++) begin
      logic signed [FEAT_BITS-1:0] t;
      t = s2_t[FEAT_BITS*l +: FEAT_BITS];
      s3_m[FEAT_BITS*l +: FEAT_BITS] <= edge_weight
          ? FEAT_BITS'(gnn_agg_pkg::scale_feat(s2_w, gnn_agg_pkg::MAX_FEAT_BITS'(t), COEF_FRAC, FEAT_BITS))
          : t;
    end
  end

  // S3: accumulate into the write slot; a word's first add overwrites (its valid bit is clear)
  logic [LANES*ACC_BITS-1:0] acc_mem[ACC_SLOTS << KIW];
  logic [ACC_SLOTS-1:0][MAX_WPR-1:0] acc_ok;
  logic [SLW-1:0] wslot, rslot;
  logic [AAW-1:0] waddr;
  assign waddr = {wslot, s3_k};
  logic [LANES*ACC_BITS-1:0] acc_old, acc_new;
  assign acc_old = acc_mem[waddr];
  always_comb
    for (int l = 0; l < LANES; l++)
      acc_new[ACC_BITS*l +: ACC_BITS] = (acc_ok[wslot][s3_k] ? acc_old[ACC_BITS*l +: ACC_BITS] : ACC_BITS'(0))
          + ACC_BITS'($signed(s3_m[FEAT_BITS*l +: FEAT_BITS]));
  always_ff @(posedge clk) begin
    if (s3_v && s3_add) acc_mem[waddr] <= acc_new;
  end
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      acc_ok <= '0;
      wslot <= '0;
      rslot <= '0;
      full_cnt <= '0;
    end else begin
      if (s3_v && s3_add) acc_ok[wslot][s3_k] <= 1'b1;
      if (release_part) begin
        acc_ok[rslot] <= '0;
        rslot <= rslot + 1'b1;
      end
      if (s3_v && s3_end) wslot <= wslot + 1'b1;
      full_cnt <= full_cnt + (SLW + 1)'(s3_v && s3_end) - (SLW + 1)'(release_part);
    end
  end
  assign part_valid = full_cnt != 0;
  logic [LANES*ACC_BITS-1:0] rd_raw;
  assign rd_raw = acc_mem[{rslot, rd_k}];
  assign rd_word = acc_ok[rslot][rd_k] ? rd_raw : '0;

  assign busy = s1_v || s2_v || s3_v || full_cnt != 0;
endmodule

`default_nettype wire
