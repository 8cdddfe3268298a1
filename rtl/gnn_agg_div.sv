// gnn_agg_div: serial restoring divider. After a one-cycle `start`, it computes one quotient bit
// per cycle, most significant first, and drops `busy` after WIDTH cycles with
//     quotient = dividend / divisor,   remainder = dividend % divisor
// (both unsigned). dividend and divisor are not registered: hold them until busy drops. A zero
// divisor gives quotient = all ones and remainder = dividend (every trial subtraction succeeds).
// gnn_agg_seq uses it once per run for the partition size R = TABLE_ELEMS / feat_dim.
`default_nettype none

module gnn_agg_div #(
    parameter int WIDTH = 18     // bits of dividend, divisor, quotient and remainder (>= 2)
) (
    input  logic             clk,
    input  logic             rst_n,
    input  logic             start,      // one cycle: clear quotient and remainder, begin
    input  logic [WIDTH-1:0] dividend,   // held while busy
    input  logic [WIDTH-1:0] divisor,    // held while busy
    output logic             busy,       // quotient bits still to come
    output logic [WIDTH-1:0] quotient,   // final once busy drops (bits fill in MSB first)
    output logic [WIDTH-1:0] remainder
);
  localparam int BIT_W = $clog2(WIDTH + 1);   // width of the bit counter (0..WIDTH)
  localparam int IDX_W = $clog2(WIDTH);       // width of a quotient bit index (0..WIDTH-1)
  initial if (WIDTH < 2) $fatal(1, "gnn_agg_div: WIDTH must be >= 2");

  logic [BIT_W-1:0] bits_left;   // quotient bits still to compute; the next is bits_left - 1
  assign busy = bits_left != 0;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      quotient <= '0;
      remainder <= '0;
      bits_left <= '0;
    end else if (start) begin
      quotient <= '0;
      remainder <= '0;
      bits_left <= BIT_W'(WIDTH);
    end else if (busy) begin
      logic [WIDTH:0] trial;   // the partial remainder with the next dividend bit shifted in
      trial = {remainder, 1'(dividend >> (bits_left - 1'b1))};
      if (trial >= (WIDTH + 1)'(divisor)) begin
        remainder <= WIDTH'(trial - (WIDTH + 1)'(divisor));
        quotient[IDX_W'(bits_left - 1'b1)] <= 1'b1;
      end else begin
        remainder <= WIDTH'(trial);
      end
      bits_left <= bits_left - 1'b1;
    end
  end
endmodule

`default_nettype wire
