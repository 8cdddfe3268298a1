// gnn_agg_walker: turns the CSR streams into edge groups for the processing elements.
//
// Row part: reads row_ptr[0..n_dst] once per pass and emits one descriptor per destination row
// (its degree). Malformed row pointers set ROW_PTR and are clamped to the edges that exist
// (start = previous end, end within [start, min(n_edges, start + MAX_DEGREE)]), so exactly
// n_edges col_idx entries are consumed whatever row_ptr holds; unclaimed ones are drained.
// Edge part: scans up to SN consecutive indices of one row per cycle from the col_idx window
// (SN = a bus word of 16-bit indices, at least G), checks every one against n_src BEFORE it can
// become an address (INDEX), marks the ones whose source lies in the current partition and
// emits them, packed into the first slots (with their table rows), as one group of G = max(2,
// PES) slots with at most EMAX contributing edges (PES in table mode, 1 in DRAM-gather mode,
// where the contributing edge's source row and src_scale word are requested from memory).
// Edges that do not contribute (another partition, a bad index, a drained tail) cost no
// processing element anything, and with several partitions they pass at the col_idx stream's
// word rate: a pass over a partition that few of a row's edges read is not bound by scanning.
// The group that takes a row's last index carries the row end; a row with nothing left to take
// (no edges) is a group with no edges and the row end.
//
// Row plans (table mode with several partitions; passes run from the highest partition down):
// while it scans a row's indices the walker notes whether any valid one lies in the current
// partition (now), above it (before: an earlier pass added those) or below it (after: a later
// pass will). At the row end it hands the epilogue the row's plan, in row order:
//   proc  the epilogue handles the row this pass: now, or (last pass) a row no pass touched;
//         otherwise its acc_buf partial row is left as it is (no read, no write);
//   add   acc_buf holds the row's partial sum: before && now (read it back and add);
//   fin   finish the row into feat_out this pass: now && !after, or (last pass) !now && !before;
//         proc && !fin writes the partial row to acc_buf.
// and, for every `add` row, the acc_buf read command of its partial row (acc_rd_*), issued as
// soon as the row's indices are scanned, so the read runs while the row's edges accumulate.
// A row thus reads and writes acc_buf once for each partition it touches beyond its first and
// is finished in the pass of its lowest partition. With one partition every row is proc && fin.
`default_nettype none

module gnn_agg_walker
#(
    parameter int BUS_BITS = 64,   // m_axi_gmem data width
    parameter int TAW = 13,   // bits of a table row number
    parameter int PES = 1,   // processing elements
    parameter int PLAN_FIFO_DEPTH = 64,   // row plans queued for the epilogue
    parameter int ACC_RD_FIFO_DEPTH = 16,   // acc_buf row reads queued for the reader
    localparam int G = PES > 2 ? PES : 2,    // slots of a group
    localparam int SN = BUS_BITS / 16 > G ? BUS_BITS / 16 : G,   // indices scanned per cycle
    localparam int NW = $clog2(SN + 1),   // bits of an index count (0..SN)
    localparam int LANE_SEL_W = $clog2(BUS_BITS / 16)   // bits selecting a 16-bit element in a bus word
) (
    input  logic                  clk,
    input  logic                  rst_n,
    input  logic                  start,
    input  logic [31:0]           n_dst,
    input  logic [31:0]           n_src,
    input  logic [31:0]           n_edges,
    input  logic [32:0]           part_lo,      // sources [part_lo, part_hi) are in the table
    input  logic [32:0]           part_hi,
    input  logic                  gather,
    input  logic                  pre_scale,
    input  logic                  edge_weight,
    input  logic [63:0]           feat_in,
    input  logic [63:0]           src_scale,
    input  logic [15:0]           row_bytes,
    input  logic [63:0]           acc_buf,
    input  logic [15:0]           acc_row_bytes,
    input  logic [15:0]           acc_row_beats,
    // element streams
    input  logic                  rp_valid,
    output logic                  rp_ready,
    input  logic [31:0]           rp_data,
    input  logic [NW-1:0]         ci_count,     // col_idx window
    input  logic [SN-1:0][31:0]   ci_data,
    output logic [NW-1:0]         ci_take,
    input  logic [NW-1:0]         ew_count,     // edge_w window
    input  logic [SN-1:0][31:0]   ew_data,
    output logic [NW-1:0]         ew_take,
    // groups
    output logic                  grp_valid,
    input  logic                  grp_ready,
    output logic                  grp_row_end,
    output logic [G-1:0]          grp_emit,     // slot j holds a contributing edge (j < their count)
    output logic [G-1:0][TAW-1:0] grp_row,      // its table row (table mode)
    output logic [G-1:0][15:0]    grp_weight,
    output logic [LANE_SEL_W-1:0] grp_scale_lane,  // gather: src_scale lane of the edge
    // DRAM-gather requests
    output logic                  gfeat_valid,
    input  logic                  gfeat_ready,
    output logic [63:0]           gfeat_addr,
    output logic                  gscale_valid,
    input  logic                  gscale_ready,
    output logic [63:0]           gscale_addr,
    // row plans, one per destination row in row order (the epilogue's)
    output logic                  plan_valid,
    input  logic                  plan_ready,
    output logic                  plan_proc,
    output logic                  plan_add,
    output logic                  plan_fin,
    // acc_buf read commands: the partial row of each `add` row, in row order
    output logic                  acc_rd_valid,
    input  logic                  acc_rd_ready,
    output logic [63:0]           acc_rd_addr,
    output logic [15:0]           acc_rd_beats,
    output logic                  err_row_ptr,   // one cycle
    output logic                  err_index,     // one cycle
    output logic                  done           // every row emitted and every col_idx consumed
);  localparam int BUS_BYTES = BUS_BITS / 8;

  // ---------------- rows -> descriptors {drain, count}
  typedef enum logic [1:0] {R_IDLE, R_ROWS, R_DRAIN, R_DONE} rstate_t;
  rstate_t rstate;
  logic first;
  logic [32:0] v;            // row_ptr entries consumed
  logic [32:0] prev_raw, prev_end;
  logic desc_in_valid, desc_in_ready, desc_valid, desc_ready;
  logic [33:0] desc_in, desc;

  logic [32:0] raw, limit, end_c;
  assign raw = {1'b0, rp_data};
  always_comb begin
    limit = prev_end + 33'(gnn_agg_pkg::MAX_DEGREE);
    if (limit > {1'b0, n_edges}) limit = {1'b0, n_edges};
    end_c = raw;
    if (end_c < prev_end) end_c = prev_end;
    if (end_c > limit) end_c = limit;
  end
  logic last_entry;
  assign last_entry = v == {1'b0, n_dst};

  assign rp_ready = rstate == R_ROWS && (first || desc_in_ready);
  logic rp_fire;
  assign rp_fire = rp_valid && rp_ready;
  always_comb begin
    desc_in_valid = 1'b0;
    desc_in = '0;
    if (rstate == R_ROWS && rp_valid && !first) begin
      desc_in_valid = 1'b1;
      desc_in = {1'b0, end_c - prev_end};
    end else if (rstate == R_DRAIN && prev_end != {1'b0, n_edges}) begin
      desc_in_valid = 1'b1;
      desc_in = {1'b1, {1'b0, n_edges} - prev_end};
    end
  end
  logic row_err;
  always_comb begin
    row_err = 1'b0;
    if (rp_fire) begin
      if (first && rp_data != 0) row_err = 1'b1;
      if (!first && (raw < prev_raw || raw - prev_raw > 33'(gnn_agg_pkg::MAX_DEGREE))) row_err = 1'b1;
      if (last_entry && rp_data != n_edges) row_err = 1'b1;
    end
  end
  assign err_row_ptr = row_err;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      rstate <= R_IDLE;
      first <= 1'b0;
      v <= '0;
      prev_raw <= '0;
      prev_end <= '0;
    end else if (start) begin
      rstate <= R_ROWS;
      first <= 1'b1;
      v <= '0;
      prev_raw <= '0;
      prev_end <= '0;
    end else begin
      case (rstate)
        R_ROWS: if (rp_fire) begin
          first <= 1'b0;
          prev_raw <= raw;
          if (!first) prev_end <= end_c;
          v <= v + 1'b1;
          if (last_entry) rstate <= R_DRAIN;
        end
        R_DRAIN: if (!desc_in_valid || desc_in_ready) rstate <= R_DONE;
        default: ;
      endcase
    end
  end

  gnn_agg_fifo #(.WIDTH(34), .DEPTH(4)) desc_fifo (
      .clk, .rst_n,
      .in_valid(desc_in_valid), .in_ready(desc_in_ready), .in_data(desc_in),
      .out_valid(desc_valid), .out_ready(desc_ready), .out_data(desc),
      /* verilator lint_off PINCONNECTEMPTY */
      .count());
      /* verilator lint_on PINCONNECTEMPTY */

  // ---------------- edges -> groups
  logic [32:0] taken;   // edges of the current descriptor consumed
  logic desc_drain;
  logic [32:0] desc_count, left;
  assign desc_drain = desc[33];
  assign desc_count = desc[32:0];
  assign left = desc_count - taken;

  logic [NW-1:0] avail;
  assign avail = edge_weight && ew_count < ci_count ? ew_count : ci_count;
  logic [NW-1:0] emax;
  assign emax = gather ? NW'(1) : NW'(PES);

  logic [SN-1:0] idx_ok, emit;
  logic [NW-1:0] k, n_emit;
  always_comb begin
    logic stop;
    k = '0;
    n_emit = '0;
    stop = 1'b0;
    for (int i = 0; i < SN; i++) begin
      idx_ok[i] = ci_data[i] < n_src;
      emit[i] = idx_ok[i] && {1'b0, ci_data[i]} >= part_lo && {1'b0, ci_data[i]} < part_hi && !desc_drain;
      if (!stop && NW'(i) < avail && left > 33'(i) && n_emit + NW'(emit[i]) <= emax) begin
        k = NW'(i + 1);
        n_emit = n_emit + NW'(emit[i]);
      end else begin
        stop = 1'b1;
      end
    end
  end
  logic [SN-1:0] in_k, sel;
  always_comb for (int i = 0; i < SN; i++) in_k[i] = NW'(i) < k;
  assign sel = emit & in_k;

  // ---------------- row plans
  // valid indices of the taken ones above / below the partition (the row's other passes)
  logic [SN-1:0] above, below;
  always_comb
    for (int i = 0; i < SN; i++) begin
      above[i] = idx_ok[i] && {1'b0, ci_data[i]} >= part_hi;
      below[i] = {1'b0, ci_data[i]} < part_lo;
    end
  logic seen_now, seen_before, seen_after;   // of the current row's earlier groups
  logic row_now, row_before, row_after;      // including this group
  assign row_now = seen_now || n_emit != 0;
  assign row_before = seen_before || |(in_k & above);
  assign row_after = seen_after || |(in_k & below);
  logic last_part;
  assign last_part = part_lo == 0;
  logic p_proc, p_add, p_fin;
  assign p_fin = row_now ? !row_after : last_part && !row_before;
  assign p_proc = row_now || p_fin;
  assign p_add = row_now && row_before;

  logic plan_in_ready, acc_in_ready;
  logic [63:0] row_acc_addr;   // acc_buf row of the descriptor's row

  logic ends, row_end, has_out, need_fetch, fetch_ok, plan_ok, go;
  assign ends = desc_valid && taken + 33'(k) == desc_count;
  assign row_end = ends && !desc_drain;
  assign has_out = row_end || n_emit != 0;
  assign need_fetch = gather && n_emit != 0;
  assign fetch_ok = !need_fetch || (gfeat_ready && (!pre_scale || gscale_ready));
  assign plan_ok = !row_end || (plan_in_ready && (!p_add || acc_in_ready));
  assign go = desc_valid && (k != 0 || ends) && (!has_out || grp_ready) && fetch_ok && plan_ok;

  // the contributing edge of a gather group (at most one)
  logic [31:0] g_idx;
  always_comb begin
    g_idx = ci_data[0];
    for (int i = SN - 1; i >= 0; i--) if (sel[i]) g_idx = ci_data[i];
  end

  assign ci_take = go ? k : '0;
  assign ew_take = go && edge_weight ? k : '0;
  assign err_index = go && |(in_k & ~idx_ok);
  assign gfeat_valid = desc_valid && (k != 0 || ends) && need_fetch && grp_ready && (!pre_scale || gscale_ready) &&
                       plan_ok;
  assign gscale_valid = desc_valid && (k != 0 || ends) && need_fetch && pre_scale && grp_ready && gfeat_ready &&
                        plan_ok;
  assign gfeat_addr = feat_in + 64'(g_idx) * 64'(row_bytes);
  assign gscale_addr = (src_scale + {31'b0, g_idx, 1'b0}) & ~64'(BUS_BYTES - 1);

  assign grp_valid = desc_valid && (k != 0 || ends) && has_out && fetch_ok && plan_ok;
  assign grp_row_end = row_end;
  // packing: selected index i goes to slot pos[i] = how many selected indices precede it
  // (an AND-OR selection per slot; at most EMAX <= G are selected)
  logic [SN-1:0][NW-1:0] pos;
  always_comb begin
    logic [NW-1:0] c;
    c = '0;
    for (int i = 0; i < SN; i++) begin
      pos[i] = c;
      c = c + NW'(sel[i]);
    end
  end
  always_comb begin
    for (int j = 0; j < G; j++) begin
      grp_emit[j] = NW'(j) < n_emit;
      grp_row[j] = '0;
      grp_weight[j] = '0;
      for (int i = 0; i < SN; i++)
        if (sel[i] && pos[i] == NW'(j)) begin
          grp_row[j] = grp_row[j] | TAW'({1'b0, ci_data[i]} - part_lo);
          grp_weight[j] = grp_weight[j] | ew_data[i][15:0];
        end
    end
  end
  assign grp_scale_lane = g_idx[LANE_SEL_W-1:0];  // src_scale[u] sits in halfword u % (bus/16)
  assign desc_ready = go && ends;

  always_ff @(posedge clk) begin
    if (!rst_n || start) taken <= '0;
    else if (desc_ready) taken <= '0;
    else if (go) taken <= taken + 33'(k);
  end

  logic plan_push, acc_push;
  assign plan_push = go && row_end;
  assign acc_push = plan_push && p_add;
  always_ff @(posedge clk) begin
    if (!rst_n || start) begin
      {seen_now, seen_before, seen_after} <= '0;
      row_acc_addr <= acc_buf;
    end else if (desc_ready) begin
      {seen_now, seen_before, seen_after} <= '0;
      if (row_end) row_acc_addr <= row_acc_addr + 64'(acc_row_bytes);
    end else if (go) begin
      {seen_now, seen_before, seen_after} <= {row_now, row_before, row_after};
    end
  end

  gnn_agg_fifo #(.WIDTH(3), .DEPTH(PLAN_FIFO_DEPTH)) plan_fifo (
      .clk, .rst_n,
      .in_valid(plan_push), .in_ready(plan_in_ready), .in_data({p_proc, p_add, p_fin}),
      .out_valid(plan_valid), .out_ready(plan_ready), .out_data({plan_proc, plan_add, plan_fin}),
      /* verilator lint_off PINCONNECTEMPTY */
      .count());
      /* verilator lint_on PINCONNECTEMPTY */
  gnn_agg_fifo #(.WIDTH(64), .DEPTH(ACC_RD_FIFO_DEPTH)) acc_rd_fifo (
      .clk, .rst_n,
      .in_valid(acc_push), .in_ready(acc_in_ready), .in_data(row_acc_addr),
      .out_valid(acc_rd_valid), .out_ready(acc_rd_ready), .out_data(acc_rd_addr),
      /* verilator lint_off PINCONNECTEMPTY */
      .count());
      /* verilator lint_on PINCONNECTEMPTY */
  assign acc_rd_beats = acc_row_beats;

  assign done = rstate == R_DONE && !desc_valid && !acc_rd_valid;
  wire unused_ew = &{1'b0, ew_data};
endmodule

`default_nettype wire
