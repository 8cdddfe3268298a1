// copy_kernel: a test fixture for the Verilator harness (tests/sim/test_harness.py), not part of
// the accelerator. It has gnn_agg's ports and control registers (Vitis HLS layout, docs/CONTRACT.md)
// and one job: copy n_src * feat_dim int16 elements from feat_in to feat_out in bursts of at most
// 16 beats that never cross 4 KiB, counting cycles and beats in the stat_* registers and
// reporting SLVERR/DECERR responses as stat_error AXI_RD / AXI_WR. That is enough to exercise
// every part of the harness (AXI-Lite master, DDR model timing, error injection, interrupt, reset)
// independently of the real kernel. The FAULT word at 0x98 (kept through reset) makes it break one
// AXI master rule on purpose, so tests see each of the harness's protocol checks fire.
`default_nettype none

module copy_kernel #(
    parameter int BUS_BITS = 64,   // m_axi_gmem data width
    parameter int LANES = 16,   // reported in HW_PARAMS only (gnn_agg's parameters, so the harness can build either)
    parameter int PES = 1,   // reported in HW_PARAMS only
    parameter int MAX_FEAT = 256,   // reported in HW_MAX_FEAT only
    parameter int TABLE_ELEMS = 131072   // reported in HW_TABLE_ELEMS only
) (
    input  logic                  ap_clk,
    input  logic                  ap_rst_n,
    output logic                  interrupt,
    input  logic                  s_axi_control_AWVALID,
    output logic                  s_axi_control_AWREADY,
    input  logic [7:0]            s_axi_control_AWADDR,
    input  logic                  s_axi_control_WVALID,
    output logic                  s_axi_control_WREADY,
    input  logic [31:0]           s_axi_control_WDATA,
    input  logic [3:0]            s_axi_control_WSTRB,
    output logic                  s_axi_control_BVALID,
    input  logic                  s_axi_control_BREADY,
    output logic [1:0]            s_axi_control_BRESP,
    input  logic                  s_axi_control_ARVALID,
    output logic                  s_axi_control_ARREADY,
    input  logic [7:0]            s_axi_control_ARADDR,
    output logic                  s_axi_control_RVALID,
    input  logic                  s_axi_control_RREADY,
    output logic [31:0]           s_axi_control_RDATA,
    output logic [1:0]            s_axi_control_RRESP,
    output logic                  m_axi_gmem_AWVALID,
    input  logic                  m_axi_gmem_AWREADY,
    output logic [63:0]           m_axi_gmem_AWADDR,
    output logic [0:0]            m_axi_gmem_AWID,
    output logic [7:0]            m_axi_gmem_AWLEN,
    output logic [2:0]            m_axi_gmem_AWSIZE,
    output logic [1:0]            m_axi_gmem_AWBURST,
    output logic [1:0]            m_axi_gmem_AWLOCK,
    output logic [3:0]            m_axi_gmem_AWCACHE,
    output logic [2:0]            m_axi_gmem_AWPROT,
    output logic [3:0]            m_axi_gmem_AWQOS,
    output logic [3:0]            m_axi_gmem_AWREGION,
    output logic [0:0]            m_axi_gmem_AWUSER,
    output logic                  m_axi_gmem_WVALID,
    input  logic                  m_axi_gmem_WREADY,
    output logic [BUS_BITS-1:0]   m_axi_gmem_WDATA,
    output logic [BUS_BITS/8-1:0] m_axi_gmem_WSTRB,
    output logic                  m_axi_gmem_WLAST,
    output logic [0:0]            m_axi_gmem_WUSER,
    input  logic                  m_axi_gmem_BVALID,
    output logic                  m_axi_gmem_BREADY,
    input  logic [1:0]            m_axi_gmem_BRESP,
    input  logic [0:0]            m_axi_gmem_BID,
    input  logic [0:0]            m_axi_gmem_BUSER,
    output logic                  m_axi_gmem_ARVALID,
    input  logic                  m_axi_gmem_ARREADY,
    output logic [63:0]           m_axi_gmem_ARADDR,
    output logic [0:0]            m_axi_gmem_ARID,
    output logic [7:0]            m_axi_gmem_ARLEN,
    output logic [2:0]            m_axi_gmem_ARSIZE,
    output logic [1:0]            m_axi_gmem_ARBURST,
    output logic [1:0]            m_axi_gmem_ARLOCK,
    output logic [3:0]            m_axi_gmem_ARCACHE,
    output logic [2:0]            m_axi_gmem_ARPROT,
    output logic [3:0]            m_axi_gmem_ARQOS,
    output logic [3:0]            m_axi_gmem_ARREGION,
    output logic [0:0]            m_axi_gmem_ARUSER,
    input  logic                  m_axi_gmem_RVALID,
    output logic                  m_axi_gmem_RREADY,
    input  logic [BUS_BITS-1:0]   m_axi_gmem_RDATA,
    input  logic                  m_axi_gmem_RLAST,
    input  logic [0:0]            m_axi_gmem_RID,
    input  logic [0:0]            m_axi_gmem_RUSER,
    input  logic [1:0]            m_axi_gmem_RRESP
);
  localparam int BB = BUS_BITS / 8;   // bus bytes
  localparam int MAX_BEATS = 16;   // longest burst
  // FAULT values: the rule broken (0: none)
  localparam logic [7:0] F_VALID_DROP = 1,   // ARVALID falls for a cycle after a stall
                         F_ADDR_CHANGE = 2,  // ARADDR moves on after a stall
                         F_WDATA_CHANGE = 3, // WDATA changes after a stall
                         F_SIZE = 4,         // ARSIZE one less than the bus width
                         F_UNALIGNED = 5,    // ARADDR 2 bytes past the bus word
                         F_WRAP = 6,         // ARBURST = WRAP
                         F_NO_4K = 7,        // bursts ignore 4 KiB boundaries
                         F_WLAST = 8,        // WLAST on the first beat of each burst
                         F_W_EARLY = 9,      // one cycle of WVALID before AWVALID
                         F_RESET_VALID = 10, // ARVALID high while in reset
                         F_TWO_READS = 11,   // each AR issued twice (two reads in flight)
                         F_TWO_WRITES = 12;  // each AW issued twice (two writes awaiting B)

  // ---- control registers ---------------------------------------------------------------------
  logic [31:0] regs [64];  // argument words by address[7:2]
  logic start, done, idle, gie, auto_restart;
  logic [1:0] ier, isr;
  logic [31:0] stat_cycles, stat_rd_beats, stat_wr_beats, stat_error;

  function automatic logic [31:0] arg(input logic [7:0] a);
    arg = regs[a[7:2]];
  endfunction

  function automatic logic [31:0] read_word(input logic [7:0] a);
    case (a)
      8'h00: read_word = {22'd0, interrupt, 1'b0, auto_restart, 3'd0, idle, idle, done, start};
      8'h04: read_word = {31'd0, gie};
      8'h08: read_word = {30'd0, ier};
      8'h0C: read_word = {30'd0, isr};
      8'hA4: read_word = stat_cycles;
      8'hAC: read_word = arg(8'h8C);  // stat_edges: n_edges
      8'hB4: read_word = 32'd0;
      8'hBC: read_word = stat_rd_beats;
      8'hC4: read_word = stat_wr_beats;
      8'hCC: read_word = stat_error;
      8'hD4: read_word = 32'h474E4101;
      8'hDC: read_word = {8'd0, 8'(PES), 8'(LANES), 8'(BB)};
      8'hE4: read_word = 32'(MAX_FEAT);
      8'hEC: read_word = 32'(TABLE_ELEMS);
      default: read_word = regs[a[7:2]];
    endcase
  endfunction

  assign s_axi_control_AWREADY = s_axi_control_AWVALID && s_axi_control_WVALID && !s_axi_control_BVALID;
  assign s_axi_control_WREADY = s_axi_control_AWREADY;
  assign s_axi_control_BRESP = 2'b00;
  assign s_axi_control_ARREADY = !s_axi_control_RVALID;
  assign s_axi_control_RRESP = 2'b00;
  assign interrupt = gie && |(isr & ier);

  // ---- copy engine -----------------------------------------------------------------------------
  typedef enum logic [3:0] {S_IDLE, S_AR, S_AR2, S_R, S_PREW, S_AW, S_AW2, S_W, S_B} state_t;
  state_t state;
  logic [7:0] fault;
  logic ar_stalled, w_stalled, ar_gap;  // a stall happened in this AR / W phase; ARVALID's gap
  logic [63:0] src, dst;
  logic [31:0] words_left;
  logic [7:0] beats, beat;
  logic [BUS_BITS-1:0] buffer [MAX_BEATS];
  logic finish;  // the engine ends the run this cycle

  wire [31:0] total_words = (arg(8'h84) * arg(8'h94) * 2) / BB;
  wire [12:0] to_4k = 13'h1000 - {1'b0, src[11:0]};
  wire [31:0] chunk_4k = 32'(to_4k) / BB;
  wire [31:0] chunk = words_left < chunk_4k || fault == F_NO_4K ? words_left : chunk_4k;
  wire [7:0] next_beats = chunk < MAX_BEATS ? chunk[7:0] : 8'(MAX_BEATS);

  assign m_axi_gmem_ARVALID = ((state == S_AR || state == S_AR2) && !ar_gap) || (fault == F_RESET_VALID && !ap_rst_n);
  assign m_axi_gmem_ARADDR = src + (fault == F_ADDR_CHANGE && ar_stalled ? 64'(BB) : 64'd0)
                             + (fault == F_UNALIGNED ? 64'd2 : 64'd0);
  assign m_axi_gmem_ARLEN = next_beats - 8'd1;
  assign m_axi_gmem_AWVALID = state == S_AW || state == S_AW2;
  assign m_axi_gmem_AWADDR = dst;
  assign m_axi_gmem_AWLEN = beats - 8'd1;
  assign m_axi_gmem_ARSIZE = 3'($clog2(BB)) - (fault == F_SIZE ? 3'd1 : 3'd0);
  assign m_axi_gmem_AWSIZE = 3'($clog2(BB));
  assign m_axi_gmem_ARBURST = fault == F_WRAP ? 2'b10 : 2'b01;
  assign m_axi_gmem_AWBURST = 2'b01;
  assign {m_axi_gmem_ARID, m_axi_gmem_ARLOCK, m_axi_gmem_ARCACHE, m_axi_gmem_ARPROT, m_axi_gmem_ARQOS,
          m_axi_gmem_ARREGION, m_axi_gmem_ARUSER} = '0;
  assign {m_axi_gmem_AWID, m_axi_gmem_AWLOCK, m_axi_gmem_AWCACHE, m_axi_gmem_AWPROT, m_axi_gmem_AWQOS,
          m_axi_gmem_AWREGION, m_axi_gmem_AWUSER, m_axi_gmem_WUSER} = '0;
  assign m_axi_gmem_RREADY = state == S_R;
  assign m_axi_gmem_WVALID = state == S_W || state == S_PREW;
  assign m_axi_gmem_WDATA = buffer[beat[3:0]] ^ BUS_BITS'(fault == F_WDATA_CHANGE && w_stalled);
  assign m_axi_gmem_WSTRB = '1;
  assign m_axi_gmem_WLAST = fault == F_WLAST ? beat == 8'd0 : beat == beats - 8'd1;
  assign m_axi_gmem_BREADY = state == S_B;
  assign idle = state == S_IDLE && !start;

  always_ff @(posedge ap_clk) begin  // FAULT survives reset (the reset-value fault needs it)
    if (s_axi_control_AWREADY && s_axi_control_AWADDR == 8'h98) fault <= s_axi_control_WDATA[7:0];
  end

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      {ar_stalled, w_stalled, ar_gap} <= '0;
      state <= S_IDLE;
      {start, done, gie, auto_restart, ier, isr, finish} <= '0;
      {stat_cycles, stat_rd_beats, stat_wr_beats, stat_error} <= '0;
      s_axi_control_BVALID <= 1'b0;
      s_axi_control_RVALID <= 1'b0;
      s_axi_control_RDATA <= '0;
      for (int i = 0; i < 64; i++) regs[i] <= '0;
    end else begin
      finish <= 1'b0;
      // AXI-Lite writes
      if (s_axi_control_AWREADY) begin
        s_axi_control_BVALID <= 1'b1;
        case (s_axi_control_AWADDR)
          8'h00: begin
            if (s_axi_control_WDATA[0] && idle) start <= 1'b1;
            auto_restart <= s_axi_control_WDATA[7];
          end
          8'h04: gie <= s_axi_control_WDATA[0];
          8'h08: ier <= s_axi_control_WDATA[1:0];
          8'h0C: isr <= isr ^ s_axi_control_WDATA[1:0];
          default: regs[s_axi_control_AWADDR[7:2]] <= s_axi_control_WDATA;
        endcase
      end else if (s_axi_control_BREADY) begin
        s_axi_control_BVALID <= 1'b0;
      end
      // AXI-Lite reads (CTRL.ap_done clears on read)
      if (s_axi_control_ARVALID && s_axi_control_ARREADY) begin
        s_axi_control_RVALID <= 1'b1;
        s_axi_control_RDATA <= read_word(s_axi_control_ARADDR);
        if (s_axi_control_ARADDR == 8'h00) done <= 1'b0;
      end else if (s_axi_control_RREADY) begin
        s_axi_control_RVALID <= 1'b0;
      end
      if (state != S_IDLE) stat_cycles <= stat_cycles + 32'd1;
      ar_gap <= fault == F_VALID_DROP && m_axi_gmem_ARVALID && !m_axi_gmem_ARREADY;
      if (m_axi_gmem_ARVALID && !m_axi_gmem_ARREADY) ar_stalled <= 1'b1;
      if (m_axi_gmem_WVALID && !m_axi_gmem_WREADY && state == S_W) w_stalled <= 1'b1;
      case (state)
        S_IDLE: if (start) begin
          start <= 1'b0;
          {stat_cycles, stat_rd_beats, stat_wr_beats} <= '0;
          src <= {arg(8'h50), arg(8'h4C)};
          dst <= {arg(8'h68), arg(8'h64)};
          words_left <= total_words;
          if (arg(8'h94) == 0) begin
            stat_error <= 32'd1;  // Err.ARG
            finish <= 1'b1;
          end else begin
            stat_error <= '0;
            state <= S_AR;
            finish <= total_words == 0;
            if (total_words == 0) state <= S_IDLE;
          end
        end
        S_AR: if (m_axi_gmem_ARVALID && m_axi_gmem_ARREADY) begin
          beats <= next_beats;
          state <= fault == F_TWO_READS ? S_AR2 : S_R;
          beat <= '0;
          ar_stalled <= 1'b0;
        end
        S_AR2: if (m_axi_gmem_ARVALID && m_axi_gmem_ARREADY) state <= S_R;
        S_R: if (m_axi_gmem_RVALID) begin
          buffer[beat[3:0]] <= m_axi_gmem_RDATA;
          stat_rd_beats <= stat_rd_beats + 32'd1;
          if (m_axi_gmem_RRESP != 2'b00) stat_error[5] <= 1'b1;
          beat <= beat + 8'd1;
          if (m_axi_gmem_RLAST) state <= fault == F_W_EARLY ? S_PREW : S_AW;
        end
        S_PREW: state <= S_AW;
        S_AW: if (m_axi_gmem_AWREADY) begin
          state <= fault == F_TWO_WRITES ? S_AW2 : S_W;
          beat <= '0;
        end
        S_AW2: if (m_axi_gmem_AWREADY) state <= S_W;
        S_W: if (m_axi_gmem_WREADY) begin
          stat_wr_beats <= stat_wr_beats + 32'd1;
          beat <= beat + 8'd1;
          w_stalled <= 1'b0;
          if (beat == beats - 8'd1) state <= S_B;
        end
        S_B: if (m_axi_gmem_BVALID) begin
          if (m_axi_gmem_BRESP != 2'b00) stat_error[6] <= 1'b1;
          src <= src + 64'(beats) * BB;
          dst <= dst + 64'(beats) * BB;
          words_left <= words_left - 32'(beats);
          if (words_left == 32'(beats)) begin
            state <= S_IDLE;
            finish <= 1'b1;
          end else begin
            state <= S_AR;
          end
        end
        default: state <= S_IDLE;
      endcase
      if (finish) begin
        done <= 1'b1;
        isr[0] <= isr[0] | ier[0];
      end
    end
  end
endmodule

`default_nettype wire
