// gnn_agg_burst_split_formal: bounded-model-check wrapper of gnn_agg_burst_split (rtl/formal/
// gnn_agg_burst_split.sby, run by rtl/formal/formal.py). Every DUT input is a free input of this
// module (the solver picks any command, address, `allow` and AX_READY each cycle); the first cycle
// is a reset. PROPS selects the properties checked (bit i: property i below), so formal.py can
// prove each one alone and show each one's mutant fails it:
//   0 no_4k_cross   a burst on the channel never crosses a 4 KiB boundary (for any command,
//                   unaligned addresses included: counted from the bus word that holds ax_addr)
//   1 burst_len     1 <= burst <= MAX_BURST (<= 256) at every issue, and AX_LEN + 1 is that burst
//   2 beats_sum     the bursts issued for a command sum to its beat count (none takes more than
//                   is left; busy until all are issued, then ready for the next command)
//   3 ax_stable     AX_VALID, AX_ADDR and AX_LEN hold while AX_VALID && !AX_READY
// Not synthesizable RTL: read only by Yosys with -formal (not in rtl/files.f).
`default_nettype none

module gnn_agg_burst_split_formal #(
    parameter int BUS_BITS = 64,
    parameter int BEATS_W = 16,
    parameter int MAX_BURST = 256,
    parameter int PROPS = 32'hF
) (
    input wire               clk,
    input wire               rst_n,
    input wire               cmd_valid,
    input wire [63:0]        cmd_addr,
    input wire [BEATS_W-1:0] cmd_beats,
    input wire               allow,
    input wire               ax_ready
);
  localparam int LOG_BB = $clog2(BUS_BITS / 8);
  wire cmd_ready, issue, ax_valid, busy;
  wire [BEATS_W-1:0] burst;
  wire [63:0] ax_addr;
  wire [7:0] ax_len;

  gnn_agg_burst_split #(.BUS_BITS(BUS_BITS), .BEATS_W(BEATS_W), .MAX_BURST(MAX_BURST)) dut (
      .clk, .rst_n, .cmd_valid, .cmd_ready, .cmd_addr, .cmd_beats, .burst, .allow, .issue,
      .ax_valid, .ax_ready, .ax_addr, .ax_len, .busy);

  reg past_valid = 1'b0;
  always @(posedge clk) past_valid <= 1'b1;
  always @(*) if (!past_valid) assume (!rst_n);

  // rem: beats of the command taken last that no issue has covered yet (a reference model of the
  // count, kept from the command and the bursts the DUT announces, not from its state)
  reg [BEATS_W-1:0] rem;
  reg [8:0] last_burst;   // the burst of the last issue (what AX_LEN + 1 must be)
  always @(posedge clk) begin
    if (!rst_n) begin
      rem <= 0;
      last_burst <= 0;
    end else begin
      if (cmd_valid && cmd_ready) rem <= cmd_beats;
      else if (issue) rem <= rem - burst;
      if (issue) last_burst <= 9'(burst);
    end
  end

  always @(posedge clk) begin
    if (past_valid && rst_n && $past(rst_n)) begin
      // 0: a burst never crosses 4 KiB: word index in the 4 KiB page + beats <= words per page
      if (PROPS[0] && ax_valid)
        assert ({1'b0, ax_addr[11:LOG_BB]} + ax_len + 1'b1 <= (4096 >> LOG_BB));
      // 1: burst length
      if (PROPS[1] && issue) assert (burst >= 1 && burst <= MAX_BURST && MAX_BURST <= 256);
      if (PROPS[1] && ax_valid) assert ({1'b0, ax_len} + 1'b1 == last_burst);
      // 3: AX stable while stalled
      if (PROPS[3] && $past(ax_valid && !ax_ready))
        assert (ax_valid && ax_addr == $past(ax_addr) && ax_len == $past(ax_len));
    end
  end
  // 2: beats sum: no burst takes more beats than the command has left, and the splitter is busy
  // exactly while beats are left (so the bursts of a command sum to its beat count; each issue
  // becomes one AX handshake with AX_LEN + 1 = burst by properties 1 and 3)
  always @(*) begin
    if (past_valid && rst_n && PROPS[2]) begin
      if (issue) assert (burst <= rem);
      assert (busy == (rem != 0));
      assert (cmd_ready == (rem == 0));
    end
  end
endmodule

`default_nettype wire
