// gnn_agg_rd_arbiter: shares the m_axi AR channel among N read streams (round robin) and routes
// R beats back by ARID = stream index. At most MAX_OUTSTANDING bursts are in flight. RREADY is
// always high: every stream reserved FIFO room before it asked for its burst.
`default_nettype none

module gnn_agg_rd_arbiter #(
    parameter int N = 7,   // read streams (ARID = stream index)
    parameter int ID_BITS = 3,   // ARID / RID width
    parameter int MAX_OUTSTANDING = 16   // bursts in flight on AR/R
) (
    input  logic                 clk,
    input  logic                 rst_n,
    input  logic [N-1:0]         req_valid,
    output logic [N-1:0]         req_ready,
    input  logic [N-1:0][63:0]   req_addr,
    input  logic [N-1:0][7:0]    req_len,
    // m_axi read address channel
    output logic                 arvalid,
    input  logic                 arready,
    output logic [63:0]          araddr,
    output logic [7:0]           arlen,
    output logic [ID_BITS-1:0]   arid,
    // m_axi read data channel
    input  logic                 rvalid,
    input  logic                 rlast,
    input  logic [ID_BITS-1:0]   rid,
    // per-stream R valid
    output logic [N-1:0]         r_valid,
    output logic                 r_beat   // a beat was accepted (for stat_rd_beats)
);
  initial if (N > (1 << ID_BITS)) $fatal(1, "gnn_agg_rd_arbiter: ID_BITS too small for N streams");
  localparam int OW = $clog2(MAX_OUTSTANDING + 1);   // bits of the in-flight count
  localparam int SW = $clog2(N);   // bits of a stream index

  logic [OW-1:0] in_flight;
  logic [SW-1:0] last_grant, pick;
  logic found;

  // round robin: the first requester after the last grant. One priority pick per possible last
  // grant (constant rotations: no adder or divider on the way to the grant), then last_grant
  // selects among them.
  logic [N-1:0][SW-1:0] rot_pick;
  always_comb
    for (int g = 0; g < N; g++) begin
      rot_pick[g] = '0;
      for (int k = N; k >= 1; k--)
        if (req_valid[(g + k) % N]) rot_pick[g] = SW'((g + k) % N);
    end
  assign found = |req_valid;
  assign pick = rot_pick[last_grant];

  logic can_issue;
  logic at_max;   // in_flight == MAX_OUTSTANDING, registered with in_flight
  assign can_issue = (!arvalid || arready) && !at_max;
  always_comb begin
    req_ready = '0;
    if (can_issue && found) req_ready[pick] = 1'b1;
  end

  logic burst_done;
  assign burst_done = rvalid && rlast && in_flight != 0;
  logic [OW-1:0] in_flight_next;
  assign in_flight_next = in_flight + ((can_issue && found) ? OW'(1) : '0) - (burst_done ? OW'(1) : '0);

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      arvalid <= 1'b0;
      araddr <= '0;
      arlen <= '0;
      arid <= '0;
      last_grant <= SW'(N - 1);
      in_flight <= '0;
      at_max <= 1'b0;
    end else begin
      if (arvalid && arready) arvalid <= 1'b0;
      if (can_issue && found) begin
        arvalid <= 1'b1;
        araddr <= req_addr[pick];
        arlen <= req_len[pick];
        arid <= ID_BITS'(pick);
        last_grant <= pick;
      end
      in_flight <= in_flight_next;
      at_max <= in_flight_next == OW'(MAX_OUTSTANDING);
    end
  end

  always_comb begin
    r_valid = '0;
    if (rvalid && int'(rid) < N) r_valid[rid] = 1'b1;
  end
  assign r_beat = rvalid;
endmodule

`default_nettype wire
