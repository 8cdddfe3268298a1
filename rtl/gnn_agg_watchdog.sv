// gnn_agg_watchdog: the AXI response time-out of m_axi_gmem (docs/CONTRACT.md, TIMEOUT). It
// watches the bus alone and counts the cycles in which the kernel waits on the memory slave and
// no handshake happens on any channel; `expired` rises when that count reaches `limit` (0: never).
// The kernel waits on the slave when
//   * an AR or a W beat is offered and not taken (ARVALID && !ARREADY, WVALID && !WREADY);
//   * a read burst was accepted and its last beat has not come (and RVALID is low);
//   * a write burst's last W beat was sent and its B has not come (and BVALID is low).
// AWVALID && !AWREADY alone is not waiting: a slave may hold AWREADY until it sees W data, which
// the kernel may still be computing. Any handshake (AR, R, AW, W, B) restarts the count, so the
// limit bounds the gap between two beats, not the length of a run.
`default_nettype none

module gnn_agg_watchdog (
    input  logic        clk,
    input  logic        rst_n,
    input  logic [31:0] limit,      // cycles; 0 disables the time-out
    input  logic        arvalid,
    input  logic        arready,
    input  logic        rvalid,
    input  logic        rready,
    input  logic        rlast,
    input  logic        awvalid,
    input  logic        awready,
    input  logic        wvalid,
    input  logic        wready,
    input  logic        wlast,
    input  logic        bvalid,
    input  logic        bready,
    output logic        expired     // `limit` waiting cycles in a row (level, until a handshake)
);
  logic ar_fire, r_last_fire, w_last_fire, b_fire, progress, waiting;
  assign ar_fire = arvalid && arready;
  assign r_last_fire = rvalid && rready && rlast;
  assign w_last_fire = wvalid && wready && wlast;
  assign b_fire = bvalid && bready;
  assign progress = ar_fire || (rvalid && rready) || (awvalid && awready) || (wvalid && wready) || b_fire;

  // bursts owed by the slave: read bursts without their last beat, written bursts without B
  logic [15:0] reads_owed, b_owed;
  assign waiting = (arvalid && !arready) || (wvalid && !wready) || (reads_owed != 0 && !rvalid) ||
                   (b_owed != 0 && !bvalid);

  logic [31:0] idle_cycles;   // waiting cycles in a row, held at limit
  assign expired = limit != 0 && idle_cycles == limit;
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      reads_owed <= '0;
      b_owed <= '0;
      idle_cycles <= '0;
    end else begin
      // responses to nothing owed (a slave out of contract) do not make the counts wrap
      reads_owed <= reads_owed + (ar_fire ? 16'd1 : 16'd0) - (r_last_fire && reads_owed != 0 ? 16'd1 : 16'd0);
      b_owed <= b_owed + (w_last_fire ? 16'd1 : 16'd0) - (b_fire && b_owed != 0 ? 16'd1 : 16'd0);
      if (progress || !waiting) idle_cycles <= '0;
      else if (idle_cycles != limit) idle_cycles <= idle_cycles + 1'b1;
    end
  end
endmodule

`default_nettype wire
