// gnn_agg_pe_array: PES processing elements over a source-banked node table, fed by the
// walker's edge groups, and the reducer that adds their partial rows.
//
//   distributor: a group (up to N consecutive edges of one destination row, row-end flag) becomes
//                at most one entry per bank with that bank's edges (table row r lives in bank
//                r % PES at bank row r / PES; DRAM-gather: every edge goes to PE 0); the row end
//                goes to every bank. A group moves when every bank it needs has room.
//   entry FIFOs: ENTRY_FIFO_DEPTH entries per PE, so the banks only need to be balanced over a
//                window of rows, not within every group.
//   PEs:         gnn_agg_accum each (its bank, its accumulator slots); one edge per F/LANES cycles.
//   reducer:     when every PE has finished the oldest row and the epilogue is free, adds the
//                PES partial rows lane word by lane word (exact ACC_BITS sums, so the order of the
//                adds changes nothing) into the epilogue's snapshot, then signals row_done.
// With PES = 1 this is one PE, a FIFO and a reducer that copies.
`default_nettype none

module gnn_agg_pe_array
#(
    parameter int LANES = 16,   // feature elements each PE adds per cycle
    parameter int MAX_FEAT = 256,   // largest feat_dim
    parameter int TABLE_ELEMS = 131072,   // node table capacity in elements, all banks together
    parameter int BUS_BITS = 64,   // m_axi_gmem data width (gather: src_scale words)
    parameter int PES = 1,   // processing elements = table banks (a power of two)
    parameter int ENTRY_FIFO_DEPTH = 16,   // entries queued per PE
    parameter int ACC_SLOTS = 4,   // accumulator slots per PE
    parameter int FEAT_BITS = 16,   // number formats (gnn_agg's parameters)
    parameter int COEF_FRAC = 15,   // scale / edge-weight fraction bits
    parameter int ACC_BITS = 32,   // accumulator width
    localparam int N = PES > 2 ? PES : 2,   // indices the walker offers per cycle
    localparam int MAX_WPR = MAX_FEAT / LANES,   // most lane words per row
    localparam int KW = $clog2(MAX_WPR + 1),   // bits of wpr (0..MAX_WPR)
    localparam int KIW = MAX_WPR > 1 ? $clog2(MAX_WPR) : 1,   // bits of a lane-word index in a row
    localparam int TABLE_WORDS = TABLE_ELEMS / LANES,   // lane words of the table
    localparam int TAW = $clog2(TABLE_WORDS),   // bits of a table row number
    localparam int LANE_SEL_W = $clog2(BUS_BITS / 16),   // bits selecting a COEF element in a bus word
    localparam int PCW = $clog2(PES + 1)   // bits of an edge count per cycle (0..PES)
) (
    input  logic                       clk,
    input  logic                       rst_n,
    input  logic [KW-1:0]              wpr,
    input  logic                       gather,
    input  logic                       pre_scale,
    input  logic                       edge_weight,
    input  logic [TAW:0]               ready_lo,     // table rows >= ready_lo are loaded
    // loader: lane word k of table row tw_row
    input  logic                       tw_en,
    input  logic [TAW-1:0]             tw_row,
    input  logic [KW-1:0]              tw_k,
    input  logic [LANES*FEAT_BITS-1:0] tw_data,
    // edge groups from the walker
    input  logic                       grp_valid,
    output logic                       grp_ready,
    input  logic                       grp_row_end,
    input  logic [N-1:0]               grp_emit,
    input  logic [N-1:0][TAW-1:0]      grp_row,
    input  logic [N-1:0][15:0]         grp_weight,
    input  logic [LANE_SEL_W-1:0]      grp_scale_lane,
    // DRAM-gather data (PE 0)
    input  logic                       gather_valid,
    output logic                       gather_ready,
    input  logic [LANES*FEAT_BITS-1:0] gather_data,
    input  logic                       gscale_valid,
    output logic                       gscale_ready,
    input  logic [BUS_BITS-1:0]        gscale_data,
    // finished rows into the epilogue
    input  logic                       epilogue_free,
    output logic                       row_done,
    output logic                       snap_we,
    output logic [KIW-1:0]             snap_k,
    output logic [LANES*ACC_BITS-1:0]  snap_word,
    // statistics
    output logic [PCW-1:0]             edges_done,   // edges accumulated this cycle
    output logic                       starved,      // no PE has work it can issue
    output logic                       busy
);
  localparam int LOG_PES = $clog2(PES);   // log2(PES): table row r is in bank r % PES
  localparam int BANK_WORDS = TABLE_WORDS / PES;   // lane words per bank
  localparam int BAW = BANK_WORDS > 1 ? $clog2(BANK_WORDS) : 1;   // bits of a bank word address
  localparam int SCW = $clog2(PES + 1);   // bits of an entry's edge count (0..PES)
  localparam int EW = 1 + SCW + PES * (BAW + 16) + LANE_SEL_W;   // bits of an entry: end, count, PES x (bank row, weight), scale lane
  if (PES != (1 << LOG_PES)) begin : g_bad_pes
    $fatal(1, "gnn_agg_pe_array: PES must be a power of two");
  end

  function automatic logic [BAW-1:0] bank_row(input logic [TAW-1:0] row);
    bank_row = BAW'(row >> LOG_PES);
  endfunction
  function automatic int bank_of(input logic [TAW-1:0] row);
    bank_of = PES > 1 ? int'(row) % PES : 0;
  endfunction

  // ---------------- distributor
  // edge i goes to slot pc[b][i] of bank b's entry, pc = how many of the group's earlier edges
  // go to bank b (an AND-OR selection per slot)
  logic [PES-1:0] need, fin_ready, fin_valid;
  logic [PES-1:0][EW-1:0] fin_data;
  logic [PES-1:0][N-1:0] to_bank;
  logic [PES-1:0][N-1:0][SCW-1:0] pc;
  logic [PES-1:0][SCW-1:0] bank_cnt;
  logic [PES-1:0][PES-1:0][BAW-1:0] slot_row;
  logic [PES-1:0][PES-1:0][15:0] slot_w;
  always_comb begin
    for (int b = 0; b < PES; b++) begin
      bank_cnt[b] = '0;
      for (int i = 0; i < N; i++) begin
        to_bank[b][i] = grp_emit[i] && (gather ? b == 0 : bank_of(grp_row[i]) == b);
        pc[b][i] = bank_cnt[b];
        bank_cnt[b] = bank_cnt[b] + SCW'(to_bank[b][i]);
      end
      for (int j = 0; j < PES; j++) begin
        slot_row[b][j] = '0;
        slot_w[b][j] = '0;
        for (int i = 0; i < N; i++) begin
          if (to_bank[b][i] && int'(pc[b][i]) == j) begin
            slot_row[b][j] = slot_row[b][j] | bank_row(grp_row[i]);
            slot_w[b][j] = slot_w[b][j] | grp_weight[i];
          end
        end
      end
      need[b] = |to_bank[b] || grp_row_end;   // an OR, not the count: grp_ready is in the walker's loop
      fin_data[b] = {grp_row_end, bank_cnt[b], slot_row[b], slot_w[b], grp_scale_lane};
    end
  end
  assign grp_ready = &(~need | fin_ready);
  assign fin_valid = {PES{grp_valid && grp_ready}} & need;

  // ---------------- PEs
  logic [PES-1:0] part_valid, pe_edge_done, pe_starved, pe_busy, pe_gather_ready, pe_gscale_ready;
  logic [PES-1:0][LANES*ACC_BITS-1:0] rd_word;
  logic [KIW-1:0] rd_k;
  logic release_parts;
  logic [BAW-1:0] tw_addr;
  assign tw_addr = BAW'(bank_row(tw_row) * wpr) + BAW'(tw_k);

  for (genvar b = 0; b < PES; b++) begin : g_pe
    logic ent_valid, ent_ready, ent_end;
    logic [SCW-1:0] ent_cnt;
    logic [PES*BAW-1:0] ent_row;      // flat: [slot][bank row]
    logic [PES*16-1:0] ent_weight;    // flat: [slot][weight]
    logic [LANE_SEL_W-1:0] ent_lane;
    gnn_agg_fifo #(.WIDTH(EW), .DEPTH(ENTRY_FIFO_DEPTH)) entry_fifo (
        .clk, .rst_n,
        .in_valid(fin_valid[b]), .in_ready(fin_ready[b]), .in_data(fin_data[b]),
        .out_valid(ent_valid), .out_ready(ent_ready),
        .out_data({ent_end, ent_cnt, ent_row, ent_weight, ent_lane}),
        /* verilator lint_off PINCONNECTEMPTY */
        .count());
        /* verilator lint_on PINCONNECTEMPTY */

    gnn_agg_accum #(
        .LANES(LANES), .MAX_FEAT(MAX_FEAT), .BANK_WORDS(BANK_WORDS), .BUS_BITS(BUS_BITS),
        .SLOTS(PES), .ACC_SLOTS(ACC_SLOTS), .BANK(b), .TAW(TAW), .FEAT_BITS(FEAT_BITS),
        .COEF_FRAC(COEF_FRAC), .ACC_BITS(ACC_BITS)
    ) pe (
        .clk, .rst_n, .wpr, .gather(gather && b == 0), .pre_scale, .edge_weight, .ready_lo,
        .tw_en(tw_en && bank_of(tw_row) == b), .tw_addr, .tw_data,
        .ent_valid, .ent_ready, .ent_end, .ent_cnt, .ent_row, .ent_weight, .ent_scale_lane(ent_lane),
        .gather_valid(b == 0 && gather_valid), .gather_ready(pe_gather_ready[b]), .gather_data,
        .gscale_valid(b == 0 && gscale_valid), .gscale_ready(pe_gscale_ready[b]), .gscale_data,
        .part_valid(part_valid[b]), .rd_k, .rd_word(rd_word[b]), .release_part(release_parts),
        .edge_done(pe_edge_done[b]), .starved(pe_starved[b]), .busy(pe_busy[b]));
  end
  assign gather_ready = pe_gather_ready[0];  // only PE 0 takes gathered rows
  wire unused_gather = &{1'b0, pe_gather_ready, pe_gscale_ready};
  assign gscale_ready = pe_gscale_ready[0];

  // ---------------- reducer
  typedef enum logic [1:0] {R_IDLE, R_ISSUE, R_WAIT} rstate_t;
  rstate_t rstate;
  logic [KW-1:0] r_k;
  logic r_last;
  assign r_last = r_k == wpr - 1'b1;
  assign rd_k = KIW'(r_k);
  assign release_parts = rstate == R_ISSUE && r_last;

  logic [LANES*ACC_BITS-1:0] sum;
  always_comb begin
    for (int l = 0; l < LANES; l++) begin
      logic [ACC_BITS-1:0] s;
      s = '0;
      for (int b = 0; b < PES; b++) s = s + rd_word[b][ACC_BITS*l +: ACC_BITS];
      sum[ACC_BITS*l +: ACC_BITS] = s;
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      rstate <= R_IDLE;
      r_k <= '0;
      snap_we <= 1'b0;
      row_done <= 1'b0;
    end else begin
      snap_we <= rstate == R_ISSUE;
      row_done <= release_parts;
      case (rstate)
        R_IDLE: if (&part_valid && epilogue_free) begin
          r_k <= '0;
          rstate <= R_ISSUE;
        end
        R_ISSUE: begin
          r_k <= r_k + 1'b1;
          if (r_last) rstate <= R_WAIT;
        end
        default: rstate <= R_IDLE;  // R_WAIT: the last word and row_done go out
      endcase
    end
  end
  always_ff @(posedge clk) begin
    snap_k <= rd_k;
    snap_word <= sum;
  end

  always_comb begin
    edges_done = '0;
    for (int b = 0; b < PES; b++) edges_done = edges_done + PCW'(pe_edge_done[b]);
  end
  assign starved = &pe_starved;
  assign busy = |pe_busy || rstate != R_IDLE;
endmodule

`default_nettype wire
