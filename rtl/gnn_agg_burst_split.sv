// gnn_agg_burst_split: one AXI address channel (AR or AW) fed by commands. A command (address,
// normally bus-aligned, and beat count) becomes bursts of at most MAX_BURST beats that never cross
// a 4 KiB boundary, for any address: an unaligned start is cut from the bus word that holds it,
// and the bursts after the first start bus-aligned. A burst is issued when the channel register
// is free and the owner allows it (`allow`, decided from `burst`: the read streams check FIFO
// credits, the writer its B count).
// Shared by gnn_agg_rd_stream (AR) and gnn_agg_writer (AW).
`default_nettype none

module gnn_agg_burst_split #(
    parameter int BUS_BITS = 64,   // data width of the channel's bursts
    parameter int BEATS_W = 40,   // bits of a command's beat count
    parameter int MAX_BURST = 256    // 1..256
) (
    input  logic               clk,
    input  logic               rst_n,
    input  logic               cmd_valid,
    output logic               cmd_ready,   // the previous command is fully issued
    input  logic [63:0]        cmd_addr,
    input  logic [BEATS_W-1:0] cmd_beats,
    output logic [BEATS_W-1:0] burst,       // beats of the next burst (valid while beats remain)
    input  logic               allow,
    output logic               issue,       // one cycle: a burst of `burst` beats is issued
    output logic               ax_valid,
    input  logic               ax_ready,
    output logic [63:0]        ax_addr,
    output logic [7:0]         ax_len,
    output logic               busy         // beats of the command not issued yet
);
  localparam int LOG_BB = $clog2(BUS_BITS / 8);   // log2 of the bus width in bytes
  initial if (MAX_BURST > 256 || MAX_BURST < 1) $fatal(1, "gnn_agg_burst_split: MAX_BURST must be 1..256");

  // The next burst's address: the page part lags by one increment (page_step) so that no carry
  // runs from the burst length into the 52 page bits on the issue path; a burst never crosses
  // 4 KiB, so the low 12 bits carry into the page only when a burst ends on the page's end.
  logic [11:0] cur_lo;
  logic [63:12] cur_page;
  logic page_step;   // the page is cur_page + 1 (folded in the next cycle)
  logic [63:0] cur_addr;
  assign cur_addr = {cur_page + 52'(page_step), cur_lo};
  logic [BEATS_W-1:0] cur_beats;

  // Beats until the next 4 KiB boundary (1 .. 4096 / BUS_BYTES), counted from the bus word that
  // holds cur_addr: an unaligned start (the low LOG_BB bits set) still occupies that whole word,
  // so a burst never crosses 4 KiB whatever the command (defence in depth: the top's ALIGN check
  // makes commands bus-aligned, this module does not rely on it). The comparisons run in CW >= 13
  // bits so that neither MAX_BURST nor to_4k is truncated to a narrow BEATS_W.
  localparam int CW = BEATS_W > 13 ? BEATS_W : 13;
  logic [12:0] to_4k;
  logic [CW-1:0] cut;
  assign to_4k = 13'(4096 >> LOG_BB) - 13'(cur_addr[11:LOG_BB]);
  always_comb begin
    cut = CW'(cur_beats);
    if (cut > CW'(MAX_BURST)) cut = CW'(MAX_BURST);
    if (cut > CW'(to_4k)) cut = CW'(to_4k);
    burst = BEATS_W'(cut);   // <= cur_beats: fits
  end

  assign busy = cur_beats != 0;
  assign cmd_ready = cur_beats == 0;
  assign issue = cur_beats != 0 && (!ax_valid || ax_ready) && allow;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      cur_lo <= '0;
      cur_page <= '0;
      page_step <= 1'b0;
      cur_beats <= '0;
      ax_valid <= 1'b0;
      ax_addr <= '0;
      ax_len <= '0;
    end else begin
      if (ax_valid && ax_ready) ax_valid <= 1'b0;
      if (cmd_valid && cmd_ready) begin
        {cur_page, cur_lo} <= cmd_addr;
        page_step <= 1'b0;
        cur_beats <= cmd_beats;
      end else begin
        cur_page <= cur_page + 52'(page_step);
        page_step <= 1'b0;
        if (issue) begin
          ax_valid <= 1'b1;
          ax_addr <= cur_addr;
          ax_len <= 8'(burst - 1'b1);
          // the next burst starts on the bus word after this one (aligned, all lanes valid)
          {page_step, cur_lo} <= {1'b0, cur_lo & ~(12'((1 << LOG_BB) - 1))} + (13'(burst) << LOG_BB);
          cur_beats <= cur_beats - burst;
        end
      end
    end
  end

`ifndef SYNTHESIS
  // invariant (Verilator --assert builds; synthesis skips it): every burst issued has 1 ..
  // MAX_BURST beats and ends in the 4 KiB page of its first bus word
  always_ff @(posedge clk) begin
    if (rst_n && issue) begin
      assert (cut != 0 && cut <= CW'(MAX_BURST));
      assert (14'(cur_addr[11:LOG_BB]) + 14'(cut) <= 14'(4096 >> LOG_BB));
    end
  end
`endif
endmodule

`default_nettype wire
