// gnn_agg_unpack: bus words -> a run of `count` 16- or 32-bit little-endian elements, skipping
// `skip` leading 16-bit halves of the first word (a run that starts inside a bus word). The last
// element pops its word, so exactly ceil((skip*2 + count*elem bytes) / bus bytes) words are used.
// The following element of the same word is offered too (out_valid2 / out_data2); with out_take2
// the consumer takes both in one cycle (the walker skips non-contributing edges two at a time).
`default_nettype none

module gnn_agg_unpack #(
    parameter int BUS_BITS = 64   // bus word width (a multiple of 32)
) (
    input  logic                clk,
    input  logic                rst_n,
    input  logic                start,       // load the run below (while idle)
    input  logic                wide,        // 1: 32-bit elements, 0: 16-bit
    input  logic [$clog2(BUS_BITS/16)-1:0] skip,  // 16-bit halves to skip in the first word
    input  logic [32:0]         count,
    input  logic                in_valid,
    output logic                in_ready,
    input  logic [BUS_BITS-1:0] in_data,
    output logic                out_valid,
    input  logic                out_ready,
    output logic [31:0]         out_data,
    output logic                out_valid2,
    output logic [31:0]         out_data2,
    input  logic                out_take2    // with out_ready: consume both elements
);
  localparam int HALVES = BUS_BITS / 16;   // 16-bit halves per bus word
  localparam int HW = $clog2(HALVES) + 1;   // bits of a half position (0..HALVES)

  logic [HW-1:0] pos;  // current element's first half
  logic [32:0] remaining;
  logic wide_q;

  logic [BUS_BITS+31:0] padded;
  logic [31:0] mask;
  assign padded = {32'h0, in_data};
  assign mask = wide_q ? 32'hFFFF_FFFF : 32'h0000_FFFF;
  assign out_data = padded[{pos, 4'b0} +: 32] & mask;
  assign out_valid = in_valid && remaining != 0;

  logic [HW-1:0] next_pos, next2_pos;
  assign next_pos = pos + (wide_q ? HW'(2) : HW'(1));
  assign next2_pos = next_pos + (wide_q ? HW'(2) : HW'(1));
  assign out_data2 = padded[{next_pos, 4'b0} +: 32] & mask;
  assign out_valid2 = out_valid && remaining >= 33'd2 && next_pos < HW'(HALVES);
  logic fire, take2, word_done;
  assign fire = out_valid && out_ready;
  assign take2 = out_take2 && out_valid2;
  assign word_done = take2 ? next2_pos == HW'(HALVES) || remaining == 33'd2
                           : next_pos == HW'(HALVES) || remaining == 33'd1;
  assign in_ready = fire && word_done;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      pos <= '0;
      remaining <= '0;
      wide_q <= 1'b0;
    end else if (start) begin
      pos <= {1'b0, skip};
      remaining <= count;
      wide_q <= wide;
    end else if (fire) begin
      remaining <= remaining - (take2 ? 33'd2 : 33'd1);
      pos <= word_done ? '0 : take2 ? next2_pos : next_pos;
    end
  end
endmodule

`default_nettype wire
