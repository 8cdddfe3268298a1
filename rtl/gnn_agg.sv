// gnn_agg: GNN aggregation accelerator, one layer of
//     y_v = relu?( W? . post?( sum_{u in N(v)} edge_w? * pre?(x_u) ) )
// over a destination-major CSR graph, with the ports and register map Vitis HLS gives the same
// kernel (docs/CONTRACT.md). Architecture (docs/RTL.md):
//
//   s_axi_control -> control (args, CTRL/GIE/IER/ISR) -> sequencer (gnn_agg_seq: argument
//     checks in gnn_agg_argcheck, the partition size from gnn_agg_div, passes and their loads)
//   reader (gnn_agg_reader): read streams (row_ptr, col_idx, edge_w, dst_scale, acc_buf,
//     feat_in/W, src_scale), each a burst prefetcher with a credit-checked FIFO, share AR through
//     a round-robin arbiter; R beats return by ARID
//   loader (gnn_agg_loader): feat_in rows -> (pre-scale) -> node table (table mode), or W -> W memory
//   walker: row_ptr -> row degrees (ROW_PTR checks), col_idx -> index check -> groups of up to
//     PES edges of one row per cycle; DRAM_GATHER: per-edge row requests, many in flight
//   PE array: the groups are split by source bank (table row r in bank r % PES) into per-PE
//     entry FIFOs; each PE adds LANES elements per cycle over its bank (or, gather, PE 0 over
//     the gathered rows); a reducer adds the PES partial rows of each destination row
//   epilogue: acc_buf read-add-write between partitions (only the passes that touch a row: the
//     walker's row plans), post-scale, W, ReLU -> writer (AW/W/B)
//   watchdog: the AXI response time-out (TIMEOUT); on expiry the sequencer aborts the run and
//     resets the datapath (every block but control and sequencer) for one cycle
//
// Table mode splits the sources into partitions of R = TABLE_ELEMS / feat_dim rows; each pass
// loads one partition and streams the whole CSR ("Source tiling" in the contract).
//
// This file is structural: it checks the parameters and wires the blocks together (docs/RTL.md,
// "Modules").
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
`default_nettype none

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
    input  logic [8:0]            s_axi_control_AWADDR,
    input  logic                  s_axi_control_WVALID,
    output logic                  s_axi_control_WREADY,
    input  logic [31:0]           s_axi_control_WDATA,
    input  logic [3:0]            s_axi_control_WSTRB,
    output logic                  s_axi_control_BVALID,
    input  logic                  s_axi_control_BREADY,
    output logic [1:0]            s_axi_control_BRESP,
    input  logic                  s_axi_control_ARVALID,
    output logic                  s_axi_control_ARREADY,
    input  logic [8:0]            s_axi_control_ARADDR,
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
  localparam int BUS_BYTES = BUS_BITS / 8;   // bus width in bytes
  localparam int LOG_BB = $clog2(BUS_BYTES);   // log2 of the bus width in bytes
  localparam int LOG_LANES = $clog2(LANES);   // log2(LANES)
  localparam int MAX_WPR = MAX_FEAT / LANES;              // most lane words per row
  localparam int KW = $clog2(MAX_WPR + 1);                // bits of wpr (lane words per row)
  localparam int KIW = MAX_WPR > 1 ? $clog2(MAX_WPR) : 1; // bits of a lane-word index in a row
  localparam int FW = $clog2(MAX_FEAT + 1);               // bits of feat_dim
  localparam int TABLE_WORDS = TABLE_ELEMS / LANES;       // node table lane words
  localparam int TAW = $clog2(TABLE_WORDS);               // bits of a table row number
  localparam int W_WORDS = MAX_FEAT * MAX_WPR;            // W memory lane words
  localparam int WAW = $clog2(W_WORDS);                   // bits of a W word address
  localparam int QB = $clog2(TABLE_ELEMS + 1);            // bits of R = TABLE_ELEMS / feat_dim
  localparam int BEATS_W = 40;                            // bits of a read command's beat count
  localparam int LANE_SEL_W = $clog2(BUS_BITS / gnn_agg_pkg::COEF_BITS);  // COEF elements per bus word
  localparam int ACC_BUF_BITS = gnn_agg_pkg::ACC_BUF_BITS;  // acc_buf element width in memory
  localparam int NS = gnn_agg_pkg::RD_STREAMS;            // read streams
  localparam int GN = PES > 2 ? PES : 2;                  // slots of a walker group
  localparam int SN = BUS_BITS / 16 > GN ? BUS_BITS / 16 : GN;   // indices the walker scans per cycle
  localparam int GNW = $clog2(SN + 1);                    // bits of a walker window count
  localparam int PCW = $clog2(PES + 1);                   // bits of edges done per cycle

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

  // ======================================================================= wires
  // control <-> sequencer
  logic start, kernel_idle, kernel_done;
  logic [8:0][63:0] arg_ptr;
  logic [31:0] arg_n_dst, arg_n_src, arg_n_edges, arg_feat_dim, arg_mode, arg_n_pairs, arg_timeout;
  logic [5:0][31:0] status;
  // the run (sequencer outputs)
  logic [8:0][63:0] ptr;      // row_ptr, col_idx, edge_w, src_scale, dst_scale, feat_in, weight, feat_out, acc_buf
  logic [31:0] n_dst, n_src, n_edges, feat_dim_arg, mode, n_pairs, timeout;
  // the datapath's reset: ap_rst_n, or the sequencer's abort after a time-out
  logic abort, dp_rst_n, timed_out;
  assign dp_rst_n = ap_rst_n && !abort;
  logic [FW-1:0] feat_dim;
  logic [KW-1:0] wpr;
  logic [15:0] row_bytes, acc_row_bytes, row_beats;
  logic pre, post, ew, apply_w, relu, gather, idx16, tiled;
  logic run_issue, stream_start, gather_run;
  logic [32:0] part_lo, part_hi;
  logic single_part, tile_more;   // one partition; tiled: the pass ended at a marker
  logic [28:0] tile_part;         // tiled: that marker's partition
  logic [TAW:0] ready_lo;
  // argument checks, divider
  logic dim_err, mode_err;
  logic [gnn_agg_pkg::ERR_BITS-1:0] ptr_err;
  logic [8:0][64:0] buf_bytes;
  logic [QB-1:0] rows_per_part, div_divisor, div_quotient;
  logic div_start, div_busy;
  // read commands
  logic [NS-1:0] rd_cmd_valid, rd_cmd_ready;
  logic [NS-1:0][63:0] rd_cmd_addr;
  logic [NS-1:0][BEATS_W-1:0] rd_cmd_beats;
  // loader
  logic ld_cmd_valid, ld_cmd_ready, ld_cmd_to_w, ld_busy, ld_last;
  logic [32:0] ld_cmd_src0, ld_cmd_nrows;
  logic [TAW-1:0] ld_cmd_row0;
  logic ld_feat_cmd_valid, ld_feat_cmd_ready, ld_scale_cmd_valid, ld_scale_cmd_ready;
  logic [63:0] ld_feat_cmd_addr, ld_scale_cmd_addr;
  logic [BEATS_W-1:0] ld_feat_cmd_beats, ld_scale_cmd_beats;
  logic ld_scale_start;
  logic [LANE_SEL_W-1:0] ld_scale_skip;
  logic [32:0] ld_scale_count;
  logic tw_en, ww_en;
  logic [TAW-1:0] tw_row;
  logic [KW-1:0] tw_k;
  logic [WAW-1:0] ww_addr;
  logic [LANES*FEAT_BITS-1:0] ld_word;
  // reader outputs
  logic rp_valid, rp_ready, ds_valid, ds_ready, ss_valid, ss_ready;
  logic [31:0] rp_data, rp_data2;
  logic rp_take2;
  logic [15:0] ss_data;
  logic [BUS_BITS-1:0] ds_data;
  logic [GNW-1:0] ci_count, ci_take, ew_count, ew_take;
  logic [SN-1:0][31:0] ci_data, ew_data;
  logic [2:0][32:0] ci_limit;
  logic [SN-1:0][2:0] ci_lt;
  logic feat_valid, feat_ready, gather_valid, gather_ready, gs_valid, gs_ready;
  logic [LANES*FEAT_BITS-1:0] feat_word;
  logic [BUS_BITS-1:0] gs_data;
  logic accq_valid, accq_ready;
  logic [LANES*ACC_BUF_BITS-1:0] accq_data;
  logic rd_idle, rd_idle_pass, rd_error, r_beat, probe, probe_valid;
  logic [BUS_BITS-1:0] probe_data;
  // walker
  logic grp_valid, grp_ready, grp_row_end;
  logic [GN-1:0] grp_emit;
  logic [GN-1:0][TAW-1:0] grp_row;
  logic [GN-1:0][15:0] grp_weight;
  logic [LANE_SEL_W-1:0] grp_lane;
  logic gfeat_valid, gfeat_ready, gscale_valid, gscale_ready;
  logic [63:0] gfeat_addr, gscale_addr;
  logic err_row_ptr, err_index, walker_done;
  logic plan_valid, plan_ready, plan_proc, plan_add, plan_fin;   // row plans -> epilogue
  logic [63:0] plan_addr;
  logic [LANE_SEL_W-1:0] plan_lane;
  logic [32:0] walker_rows;
  logic ds_rd_valid, ds_rd_ready;                                // dst_scale word reads (tiled)
  logic [63:0] ds_rd_addr;
  logic acc_rd_valid, acc_rd_ready;                              // acc_buf row reads -> sequencer
  logic [63:0] acc_rd_addr;
  logic [15:0] acc_rd_beats;
  // PE array
  logic epi_free, row_done, starved, accum_busy, snap_we;
  logic [PCW-1:0] edges_done;
  logic [KIW-1:0] snap_k;
  logic [LANES*ACC_BITS-1:0] snap_word;
  // epilogue, write queue, writer
  logic wcmd_valid, wcmd_ready, wdata_valid, wdata_ready, wdata_wide, row_written, epi_busy;
  logic wq_valid, wq_ready, wq_wide;
  logic [LANES*ACC_BUF_BITS-1:0] wq_data;
  logic [63:0] wcmd_addr;
  logic [15:0] wcmd_beats;
  logic [LANES*ACC_BUF_BITS-1:0] wdata;
  logic wr_error, w_beat, writer_idle;

  // ======================================================================= control registers
  gnn_agg_control #(
      .HW_PARAMS({8'd0, 8'(PES), 8'(LANES), 8'(BUS_BYTES)}),
      .HW_MAX_FEAT_WORD(32'(MAX_FEAT)),
      .HW_TABLE_ELEMS_WORD(32'(TABLE_ELEMS)),
      .HW_FORMATS_WORD({2'd0, 6'(ACC_BITS), 6'(COEF_FRAC), 6'(WGT_FRAC), 6'(FEAT_FRAC), 6'(FEAT_BITS)})
  ) control (
      .clk(ap_clk), .rst_n(ap_rst_n),
      .awvalid(s_axi_control_AWVALID), .awready(s_axi_control_AWREADY), .awaddr(s_axi_control_AWADDR),
      .wvalid(s_axi_control_WVALID), .wready(s_axi_control_WREADY), .wdata(s_axi_control_WDATA),
      .wstrb(s_axi_control_WSTRB), .bvalid(s_axi_control_BVALID), .bready(s_axi_control_BREADY),
      .bresp(s_axi_control_BRESP), .arvalid(s_axi_control_ARVALID), .arready(s_axi_control_ARREADY),
      .araddr(s_axi_control_ARADDR), .rvalid(s_axi_control_RVALID), .rready(s_axi_control_RREADY),
      .rdata(s_axi_control_RDATA), .rresp(s_axi_control_RRESP), .interrupt,
      .start, .kernel_idle, .kernel_done, .ptr(arg_ptr), .n_dst(arg_n_dst), .n_src(arg_n_src),
      .n_edges(arg_n_edges), .feat_dim(arg_feat_dim), .mode(arg_mode), .n_pairs(arg_n_pairs),
      .timeout(arg_timeout), .status);

  // ======================================================================= sequencer
  gnn_agg_seq #(
      .BUS_BITS(BUS_BITS), .LANES(LANES), .PES(PES), .MAX_FEAT(MAX_FEAT), .TABLE_ELEMS(TABLE_ELEMS),
      .LOAD_CHUNK_ROWS(LOAD_CHUNK_ROWS), .FEAT_BITS(FEAT_BITS), .BEATS_W(BEATS_W)
  ) seq (
      .clk(ap_clk), .rst_n(ap_rst_n),
      .start, .arg_ptr, .arg_n_dst, .arg_n_src, .arg_n_edges, .arg_feat_dim, .arg_mode, .arg_n_pairs, .arg_timeout,
      .kernel_idle, .kernel_done, .status,
      .ptr, .n_dst, .n_src, .n_edges, .feat_dim_arg, .mode, .n_pairs, .timeout, .abort, .feat_dim, .wpr, .row_bytes,
      .acc_row_bytes, .row_beats, .pre_scale(pre), .post_scale(post), .edge_weight(ew), .apply_w,
      .relu, .gather, .idx16, .tiled,
      .dim_err, .mode_err, .ptr_err, .bytes(buf_bytes), .rows_per_part, .single_part,
      .div_start, .div_divisor, .div_busy, .div_quotient,
      .run_issue, .stream_start, .gather_run, .part_lo, .part_hi, .ready_lo,
      .rd_cmd_valid, .rd_cmd_ready, .rd_cmd_addr, .rd_cmd_beats, .probe, .probe_valid, .probe_data,
      .ld_cmd_valid, .ld_cmd_ready, .ld_cmd_to_w, .ld_cmd_src0, .ld_cmd_nrows, .ld_cmd_row0,
      .ld_busy, .ld_last,
      .ld_feat_cmd_valid, .ld_feat_cmd_ready, .ld_feat_cmd_addr, .ld_feat_cmd_beats,
      .ld_scale_cmd_valid, .ld_scale_cmd_ready, .ld_scale_cmd_addr, .ld_scale_cmd_beats,
      .acc_rd_valid, .acc_rd_ready, .acc_rd_addr, .acc_rd_beats, .ds_rd_valid, .ds_rd_ready, .ds_rd_addr,
      .gfeat_valid, .gfeat_ready, .gfeat_addr, .gscale_valid, .gscale_ready, .gscale_addr,
      .walker_done, .tile_more, .tile_part, .walker_rows, .err_row_ptr, .err_index, .rd_idle, .rd_idle_pass, .rd_error, .r_beat, .ss_valid,
      .edges_done, .starved, .accum_busy, .row_done, .row_written, .writer_idle,
      .words_queued(epi_busy || wq_valid),
      .wr_error, .w_beat, .timed_out);

  gnn_agg_argcheck #(
      .LANES(LANES), .MAX_FEAT(MAX_FEAT), .TABLE_ELEMS(TABLE_ELEMS), .FEAT_BITS(FEAT_BITS)
  ) argcheck (
      .ptr, .n_dst, .n_src, .n_edges, .feat_dim_arg, .mode, .n_pairs, .feat_dim, .row_bytes, .rows_per_part,
      .dim_err, .mode_err, .ptr_err, .bytes(buf_bytes));

  // R = TABLE_ELEMS / feat_dim, one quotient bit per cycle
  gnn_agg_div #(.WIDTH(QB)) div (
      .clk(ap_clk), .rst_n(dp_rst_n), .start(div_start), .dividend(QB'(TABLE_ELEMS)),
      .divisor(div_divisor), .busy(div_busy), .quotient(div_quotient),
      /* verilator lint_off PINCONNECTEMPTY */
      .remainder());
      /* verilator lint_on PINCONNECTEMPTY */

  // ======================================================================= read side
  gnn_agg_reader #(
      .BUS_BITS(BUS_BITS), .LANES(LANES), .PES(PES), .FEAT_BITS(FEAT_BITS),
      .CSR_FIFO_DEPTH(CSR_FIFO_DEPTH), .COLIDX_FIFO_DEPTH(COLIDX_FIFO_DEPTH),
      .DATA_FIFO_DEPTH(DATA_FIFO_DEPTH), .ROW_FIFO_DEPTH(ROW_FIFO_DEPTH), .MAX_BURST(MAX_BURST),
      .MAX_OUTSTANDING(MAX_OUTSTANDING), .ID_BITS(ID_BITS), .BEATS_W(BEATS_W)
  ) reader (
      .clk(ap_clk), .rst_n(dp_rst_n),
      .cmd_valid(rd_cmd_valid), .cmd_ready(rd_cmd_ready), .cmd_addr(rd_cmd_addr), .cmd_beats(rd_cmd_beats),
      .arvalid(m_axi_gmem_ARVALID), .arready(m_axi_gmem_ARREADY), .araddr(m_axi_gmem_ARADDR),
      .arid(m_axi_gmem_ARID), .arlen(m_axi_gmem_ARLEN), .arsize(m_axi_gmem_ARSIZE),
      .arburst(m_axi_gmem_ARBURST), .arlock(m_axi_gmem_ARLOCK), .arcache(m_axi_gmem_ARCACHE),
      .arprot(m_axi_gmem_ARPROT), .arqos(m_axi_gmem_ARQOS), .arregion(m_axi_gmem_ARREGION),
      .aruser(m_axi_gmem_ARUSER),
      .rvalid(m_axi_gmem_RVALID), .rready(m_axi_gmem_RREADY), .rdata(m_axi_gmem_RDATA),
      .rlast(m_axi_gmem_RLAST), .rid(m_axi_gmem_RID), .ruser(m_axi_gmem_RUSER), .rresp(m_axi_gmem_RRESP),
      .pass_start(stream_start), .tiled, .n_pairs, .n_dst, .n_edges, .idx16(idx16 || tiled), .edge_weight(ew),
      .post_scale(post),
      .gather, .gather_run, .probe, .probe_valid, .probe_data,
      .scale_start(ld_scale_start), .scale_skip(ld_scale_skip), .scale_count(ld_scale_count),
      .rp_valid, .rp_ready, .rp_data, .rp_data2, .rp_take2, .ci_count, .ci_data, .ci_take, .ci_limit, .ci_lt,
      .ew_count, .ew_data, .ew_take, .ds_valid, .ds_ready, .ds_data, .ss_valid, .ss_ready, .ss_data,
      .gscale_valid(gs_valid), .gscale_ready(gs_ready), .gscale_data(gs_data),
      .feat_valid, .feat_ready, .feat_data(feat_word), .gfeat_valid(gather_valid), .gfeat_ready(gather_ready),
      .acc_valid(accq_valid), .acc_ready(accq_ready), .acc_data(accq_data),
      .idle(rd_idle), .idle_pass(rd_idle_pass), .rd_error, .r_beat);

  // ======================================================================= loader
  gnn_agg_loader #(
      .BUS_BITS(BUS_BITS), .LANES(LANES), .MAX_FEAT(MAX_FEAT), .TABLE_ELEMS(TABLE_ELEMS),
      .FEAT_BITS(FEAT_BITS), .COEF_FRAC(COEF_FRAC), .BEATS_W(BEATS_W)
  ) loader (
      .clk(ap_clk), .rst_n(dp_rst_n),
      .wpr, .row_bytes, .row_beats, .pre_scale(pre), .feat_in(ptr[5]), .weight(ptr[6]),
      .src_scale(ptr[3]),
      .cmd_valid(ld_cmd_valid), .cmd_ready(ld_cmd_ready), .cmd_to_w(ld_cmd_to_w),
      .cmd_src0(ld_cmd_src0), .cmd_nrows(ld_cmd_nrows), .cmd_row0(ld_cmd_row0),
      .feat_cmd_valid(ld_feat_cmd_valid), .feat_cmd_ready(ld_feat_cmd_ready),
      .feat_cmd_addr(ld_feat_cmd_addr), .feat_cmd_beats(ld_feat_cmd_beats),
      .scale_cmd_valid(ld_scale_cmd_valid), .scale_cmd_ready(ld_scale_cmd_ready),
      .scale_cmd_addr(ld_scale_cmd_addr), .scale_cmd_beats(ld_scale_cmd_beats),
      .scale_start(ld_scale_start), .scale_skip(ld_scale_skip), .scale_count(ld_scale_count),
      .feat_valid, .feat_ready, .feat_data(feat_word), .scale_valid(ss_valid), .scale_ready(ss_ready),
      .scale_data(ss_data),
      .tw_en, .tw_row, .tw_k, .ww_en, .ww_addr, .wr_data(ld_word), .busy(ld_busy), .last(ld_last));

  // ======================================================================= walker, PE array
  gnn_agg_walker #(.BUS_BITS(BUS_BITS), .TAW(TAW), .PES(PES), .FEAT_BITS(FEAT_BITS)) walker (
      .clk(ap_clk), .rst_n(dp_rst_n), .start(run_issue), .stream_start, .tiled, .n_pairs, .post_scale(post),
      .dst_scale(ptr[4]), .feat_out(ptr[7]), .n_dst, .n_src, .n_edges, .part_lo, .part_hi, .single_part,
      .gather, .pre_scale(pre), .edge_weight(ew), .feat_in(ptr[5]), .src_scale(ptr[3]),
      .row_bytes, .acc_buf(ptr[8]), .acc_row_beats(acc_row_bytes >> LOG_BB),
      .plan_valid, .plan_ready, .plan_proc, .plan_add, .plan_fin, .plan_addr, .plan_lane, .rows_out(walker_rows),
      .acc_rd_valid, .acc_rd_ready, .acc_rd_addr, .acc_rd_beats, .ds_rd_valid, .ds_rd_ready, .ds_rd_addr,
      .rp_valid, .rp_ready, .rp_data, .rp_data2, .rp_take2, .ci_count, .ci_data, .ci_take, .ci_limit, .ci_lt,
      .ew_count, .ew_data, .ew_take, .grp_valid, .grp_ready, .grp_row_end, .grp_emit, .grp_row, .grp_weight, .grp_scale_lane(grp_lane),
      .gfeat_valid, .gfeat_ready, .gfeat_addr, .gscale_valid, .gscale_ready, .gscale_addr,
      .tile_more, .tile_part, .err_row_ptr, .err_index, .done(walker_done));

  gnn_agg_pe_array #(
      .LANES(LANES), .MAX_FEAT(MAX_FEAT), .TABLE_ELEMS(TABLE_ELEMS), .BUS_BITS(BUS_BITS), .PES(PES),
      .ENTRY_FIFO_DEPTH(ENTRY_FIFO_DEPTH), .ACC_SLOTS(ACC_SLOTS), .FEAT_BITS(FEAT_BITS),
      .COEF_FRAC(COEF_FRAC), .ACC_BITS(ACC_BITS)
  ) pes (
      .clk(ap_clk), .rst_n(dp_rst_n), .wpr, .gather, .pre_scale(pre), .edge_weight(ew), .ready_lo,
      .tw_en, .tw_row, .tw_k, .tw_data(ld_word),
      .grp_valid, .grp_ready, .grp_row_end, .grp_emit, .grp_row, .grp_weight, .grp_scale_lane(grp_lane),
      .gather_valid, .gather_ready, .gather_data(feat_word),
      .gscale_valid(gs_valid), .gscale_ready(gs_ready), .gscale_data(gs_data),
      .epilogue_free(epi_free), .row_done, .snap_we, .snap_k, .snap_word,
      .edges_done, .starved, .busy(accum_busy));

  // ======================================================================= epilogue, writer
  gnn_agg_epilogue #(
      .LANES(LANES), .MAX_FEAT(MAX_FEAT), .FEAT_BITS(FEAT_BITS), .WGT_FRAC(WGT_FRAC),
      .COEF_FRAC(COEF_FRAC), .ACC_BITS(ACC_BITS), .DS_LANES(BUS_BITS / 16)
  ) epilogue (
      .clk(ap_clk), .rst_n(dp_rst_n), .wpr, .feat_dim,
      .post_scale(post), .tiled, .apply_w, .relu,
      .row_bytes, .acc_row_bytes, .log_bus_bytes(8'(LOG_BB)),
      .ww_en, .ww_addr, .ww_data(ld_word),
      .free(epi_free), .row_done, .snap_we, .snap_k, .snap_word,
      .plan_valid, .plan_ready, .plan_proc, .plan_add, .plan_fin, .plan_addr, .plan_lane,
      .accin_valid(accq_valid), .accin_ready(accq_ready), .accin_data(accq_data),
      .dscale_valid(ds_valid), .dscale_ready(ds_ready), .dscale_data(ds_data),
      .wcmd_valid, .wcmd_ready, .wcmd_addr, .wcmd_beats,
      .wdata_valid, .wdata_ready, .wdata, .wdata_wide, .row_written, .busy(epi_busy));

  // finished lane words queue for the bus, so short rows do not wait for the writes of long ones
  gnn_agg_fifo #(.WIDTH(LANES * ACC_BUF_BITS + 1), .DEPTH(ROW_FIFO_DEPTH)) write_queue (
      .clk(ap_clk), .rst_n(dp_rst_n), .in_valid(wdata_valid), .in_ready(wdata_ready), .in_data({wdata_wide, wdata}),
      .out_valid(wq_valid), .out_ready(wq_ready), .out_data({wq_wide, wq_data}),
      /* verilator lint_off PINCONNECTEMPTY */
      .count());
      /* verilator lint_on PINCONNECTEMPTY */

  gnn_agg_writer #(
      .BUS_BITS(BUS_BITS), .LANES(LANES), .FEAT_BITS(FEAT_BITS), .MAX_OUTSTANDING(MAX_OUTSTANDING),
      .ID_BITS(ID_BITS)
  ) writer (
      .clk(ap_clk), .rst_n(dp_rst_n),
      .cmd_valid(wcmd_valid), .cmd_ready(wcmd_ready), .cmd_addr(wcmd_addr), .cmd_beats(wcmd_beats),
      .data_valid(wq_valid), .data_ready(wq_ready), .data(wq_data), .data_wide(wq_wide),
      .awvalid(m_axi_gmem_AWVALID), .awready(m_axi_gmem_AWREADY), .awaddr(m_axi_gmem_AWADDR),
      .awlen(m_axi_gmem_AWLEN), .awid(m_axi_gmem_AWID), .awsize(m_axi_gmem_AWSIZE),
      .awburst(m_axi_gmem_AWBURST), .awlock(m_axi_gmem_AWLOCK), .awcache(m_axi_gmem_AWCACHE),
      .awprot(m_axi_gmem_AWPROT), .awqos(m_axi_gmem_AWQOS), .awregion(m_axi_gmem_AWREGION),
      .awuser(m_axi_gmem_AWUSER),
      .wvalid(m_axi_gmem_WVALID), .wready(m_axi_gmem_WREADY), .wdata(m_axi_gmem_WDATA),
      .wlast(m_axi_gmem_WLAST), .wstrb(m_axi_gmem_WSTRB), .wid(m_axi_gmem_WID), .wuser(m_axi_gmem_WUSER),
      .bvalid(m_axi_gmem_BVALID), .bready(m_axi_gmem_BREADY), .bresp(m_axi_gmem_BRESP),
      .bid(m_axi_gmem_BID), .buser(m_axi_gmem_BUSER),
      .wr_error, .w_beat, .idle(writer_idle));

  // ======================================================================= AXI response time-out
  gnn_agg_watchdog watchdog (
      .clk(ap_clk), .rst_n(dp_rst_n), .limit(timeout),
      .arvalid(m_axi_gmem_ARVALID), .arready(m_axi_gmem_ARREADY), .rvalid(m_axi_gmem_RVALID),
      .rready(m_axi_gmem_RREADY), .rlast(m_axi_gmem_RLAST), .awvalid(m_axi_gmem_AWVALID),
      .awready(m_axi_gmem_AWREADY), .wvalid(m_axi_gmem_WVALID), .wready(m_axi_gmem_WREADY),
      .wlast(m_axi_gmem_WLAST), .bvalid(m_axi_gmem_BVALID), .bready(m_axi_gmem_BREADY),
      .expired(timed_out));
endmodule

`default_nettype wire
