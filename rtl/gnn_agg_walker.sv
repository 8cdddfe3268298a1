// gnn_agg_walker: turns the CSR streams into edge tokens for the accumulate stage.
//
// Row part: reads row_ptr[0..n_dst] once per pass and emits one descriptor per destination row
// (its degree). Malformed row pointers set ROW_PTR and are clamped to the edges that exist
// (start = previous end, end within [start, min(n_edges, start + MAX_DEGREE)]), so exactly
// n_edges col_idx entries are consumed whatever row_ptr holds; unclaimed ones are drained.
// Edge part: checks every col_idx against n_src BEFORE it can become an address (INDEX), keeps
// only edges whose source lies in the current partition (the table row goes with the token),
// and in DRAM-gather mode requests the source row (and its src_scale word) from memory. Every
// row, even an empty one, ends with a row-end token.
module gnn_agg_walker
#(
    parameter int BUS_BITS = 64,
    parameter int TAW = 13,
    localparam int LANE_SEL_W = $clog2(BUS_BITS / 16)
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
    // element streams
    input  logic                  rp_valid,
    output logic                  rp_ready,
    input  logic [31:0]           rp_data,
    input  logic                  ci_valid,
    output logic                  ci_ready,
    input  logic [31:0]           ci_data,
    input  logic                  ci_valid2,    // the next index, from the same bus word
    input  logic [31:0]           ci_data2,
    output logic                  ci_take2,     // consume both (two skipped edges)
    input  logic                  ew_valid,
    output logic                  ew_ready,
    input  logic [15:0]           ew_data,
    // tokens
    output logic                  tok_valid,
    input  logic                  tok_ready,
    output logic                  tok_row_end,
    output logic [TAW-1:0]        tok_row,
    output logic [15:0]           tok_weight,
    output logic [LANE_SEL_W-1:0] tok_scale_lane,
    // DRAM-gather requests
    output logic                  gfeat_valid,
    input  logic                  gfeat_ready,
    output logic [63:0]           gfeat_addr,
    output logic                  gscale_valid,
    input  logic                  gscale_ready,
    output logic [63:0]           gscale_addr,
    output logic                  err_row_ptr,   // one cycle
    output logic                  err_index,     // one cycle
    output logic                  done           // every row emitted and every col_idx consumed
);
  localparam int BUS_BYTES = BUS_BITS / 8;

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

  // ---------------- edges -> tokens
  logic [32:0] taken;   // edges of the current descriptor consumed
  logic desc_drain;
  logic [32:0] desc_count;
  assign desc_drain = desc[33];
  assign desc_count = desc[32:0];
  logic at_row_end;
  assign at_row_end = desc_valid && taken == desc_count;

  logic edge_in;
  assign edge_in = desc_valid && !at_row_end && ci_valid && (!edge_weight || ew_valid);
  logic idx_ok, in_part, use_edge;
  assign idx_ok = ci_data < n_src;
  assign in_part = {1'b0, ci_data} >= part_lo && {1'b0, ci_data} < part_hi;
  assign use_edge = idx_ok && in_part;
  // only edges that contribute in this pass become tokens: the others (another partition, a bad
  // index, a drained tail) cost the walker one cycle and the accumulate stage nothing
  logic emit, need_fetch, fetch_ok;
  assign emit = use_edge && !desc_drain;
  assign need_fetch = gather && emit;
  assign fetch_ok = !need_fetch || (gfeat_ready && (!pre_scale || gscale_ready));

  logic edge_go;
  assign edge_go = edge_in && (!emit || tok_ready) && fetch_ok;
  // two edges of the same row that both do not contribute go in one cycle, so a pass over a
  // small partition runs at the col_idx bus rate instead of one edge per cycle
  logic idx2_ok, skip2;
  assign idx2_ok = ci_data2 < n_src;
  assign skip2 = !emit && ci_valid2 && !edge_weight && taken + 33'd2 <= desc_count &&
                 (desc_drain || !(idx2_ok && {1'b0, ci_data2} >= part_lo && {1'b0, ci_data2} < part_hi));
  assign ci_ready = edge_go;
  assign ci_take2 = skip2;
  assign ew_ready = edge_go && edge_weight;
  assign err_index = edge_go && (!idx_ok || (skip2 && !idx2_ok));
  assign gfeat_valid = edge_in && need_fetch && tok_ready && (!pre_scale || gscale_ready);
  assign gscale_valid = edge_in && need_fetch && pre_scale && tok_ready && gfeat_ready;
  assign gfeat_addr = feat_in + 64'(ci_data) * 64'(row_bytes);
  assign gscale_addr = (src_scale + {31'b0, ci_data, 1'b0}) & ~64'(BUS_BYTES - 1);

  assign tok_valid = (at_row_end && !desc_drain) || (edge_in && emit && fetch_ok);
  assign tok_row_end = at_row_end;
  assign tok_row = TAW'({1'b0, ci_data} - part_lo);
  assign tok_weight = ew_data;
  assign tok_scale_lane = ci_data[LANE_SEL_W-1:0];  // src_scale[u] sits in halfword u % (bus/16)
  assign desc_ready = at_row_end && (desc_drain || tok_ready);

  always_ff @(posedge clk) begin
    if (!rst_n || start) taken <= '0;
    else if (desc_ready) taken <= '0;
    else if (edge_go) taken <= taken + (skip2 ? 33'd2 : 33'd1);
  end

  assign done = rstate == R_DONE && !desc_valid;
endmodule
