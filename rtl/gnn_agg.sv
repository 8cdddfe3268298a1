// gnn_agg: GNN aggregation accelerator, one layer of
//     y_v = relu?( W? . post?( sum_{u in N(v)} edge_w? * pre?(x_u) ) )
// over a destination-major CSR graph, with the ports and register map Vitis HLS gives the same
// kernel (docs/CONTRACT.md). Architecture (docs/RTL.md):
//
//   s_axi_control -> control (args, CTRL/GIE/IER/ISR) -> sequencer (below)
//   read streams (row_ptr, col_idx, edge_w, dst_scale, acc_buf, feat_in/W, src_scale), each a
//     burst prefetcher with a credit-checked FIFO, share AR through a round-robin arbiter; R
//     beats return by ARID
//   loader: feat_in rows -> (pre-scale) -> node table (table mode), or W -> W memory
//   walker: row_ptr -> row degrees (ROW_PTR checks), col_idx -> index check -> groups of up to
//     PES edges of one row per cycle; DRAM_GATHER: per-edge row requests, many in flight
//   PE array: the groups are split by source bank (table row r in bank r % PES) into per-PE
//     entry FIFOs; each PE adds LANES elements per cycle over its bank (or, gather, PE 0 over
//     the gathered rows); a reducer adds the PES partial rows of each destination row
//   epilogue: acc_buf read-add-write between partitions, post-scale, W, ReLU -> writer (AW/W/B)
//
// Table mode splits the sources into partitions of R = TABLE_ELEMS / feat_dim rows; each pass
// loads one partition and streams the whole CSR ("Source tiling" in the contract).
//
// Top-level parameters (the host harness and tests set these by name):
//   BUS_BITS          m_axi_gmem data width (64 PYNQ-Z2, 128 Zynq UltraScale+)
//   LANES             feature elements added per cycle (power of two, LANES*FEAT_BITS % BUS_BITS == 0)
//   PES               processing elements = node-table banks (power of two; TABLE_ELEMS >= PES*MAX_FEAT)
//   MAX_FEAT          largest feat_dim (multiple of LANES)
//   TABLE_ELEMS       node table capacity in elements, all banks together (TABLE_ELEMS / LANES / PES
//                     a power of two); a partition holds R = TABLE_ELEMS / feat_dim rows rounded
//                     down to a multiple of PES
//   CSR_FIFO_DEPTH    words of prefetch per CSR/scale stream
//   COLIDX_FIFO_DEPTH words of prefetch for col_idx (the stream the PEs wait on; during an early
//                     start its bursts queue behind the table load's)
//   DATA_FIFO_DEPTH   words of prefetch for feature rows (gather: rows in flight * beats per row)
//   ENTRY_FIFO_DEPTH  entries (a row's edges of one group for one bank) queued per PE
//   ACC_SLOTS         accumulator slots per PE: finished partial rows waiting for the reducer + 1
//   LOAD_CHUNK_ROWS   single-partition runs load the table in chunks of this many rows, top
//                     chunk first, while the PEs already run (an edge waits for its row's chunk)
//   ROW_FIFO_DEPTH    lane words queued into and out of the epilogue (acc_buf in, rows out)
//   MAX_BURST         longest read burst in beats (<= 256, <= CSR_FIFO_DEPTH)
//   MAX_OUTSTANDING   read bursts in flight on m_axi_gmem (and write bursts awaiting B)
//   ID_BITS           m_axi_gmem ID width (>= 3: one ID per read stream)
// Number formats (docs/CONTRACT.md, "Numeric formats"; reported in HW_FORMATS):
//   FEAT_BITS         FEAT and WGT element width in memory, node table and datapath: 8 or 16
//   FEAT_FRAC         FEAT fraction bits (0..FEAT_BITS-1); only the host's reading of the numbers
//                     depends on it, the datapath is the same
//   WGT_FRAC          W fraction bits (1..FEAT_BITS-1): the matvec drops this many bits
//   COEF_FRAC         scale / edge-weight fraction bits (1..16, 16-bit unsigned container)
//   ACC_BITS          accumulator width, FEAT_BITS + 16 .. 32: exact sums of MAX_DEGREE terms;
//                     acc_buf keeps 32-bit elements (sign-extended) whatever ACC_BITS is
module gnn_agg
#(
    parameter int BUS_BITS = 64,
    parameter int LANES = 16,
    parameter int PES = 1,
    parameter int MAX_FEAT = 256,
    parameter int TABLE_ELEMS = 131072,
    parameter int CSR_FIFO_DEPTH = 128,
    parameter int COLIDX_FIFO_DEPTH = 256,
    parameter int DATA_FIFO_DEPTH = 256,
    parameter int ENTRY_FIFO_DEPTH = 32,
    parameter int ACC_SLOTS = 4,
    parameter int LOAD_CHUNK_ROWS = 256,
    parameter int ROW_FIFO_DEPTH = 16,
    parameter int MAX_BURST = 32,
    parameter int MAX_OUTSTANDING = 32,
    parameter int ID_BITS = 3,
    parameter int FEAT_BITS = 16,
    parameter int FEAT_FRAC = 12,
    parameter int WGT_FRAC = 12,
    parameter int COEF_FRAC = 15,
    parameter int ACC_BITS = 32
) (
    input  logic                  ap_clk,
    input  logic                  ap_rst_n,
    /* verilator lint_off SYMRSVDWORD */  // the Vitis HLS port name; only clashes in generated C++
    output logic                  interrupt,
    /* verilator lint_on SYMRSVDWORD */
    // AXI4-Lite control
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
    // AXI4 memory master
    output logic                  m_axi_gmem_AWVALID,
    input  logic                  m_axi_gmem_AWREADY,
    output logic [63:0]           m_axi_gmem_AWADDR,
    output logic [ID_BITS-1:0]    m_axi_gmem_AWID,
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
    output logic [ID_BITS-1:0]    m_axi_gmem_WID,
    output logic [0:0]            m_axi_gmem_WUSER,
    input  logic                  m_axi_gmem_BVALID,
    output logic                  m_axi_gmem_BREADY,
    input  logic [1:0]            m_axi_gmem_BRESP,
    input  logic [ID_BITS-1:0]    m_axi_gmem_BID,
    input  logic [0:0]            m_axi_gmem_BUSER,
    output logic                  m_axi_gmem_ARVALID,
    input  logic                  m_axi_gmem_ARREADY,
    output logic [63:0]           m_axi_gmem_ARADDR,
    output logic [ID_BITS-1:0]    m_axi_gmem_ARID,
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
    input  logic [ID_BITS-1:0]    m_axi_gmem_RID,
    input  logic [0:0]            m_axi_gmem_RUSER,
    input  logic [1:0]            m_axi_gmem_RRESP
);
  localparam int BUS_BYTES = BUS_BITS / 8;
  localparam int LOG_BB = $clog2(BUS_BYTES);
  localparam int LOG_LANES = $clog2(LANES);
  localparam int MAX_WPR = MAX_FEAT / LANES;
  localparam int KW = $clog2(MAX_WPR + 1);
  localparam int FW = $clog2(MAX_FEAT + 1);
  localparam int TABLE_WORDS = TABLE_ELEMS / LANES;
  localparam int TAW = $clog2(TABLE_WORDS);
  localparam int W_WORDS = MAX_FEAT * MAX_WPR;
  localparam int WAW = $clog2(W_WORDS);
  localparam int QB = $clog2(TABLE_ELEMS + 1);   // bits of R = TABLE_ELEMS / feat_dim
  localparam int BEATS_W = 40;
  localparam int LANE_SEL_W = $clog2(BUS_BITS / gnn_agg_pkg::COEF_BITS);  // COEF elements per bus word
  localparam int FEAT_BYTES = FEAT_BITS / 8;
  localparam int ACC_BUF_BITS = gnn_agg_pkg::ACC_BUF_BITS;
  localparam int N_STREAMS = 7;
  localparam int S_ROWPTR = 0, S_COLIDX = 1, S_EDGEW = 2, S_DSCALE = 3, S_ACCRD = 4, S_FEAT = 5, S_SSCALE = 6;

  // parameter checks at elaboration
  if (PES < 1 || PES != (1 << $clog2(PES)) || TABLE_ELEMS < PES * MAX_FEAT || TABLE_WORDS % PES != 0) begin : g_bad_pes
    $fatal(1, "gnn_agg: PES must be a power of two with TABLE_ELEMS >= PES * MAX_FEAT");
  end
  if (LANES != (1 << LOG_LANES) || (LANES * FEAT_BITS) % BUS_BITS != 0) begin : g_bad_lanes
    $fatal(1, "gnn_agg: LANES must be a power of two with LANES*FEAT_BITS a multiple of BUS_BITS");
  end
  if (FEAT_BITS != 8 && FEAT_BITS != 16) begin : g_bad_feat_bits
    $fatal(1, "gnn_agg: FEAT_BITS must be 8 or 16");
  end
  if (FEAT_FRAC < 0 || FEAT_FRAC >= FEAT_BITS || WGT_FRAC < 1 || WGT_FRAC >= FEAT_BITS) begin : g_bad_frac
    $fatal(1, "gnn_agg: FEAT_FRAC must be 0..FEAT_BITS-1 and WGT_FRAC 1..FEAT_BITS-1");
  end
  if (COEF_FRAC < 1 || COEF_FRAC > gnn_agg_pkg::COEF_BITS) begin : g_bad_coef_frac
    $fatal(1, "gnn_agg: COEF_FRAC must be 1..16");
  end
  if (ACC_BITS < FEAT_BITS + $clog2(gnn_agg_pkg::MAX_DEGREE) || ACC_BITS > ACC_BUF_BITS) begin : g_bad_acc_bits
    $fatal(1, "gnn_agg: ACC_BITS must be FEAT_BITS + 16 .. 32 (exact sums of MAX_DEGREE terms)");
  end
  if (MAX_FEAT % LANES != 0) begin : g_bad_max_feat
    $fatal(1, "gnn_agg: MAX_FEAT must be a multiple of LANES");
  end
  if (ID_BITS < 3) begin : g_bad_id_bits
    $fatal(1, "gnn_agg: ID_BITS must be >= 3 (seven read streams)");
  end

  logic clk, rst_n;
  assign clk = ap_clk;
  assign rst_n = ap_rst_n;

  // ======================================================================= control registers
  logic start, kernel_idle, kernel_done;
  logic [8:0][63:0] arg_ptr;
  logic [31:0] arg_n_dst, arg_n_src, arg_n_edges, arg_feat_dim, arg_mode;
  logic [5:0][31:0] status;

  gnn_agg_control #(
      .HW_PARAMS({8'd0, 8'(PES), 8'(LANES), 8'(BUS_BYTES)}),
      .HW_MAX_FEAT_WORD(32'(MAX_FEAT)),
      .HW_TABLE_ELEMS_WORD(32'(TABLE_ELEMS)),
      .HW_FORMATS_WORD({2'd0, 6'(ACC_BITS), 6'(COEF_FRAC), 6'(WGT_FRAC), 6'(FEAT_FRAC), 6'(FEAT_BITS)})
  ) control (
      .clk, .rst_n,
      .awvalid(s_axi_control_AWVALID), .awready(s_axi_control_AWREADY), .awaddr(s_axi_control_AWADDR),
      .wvalid(s_axi_control_WVALID), .wready(s_axi_control_WREADY), .wdata(s_axi_control_WDATA),
      .wstrb(s_axi_control_WSTRB), .bvalid(s_axi_control_BVALID), .bready(s_axi_control_BREADY),
      .bresp(s_axi_control_BRESP), .arvalid(s_axi_control_ARVALID), .arready(s_axi_control_ARREADY),
      .araddr(s_axi_control_ARADDR), .rvalid(s_axi_control_RVALID), .rready(s_axi_control_RREADY),
      .rdata(s_axi_control_RDATA), .rresp(s_axi_control_RRESP), .interrupt,
      .start, .kernel_idle, .kernel_done, .ptr(arg_ptr), .n_dst(arg_n_dst), .n_src(arg_n_src),
      .n_edges(arg_n_edges), .feat_dim(arg_feat_dim), .mode(arg_mode), .status);

  // ======================================================================= run state
  typedef enum logic [3:0] {
    IDLE, CHECK_DIM, DIVIDE, CHECK_PTRS, LOAD_W, FIND_LAST, PASS, LOAD_ISSUE, LOAD_WAIT, RUN_ISSUE,
    RUN_WAIT, FINISH, DONE
  } state_t;
  state_t state;

  logic [63:0] p_row_ptr, p_col_idx, p_edge_w, p_src_scale, p_dst_scale, p_feat_in, p_weight,
      p_feat_out, p_acc_buf;
  logic [31:0] n_dst, n_src, n_edges;
  logic [FW-1:0] feat_dim;
  logic [31:0] feat_dim_arg, mode;
  logic pre, post, ew, apply_w, relu, gather, idx16;
  assign pre = mode[gnn_agg_pkg::MODE_PRE_SCALE];
  assign post = mode[gnn_agg_pkg::MODE_POST_SCALE];
  assign ew = mode[gnn_agg_pkg::MODE_EDGE_WEIGHT];
  assign apply_w = mode[gnn_agg_pkg::MODE_APPLY_W];
  assign relu = mode[gnn_agg_pkg::MODE_RELU];
  assign gather = mode[gnn_agg_pkg::MODE_DRAM_GATHER];
  assign idx16 = mode[gnn_agg_pkg::MODE_IDX16];

  logic [KW-1:0] wpr;
  logic [15:0] row_bytes;        // feat_dim * FEAT_BYTES: a feature row in memory
  logic [15:0] acc_row_bytes;    // feat_dim * 4: an acc_buf row
  logic [15:0] row_beats;        // row_bytes / BUS_BYTES
  assign wpr = KW'(feat_dim >> LOG_LANES);
  assign row_bytes = 16'(feat_dim) << $clog2(FEAT_BYTES);
  assign acc_row_bytes = 16'(feat_dim) << $clog2(ACC_BUF_BITS / 8);
  assign row_beats = row_bytes >> LOG_BB;

  logic [gnn_agg_pkg::ERR_BITS-1:0] err;
  logic [QB-1:0] rows_per_part, div_rem;
  logic [$clog2(QB+1)-1:0] div_bit;
  logic [32:0] part_lo, part_hi;
  // The first pass (the remainder partition) leaves table rows [rem, R) unused: the rows the
  // next partition keeps there are loaded during that pass, so its own load is only rem rows.
  logic preload_pending, preloaded;
  logic [32:0] preload_src0, preload_nrows;
  logic first_pass, last_pass;
  // Early start: a pass over the only partition does not wait for its table load. The load runs
  // in chunks from the top rows down; table rows >= ready_lo are loaded, and a PE issues an edge
  // only when its row is. Other passes load first (ready_lo = 0).
  logic early, chunk_busy;
  logic [TAW:0] ready_lo, chunk_lo;

  // ---- argument checks (before any memory access)
  logic [8:0][63:0] used_ptr;
  logic [8:0][64:0] used_bytes;
  logic [8:0] used;
  always_comb begin
    used_ptr = {p_acc_buf, p_feat_out, p_weight, p_feat_in, p_dst_scale, p_src_scale, p_edge_w,
                p_col_idx, p_row_ptr};
    used_bytes[0] = 65'({1'b0, n_dst} + 33'd1) << 2;
    used_bytes[1] = 65'(n_edges) << (idx16 ? 1 : 2);
    used_bytes[2] = 65'(n_edges) << 1;
    used_bytes[3] = 65'(n_src) << 1;
    used_bytes[4] = 65'(n_dst) << 1;
    used_bytes[5] = 65'(n_src) * 65'(row_bytes);
    used_bytes[6] = 65'(feat_dim) * 65'(row_bytes);
    used_bytes[7] = 65'(n_dst) * 65'(row_bytes);
    used_bytes[8] = used_bytes[7] << $clog2(ACC_BUF_BITS / FEAT_BITS);  // acc_buf: 32-bit elements
    used = {!gather && {1'b0, n_src} > 33'(rows_per_part) && n_dst != 0,  // acc_buf: several partitions
            n_dst != 0, apply_w, n_src != 0, post && n_dst != 0, pre && n_src != 0,
            ew && n_edges != 0, n_edges != 0, 1'b1};
  end
  logic [gnn_agg_pkg::ERR_BITS-1:0] ptr_err;
  always_comb begin
    ptr_err = '0;
    for (int i = 0; i < 9; i++) begin
      if (used[i]) begin
        if (used_ptr[i] == 64'd0) ptr_err[gnn_agg_pkg::ERR_ARG] = 1'b1;
        if (used_ptr[i][5:0] != 6'd0) ptr_err[gnn_agg_pkg::ERR_ALIGN] = 1'b1;
        if ({1'b0, used_ptr[i]} + used_bytes[i] > {1'b1, 64'd0}) ptr_err[gnn_agg_pkg::ERR_RANGE] = 1'b1;
      end
    end
  end

  // ======================================================================= read side
  logic [N_STREAMS-1:0] s_cmd_valid, s_cmd_ready, s_ar_valid, s_ar_ready, s_r_valid, s_out_valid,
      s_out_ready, s_rd_error, s_idle;
  logic [N_STREAMS-1:0][63:0] s_cmd_addr, s_ar_addr;
  logic [N_STREAMS-1:0][BEATS_W-1:0] s_cmd_beats;
  logic [N_STREAMS-1:0][7:0] s_ar_len;
  logic [N_STREAMS-1:0][BUS_BITS-1:0] s_out_data;
  logic r_beat;

  for (genvar s = 0; s < N_STREAMS; s++) begin : g_stream
    localparam bit IS_DATA = s == S_FEAT || s == S_ACCRD;
    localparam int DEPTH = IS_DATA ? DATA_FIFO_DEPTH : s == S_COLIDX ? COLIDX_FIFO_DEPTH : CSR_FIFO_DEPTH;
    gnn_agg_rd_stream #(
        .BUS_BITS(BUS_BITS), .DEPTH(DEPTH), .MAX_BURST(IS_DATA ? DEPTH / 2 : MAX_BURST), .BEATS_W(BEATS_W)
    ) stream (
        .clk, .rst_n,
        .cmd_valid(s_cmd_valid[s]), .cmd_ready(s_cmd_ready[s]), .cmd_addr(s_cmd_addr[s]),
        .cmd_beats(s_cmd_beats[s]),
        .ar_valid(s_ar_valid[s]), .ar_ready(s_ar_ready[s]), .ar_addr(s_ar_addr[s]), .ar_len(s_ar_len[s]),
        .r_valid(s_r_valid[s]), .r_data(m_axi_gmem_RDATA), .r_resp(m_axi_gmem_RRESP),
        .out_valid(s_out_valid[s]), .out_ready(s_out_ready[s]), .out_data(s_out_data[s]),
        .rd_error(s_rd_error[s]), .idle(s_idle[s]));
  end

  gnn_agg_rd_arbiter #(
      .N(N_STREAMS), .ID_BITS(ID_BITS), .MAX_OUTSTANDING(MAX_OUTSTANDING)
  ) arbiter (
      .clk, .rst_n,
      .req_valid(s_ar_valid), .req_ready(s_ar_ready), .req_addr(s_ar_addr), .req_len(s_ar_len),
      .arvalid(m_axi_gmem_ARVALID), .arready(m_axi_gmem_ARREADY), .araddr(m_axi_gmem_ARADDR),
      .arlen(m_axi_gmem_ARLEN), .arid(m_axi_gmem_ARID),
      .rvalid(m_axi_gmem_RVALID), .rlast(m_axi_gmem_RLAST), .rid(m_axi_gmem_RID),
      .r_valid(s_r_valid), .r_beat);

  assign m_axi_gmem_RREADY = 1'b1;
  assign m_axi_gmem_ARSIZE = 3'(LOG_BB);
  assign m_axi_gmem_ARBURST = 2'b01;
  assign m_axi_gmem_ARLOCK = 2'b00;
  assign m_axi_gmem_ARCACHE = 4'b0011;
  assign m_axi_gmem_ARPROT = 3'b000;
  assign m_axi_gmem_ARQOS = 4'b0000;
  assign m_axi_gmem_ARREGION = 4'b0000;
  assign m_axi_gmem_ARUSER = 1'b0;

  // ---- element unpackers for the CSR and scale streams
  logic run_issue, load_issue, preload_issue, load_cmd;
  assign run_issue = state == RUN_ISSUE;
  assign load_issue = state == LOAD_ISSUE;
  assign preload_issue = state == RUN_WAIT && preload_pending && s_cmd_ready[S_FEAT] && s_cmd_ready[S_SSCALE];
  assign load_cmd = load_issue || preload_issue;

  localparam int GN = PES > 2 ? PES : 2;   // indices the walker looks at per cycle
  localparam int GNW = $clog2(GN + 1);
  logic rp_valid, rp_ready, ds_valid, ds_ready, ss_valid, ss_ready;
  logic [31:0] rp_data, ds_data32, ss_data32;
  logic [GNW-1:0] ci_count, ci_take, ew_count, ew_take;
  logic [GN-1:0][31:0] ci_data, ew_data;
  logic ss_in_ready, ss_to_unpack;
  // one table load: source rows [ld_src0, ld_src0 + ld_nrows) into consecutive table rows
  logic [32:0] ld_src0, ld_nrows;

  gnn_agg_unpack #(.BUS_BITS(BUS_BITS)) rp_unpack (
      .clk, .rst_n, .start(run_issue), .wide(1'b1), .skip('0), .count({1'b0, n_dst} + 33'd1),
      .in_valid(s_out_valid[S_ROWPTR]), .in_ready(s_out_ready[S_ROWPTR]), .in_data(s_out_data[S_ROWPTR]),
      .out_valid(rp_valid), .out_ready(rp_ready), .out_data(rp_data), .out_take2(1'b0),
      /* verilator lint_off PINCONNECTEMPTY */
      .out_valid2(), .out_data2());
      /* verilator lint_on PINCONNECTEMPTY */
  gnn_agg_window #(.BUS_BITS(BUS_BITS), .N(GN)) ci_window (
      .clk, .rst_n, .start(run_issue), .wide(!idx16), .count({1'b0, n_edges}),
      .in_valid(s_out_valid[S_COLIDX]), .in_ready(s_out_ready[S_COLIDX]), .in_data(s_out_data[S_COLIDX]),
      .out_count(ci_count), .out_data(ci_data), .out_take(ci_take));
  gnn_agg_window #(.BUS_BITS(BUS_BITS), .N(GN)) ew_window (
      .clk, .rst_n, .start(run_issue), .wide(1'b0), .count(ew ? {1'b0, n_edges} : 33'd0),
      .in_valid(s_out_valid[S_EDGEW]), .in_ready(s_out_ready[S_EDGEW]), .in_data(s_out_data[S_EDGEW]),
      .out_count(ew_count), .out_data(ew_data), .out_take(ew_take));
  gnn_agg_unpack #(.BUS_BITS(BUS_BITS)) ds_unpack (
      .clk, .rst_n, .start(run_issue), .wide(1'b0), .skip('0),
      .count(last_pass && post ? {1'b0, n_dst} : 33'd0),
      .in_valid(s_out_valid[S_DSCALE]), .in_ready(s_out_ready[S_DSCALE]), .in_data(s_out_data[S_DSCALE]),
      .out_valid(ds_valid), .out_ready(ds_ready), .out_data(ds_data32), .out_take2(1'b0),
      /* verilator lint_off PINCONNECTEMPTY */
      .out_valid2(), .out_data2());
      /* verilator lint_on PINCONNECTEMPTY */
  // src_scale of a partition starts at element part_lo, possibly inside a bus word
  gnn_agg_unpack #(.BUS_BITS(BUS_BITS)) ss_unpack (
      .clk, .rst_n, .start(load_cmd), .wide(1'b0), .skip(ld_src0[LANE_SEL_W-1:0]),
      .count(pre ? ld_nrows : 33'd0),
      .in_valid(s_out_valid[S_SSCALE] && ss_to_unpack), .in_ready(ss_in_ready), .in_data(s_out_data[S_SSCALE]),
      .out_valid(ss_valid), .out_ready(ss_ready), .out_data(ss_data32), .out_take2(1'b0),
      /* verilator lint_off PINCONNECTEMPTY */
      .out_valid2(), .out_data2());
      /* verilator lint_on PINCONNECTEMPTY */

  // ---- upsizers: bus words -> lane words
  logic feat_valid, feat_ready, accw_valid, accw_ready, feat_in_ready, accq_valid, accq_ready;
  logic [LANES*FEAT_BITS-1:0] feat_word;
  logic [LANES*ACC_BUF_BITS-1:0] accw_data, accq_data;
  gnn_agg_upsize #(.BUS_BITS(BUS_BITS), .OUT_BITS(LANES * FEAT_BITS)) feat_up (
      .clk, .rst_n, .in_valid(s_out_valid[S_FEAT]), .in_ready(feat_in_ready), .in_data(s_out_data[S_FEAT]),
      .out_valid(feat_valid), .out_ready(feat_ready), .out_data(feat_word));
  assign s_out_ready[S_FEAT] = feat_in_ready;
  gnn_agg_upsize #(.BUS_BITS(BUS_BITS), .OUT_BITS(LANES * ACC_BUF_BITS)) acc_up (
      .clk, .rst_n, .in_valid(s_out_valid[S_ACCRD]), .in_ready(s_out_ready[S_ACCRD]),
      .in_data(s_out_data[S_ACCRD]), .out_valid(accw_valid), .out_ready(accw_ready), .out_data(accw_data));
  // whole lane words of acc_buf queued ahead, so the epilogue combines one per cycle
  gnn_agg_fifo #(.WIDTH(LANES * ACC_BUF_BITS), .DEPTH(ROW_FIFO_DEPTH)) acc_queue (
      .clk, .rst_n, .in_valid(accw_valid), .in_ready(accw_ready), .in_data(accw_data),
      .out_valid(accq_valid), .out_ready(accq_ready), .out_data(accq_data),
      /* verilator lint_off PINCONNECTEMPTY */
      .count());
      /* verilator lint_on PINCONNECTEMPTY */

  // ======================================================================= loader
  logic ld_active, ld_to_w;
  localparam int LDW = (TAW > WAW ? TAW : WAW) + 1;  // counts lane words of the table or of W
  logic [LDW-1:0] ld_left, ld_addr;
  logic [KW-1:0] ld_k;
  logic [TAW-1:0] ld_row;   // table row being loaded (ld_addr counts W words)
  logic ld_fire, ld_scaled;
  assign ld_scaled = pre && !ld_to_w;
  assign ld_fire = ld_active && feat_valid && (!ld_scaled || ss_valid);
  logic [LANES*FEAT_BITS-1:0] ld_word;
  always_comb begin
    for (int l = 0; l < LANES; l++) begin
      logic signed [FEAT_BITS-1:0] x;
      x = feat_word[FEAT_BITS*l +: FEAT_BITS];
      ld_word[FEAT_BITS*l +: FEAT_BITS] = ld_scaled
          ? FEAT_BITS'(gnn_agg_pkg::scale_feat(ss_data32[15:0], gnn_agg_pkg::MAX_FEAT_BITS'(x), COEF_FRAC, FEAT_BITS))
          : x;
    end
  end
  assign ss_ready = ld_fire && ld_scaled && ld_k == wpr - 1'b1;

  logic accum_gather_valid, accum_gather_ready;
  assign feat_ready = gather && state == RUN_WAIT ? accum_gather_ready : ld_fire;
  assign accum_gather_valid = gather && state == RUN_WAIT && feat_valid;

  // ======================================================================= walker, PE array
  logic grp_valid, grp_ready, grp_row_end;
  logic [GN-1:0] grp_emit;
  logic [GN-1:0][TAW-1:0] grp_row;
  logic [GN-1:0][15:0] grp_weight;
  logic [LANE_SEL_W-1:0] grp_lane;
  logic gfeat_valid, gfeat_ready, gscale_valid, gscale_ready;
  logic [63:0] gfeat_addr, gscale_addr;
  logic err_row_ptr, err_index, walker_done;

  gnn_agg_walker #(.BUS_BITS(BUS_BITS), .TAW(TAW), .PES(PES)) walker (
      .clk, .rst_n, .start(run_issue), .n_dst, .n_src, .n_edges, .part_lo, .part_hi,
      .gather, .pre_scale(pre), .edge_weight(ew), .feat_in(p_feat_in), .src_scale(p_src_scale),
      .row_bytes,
      .rp_valid, .rp_ready, .rp_data, .ci_count, .ci_data, .ci_take, .ew_count, .ew_data, .ew_take,
      .grp_valid, .grp_ready, .grp_row_end, .grp_emit, .grp_row, .grp_weight, .grp_scale_lane(grp_lane),
      .gfeat_valid, .gfeat_ready, .gfeat_addr, .gscale_valid, .gscale_ready, .gscale_addr,
      .err_row_ptr, .err_index, .done(walker_done));

  logic epi_free, row_done, starved, accum_busy, snap_we;
  logic [$clog2(PES + 1)-1:0] edges_done;
  logic [(MAX_WPR > 1 ? $clog2(MAX_WPR) : 1)-1:0] snap_k;
  logic [LANES*ACC_BITS-1:0] snap_word;
  logic gs_valid, gs_ready;
  assign gs_valid = gather && s_out_valid[S_SSCALE];
  assign ss_to_unpack = !gather;
  assign s_out_ready[S_SSCALE] = gather ? gs_ready : ss_in_ready;

  gnn_agg_pe_array #(
      .LANES(LANES), .MAX_FEAT(MAX_FEAT), .TABLE_ELEMS(TABLE_ELEMS), .BUS_BITS(BUS_BITS), .PES(PES),
      .ENTRY_FIFO_DEPTH(ENTRY_FIFO_DEPTH), .ACC_SLOTS(ACC_SLOTS), .FEAT_BITS(FEAT_BITS),
      .COEF_FRAC(COEF_FRAC), .ACC_BITS(ACC_BITS)
  ) pes (
      .clk, .rst_n, .wpr, .gather, .pre_scale(pre), .edge_weight(ew), .ready_lo,
      .tw_en(ld_fire && !ld_to_w), .tw_row(ld_row), .tw_k(ld_k), .tw_data(ld_word),
      .grp_valid, .grp_ready, .grp_row_end, .grp_emit, .grp_row, .grp_weight, .grp_scale_lane(grp_lane),
      .gather_valid(accum_gather_valid), .gather_ready(accum_gather_ready), .gather_data(feat_word),
      .gscale_valid(gs_valid), .gscale_ready(gs_ready), .gscale_data(s_out_data[S_SSCALE]),
      .epilogue_free(epi_free), .row_done, .snap_we, .snap_k, .snap_word,
      .edges_done, .starved, .busy(accum_busy));

  // ======================================================================= epilogue, writer
  logic wcmd_valid, wcmd_ready, wdata_valid, wdata_ready, wdata_wide, row_written;
  logic wq_valid, wq_ready, wq_wide;
  logic [LANES*ACC_BUF_BITS-1:0] wq_data;
  logic [63:0] wcmd_addr;
  logic [15:0] wcmd_beats;
  logic [LANES*ACC_BUF_BITS-1:0] wdata;
  logic wr_error, w_beat, writer_idle;

  gnn_agg_epilogue #(
      .LANES(LANES), .MAX_FEAT(MAX_FEAT), .FEAT_BITS(FEAT_BITS), .WGT_FRAC(WGT_FRAC),
      .COEF_FRAC(COEF_FRAC), .ACC_BITS(ACC_BITS)
  ) epilogue (
      .clk, .rst_n, .start(run_issue), .wpr, .feat_dim, .first_pass, .last_pass,
      .post_scale(post), .apply_w, .relu, .feat_out(p_feat_out), .acc_buf(p_acc_buf),
      .row_bytes, .acc_row_bytes, .log_bus_bytes(8'(LOG_BB)),
      .ww_en(ld_fire && ld_to_w), .ww_addr(ld_addr[WAW-1:0]), .ww_data(ld_word),
      .free(epi_free), .row_done, .snap_we, .snap_k, .snap_word,
      .accin_valid(accq_valid), .accin_ready(accq_ready), .accin_data(accq_data),
      .dscale_valid(ds_valid), .dscale_ready(ds_ready), .dscale_data(ds_data32[15:0]),
      .wcmd_valid, .wcmd_ready, .wcmd_addr, .wcmd_beats,
      .wdata_valid, .wdata_ready, .wdata, .wdata_wide, .row_written);

  gnn_agg_writer #(
      .BUS_BITS(BUS_BITS), .LANES(LANES), .FEAT_BITS(FEAT_BITS), .MAX_OUTSTANDING(MAX_OUTSTANDING)
  ) writer (
      .clk, .rst_n,
      .cmd_valid(wcmd_valid), .cmd_ready(wcmd_ready), .cmd_addr(wcmd_addr), .cmd_beats(wcmd_beats),
      .data_valid(wq_valid), .data_ready(wq_ready), .data(wq_data), .data_wide(wq_wide),
      .awvalid(m_axi_gmem_AWVALID), .awready(m_axi_gmem_AWREADY), .awaddr(m_axi_gmem_AWADDR),
      .awlen(m_axi_gmem_AWLEN), .wvalid(m_axi_gmem_WVALID), .wready(m_axi_gmem_WREADY),
      .wdata(m_axi_gmem_WDATA), .wlast(m_axi_gmem_WLAST), .bvalid(m_axi_gmem_BVALID),
      .bresp(m_axi_gmem_BRESP), .wr_error, .w_beat, .idle(writer_idle));

  // finished lane words queue for the bus, so short rows do not wait for the writes of long ones
  gnn_agg_fifo #(.WIDTH(LANES * ACC_BUF_BITS + 1), .DEPTH(ROW_FIFO_DEPTH)) write_queue (
      .clk, .rst_n, .in_valid(wdata_valid), .in_ready(wdata_ready), .in_data({wdata_wide, wdata}),
      .out_valid(wq_valid), .out_ready(wq_ready), .out_data({wq_wide, wq_data}),
      /* verilator lint_off PINCONNECTEMPTY */
      .count());
      /* verilator lint_on PINCONNECTEMPTY */

  assign m_axi_gmem_AWID = '0;
  assign m_axi_gmem_AWSIZE = 3'(LOG_BB);
  assign m_axi_gmem_AWBURST = 2'b01;
  assign m_axi_gmem_AWLOCK = 2'b00;
  assign m_axi_gmem_AWCACHE = 4'b0011;
  assign m_axi_gmem_AWPROT = 3'b000;
  assign m_axi_gmem_AWQOS = 4'b0000;
  assign m_axi_gmem_AWREGION = 4'b0000;
  assign m_axi_gmem_AWUSER = 1'b0;
  assign m_axi_gmem_WSTRB = '1;
  assign m_axi_gmem_WID = '0;
  assign m_axi_gmem_WUSER = 1'b0;
  assign m_axi_gmem_BREADY = 1'b1;

  // ======================================================================= stream commands
  function automatic logic [BEATS_W-1:0] beats_of(input logic [64:0] bytes);
    beats_of = BEATS_W'((bytes + 65'(BUS_BYTES - 1)) >> LOG_BB);
  endfunction

  logic [63:0] load_feat_addr, load_scale_addr;
  assign load_feat_addr = p_feat_in + 64'(ld_src0) * 64'(row_bytes);
  assign load_scale_addr = (p_src_scale + 64'({ld_src0, 1'b0})) & ~64'(BUS_BYTES - 1);

  always_comb begin
    s_cmd_valid = '0;
    s_cmd_addr = '0;
    s_cmd_beats = '0;
    // CSR, dst_scale and acc_buf streams: one command per pass
    s_cmd_valid[S_ROWPTR] = run_issue;
    s_cmd_addr[S_ROWPTR] = p_row_ptr;
    s_cmd_beats[S_ROWPTR] = beats_of(used_bytes[0]);
    s_cmd_valid[S_COLIDX] = run_issue && n_edges != 0;
    s_cmd_addr[S_COLIDX] = p_col_idx;
    s_cmd_beats[S_COLIDX] = beats_of(used_bytes[1]);
    s_cmd_valid[S_EDGEW] = run_issue && ew && n_edges != 0;
    s_cmd_addr[S_EDGEW] = p_edge_w;
    s_cmd_beats[S_EDGEW] = beats_of(used_bytes[2]);
    s_cmd_valid[S_DSCALE] = run_issue && last_pass && post && n_dst != 0;
    s_cmd_addr[S_DSCALE] = p_dst_scale;
    s_cmd_beats[S_DSCALE] = beats_of(used_bytes[4]);
    s_cmd_valid[S_ACCRD] = run_issue && !first_pass && n_dst != 0;
    s_cmd_addr[S_ACCRD] = p_acc_buf;
    s_cmd_beats[S_ACCRD] = beats_of(used_bytes[8]);
    // feature rows: W, a table partition, or (gather) one source row per edge
    if (state == LOAD_W) begin
      s_cmd_valid[S_FEAT] = !ld_active && ld_left != 0;
      s_cmd_addr[S_FEAT] = p_weight;
      s_cmd_beats[S_FEAT] = beats_of(used_bytes[6]);
    end else if (load_cmd) begin
      s_cmd_valid[S_FEAT] = 1'b1;
      s_cmd_addr[S_FEAT] = load_feat_addr;
      s_cmd_beats[S_FEAT] = BEATS_W'(ld_nrows) * BEATS_W'(row_beats);
      s_cmd_valid[S_SSCALE] = pre;
      s_cmd_addr[S_SSCALE] = load_scale_addr;
      s_cmd_beats[S_SSCALE] = beats_of(65'({ld_src0[LANE_SEL_W-1:0], 1'b0}) + 65'({ld_nrows, 1'b0}));
    end else if (gather) begin
      s_cmd_valid[S_FEAT] = gfeat_valid;
      s_cmd_addr[S_FEAT] = gfeat_addr;
      s_cmd_beats[S_FEAT] = BEATS_W'(row_beats);
      s_cmd_valid[S_SSCALE] = gscale_valid;
      s_cmd_addr[S_SSCALE] = gscale_addr;
      s_cmd_beats[S_SSCALE] = BEATS_W'(1);
    end
  end
  assign gfeat_ready = state == RUN_WAIT && s_cmd_ready[S_FEAT];
  assign gscale_ready = state == RUN_WAIT && s_cmd_ready[S_SSCALE];

  // ======================================================================= sequencer
  logic [32:0] rows_ended, rows_written;
  logic all_streams_idle;
  assign all_streams_idle = &s_idle;
  assign kernel_idle = state == IDLE;
  assign kernel_done = state == DONE;

  logic [31:0] stat_cycles, stat_edges, stat_stalls, stat_rd_beats, stat_wr_beats;
  assign status = {32'(err), stat_wr_beats, stat_rd_beats, stat_stalls, stat_edges, stat_cycles};

  logic pass_finished;
  assign pass_finished = !ld_active && !preload_pending && !chunk_busy && walker_done && rows_ended == {1'b0, n_dst} && rows_written == {1'b0, n_dst} &&
                         !accum_busy && writer_idle && !wq_valid && all_streams_idle;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state <= IDLE;
      {p_row_ptr, p_col_idx, p_edge_w, p_src_scale, p_dst_scale, p_feat_in, p_weight, p_feat_out,
       p_acc_buf} <= '0;
      {n_dst, n_src, n_edges, feat_dim_arg, mode} <= '0;
      feat_dim <= '0;
      err <= '0;
      rows_per_part <= '0;
      div_rem <= '0;
      div_bit <= '0;
      part_lo <= '0;
      part_hi <= '0;
      ld_src0 <= '0;
      ld_nrows <= '0;
      preload_pending <= 1'b0;
      preloaded <= 1'b0;
      early <= 1'b0;
      chunk_busy <= 1'b0;
      ready_lo <= '0;
      chunk_lo <= '0;
      preload_src0 <= '0;
      preload_nrows <= '0;
      first_pass <= 1'b0;
      last_pass <= 1'b0;
      ld_active <= 1'b0;
      ld_to_w <= 1'b0;
      ld_left <= '0;
      ld_addr <= '0;
      ld_k <= '0;
      ld_row <= '0;
      rows_ended <= '0;
      rows_written <= '0;
      {stat_cycles, stat_edges, stat_stalls, stat_rd_beats, stat_wr_beats} <= '0;
    end else begin
      // ---- statistics: cleared at start, frozen after done
      if (start) begin
        {stat_cycles, stat_edges, stat_stalls, stat_rd_beats, stat_wr_beats} <= '0;
      end else if (state != IDLE) begin
        if (stat_cycles != '1) stat_cycles <= stat_cycles + 1'b1;
        stat_edges <= stat_edges + 32'(edges_done);
        if (state == RUN_WAIT && starved && rows_ended != {1'b0, n_dst}) stat_stalls <= stat_stalls + 1'b1;
        if (r_beat) stat_rd_beats <= stat_rd_beats + 1'b1;
        if (w_beat) stat_wr_beats <= stat_wr_beats + 1'b1;
      end
      // ---- run-time errors
      if (state != IDLE) begin
        if (err_row_ptr) err[gnn_agg_pkg::ERR_ROW_PTR] <= 1'b1;
        if (err_index) err[gnn_agg_pkg::ERR_INDEX] <= 1'b1;
        if (|s_rd_error) err[gnn_agg_pkg::ERR_AXI_RD] <= 1'b1;
        if (wr_error) err[gnn_agg_pkg::ERR_AXI_WR] <= 1'b1;
      end
      if (row_done) rows_ended <= rows_ended + 1'b1;
      if (row_written) rows_written <= rows_written + 1'b1;
      // ---- loader
      if (ld_fire) begin
        ld_addr <= ld_addr + 1'b1;
        ld_k <= ld_k == wpr - 1'b1 ? '0 : ld_k + 1'b1;
        if (ld_k == wpr - 1'b1) ld_row <= ld_row + 1'b1;
        ld_left <= ld_left - 1'b1;
        if (ld_left == 1) ld_active <= 1'b0;
      end

      case (state)
        IDLE: if (start) begin
          {p_row_ptr, p_col_idx, p_edge_w, p_src_scale, p_dst_scale, p_feat_in, p_weight, p_feat_out,
           p_acc_buf} <= {arg_ptr[0], arg_ptr[1], arg_ptr[2], arg_ptr[3], arg_ptr[4], arg_ptr[5],
                          arg_ptr[6], arg_ptr[7], arg_ptr[8]};
          n_dst <= arg_n_dst;
          n_src <= arg_n_src;
          n_edges <= arg_n_edges;
          feat_dim_arg <= arg_feat_dim;
          mode <= arg_mode;
          err <= '0;
          state <= CHECK_DIM;
        end
        CHECK_DIM: begin
          // feat_dim must be a positive multiple of LANES (= lcm(LANES, BUS_BITS/FEAT_BITS)), <= MAX_FEAT
          if (feat_dim_arg == 0 || feat_dim_arg > 32'(MAX_FEAT) || feat_dim_arg[LOG_LANES-1:0] != 0) begin
            err[gnn_agg_pkg::ERR_ARG] <= 1'b1;
            state <= DONE;
          end else begin
            if (mode[31:gnn_agg_pkg::MODE_BITS] != 0 || (idx16 && n_src > 32'(gnn_agg_pkg::IDX16_MAX_SRC))) err[gnn_agg_pkg::ERR_ARG] <= 1'b1;
            feat_dim <= FW'(feat_dim_arg);
            rows_per_part <= '0;
            div_rem <= '0;
            div_bit <= $bits(div_bit)'(QB);
            state <= DIVIDE;
          end
        end
        DIVIDE: begin
          // rows_per_part = TABLE_ELEMS / feat_dim, one quotient bit per cycle
          if (div_bit == 0) begin
            rows_per_part <= rows_per_part & ~QB'(PES - 1);  // whole rows in every bank
            state <= CHECK_PTRS;
          end else begin
            logic [QB:0] r;
            r = {div_rem, 1'(QB'(TABLE_ELEMS) >> (div_bit - 1'b1))};
            if (r >= (QB + 1)'(feat_dim)) begin
              div_rem <= QB'(r - (QB + 1)'(feat_dim));
              rows_per_part[div_bit - 1'b1] <= 1'b1;
            end else begin
              div_rem <= QB'(r);
            end
            div_bit <= div_bit - 1'b1;
          end
        end
        CHECK_PTRS: begin
          err <= err | ptr_err;
          if (err != 0 || ptr_err != 0) begin
            state <= DONE;
          end else if (apply_w) begin
            ld_active <= 1'b0;
            ld_to_w <= 1'b1;
            ld_left <= LDW'(feat_dim) * LDW'(wpr);
            ld_addr <= '0;
            ld_k <= '0;
            state <= LOAD_W;
          end else begin
            state <= FIND_LAST;
          end
          part_lo <= '0;
          part_hi <= {1'b0, n_src};
          preloaded <= 1'b0;
        end
        LOAD_W: begin
          if (s_cmd_valid[S_FEAT] && s_cmd_ready[S_FEAT]) ld_active <= 1'b1;
          if (ld_active && ld_fire && ld_left == 1) state <= FIND_LAST;
        end
        // Partitions run from the last (the remainder, usually the smallest) down to partition 0,
        // so the acc_buf read-back of the final pass overlaps the compute of a full partition.
        FIND_LAST: begin
          if (!gather && part_lo + 33'(rows_per_part) < {1'b0, n_src}) part_lo <= part_lo + 33'(rows_per_part);
          else state <= PASS;
        end
        PASS: begin
          logic [32:0] rows, load_rows;
          rows = part_hi - part_lo;
          load_rows = preloaded ? rows - preload_nrows : rows;
          first_pass <= part_hi == {1'b0, n_src};
          last_pass <= part_lo == 0;
          ld_to_w <= 1'b0;
          ld_addr <= '0;
          ld_k <= '0;
          ld_row <= '0;
          ld_src0 <= part_lo;
          ld_nrows <= load_rows;
          ld_left <= LDW'(load_rows * 33'(wpr));
          preloaded <= 1'b0;
          preload_pending <= 1'b0;
          early <= 1'b0;
          chunk_busy <= 1'b0;
          ready_lo <= '0;
          if (!gather && part_lo == 0 && part_hi == {1'b0, n_src} && load_rows != 0) begin
            // the only partition: top chunk first, the run starts at once
            logic [32:0] lo;
            lo = load_rows > 33'(LOAD_CHUNK_ROWS) ? load_rows - 33'(LOAD_CHUNK_ROWS) : 33'd0;
            early <= 1'b1;
            chunk_busy <= 1'b1;
            ready_lo <= (TAW + 1)'(load_rows);
            chunk_lo <= (TAW + 1)'(lo);
            ld_src0 <= lo;
            ld_nrows <= load_rows - lo;
            ld_left <= LDW'((load_rows - lo) * 33'(wpr));
            ld_row <= TAW'(lo);
          end
          if (!gather && part_hi == {1'b0, n_src} && part_lo != 0 && rows < 33'(rows_per_part)) begin
            preload_src0 <= part_lo - 33'(rows_per_part) + rows;
            preload_nrows <= 33'(rows_per_part) - rows;
            preload_pending <= 1'b1;
            preloaded <= 1'b1;
          end
          state <= !gather && load_rows != 0 ? LOAD_ISSUE : RUN_ISSUE;
        end
        LOAD_ISSUE: begin
          ld_active <= 1'b1;
          state <= early ? RUN_ISSUE : LOAD_WAIT;
        end
        LOAD_WAIT: if (!ld_active && all_streams_idle && !ss_valid) begin
          // set the loader up for the preload (issued once the pass runs)
          if (preload_pending) begin
            ld_src0 <= preload_src0;
            ld_nrows <= preload_nrows;
            ld_addr <= LDW'((part_hi - part_lo) * 33'(wpr));
            ld_row <= TAW'(part_hi - part_lo);
            ld_left <= LDW'(preload_nrows * 33'(wpr));
            ld_k <= '0;
          end
          state <= RUN_ISSUE;
        end
        RUN_ISSUE: begin
          rows_ended <= '0;
          rows_written <= '0;
          state <= RUN_WAIT;
        end
        RUN_WAIT: if (preload_issue) begin
          preload_pending <= 1'b0;
          ld_active <= 1'b1;
        end else if (chunk_busy && !ld_active && !preload_pending) begin
          // a chunk is in the table; set up the next one down
          logic [TAW:0] lo;
          lo = chunk_lo > (TAW + 1)'(LOAD_CHUNK_ROWS) ? chunk_lo - (TAW + 1)'(LOAD_CHUNK_ROWS) : '0;
          ready_lo <= chunk_lo;
          if (chunk_lo == 0) begin
            chunk_busy <= 1'b0;
          end else begin
            chunk_lo <= lo;
            ld_src0 <= 33'(lo);
            ld_nrows <= 33'(chunk_lo - lo);
            ld_left <= LDW'(33'(chunk_lo - lo) * 33'(wpr));
            ld_row <= TAW'(lo);
            ld_k <= '0;
            preload_pending <= 1'b1;
          end
        end else if (pass_finished && !run_issue) begin
          if (last_pass) begin
            state <= FINISH;
          end else begin
            part_hi <= part_lo;
            part_lo <= part_lo - 33'(rows_per_part);
            state <= PASS;
          end
        end
        FINISH: if (writer_idle && !wq_valid && all_streams_idle) state <= DONE;
        DONE: state <= IDLE;
        default: state <= IDLE;
      endcase
    end
  end

  wire unused = &{1'b0, m_axi_gmem_BID, m_axi_gmem_BUSER, m_axi_gmem_RUSER,
                  ds_data32[31:16], ss_data32[31:16], feat_dim_arg[31:FW]};
endmodule
