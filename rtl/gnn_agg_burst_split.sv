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
    output logic [7:0]         burst_len,   // burst - 1 (its AX_LEN)
    output logic               burst_one,   // burst == 1
    input  logic               allow,
    output logic               issue,       // one cycle: a burst of `burst` beats is issued
    output logic               ax_valid,
    input  logic               ax_ready,
    output logic [63:0]        ax_addr,
    output logic [7:0]         ax_len,
    output logic               busy         // beats of the command not issued yet
);
  localparam int LOG_BB = $clog2(BUS_BITS / 8);   // log2 of the bus width in bytes
  localparam int K = 12 - LOG_BB;   // bits of a bus word's index in its 4 KiB page
  localparam int WPP = 4096 >> LOG_BB;   // bus words per 4 KiB page
  localparam int L = $clog2(MAX_BURST + 1);   // bits of a burst (<= MAX_BURST)
  localparam int HW = BEATS_W > L ? BEATS_W - L : 1;   // bits of the beat count above L
  localparam int CAP_PAGE = WPP > MAX_BURST ? MAX_BURST : WPP;   // the cap at a page start
  initial if (MAX_BURST > 256 || MAX_BURST < 1) $fatal(1, "gnn_agg_burst_split: MAX_BURST must be 1..256");

  // Every decision of the issue cycle comes from registers without an adder in front: the page's
  // words left (to4k), the cap min(MAX_BURST, to4k) and to4k > MAX_BURST are kept from the
  // command and updated per burst with constants; the beat count is split at L bits (lo, hi with
  // hi != 0 kept as a flag), so `more` (beats remain after a burst of cap) is an L-bit compare.
  // The next burst's address: the page part lags by one increment (page_step) so that no carry
  // runs from the burst length into the 52 page bits on the issue path; a burst never crosses
  // 4 KiB, so the low 12 bits carry into the page only when a burst ends on the page's end.
  logic [11:0] cur_lo;
  logic [63:12] cur_page;
  logic page_step;   // the page is cur_page + 1 (folded in the next cycle)
  logic [63:0] cur_addr;
  assign cur_addr = {cur_page + 52'(page_step), cur_lo};
  logic [L-1:0] lo;   // beats left: {hi, lo}
  logic [HW-1:0] hi;
  logic hi_nz;   // hi != 0
  logic [K:0] to4k;   // bus words from the one that holds cur_addr to the page's end (1 .. WPP)
  logic [L-1:0] cap;   // min(MAX_BURST, to4k)
  logic [7:0] cap_len;   // cap - 1 (AX_LEN of a burst of cap beats)
  logic gt;   // to4k > MAX_BURST

  // Beats until the next 4 KiB boundary are counted from the bus word that holds the address: an
  // unaligned start (the low LOG_BB bits set) still occupies that whole word, so a burst never
  // crosses 4 KiB whatever the command (defence in depth: the top's ALIGN check makes commands
  // bus-aligned, this module does not rely on it).
  logic [K:0] to4k_in;
  logic gt_in;
  logic [L-1:0] cap_in;
  logic [7:0] cap_len_in;
  assign to4k_in = (K + 1)'(WPP) - (K + 1)'(cmd_addr[11:LOG_BB]);
  assign gt_in = WPP > MAX_BURST && 32'(cmd_addr[11:LOG_BB]) < 32'(WPP - MAX_BURST);
  assign cap_in = gt_in ? L'(MAX_BURST) : L'(to4k_in);
  assign cap_len_in = gt_in ? 8'(MAX_BURST - 1) : 8'(K'(~cmd_addr[11:LOG_BB]));   // to4k_in - 1

  // after a burst of cap beats: the rest of the page (cap was MAX_BURST) or a new page
  logic [K:0] to4k_nx;
  logic gt_nx;
  logic [L-1:0] cap_nx;
  logic [7:0] cap_len_nx;
  always_comb begin
    if (gt) begin
      to4k_nx = to4k - (K + 1)'(MAX_BURST);
      gt_nx = 32'(to4k) > 32'(2 * MAX_BURST);
      cap_nx = gt_nx ? L'(MAX_BURST) : L'(to4k_nx);
      cap_len_nx = gt_nx ? 8'(MAX_BURST - 1) : 8'(to4k - (K + 1)'(MAX_BURST + 1));
    end else begin
      to4k_nx = (K + 1)'(WPP);
      gt_nx = WPP > MAX_BURST;
      cap_nx = L'(CAP_PAGE);
      cap_len_nx = 8'(CAP_PAGE - 1);
    end
  end

  logic more;   // the beats left exceed cap: this burst is cap, beats remain after it
  assign more = hi_nz || lo > cap;
  assign burst = BEATS_W'(more ? cap : lo);
  assign burst_len = more ? cap_len : 8'(lo - 1'b1);
  assign burst_one = more ? cap_len == 0 : lo == L'(1);
  assign busy = hi_nz || lo != 0;
  assign cmd_ready = !busy;
  assign issue = busy && (!ax_valid || ax_ready) && allow;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      cur_lo <= '0;
      cur_page <= '0;
      page_step <= 1'b0;
      lo <= '0;
      hi <= '0;
      hi_nz <= 1'b0;
      to4k <= (K + 1)'(WPP);
      cap <= L'(CAP_PAGE);
      cap_len <= 8'(CAP_PAGE - 1);
      gt <= WPP > MAX_BURST;
      ax_valid <= 1'b0;
      ax_addr <= '0;
      ax_len <= '0;
    end else begin
      if (ax_valid && ax_ready) ax_valid <= 1'b0;
      if (cmd_valid && cmd_ready) begin
        {cur_page, cur_lo} <= cmd_addr;
        page_step <= 1'b0;
        {hi, lo} <= (HW + L)'(cmd_beats);
        hi_nz <= (HW + L)'(cmd_beats) >> L != 0;
        to4k <= to4k_in;
        cap <= cap_in;
        cap_len <= cap_len_in;
        gt <= gt_in;
      end else begin
        cur_page <= cur_page + 52'(page_step);
        page_step <= 1'b0;
        if (issue) begin
          ax_valid <= 1'b1;
          ax_addr <= cur_addr;
          ax_len <= burst_len;
          // the next burst starts on the bus word after cap beats (aligned, all lanes valid);
          // after a command's last burst (not `more`) these are not used: the next command
          // loads them
          {page_step, cur_lo} <= {1'b0, cur_lo & ~(12'((1 << LOG_BB) - 1))} + (13'(cap) << LOG_BB);
          to4k <= to4k_nx;
          cap <= cap_nx;
          cap_len <= cap_len_nx;
          gt <= gt_nx;
          // beats left - cap, or none; lo < cap borrows from hi (then hi != 0)
          lo <= more ? lo - cap : '0;
          if (more && lo < cap) begin
            hi <= hi - 1'b1;
            hi_nz <= hi != HW'(1);
          end
        end
      end
    end
  end

`ifndef SYNTHESIS
  // invariants (Verilator --assert builds; synthesis skips it): every burst issued has 1 ..
  // MAX_BURST beats and ends in the 4 KiB page of its first bus word; the kept page state is
  // what it stands for
  always_ff @(posedge clk) begin
    if (rst_n) begin
      assert (32'(to4k) == 32'(WPP) - 32'(cur_addr[11:LOG_BB]));
      assert (32'(cap) == (32'(to4k) < 32'(MAX_BURST) ? 32'(to4k) : 32'(MAX_BURST)));
      assert (gt == (32'(to4k) > 32'(MAX_BURST)));
      assert (32'(cap_len) == 32'(cap) - 1);
      assert (hi_nz == (hi != 0));
    end
    if (rst_n && issue) begin
      assert (burst != 0 && 32'(burst) <= 32'(MAX_BURST));
      assert (14'(cur_addr[11:LOG_BB]) + 14'(burst) <= 14'(4096 >> LOG_BB));
    end
  end
`endif
endmodule

`default_nettype wire
