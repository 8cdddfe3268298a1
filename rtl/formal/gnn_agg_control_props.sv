// gnn_agg_control_formal: bounded-model-check wrapper of gnn_agg_control, the s_axi_control slave
// (rtl/formal/gnn_agg_control.sby, run by rtl/formal/formal.py). Every DUT input is a free input
// (any AXI-Lite master, compliant or not, any kernel_idle / kernel_done / status); the first cycle
// is a reset. Small reference models (the write address taken, GIE, IER, ISR) are kept here from
// the bus alone. PROPS selects the properties (bit i: property i):
//   0 b_hold        BVALID and BRESP hold until BREADY
//   1 r_hold        RVALID, RDATA and RRESP hold until RREADY
//   2 one_out       at most one write (AW taken .. B done) and one read (AR taken .. R done)
//                   outstanding
//   3 args_write    an argument register (9 pointers, n_dst, n_src, n_edges, feat_dim, mode,
//                   timeout)
//                   changes only on a W handshake to its address, and then only in the strobed
//                   bytes: a full-strobe write sets it to WDATA, a zero-strobe write leaves it
//   4 ro_words      reads of the read-only words (HW_MAGIC, HW_PARAMS, HW_MAX_FEAT,
//                   HW_TABLE_ELEMS, HW_FORMATS) always give their constants, the status words the
//                   kernel's values: no write changes them
//   5 isr_toggle    ISR reads back as the model: set by kernel_done, toggled by writes of 1
//   6 interrupt     interrupt == GIE & |(ISR & IER) (GIE, IER, ISR: the models)
// Not synthesizable RTL: read only by Yosys with -formal (not in rtl/files.f).
`default_nettype none

module gnn_agg_control_formal #(
    parameter int PROPS = 32'h7F
) (
    input wire        clk,
    input wire        rst_n,
    input wire        awvalid,
    input wire [8:0]  awaddr,
    input wire        wvalid,
    input wire [31:0] wdata,
    input wire [3:0]  wstrb,
    input wire        bready,
    input wire        arvalid,
    input wire [8:0]  araddr,
    input wire        rready,
    input wire        kernel_idle,
    input wire        kernel_done,
    input wire [5:0][31:0] status
);
  localparam logic [31:0] HW_PARAMS = 32'h00040810;
  localparam logic [31:0] HW_MAX_FEAT = 32'd256;
  localparam logic [31:0] HW_TABLE = 32'd131072;
  localparam logic [31:0] HW_FORMATS = 32'h203CC310;
  wire awready, wready, bvalid, arready, rvalid, interrupt, start;
  wire [1:0] bresp, rresp;
  wire [31:0] rdata;
  wire [8:0][63:0] ptr;
  wire [31:0] n_dst, n_src, n_edges, feat_dim, mode, n_pairs, timeout;

  gnn_agg_control #(.HW_PARAMS(HW_PARAMS), .HW_MAX_FEAT_WORD(HW_MAX_FEAT),
                    .HW_TABLE_ELEMS_WORD(HW_TABLE), .HW_FORMATS_WORD(HW_FORMATS)) dut (
      .clk, .rst_n, .awvalid, .awready, .awaddr, .wvalid, .wready, .wdata, .wstrb, .bvalid,
      .bready, .bresp, .arvalid, .arready, .araddr, .rvalid, .rready, .rdata, .rresp, .interrupt,
      .start, .kernel_idle, .kernel_done, .ptr, .n_dst, .n_src, .n_edges, .feat_dim, .mode, .n_pairs,
      .timeout, .status);

  reg past_valid = 1'b0;
  always @(posedge clk) past_valid <= 1'b1;
  always @(*) if (!past_valid) assume (!rst_n);

  wire aw_fire = awvalid && awready, w_fire = wvalid && wready, b_fire = bvalid && bready;
  wire ar_fire = arvalid && arready, r_fire = rvalid && rready;

  // reference models from the bus: write address taken, outstanding counts, GIE / IER / ISR
  reg [8:0] wa;
  reg [1:0] w_out, r_out;
  reg gie_m;
  reg [1:0] ier_m, isr_m;
  reg [1:0] isr_next;
  always @(*) begin
    isr_next = kernel_done ? 2'b11 : isr_m;
    if (w_fire && wstrb[0] && wa == gnn_agg_pkg::REG_ISR) isr_next = isr_next ^ wdata[1:0];
  end
  always @(posedge clk) begin
    if (!rst_n) begin
      wa <= 0;
      w_out <= 0;
      r_out <= 0;
      gie_m <= 0;
      ier_m <= 0;
      isr_m <= 0;
    end else begin
      if (aw_fire) wa <= awaddr;
      w_out <= w_out + aw_fire - b_fire;
      r_out <= r_out + ar_fire - r_fire;
      if (w_fire && wstrb[0] && wa == gnn_agg_pkg::REG_GIE) gie_m <= wdata[0];
      if (w_fire && wstrb[0] && wa == gnn_agg_pkg::REG_IER) ier_m <= wdata[1:0];
      isr_m <= isr_next;
    end
  end

  // the argument words as (address, value) pairs: 9 pointers x 2 words, then 5 scalars, TIMEOUT
  // and N_PAIRS
  wire [24:0][31:0] arg_now;
  wire [24:0][8:0] arg_addr;
  genvar gi;
  generate
    for (gi = 0; gi < 9; gi++) begin : g_ptr
      assign arg_now[2*gi] = ptr[gi][31:0];
      assign arg_now[2*gi+1] = ptr[gi][63:32];
      assign arg_addr[2*gi] = {1'b0, gnn_agg_pkg::REG_ROW_PTR + 8'(12 * gi)};
      assign arg_addr[2*gi+1] = {1'b0, gnn_agg_pkg::REG_ROW_PTR + 8'(12 * gi + 4)};
    end
  endgenerate
  assign arg_now[18] = n_dst;    assign arg_addr[18] = {1'b0, gnn_agg_pkg::REG_N_DST};
  assign arg_now[19] = n_src;    assign arg_addr[19] = {1'b0, gnn_agg_pkg::REG_N_SRC};
  assign arg_now[20] = n_edges;  assign arg_addr[20] = {1'b0, gnn_agg_pkg::REG_N_EDGES};
  assign arg_now[21] = feat_dim; assign arg_addr[21] = {1'b0, gnn_agg_pkg::REG_FEAT_DIM};
  assign arg_now[22] = mode;     assign arg_addr[22] = {1'b0, gnn_agg_pkg::REG_MODE};
  assign arg_now[23] = timeout;  assign arg_addr[23] = {1'b0, gnn_agg_pkg::REG_TIMEOUT};
  assign arg_now[24] = n_pairs;  assign arg_addr[24] = gnn_agg_pkg::REG_N_PAIRS;

  // 3: each byte of each argument word: WDATA's byte after a W handshake to its address with its
  // strobe set, else unchanged. The word is a free constant (any of the 25, chosen by the solver
  // per trace), so one assertion covers every word without 100 copies in the unrolled model.
  (* anyconst *) reg [4:0] arg_k;
  always @(*) assume (arg_k < 25);
  wire [31:0] arg_cur = arg_now[arg_k];
  wire [3:0] arg_hit = {4{w_fire && wa == arg_addr[arg_k]}} & wstrb;
  genvar gb;
  generate
    for (gb = 0; gb < 4; gb++) begin : g_byte
      always @(posedge clk) begin
        if (past_valid && rst_n && $past(rst_n) && PROPS[3]) begin
          if ($past(arg_hit[gb])) assert (arg_cur[8*gb +: 8] == $past(wdata[8*gb +: 8]));
          else assert (arg_cur[8*gb +: 8] == $past(arg_cur[8*gb +: 8]));
        end
      end
    end
  endgenerate

  // what a read of araddr taken last cycle must return, for the read-only words
  reg [8:0] ra_q;
  reg [5:0][31:0] status_q;
  always @(posedge clk) begin
    ra_q <= araddr;
    status_q <= status;
  end
  reg [31:0] ro_want;
  reg ro_hit;
  always @(*) begin
    ro_hit = 1'b1;
    case (ra_q)
      gnn_agg_pkg::REG_HW_MAGIC: ro_want = gnn_agg_pkg::HW_MAGIC;
      gnn_agg_pkg::REG_HW_PARAMS: ro_want = HW_PARAMS;
      gnn_agg_pkg::REG_HW_MAX_FEAT: ro_want = HW_MAX_FEAT;
      gnn_agg_pkg::REG_HW_TABLE_ELEMS: ro_want = HW_TABLE;
      gnn_agg_pkg::REG_HW_FORMATS: ro_want = HW_FORMATS;
      gnn_agg_pkg::REG_STAT_CYCLES: ro_want = status_q[0];
      gnn_agg_pkg::REG_STAT_EDGES: ro_want = status_q[1];
      gnn_agg_pkg::REG_STAT_STALLS: ro_want = status_q[2];
      gnn_agg_pkg::REG_STAT_RD_BEATS: ro_want = status_q[3];
      gnn_agg_pkg::REG_STAT_WR_BEATS: ro_want = status_q[4];
      gnn_agg_pkg::REG_STAT_ERROR: ro_want = status_q[5];
      default: begin ro_want = 0; ro_hit = 1'b0; end
    endcase
  end

  always @(posedge clk) begin
    if (past_valid && rst_n && $past(rst_n)) begin
      if (PROPS[0] && $past(bvalid && !bready)) assert (bvalid && bresp == $past(bresp));
      if (PROPS[1] && $past(rvalid && !rready))
        assert (rvalid && rdata == $past(rdata) && rresp == $past(rresp));
      if (PROPS[4] && $past(ar_fire) && ro_hit) assert (rdata == ro_want);
      if (PROPS[5] && $past(ar_fire) && $past(araddr) == gnn_agg_pkg::REG_ISR)
        assert (rdata == {30'b0, $past(isr_m)});
    end
  end
  always @(*) begin
    if (past_valid && rst_n) begin
      if (PROPS[2]) assert (w_out <= 1 && r_out <= 1);
      if (PROPS[6]) assert (interrupt == (gie_m && |(isr_m & ier_m)));
    end
  end
endmodule

`default_nettype wire
