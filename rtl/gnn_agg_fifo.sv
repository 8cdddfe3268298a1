// gnn_agg_fifo: synchronous first-word-fall-through FIFO, ready/valid on both sides.
// DEPTH must be a power of two. The storage has an asynchronous read port (LUT RAM); `count`
// lets producers reserve space ahead (the read streams issue a burst only when it fits).
// OUT_REG = 1 registers out_data (the same cycles, WIDTH more flip-flops): the next front entry is
// chosen from two reads made ahead (the entry at the read pointer and the one after it, or the
// word being written) by the pop alone, so a consumer's logic starts from flip-flops, not from a
// LUT RAM read, and a late out_ready only drives a 2:1 mux.
`default_nettype none

module gnn_agg_fifo #(
    parameter int WIDTH = 32,   // bits per entry
    parameter int DEPTH = 16,   // entries; a power of two >= 2
    parameter bit OUT_REG = 1'b0   // out_data from a register (same cycles)
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
  logic push, pop;
  assign push = in_valid && in_ready;
  assign pop = out_valid && out_ready;
  if (OUT_REG) begin : g_out_reg
    // the entries at rd_ptr and rd_ptr + 1 next cycle: the word written now if it goes there, else memory
    logic [AW:0] rd_next;
    assign rd_next = rd_ptr + 1'b1;
    logic [WIDTH-1:0] stay, advance, out_q;
    assign stay = push && wr_ptr == rd_ptr ? in_data : mem[rd_ptr[AW-1:0]];
    assign advance = push && wr_ptr == rd_next ? in_data : mem[rd_next[AW-1:0]];
    always_ff @(posedge clk) out_q <= pop ? advance : stay;
    assign out_data = out_q;
  end else begin : g_out_ram
    assign out_data = mem[rd_ptr[AW-1:0]];
  end

  always_ff @(posedge clk) begin
    if (push) mem[wr_ptr[AW-1:0]] <= in_data;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      wr_ptr <= '0;
      rd_ptr <= '0;
    end else begin
      if (push) wr_ptr <= wr_ptr + 1'b1;
      if (pop) rd_ptr <= rd_ptr + 1'b1;
    end
  end

`ifndef SYNTHESIS
  // invariants (Verilator --assert builds; Yosys synthesis defines SYNTHESIS and skips them):
  // never more than DEPTH entries (no overflow), no pop of an empty FIFO (no underflow)
  always_ff @(posedge clk) begin
    if (rst_n) begin
      assert (count <= (AW + 1)'(DEPTH));
      assert (!push || count < (AW + 1)'(DEPTH));
      assert (!pop || count != 0);
      assert (!out_valid || out_data == mem[rd_ptr[AW-1:0]]);   // OUT_REG: the register is the front entry
    end
  end
`endif
endmodule

`default_nettype wire
