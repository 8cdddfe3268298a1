// gnn_agg_upsize: gathers `ratio` consecutive bus words into one wide word (first word in the
// low bits): OUT_BITS / BUS_BITS words in, one word out, at full rate when the consumer keeps up.
`default_nettype none

module gnn_agg_upsize #(
    parameter int BUS_BITS = 64,   // input word width
    parameter int OUT_BITS = 256   // output word width, a multiple of BUS_BITS
) (
    input  logic                clk,
    input  logic                rst_n,
    input  logic                in_valid,
    output logic                in_ready,
    input  logic [BUS_BITS-1:0] in_data,
    output logic                out_valid,
    input  logic                out_ready,
    output logic [OUT_BITS-1:0] out_data
);
  localparam int MAXR = OUT_BITS / BUS_BITS;   // input words per output word
  localparam int CW = $clog2(MAXR + 1);   // bits of the fill count (0..MAXR)
  initial if (OUT_BITS % BUS_BITS != 0) $fatal(1, "gnn_agg_upsize: OUT_BITS must be a multiple of BUS_BITS");

  logic [CW-1:0] filled;
  logic full;
  assign out_valid = full;
  assign in_ready = !full || out_ready;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      filled <= '0;
      full <= 1'b0;
      out_data <= '0;
    end else begin
      logic [CW-1:0] base;
      base = (full && out_ready) ? '0 : filled;
      if (full && out_ready) full <= 1'b0;
      if (in_valid && in_ready) begin
        out_data[int'(base) * BUS_BITS +: BUS_BITS] <= in_data;
        if (base + 1'b1 == CW'(MAXR)) begin
          full <= 1'b1;
          filled <= '0;
        end else begin
          filled <= base + 1'b1;
        end
      end else if (full && out_ready) begin
        filled <= '0;
      end
    end
  end
endmodule

`default_nettype wire
