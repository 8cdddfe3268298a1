// gnn_agg_control: the s_axi_control slave with the register map Vitis HLS generates
// (docs/CONTRACT.md "Register map"): CTRL (ap_start/done/idle/ready, auto_restart, interrupt),
// GIE/IER/ISR, 64-bit pointer and 32-bit scalar arguments, read-only status and hardware words,
// TIMEOUT (0xFC: the AXI response time-out, which Vitis's map does not have) and, past that block
// (hence a 9-bit address), N_PAIRS (0x100: the tiled layout's pair count).
`default_nettype none

module gnn_agg_control
#(
    parameter logic [31:0] HW_PARAMS = 32'h0,   // HW_PARAMS register: {0, PES, LANES, bus bytes}
    parameter logic [31:0] HW_MAX_FEAT_WORD = 32'd256,   // HW_MAX_FEAT register: MAX_FEAT
    parameter logic [31:0] HW_TABLE_ELEMS_WORD = 32'd131072,   // HW_TABLE_ELEMS register: TABLE_ELEMS
    parameter logic [31:0] HW_FORMATS_WORD = 32'h203CC310   // HW_FORMATS register: {0, ACC_BITS, COEF_FRAC, WGT_FRAC, FEAT_FRAC, FEAT_BITS}, 6 bits each
) (
    input  logic        clk,
    input  logic        rst_n,
    // AXI4-Lite
    input  logic        awvalid,
    output logic        awready,
    input  logic [8:0]  awaddr,
    input  logic        wvalid,
    output logic        wready,
    input  logic [31:0] wdata,
    input  logic [3:0]  wstrb,
    output logic        bvalid,
    input  logic        bready,
    output logic [1:0]  bresp,
    input  logic        arvalid,
    output logic        arready,
    input  logic [8:0]  araddr,
    output logic        rvalid,
    input  logic        rready,
    output logic [31:0] rdata,
    output logic [1:0]  rresp,
    output logic        interrupt,
    // kernel side
    output logic        start,          // one cycle: the kernel takes the arguments below
    input  logic        kernel_idle,
    input  logic        kernel_done,    // one cycle
    output logic [8:0][63:0] ptr,       // contract order: row_ptr .. acc_buf
    output logic [31:0] n_dst,
    output logic [31:0] n_src,
    output logic [31:0] n_edges,
    output logic [31:0] feat_dim,
    output logic [31:0] mode,
    output logic [31:0] n_pairs,        // N_PAIRS
    output logic [31:0] timeout,        // TIMEOUT: cycles without an m_axi response, 0 = none
    input  logic [5:0][31:0] status     // cycles, edges, stalls, rd_beats, wr_beats, error
);
  // ---------------- write channel: AW, then W, then B
  logic aw_held;
  logic [8:0] waddr_full;
  logic [7:0] waddr;    // the offset inside the Vitis block (0x00..0xFC) ...
  logic whigh;          // ... or past it (0x100..)
  assign {whigh, waddr} = waddr_full;
  assign awready = !aw_held && !bvalid;
  assign wready = aw_held;
  assign bresp = 2'b00;
  logic wfire;
  assign wfire = wvalid && wready;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      aw_held <= 1'b0;
      waddr_full <= '0;
      bvalid <= 1'b0;
    end else begin
      if (awvalid && awready) begin
        aw_held <= 1'b1;
        waddr_full <= awaddr;
      end
      if (wfire) begin
        aw_held <= 1'b0;
        bvalid <= 1'b1;
      end
      if (bvalid && bready) bvalid <= 1'b0;
    end
  end

  function automatic logic [31:0] merge(input logic [31:0] old, input logic [31:0] d, input logic [3:0] s);
    merge = old;
    for (int b = 0; b < 4; b++) if (s[b]) merge[8*b +: 8] = d[8*b +: 8];
  endfunction

  // ---------------- control bits
  logic ap_start, ap_done, ap_ready, auto_restart, gie, has_run;
  logic [1:0] ier, isr;
  logic ctrl_read;  // CTRL is being read: clear-on-read bits drop
  assign start = ap_start && kernel_idle;
  assign interrupt = gie && |(isr & ier);

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      ap_start <= 1'b0;
      ap_done <= 1'b0;
      ap_ready <= 1'b0;
      auto_restart <= 1'b0;
      gie <= 1'b0;
      ier <= '0;
      isr <= '0;
      has_run <= 1'b0;
    end else begin
      if (start) ap_start <= 1'b0;
      if (ctrl_read) begin
        ap_done <= 1'b0;
        ap_ready <= 1'b0;
      end
      if (kernel_done) begin
        ap_done <= 1'b1;
        ap_ready <= 1'b1;
        has_run <= 1'b1;
        isr <= isr | 2'b11;
        if (auto_restart) ap_start <= 1'b1;
      end
      if (wfire && wstrb[0] && !whigh) begin
        case (waddr)
          gnn_agg_pkg::REG_CTRL: begin
            if (wdata[0]) ap_start <= 1'b1;
            auto_restart <= wdata[7];
          end
          gnn_agg_pkg::REG_GIE: gie <= wdata[0];
          gnn_agg_pkg::REG_IER: ier <= wdata[1:0];
          gnn_agg_pkg::REG_ISR: isr <= (kernel_done ? 2'b11 : isr) ^ wdata[1:0];
          default: ;
        endcase
      end
    end
  end

  // ---------------- arguments
  // pointer i sits in the 12-byte slot at REG_ROW_PTR + 12 i: low word, high word, reserved
  function automatic logic [7:0] ptr_base(input int i);
    ptr_base = gnn_agg_pkg::REG_ROW_PTR + 8'(12 * i);
  endfunction
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      ptr <= '0;
      n_dst <= '0;
      n_src <= '0;
      n_edges <= '0;
      feat_dim <= '0;
      mode <= '0;
      n_pairs <= '0;
      timeout <= '0;
    end else if (wfire && whigh) begin
      if (waddr_full == gnn_agg_pkg::REG_N_PAIRS) n_pairs <= merge(n_pairs, wdata, wstrb);
    end else if (wfire) begin
      for (int i = 0; i < 9; i++) begin
        if (waddr == ptr_base(i)) ptr[i][31:0] <= merge(ptr[i][31:0], wdata, wstrb);
        if (waddr == ptr_base(i) + 8'd4) ptr[i][63:32] <= merge(ptr[i][63:32], wdata, wstrb);
      end
      case (waddr)
        gnn_agg_pkg::REG_N_DST: n_dst <= merge(n_dst, wdata, wstrb);
        gnn_agg_pkg::REG_N_SRC: n_src <= merge(n_src, wdata, wstrb);
        gnn_agg_pkg::REG_N_EDGES: n_edges <= merge(n_edges, wdata, wstrb);
        gnn_agg_pkg::REG_FEAT_DIM: feat_dim <= merge(feat_dim, wdata, wstrb);
        gnn_agg_pkg::REG_MODE: mode <= merge(mode, wdata, wstrb);
        gnn_agg_pkg::REG_TIMEOUT: timeout <= merge(timeout, wdata, wstrb);
        default: ;
      endcase
    end
  end

  // ---------------- read channel
  logic [31:0] rword;
  logic [7:0] raddr;    // as for writes: the offset inside the Vitis block, or past it
  logic rhigh;
  assign {rhigh, raddr} = araddr;
  always_comb begin
    rword = '0;
    case (raddr)
      gnn_agg_pkg::REG_CTRL: rword = {22'b0, interrupt, 1'b0, auto_restart, 3'b0, ap_ready, kernel_idle,
                         ap_done, ap_start};
      gnn_agg_pkg::REG_GIE: rword = {31'b0, gie};
      gnn_agg_pkg::REG_IER: rword = {30'b0, ier};
      gnn_agg_pkg::REG_ISR: rword = {30'b0, isr};
      gnn_agg_pkg::REG_N_DST: rword = n_dst;
      gnn_agg_pkg::REG_N_SRC: rword = n_src;
      gnn_agg_pkg::REG_N_EDGES: rword = n_edges;
      gnn_agg_pkg::REG_FEAT_DIM: rword = feat_dim;
      gnn_agg_pkg::REG_MODE: rword = mode;
      gnn_agg_pkg::REG_TIMEOUT: rword = timeout;
      gnn_agg_pkg::REG_HW_MAGIC: rword = gnn_agg_pkg::HW_MAGIC;
      gnn_agg_pkg::REG_HW_PARAMS: rword = HW_PARAMS;
      gnn_agg_pkg::REG_HW_MAX_FEAT: rword = HW_MAX_FEAT_WORD;
      gnn_agg_pkg::REG_HW_TABLE_ELEMS: rword = HW_TABLE_ELEMS_WORD;
      gnn_agg_pkg::REG_HW_FORMATS: rword = HW_FORMATS_WORD;
      default: ;
    endcase
    for (int i = 0; i < 9; i++) begin
      if (raddr == ptr_base(i)) rword = ptr[i][31:0];
      if (raddr == ptr_base(i) + 8'd4) rword = ptr[i][63:32];
    end
    // status words, each followed by the _ap_vld word Vitis puts at +4
    for (int s = 0; s < 6; s++) begin
      if (raddr == gnn_agg_pkg::REG_STAT_CYCLES + 8'(8 * s)) rword = status[s];
      if (raddr == gnn_agg_pkg::REG_STAT_CYCLES + 8'(8 * s + 4)) rword = {31'b0, has_run};
    end
    if (rhigh) rword = araddr == gnn_agg_pkg::REG_N_PAIRS ? n_pairs : '0;
  end

  assign arready = !rvalid;
  assign rresp = 2'b00;
  assign ctrl_read = arvalid && arready && araddr == {1'b0, gnn_agg_pkg::REG_CTRL};
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      rvalid <= 1'b0;
      rdata <= '0;
    end else begin
      if (arvalid && arready) begin
        rvalid <= 1'b1;
        rdata <= rword;
      end else if (rready) begin
        rvalid <= 1'b0;
      end
    end
  end

`ifndef SYNTHESIS
  // invariants (Verilator --assert builds; synthesis skips them): one outstanding transaction per
  // channel: a write holds its address or its response, never both, and takes no AW meanwhile;
  // a read takes no AR while its response waits
  always_ff @(posedge clk) begin
    if (rst_n) begin
      assert (!(aw_held && bvalid));
      assert (!(awvalid && awready) || !(aw_held || bvalid));
      assert (!(arvalid && arready) || !rvalid);
    end
  end
`endif
endmodule

`default_nettype wire
