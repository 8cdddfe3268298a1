// gnn_agg_writer: writes rows to memory. A command (bus-aligned address, beats) becomes AW bursts
// of at most 256 beats that never cross 4 KiB; data comes as lane words (LANES elements of
// FEAT_BITS, or of 32 bits with `data_wide`) cut into bus beats. B responses are counted; `idle` means every write of
// every command has been answered, which the controller waits for before reading acc_buf back.
`default_nettype none

module gnn_agg_writer #(
    parameter int BUS_BITS = 64,   // m_axi_gmem data width
    parameter int LANES = 16,   // elements per lane word
    parameter int FEAT_BITS = 16,   // FEAT element width (narrow lane words)
    parameter int MAX_OUTSTANDING = 16,   // write bursts awaiting B
    parameter int ID_BITS = 3   // AWID / WID / BID width
) (
    input  logic                  clk,
    input  logic                  rst_n,
    input  logic                  cmd_valid,
    output logic                  cmd_ready,
    input  logic [63:0]           cmd_addr,
    input  logic [15:0]           cmd_beats,
    input  logic                  data_valid,
    output logic                  data_ready,
    input  logic [LANES*gnn_agg_pkg::ACC_BUF_BITS-1:0] data,
    input  logic                  data_wide,
    output logic                  awvalid,
    input  logic                  awready,
    output logic [63:0]           awaddr,
    output logic [7:0]            awlen,
    output logic [ID_BITS-1:0]    awid,
    output logic [2:0]            awsize,
    output logic [1:0]            awburst,
    output logic [1:0]            awlock,
    output logic [3:0]            awcache,
    output logic [2:0]            awprot,
    output logic [3:0]            awqos,
    output logic [3:0]            awregion,
    output logic [0:0]            awuser,
    output logic                  wvalid,
    input  logic                  wready,
    output logic [BUS_BITS-1:0]   wdata,
    output logic                  wlast,
    output logic [BUS_BITS/8-1:0] wstrb,
    output logic [ID_BITS-1:0]    wid,
    output logic [0:0]            wuser,
    input  logic                  bvalid,
    output logic                  bready,
    input  logic [ID_BITS-1:0]    bid,
    input  logic [0:0]            buser,
    /* verilator lint_off UNUSEDSIGNAL */  // bit 0 separates SLVERR from DECERR: both are errors
    input  logic [1:0]            bresp,
    /* verilator lint_on UNUSEDSIGNAL */
    output logic                  wr_error,   // a B response was SLVERR / DECERR (one cycle)
    output logic                  w_beat,     // a W beat was sent (one cycle)
    output logic                  idle
);
  localparam int SLICES_WIDE = LANES * gnn_agg_pkg::ACC_BUF_BITS / BUS_BITS;   // bus beats per lane word of 32-bit elements (acc_buf)
  localparam int SLICES_NARROW = LANES * FEAT_BITS / BUS_BITS;   // bus beats per lane word of FEAT elements (feat_out)
  localparam int SW = $clog2(SLICES_WIDE + 1);   // bits of a beat index in a lane word
  localparam int OW = $clog2(MAX_OUTSTANDING + 1);   // bits of the B count
  initial if (LANES * FEAT_BITS % BUS_BITS != 0) $fatal(1, "gnn_agg_writer: LANES*FEAT_BITS must be a multiple of BUS_BITS");

  // ---- AW: split the command into bursts (gnn_agg_burst_split)
  logic [15:0] burst;
  logic [OW-1:0] b_pending;   // bursts whose B has not come back
  logic len_in_ready, len_valid;
  logic [7:0] len_head;
  logic issue, aw_busy;
  gnn_agg_burst_split #(.BUS_BITS(BUS_BITS), .BEATS_W(16), .MAX_BURST(256)) split (
      .clk, .rst_n, .cmd_valid, .cmd_ready, .cmd_addr, .cmd_beats, .burst,
      .allow(len_in_ready && b_pending != OW'(MAX_OUTSTANDING)), .issue,
      .ax_valid(awvalid), .ax_ready(awready), .ax_addr(awaddr), .ax_len(awlen), .busy(aw_busy));

  logic b_done;
  assign b_done = bvalid && b_pending != 0;

  always_ff @(posedge clk) begin
    if (!rst_n) b_pending <= '0;
    else b_pending <= b_pending + (issue ? OW'(1) : '0) - (b_done ? OW'(1) : '0);
  end
  assign wr_error = b_done && bresp[1];

  // burst lengths in AW order, so the W side knows where WLAST goes
  gnn_agg_fifo #(.WIDTH(8), .DEPTH(16)) len_fifo (
      .clk, .rst_n,
      .in_valid(issue), .in_ready(len_in_ready), .in_data(8'(burst - 1'b1)),
      .out_valid(len_valid), .out_ready(wvalid && wready && wlast), .out_data(len_head),
      /* verilator lint_off PINCONNECTEMPTY */
      .count());
      /* verilator lint_on PINCONNECTEMPTY */

  // ---- W: cut lane words into beats
  logic [LANES*gnn_agg_pkg::ACC_BUF_BITS-1:0] word;
  logic word_wide, have_word;
  logic [SW-1:0] slice;
  logic [7:0] beat;

  assign wvalid = have_word && len_valid;
  assign wdata = word[int'(slice) * BUS_BITS +: BUS_BITS];
  assign wlast = beat == len_head;
  logic last_slice;
  assign last_slice = slice == (word_wide ? SW'(SLICES_WIDE - 1) : SW'(SLICES_NARROW - 1));
  assign data_ready = !have_word || (wvalid && wready && last_slice);
  assign w_beat = wvalid && wready;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      have_word <= 1'b0;
      word <= '0;
      word_wide <= 1'b0;
      slice <= '0;
      beat <= '0;
    end else begin
      if (wvalid && wready) begin
        beat <= wlast ? 8'd0 : beat + 1'b1;
        slice <= last_slice ? '0 : slice + 1'b1;
        if (last_slice) have_word <= 1'b0;
      end
      if (data_valid && data_ready) begin
        have_word <= 1'b1;
        word <= data;
        word_wide <= data_wide;
      end
    end
  end

  assign idle = !aw_busy && !awvalid && !len_valid && !have_word && b_pending == 0;

  // AXI fields the writer does not vary: ID 0, INCR bursts of full bus words, B always taken
  assign awid = '0;
  assign awsize = 3'($clog2(BUS_BITS / 8));
  assign awburst = 2'b01;
  assign awlock = 2'b00;
  assign awcache = 4'b0011;
  assign awprot = 3'b000;
  assign awqos = 4'b0000;
  assign awregion = 4'b0000;
  assign awuser = 1'b0;
  assign wstrb = '1;
  assign wid = '0;
  assign wuser = 1'b0;
  assign bready = 1'b1;
  wire unused = &{1'b0, bid, buser};
endmodule

`default_nettype wire
