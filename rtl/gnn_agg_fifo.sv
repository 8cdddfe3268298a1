// gnn_agg_fifo: synchronous first-word-fall-through FIFO, ready/valid on both sides.
// DEPTH must be a power of two. The storage has an asynchronous read port (LUT RAM); `count`
// lets producers reserve space ahead (the read streams issue a burst only when it fits).
`default_nettype none

module gnn_agg_fifo #(
    parameter int WIDTH = 32,   // bits per entry
    parameter int DEPTH = 16   // entries; a power of two >= 2
) (
    input  logic             clk,
    input  logic             rst_n,
    input  logic             in_valid,
    output logic             in_ready,
    input  logic [WIDTH-1:0] in_data,
    output logic             out_valid,
    input  logic             out_ready,
    output logic [WIDTH-1:0] out_data,
    output logic [$clog2(DEPTH):0] count
);
  localparam int AW = $clog2(DEPTH);   // bits of an entry address
  initial if (DEPTH != (1 << AW) || DEPTH < 2) $fatal(1, "gnn_agg_fifo: DEPTH must be a power of two >= 2");

  logic [WIDTH-1:0] mem[DEPTH];
  logic [AW:0] wr_ptr, rd_ptr;

  assign count = wr_ptr - rd_ptr;
  assign in_ready = !count[AW];  // count == DEPTH only when full
  assign out_valid = wr_ptr != rd_ptr;
  assign out_data = mem[rd_ptr[AW-1:0]];

  always_ff @(posedge clk) begin
    if (in_valid && in_ready) mem[wr_ptr[AW-1:0]] <= in_data;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      wr_ptr <= '0;
      rd_ptr <= '0;
    end else begin
      if (in_valid && in_ready) wr_ptr <= wr_ptr + 1'b1;
      if (out_valid && out_ready) rd_ptr <= rd_ptr + 1'b1;
    end
  end

`ifndef SYNTHESIS
  // invariants (Verilator --assert builds; Yosys synthesis defines SYNTHESIS and skips them):
  // never more than DEPTH entries (no overflow), no pop of an empty FIFO (no underflow)
  always_ff @(posedge clk) begin
    if (rst_n) begin
      assert (count <= (AW + 1)'(DEPTH));
      assert (!(in_valid && in_ready) || count < (AW + 1)'(DEPTH));
      assert (!(out_valid && out_ready) || count != 0);
    end
  end
`endif
endmodule

`default_nettype wire
