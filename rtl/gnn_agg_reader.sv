// gnn_agg_reader: the read side of the m_axi_gmem master. Seven read streams (gnn_agg_pkg RD_*:
// row_ptr, col_idx, edge_w, dst_scale, acc_buf, feature rows, src_scale), each a burst
// prefetcher with a credit-checked FIFO (gnn_agg_rd_stream), share AR through a round-robin
// arbiter (gnn_agg_rd_arbiter, ARID = stream index); R beats return by ARID and RREADY stays high.
// Behind the FIFOs the bus words become what the consumers take:
//   row_ptr   -> 32-bit elements (gnn_agg_unpack), n_dst + 1 of them per pass; while `probe`
//                is high, whole bus words on probe_* instead (the sequencer's row_ptr check);
//   col_idx   -> a window of up to SN indices per cycle (gnn_agg_window; 16-bit with idx16);
//   edge_w    -> a window of up to SN 16-bit weights (edge_weight runs);
//   dst_scale -> 16-bit entries (every pass of a post_scale run: one per row for the epilogue),
//                or, tiled, whole bus words (one read per finished row; the epilogue picks the lane);
//   tile pairs -> (tiled) two 32-bit elements per cycle over the row_ptr stream;
//   src_scale -> 16-bit entries for the loader (table mode; a run starting inside a bus word),
//                or whole bus words for PE 0 (DRAM-gather: the word holding src_scale[u]);
//   features  -> lane words (gnn_agg_upsize) for the loader, or for PE 0 during a gather run;
//   acc_buf   -> lane words of 32-bit elements, queued ROW_FIFO_DEPTH deep for the epilogue.
// The sequencer and the loader issue the commands (address, beats) on cmd_*.
`default_nettype none

module gnn_agg_reader #(
    parameter int BUS_BITS = 64,          // gnn_agg's parameters of the same names
    parameter int LANES = 16,   // feature elements per lane word
    parameter int PES = 1,   // processing elements = node-table banks
    parameter int FEAT_BITS = 16,   // FEAT element width: 8 or 16
    parameter int CSR_FIFO_DEPTH = 128,   // prefetch words per CSR / scale stream
    parameter int COLIDX_FIFO_DEPTH = 256,   // prefetch words for col_idx
    parameter int DATA_FIFO_DEPTH = 256,   // prefetch words for feature rows and acc_buf
    parameter int ROW_FIFO_DEPTH = 16,   // lane words queued for the epilogue (acc_buf)
    parameter int MAX_BURST = 32,   // longest CSR / scale burst in beats
    parameter int MAX_OUTSTANDING = 32,   // read bursts in flight
    parameter int ID_BITS = 3,   // ARID / RID width (>= 3)
    parameter int BEATS_W = 40,           // width of a command's beat count
    localparam int NS = gnn_agg_pkg::RD_STREAMS,    // number of read streams
    localparam int GN = PES > 2 ? PES : 2,          // slots of a walker group
    localparam int SN = BUS_BITS / 16 > GN ? BUS_BITS / 16 : GN,   // indices the walker scans per cycle
    localparam int GNW = $clog2(SN + 1),            // bits of a window count (0..SN)
    localparam int LANE_SEL_W = $clog2(BUS_BITS / gnn_agg_pkg::COEF_BITS),  // COEF elements per bus word
    localparam int AB = gnn_agg_pkg::ACC_BUF_BITS   // acc_buf element width in memory
) (
    input  logic                        clk,
    input  logic                        rst_n,
    // one command per stream: read `beats` bus words from `addr` (bus-aligned)
    input  logic [NS-1:0]               cmd_valid,
    output logic [NS-1:0]               cmd_ready,
    input  logic [NS-1:0][63:0]         cmd_addr,
    input  logic [NS-1:0][BEATS_W-1:0]  cmd_beats,
    // m_axi_gmem read channels
    output logic                        arvalid,
    input  logic                        arready,
    output logic [63:0]                 araddr,
    output logic [ID_BITS-1:0]          arid,
    output logic [7:0]                  arlen,
    output logic [2:0]                  arsize,
    output logic [1:0]                  arburst,
    output logic [1:0]                  arlock,
    output logic [3:0]                  arcache,
    output logic [2:0]                  arprot,
    output logic [3:0]                  arqos,
    output logic [3:0]                  arregion,
    output logic [0:0]                  aruser,
    input  logic                        rvalid,
    output logic                        rready,
    input  logic [BUS_BITS-1:0]         rdata,
    input  logic                        rlast,
    input  logic [ID_BITS-1:0]          rid,
    input  logic [0:0]                  ruser,
    input  logic [1:0]                  rresp,
    // pass configuration: element runs start with pass_start (one cycle)
    input  logic                        pass_start,   // tiled: the first pass only (the runs span the passes)
    input  logic                        tiled,
    input  logic [31:0]                 n_pairs,
    input  logic [31:0]                 n_dst,
    input  logic [31:0]                 n_edges,
    input  logic                        idx16,        // 16-bit col_idx (IDX16 or TILED)
    input  logic                        edge_weight,  // EDGE_WEIGHT: edge_w is read
    input  logic                        post_scale,   // POST_SCALE: dst_scale is read every pass
    input  logic                        gather,       // DRAM_GATHER: src_scale words go to PE 0
    input  logic                        gather_run,   // feature rows go to PE 0 (else the loader)
    // src_scale run of a table load (from the loader)
    input  logic                        scale_start,
    input  logic [LANE_SEL_W-1:0]       scale_skip,
    input  logic [32:0]                 scale_count,
    // row_ptr bus words for the sequencer's check before the passes (taken at once)
    input  logic                        probe,
    output logic                        probe_valid,
    output logic [BUS_BITS-1:0]         probe_data,
    // element streams
    output logic                        rp_valid,     // row_ptr
    input  logic                        rp_ready,
    output logic [31:0]                 rp_data,
    output logic [31:0]                 rp_data2,     // the next element of the same word
    input  logic                        rp_take2,
    output logic [GNW-1:0]              ci_count,     // col_idx window
    output logic [SN-1:0][31:0]         ci_data,
    input  logic [GNW-1:0]              ci_take,
    input  logic [2:0][32:0]            ci_limit,     // col_idx comparisons, carried with the indices
    output logic [SN-1:0][2:0]          ci_lt,        // ci_data[i] < ci_limit[t]
    output logic [GNW-1:0]              ew_count,     // edge_w window
    output logic [SN-1:0][31:0]         ew_data,
    input  logic [GNW-1:0]              ew_take,
    output logic                        ds_valid,     // dst_scale
    input  logic                        ds_ready,
    output logic [BUS_BITS-1:0]         ds_data,      // the entry in bits [15:0]; tiled: the bus word
    output logic                        ss_valid,     // src_scale for the loader
    input  logic                        ss_ready,
    output logic [15:0]                 ss_data,
    output logic                        gscale_valid, // src_scale bus words for PE 0 (gather)
    input  logic                        gscale_ready,
    output logic [BUS_BITS-1:0]         gscale_data,
    // feature lane words: the loader's and PE 0's handshakes share the data
    output logic                        feat_valid,   // to the loader
    input  logic                        feat_ready,
    output logic [LANES*FEAT_BITS-1:0]  feat_data,
    output logic                        gfeat_valid,  // to PE 0 (gather_run)
    input  logic                        gfeat_ready,
    // acc_buf lane words
    output logic                        acc_valid,
    input  logic                        acc_ready,
    output logic [LANES*AB-1:0]         acc_data,
    // status
    output logic                        idle,         // every stream: nothing requested, in flight or queued
    output logic                        idle_pass,    // the same, leaving out row_ptr, col_idx and edge_w
    output logic                        rd_error,     // a beat answered SLVERR / DECERR (one cycle)
    output logic                        r_beat        // a read beat arrived (one cycle)
);
  localparam int LOG_BB = $clog2(BUS_BITS / 8);   // log2 of the bus width in bytes

  // ---- streams and arbiter; s_* are per stream, indexed by gnn_agg_pkg::RD_*
  logic [NS-1:0] s_ar_valid, s_ar_ready, s_r_valid, s_out_valid, s_out_ready, s_rd_error, s_idle;
  logic [NS-1:0][63:0] s_ar_addr;
  logic [NS-1:0][7:0] s_ar_len;
  logic [NS-1:0][BUS_BITS-1:0] s_out_data;

  for (genvar s = 0; s < NS; s++) begin : g_stream
    // feature rows and acc_buf carry data; col_idx is the stream the PEs wait on
    localparam bit IS_DATA = s == gnn_agg_pkg::RD_FEAT || s == gnn_agg_pkg::RD_ACC_BUF;
    localparam int DEPTH = IS_DATA ? DATA_FIFO_DEPTH
                         : s == gnn_agg_pkg::RD_COL_IDX ? COLIDX_FIFO_DEPTH : CSR_FIFO_DEPTH;
    gnn_agg_rd_stream #(
        .BUS_BITS(BUS_BITS), .DEPTH(DEPTH), .MAX_BURST(IS_DATA ? DEPTH / 2 : MAX_BURST), .BEATS_W(BEATS_W)
    ) stream (
        .clk, .rst_n,
        .cmd_valid(cmd_valid[s]), .cmd_ready(cmd_ready[s]), .cmd_addr(cmd_addr[s]),
        .cmd_beats(cmd_beats[s]),
        .ar_valid(s_ar_valid[s]), .ar_ready(s_ar_ready[s]), .ar_addr(s_ar_addr[s]), .ar_len(s_ar_len[s]),
        .r_valid(s_r_valid[s]), .r_data(rdata), .r_resp(rresp),
        .out_valid(s_out_valid[s]), .out_ready(s_out_ready[s]), .out_data(s_out_data[s]),
        .rd_error(s_rd_error[s]), .idle(s_idle[s]));
  end

  gnn_agg_rd_arbiter #(
      .N(NS), .ID_BITS(ID_BITS), .MAX_OUTSTANDING(MAX_OUTSTANDING)
  ) arbiter (
      .clk, .rst_n,
      .req_valid(s_ar_valid), .req_ready(s_ar_ready), .req_addr(s_ar_addr), .req_len(s_ar_len),
      .arvalid, .arready, .araddr, .arlen, .arid,
      .rvalid, .rlast, .rid,
      .r_valid(s_r_valid), .r_beat);

  assign idle = &s_idle;
  always_comb begin
    idle_pass = 1'b1;
    for (int i = 0; i < NS; i++)
      if (i != gnn_agg_pkg::RD_ROW_PTR && i != gnn_agg_pkg::RD_COL_IDX && i != gnn_agg_pkg::RD_EDGE_W)
        idle_pass = idle_pass && s_idle[i];
  end
  assign rd_error = |s_rd_error;

  assign rready = 1'b1;
  assign arsize = 3'(LOG_BB);
  assign arburst = 2'b01;     // INCR
  assign arlock = 2'b00;
  assign arcache = 4'b0011;   // modifiable, bufferable
  assign arprot = 3'b000;
  assign arqos = 4'b0000;
  assign arregion = 4'b0000;
  assign aruser = 1'b0;

  // ---- element unpackers for the CSR and scale streams
  logic [31:0] ds_data32, ss_data32;
  logic ss_in_ready, rp_in_ready;

  assign probe_valid = probe && s_out_valid[gnn_agg_pkg::RD_ROW_PTR];
  assign probe_data = s_out_data[gnn_agg_pkg::RD_ROW_PTR];
  assign s_out_ready[gnn_agg_pkg::RD_ROW_PTR] = probe || rp_in_ready;

  // tiled: pairs start on 8-byte boundaries, so a pair's second element is in its word (take2)
  gnn_agg_unpack #(.BUS_BITS(BUS_BITS)) rp_unpack (
      .clk, .rst_n, .start(pass_start), .wide(1'b1), .skip('0),
      .count(tiled ? {n_pairs, 1'b0} : {1'b0, n_dst} + 33'd1),
      .in_valid(s_out_valid[gnn_agg_pkg::RD_ROW_PTR] && !probe), .in_ready(rp_in_ready),
      .in_data(s_out_data[gnn_agg_pkg::RD_ROW_PTR]),
      .out_valid(rp_valid), .out_ready(rp_ready), .out_data(rp_data), .out_take2(rp_take2),
      /* verilator lint_off PINCONNECTEMPTY */
      .out_valid2(), .out_data2(rp_data2));
      /* verilator lint_on PINCONNECTEMPTY */
  gnn_agg_window #(.BUS_BITS(BUS_BITS), .N(SN), .TAGS(3)) ci_window (
      .clk, .rst_n, .start(pass_start), .wide(!idx16), .count({1'b0, n_edges}),
      .in_valid(s_out_valid[gnn_agg_pkg::RD_COL_IDX]), .in_ready(s_out_ready[gnn_agg_pkg::RD_COL_IDX]),
      .in_data(s_out_data[gnn_agg_pkg::RD_COL_IDX]),
      .out_count(ci_count), .out_data(ci_data), .out_take(ci_take), .tag_limit(ci_limit), .out_lt(ci_lt));
  gnn_agg_window #(.BUS_BITS(BUS_BITS), .N(SN)) ew_window (
      .clk, .rst_n, .start(pass_start), .wide(1'b0), .count(edge_weight ? {1'b0, n_edges} : 33'd0),
      .in_valid(s_out_valid[gnn_agg_pkg::RD_EDGE_W]), .in_ready(s_out_ready[gnn_agg_pkg::RD_EDGE_W]),
      .in_data(s_out_data[gnn_agg_pkg::RD_EDGE_W]),
      .out_count(ew_count), .out_data(ew_data), .out_take(ew_take), .tag_limit('0),
      /* verilator lint_off PINCONNECTEMPTY */
      .out_lt());
      /* verilator lint_on PINCONNECTEMPTY */
  logic ds_up_valid, ds_up_in_ready;
  gnn_agg_unpack #(.BUS_BITS(BUS_BITS)) ds_unpack (
      .clk, .rst_n, .start(pass_start), .wide(1'b0), .skip('0),
      .count(post_scale && !tiled ? {1'b0, n_dst} : 33'd0),
      .in_valid(s_out_valid[gnn_agg_pkg::RD_DST_SCALE] && !tiled), .in_ready(ds_up_in_ready),
      .in_data(s_out_data[gnn_agg_pkg::RD_DST_SCALE]),
      .out_valid(ds_up_valid), .out_ready(ds_ready && !tiled), .out_data(ds_data32), .out_take2(1'b0),
      /* verilator lint_off PINCONNECTEMPTY */
      .out_valid2(), .out_data2());
      /* verilator lint_on PINCONNECTEMPTY */
  // table mode: src_scale of a load starts at element src0, possibly inside a bus word
  gnn_agg_unpack #(.BUS_BITS(BUS_BITS)) ss_unpack (
      .clk, .rst_n, .start(scale_start), .wide(1'b0), .skip(scale_skip), .count(scale_count),
      .in_valid(s_out_valid[gnn_agg_pkg::RD_SRC_SCALE] && !gather), .in_ready(ss_in_ready),
      .in_data(s_out_data[gnn_agg_pkg::RD_SRC_SCALE]),
      .out_valid(ss_valid), .out_ready(ss_ready), .out_data(ss_data32), .out_take2(1'b0),
      /* verilator lint_off PINCONNECTEMPTY */
      .out_valid2(), .out_data2());
      /* verilator lint_on PINCONNECTEMPTY */
  assign ds_valid = tiled ? s_out_valid[gnn_agg_pkg::RD_DST_SCALE] : ds_up_valid;
  assign ds_data = tiled ? s_out_data[gnn_agg_pkg::RD_DST_SCALE] : BUS_BITS'(ds_data32[15:0]);
  assign s_out_ready[gnn_agg_pkg::RD_DST_SCALE] = tiled ? ds_ready : ds_up_in_ready;
  assign ss_data = ss_data32[15:0];
  // DRAM-gather: whole src_scale words to PE 0, which picks the lane
  assign gscale_valid = gather && s_out_valid[gnn_agg_pkg::RD_SRC_SCALE];
  assign gscale_data = s_out_data[gnn_agg_pkg::RD_SRC_SCALE];
  assign s_out_ready[gnn_agg_pkg::RD_SRC_SCALE] = gather ? gscale_ready : ss_in_ready;

  // ---- upsizers: bus words -> lane words
  logic feat_up_valid, feat_up_ready, accw_valid, accw_ready;
  logic [LANES*AB-1:0] accw_data;
  gnn_agg_upsize #(.BUS_BITS(BUS_BITS), .OUT_BITS(LANES * FEAT_BITS)) feat_up (
      .clk, .rst_n, .in_valid(s_out_valid[gnn_agg_pkg::RD_FEAT]), .in_ready(s_out_ready[gnn_agg_pkg::RD_FEAT]),
      .in_data(s_out_data[gnn_agg_pkg::RD_FEAT]),
      .out_valid(feat_up_valid), .out_ready(feat_up_ready), .out_data(feat_data));
  assign feat_valid = feat_up_valid;
  assign gfeat_valid = gather_run && feat_up_valid;
  assign feat_up_ready = gather_run ? gfeat_ready : feat_ready;

  gnn_agg_upsize #(.BUS_BITS(BUS_BITS), .OUT_BITS(LANES * AB)) acc_up (
      .clk, .rst_n, .in_valid(s_out_valid[gnn_agg_pkg::RD_ACC_BUF]), .in_ready(s_out_ready[gnn_agg_pkg::RD_ACC_BUF]),
      .in_data(s_out_data[gnn_agg_pkg::RD_ACC_BUF]),
      .out_valid(accw_valid), .out_ready(accw_ready), .out_data(accw_data));
  // whole lane words of acc_buf queued ahead, so the epilogue combines one per cycle
  gnn_agg_fifo #(.WIDTH(LANES * AB), .DEPTH(ROW_FIFO_DEPTH)) acc_queue (
      .clk, .rst_n, .in_valid(accw_valid), .in_ready(accw_ready), .in_data(accw_data),
      .out_valid(acc_valid), .out_ready(acc_ready), .out_data(acc_data),
      /* verilator lint_off PINCONNECTEMPTY */
      .count());
      /* verilator lint_on PINCONNECTEMPTY */

  wire unused = &{1'b0, ruser, ds_data32[31:16], ss_data32[31:16]};
endmodule

`default_nettype wire
