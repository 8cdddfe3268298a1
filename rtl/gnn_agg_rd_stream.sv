// gnn_agg_rd_stream: one read stream of the shared m_axi master. A command (bus-aligned address,
// beat count) becomes bursts of at most MAX_BURST beats that never cross a 4 KiB boundary
// (gnn_agg_burst_split). A burst
// is requested only when the FIFO has room for all of it (credits), so read data is always
// accepted (RREADY stays high) and one slow consumer cannot block the other streams on the bus.
// Beats that arrive while nothing is outstanding (left over from before a reset) are dropped.
`default_nettype none

module gnn_agg_rd_stream #(
    parameter int BUS_BITS = 64,   // m_axi_gmem data width
    parameter int DEPTH = 64,        // FIFO words; power of two
    parameter int MAX_BURST = 32,    // beats per burst, <= DEPTH and <= 256
    parameter int BEATS_W = 40   // bits of a command's beat count
) (
    input  logic                clk,
    input  logic                rst_n,
    // command: read `cmd_beats` bus words from `cmd_addr` (aligned to the bus width)
    input  logic                cmd_valid,
    output logic                cmd_ready,
    input  logic [63:0]         cmd_addr,
    input  logic [BEATS_W-1:0]  cmd_beats,
    // burst requests to the arbiter
    output logic                ar_valid,
    input  logic                ar_ready,
    output logic [63:0]         ar_addr,
    output logic [7:0]          ar_len,
    // read data routed to this stream by ID
    input  logic                r_valid,
    input  logic [BUS_BITS-1:0] r_data,
    /* verilator lint_off UNUSEDSIGNAL */  // bit 0 separates SLVERR from DECERR: both are errors
    input  logic [1:0]          r_resp,
    /* verilator lint_on UNUSEDSIGNAL */
    // words in order
    output logic                out_valid,
    input  logic                out_ready,
    output logic [BUS_BITS-1:0] out_data,
    output logic                rd_error,    // a beat answered SLVERR / DECERR (one cycle)
    output logic                idle         // nothing requested, outstanding or queued
);
  localparam int CW = $clog2(DEPTH) + 1;   // bits of a FIFO or credit count (0..DEPTH)
  initial if (MAX_BURST > DEPTH || MAX_BURST > 256 || MAX_BURST < 1)
    $fatal(1, "gnn_agg_rd_stream: MAX_BURST must be 1..min(DEPTH, 256)");

  logic [CW-1:0] outstanding, fifo_count;
  logic fifo_in_ready;

  logic [BEATS_W-1:0] burst;
  logic [CW:0] room;
  assign room = (CW + 1)'(DEPTH) - (CW + 1)'(fifo_count) - (CW + 1)'(outstanding);
  logic issue, busy;
  gnn_agg_burst_split #(.BUS_BITS(BUS_BITS), .BEATS_W(BEATS_W), .MAX_BURST(MAX_BURST)) split (
      .clk, .rst_n, .cmd_valid, .cmd_ready, .cmd_addr, .cmd_beats, .burst,
      .allow(BEATS_W'(room) >= burst), .issue,
      .ax_valid(ar_valid), .ax_ready(ar_ready), .ax_addr(ar_addr), .ax_len(ar_len), .busy);

  logic accept_beat;
  assign accept_beat = r_valid && outstanding != 0;

  // issue (late: it waits for the arbiter's grant) selects the sum last, after the adders
  logic [CW-1:0] out_less;   // outstanding after this cycle's beat
  assign out_less = outstanding - CW'(accept_beat);
  always_ff @(posedge clk) begin
    if (!rst_n) outstanding <= '0;
    else outstanding <= issue ? out_less + CW'(burst) : out_less;
  end

  assign rd_error = accept_beat && r_resp[1];  // SLVERR (2) or DECERR (3); EXOKAY is never asked for
  assign idle = !busy && outstanding == 0 && !ar_valid && !out_valid;

  gnn_agg_fifo #(.WIDTH(BUS_BITS), .DEPTH(DEPTH)) data_fifo (
      .clk, .rst_n,
      .in_valid(accept_beat), .in_ready(fifo_in_ready), .in_data(r_data),
      .out_valid, .out_ready, .out_data, .count(fifo_count));

  // credits guarantee room for every accepted beat, so the FIFO's ready is not needed
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused_fifo_in_ready = fifo_in_ready;
  /* verilator lint_on UNUSEDSIGNAL */
endmodule

`default_nettype wire
