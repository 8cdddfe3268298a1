// gnn_agg_seq: the sequencer of a run. It latches the arguments at start, checks them
// (gnn_agg_argcheck, the partition size R = TABLE_ELEMS / feat_dim from gnn_agg_div), loads W,
// and runs the passes: table mode splits the sources into partitions of R rows, the last
// (remainder) partition first, down to partition 0; each pass loads its partition into the node
// table (gnn_agg_loader) and streams the whole CSR through the walker and the PEs. It issues
// the read commands of every pass, counts finished and written rows, keeps the statistics and
// the error bits, and reports idle / done to gnn_agg_control.
//
// States: IDLE -> CHECK_DIM (feat_dim, mode) -> DIVIDE (R, one bit per cycle) -> CHECK_PTRS
// (buffers) -> ROWS_ISSUE / ROWS_WAIT twice (row_ptr[0] == 0, then row_ptr[n_dst] == n_edges:
// one bus word each) -> [LOAD_W] -> FIND_LAST (the last partition) -> per pass: PASS (set the
// pass and its load up) -> LOAD_ISSUE -> [LOAD_WAIT] -> RUN_ISSUE (start the pass) -> RUN_WAIT
// (the pass runs; further loads issue from here) -> PASS ... -> FINISH (writes drained) -> DONE
// -> IDLE. Errors in the argument checks go straight to DONE, a failed row_ptr check (or a read
// error on its words) to FINISH. When the watchdog (gnn_agg_watchdog) expires in any state, the
// run goes to ABORT: one cycle of `abort` resets the datapath (outstanding transactions are
// abandoned), then DONE with ERR_TIMEOUT.
//
// Two loads overlap a pass instead of preceding it:
//   preload   the first pass (the remainder partition, rem rows) leaves table rows [rem, R)
//             unused: the rows the next partition keeps there load during that pass, so the
//             next partition's own load is only rem rows (TILED: the next partition is the
//             read-ahead hint's, and only if the second marker names it);
//   early     a pass over the only partition does not wait for its table load: the load runs in
//             chunks of LOAD_CHUNK_ROWS from the top rows down, table rows >= ready_lo are
//             loaded, and a PE issues an edge only when its row is (other passes: ready_lo = 0).
// TILED: the row_ptr (tile pairs), col_idx and edge_w commands go out once, in the first pass,
// for the whole run (stream_start), and the walker takes each pass's tile from them; the row_ptr
// check reads the word holding pair 0 (a marker, and in its end the read-ahead hint h, never
// checked) and the one holding the last pair's edge end (== n_edges; 0 when pair 0 is the
// last). The passes follow the markers: FIND_LAST turns a marker's partition p into its first
// row p R (shift-add, one bit of p per cycle; for the first marker h R alongside) and checks
// p < P (ROW_PTR; for the first marker no pass runs, a later one gets a pass of no rows, so
// its indices are INDEX); the next marker comes from the walker at the end of a pass, none
// (the pairs used up) ends the run. The preload runs when the first marker is P - 1 with rem <
// R and h < P, h != P - 1: the rows [rem, R) of partition h; the second pass loads only [0,
// rem) if its marker names h, else all (a wrong hint costs time, never the result). dst_scale
// is read per finished row (the walker's ds_rd commands); a pass ends when the walker's rows
// are written.
`default_nettype none

module gnn_agg_seq #(
    parameter int BUS_BITS = 64,          // gnn_agg's parameters of the same names
    parameter int LANES = 16,   // feature elements per lane word
    parameter int PES = 1,   // processing elements = node-table banks
    parameter int MAX_FEAT = 256,   // largest feat_dim
    parameter int TABLE_ELEMS = 131072,   // node table capacity in elements
    parameter int LOAD_CHUNK_ROWS = 256,   // rows per chunk of an early-start load
    parameter int FEAT_BITS = 16,   // FEAT element width: 8 or 16
    parameter int BEATS_W = 40,           // width of a read command's beat count
    localparam int NS = gnn_agg_pkg::RD_STREAMS,    // read streams (gnn_agg_pkg::RD_*)
    localparam int N_PTRS = 9,                      // pointer arguments (row_ptr .. acc_buf)
    localparam int MAX_WPR = MAX_FEAT / LANES,      // most lane words per row
    localparam int KW = $clog2(MAX_WPR + 1),        // bits of wpr
    localparam int FW = $clog2(MAX_FEAT + 1),       // bits of feat_dim
    localparam int TABLE_WORDS = TABLE_ELEMS / LANES,   // lane words of the table
    localparam int TAW = $clog2(TABLE_WORDS),       // bits of a table row number
    localparam int QB = $clog2(TABLE_ELEMS + 1),    // bits of R = TABLE_ELEMS / feat_dim
    localparam int PCW = $clog2(PES + 1)            // bits of an edge count per cycle (0..PES)
) (
    input  logic                       clk,
    input  logic                       rst_n,
    // gnn_agg_control
    input  logic                       start,        // one cycle: take the arguments
    input  logic [N_PTRS-1:0][63:0]    arg_ptr,
    input  logic [31:0]                arg_n_dst,
    input  logic [31:0]                arg_n_src,
    input  logic [31:0]                arg_n_edges,
    input  logic [31:0]                arg_feat_dim,
    input  logic [31:0]                arg_mode,
    input  logic [31:0]                arg_n_pairs,
    input  logic [31:0]                arg_timeout,
    output logic                       kernel_idle,
    output logic                       kernel_done,  // one cycle
    output logic [5:0][31:0]           status,       // cycles, edges, stalls, rd_beats, wr_beats, error
    // the run's arguments (latched at start) and what follows from them
    output logic [N_PTRS-1:0][63:0]    ptr,          // contract order: row_ptr .. acc_buf
    output logic [31:0]                n_dst,
    output logic [31:0]                n_src,
    output logic [31:0]                n_edges,
    output logic [31:0]                feat_dim_arg, // feat_dim as written (checked)
    output logic [31:0]                mode,
    output logic [31:0]                n_pairs,
    output logic [31:0]                timeout,      // the watchdog's limit (cycles, 0 = none)
    output logic                       abort,        // one cycle: reset the datapath (ABORT)
    output logic [FW-1:0]              feat_dim,     // valid from DIVIDE on
    output logic [KW-1:0]              wpr,          // lane words per row: feat_dim / LANES
    output logic [15:0]                row_bytes,    // feat_dim * FEAT_BITS / 8: a feature row in memory
    output logic [15:0]                acc_row_bytes,  // feat_dim * 4: an acc_buf row
    output logic [15:0]                row_beats,    // row_bytes / BUS_BYTES
    output logic                       pre_scale,    // mode bits
    output logic                       post_scale,
    output logic                       edge_weight,
    output logic                       apply_w,
    output logic                       relu,
    output logic                       gather,
    output logic                       idx16,
    output logic                       tiled,
    // gnn_agg_argcheck
    input  logic                       dim_err,
    input  logic                       mode_err,
    input  logic [gnn_agg_pkg::ERR_BITS-1:0] ptr_err,
    input  logic [N_PTRS-1:0][64:0]    bytes,
    output logic [QB-1:0]              rows_per_part,  // R, whole rows in every bank
    output logic                       single_part,    // n_src <= R: one partition
    // gnn_agg_div: R = TABLE_ELEMS / feat_dim
    output logic                       div_start,
    output logic [QB-1:0]              div_divisor,
    input  logic                       div_busy,
    input  logic [QB-1:0]              div_quotient,
    // the pass
    output logic                       run_issue,    // one cycle: a pass starts
    output logic                       stream_start, // one cycle: the CSR streams start (tiled: first pass only)
    output logic                       gather_run,   // a DRAM-gather pass is running
    output logic [32:0]                part_lo,      // sources [part_lo, part_hi) are in the table
    output logic [32:0]                part_hi,
    output logic [TAW:0]               ready_lo,     // table rows >= ready_lo are loaded
    // read commands (gnn_agg_reader)
    output logic [NS-1:0]              rd_cmd_valid,
    input  logic [NS-1:0]              rd_cmd_ready,
    output logic [NS-1:0][63:0]        rd_cmd_addr,
    output logic [NS-1:0][BEATS_W-1:0] rd_cmd_beats,
    // row_ptr words of the check (gnn_agg_reader's probe)
    output logic                       probe,
    input  logic                       probe_valid,
    input  logic [BUS_BITS-1:0]        probe_data,
    // gnn_agg_loader: the command and the read commands it makes of it
    output logic                       ld_cmd_valid,
    input  logic                       ld_cmd_ready,
    output logic                       ld_cmd_to_w,
    output logic [32:0]                ld_cmd_src0,
    output logic [32:0]                ld_cmd_nrows,
    output logic [TAW-1:0]             ld_cmd_row0,
    input  logic                       ld_busy,
    input  logic                       ld_last,
    input  logic                       ld_feat_cmd_valid,
    output logic                       ld_feat_cmd_ready,
    input  logic [63:0]                ld_feat_cmd_addr,
    input  logic [BEATS_W-1:0]         ld_feat_cmd_beats,
    input  logic                       ld_scale_cmd_valid,
    output logic                       ld_scale_cmd_ready,
    input  logic [63:0]                ld_scale_cmd_addr,
    input  logic [BEATS_W-1:0]         ld_scale_cmd_beats,
    // gnn_agg_walker's acc_buf row reads (one partial row each, table mode)
    input  logic                       acc_rd_valid,
    output logic                       acc_rd_ready,
    input  logic [63:0]                acc_rd_addr,
    input  logic [15:0]                acc_rd_beats,
    // gnn_agg_walker's dst_scale word reads (tiled POST_SCALE, one per finished row)
    input  logic                       ds_rd_valid,
    output logic                       ds_rd_ready,
    input  logic [63:0]                ds_rd_addr,
    // gnn_agg_walker's DRAM-gather requests (one feature row, one src_scale word)
    input  logic                       gfeat_valid,
    output logic                       gfeat_ready,
    input  logic [63:0]                gfeat_addr,
    input  logic                       gscale_valid,
    output logic                       gscale_ready,
    input  logic [63:0]                gscale_addr,
    // progress and errors of the other blocks
    input  logic                       walker_done,
    input  logic                       tile_more,    // tiled: the pass ended at the next tile's marker
    input  logic [28:0]                tile_part,    // its partition
    input  logic [32:0]                walker_rows,  // rows the walker handed on in this pass
    input  logic                       err_row_ptr,
    input  logic                       err_index,
    input  logic                       rd_idle,      // every read stream idle
    input  logic                       rd_idle_pass, // every read stream but row_ptr, col_idx, edge_w idle
    input  logic                       rd_error,
    input  logic                       r_beat,
    input  logic                       ss_valid,     // a src_scale entry is waiting for the loader
    input  logic [PCW-1:0]             edges_done,
    input  logic                       starved,
    input  logic                       accum_busy,
    input  logic                       row_done,     // a row left the PEs
    input  logic                       row_written,  // a row is finished (its last word on its way)
    input  logic                       writer_idle,
    input  logic                       words_queued, // a lane word waits in the epilogue or write queue
    input  logic                       wr_error,
    input  logic                       w_beat,
    input  logic                       timed_out     // the watchdog expired
);
  localparam int BUS_BYTES = BUS_BITS / 8;   // bus width in bytes
  localparam int LOG_BB = $clog2(BUS_BYTES);   // log2 of the bus width in bytes
  localparam int LOG_LANES = $clog2(LANES);   // log2(LANES)
  localparam int FEAT_BYTES = FEAT_BITS / 8;   // bytes per FEAT element
  localparam int ACC_BUF_BITS = gnn_agg_pkg::ACC_BUF_BITS;   // acc_buf element width in memory

  typedef enum logic [3:0] {
    IDLE, CHECK_DIM, DIVIDE, CHECK_PTRS, ROWS_ISSUE, ROWS_WAIT, LOAD_W, FIND_LAST, PASS, LOAD_ISSUE,
    LOAD_WAIT, RUN_ISSUE, RUN_WAIT, FINISH, ABORT, DONE
  } state_t;
  state_t state;

  // ---- arguments and what follows from them
  assign pre_scale = mode[gnn_agg_pkg::MODE_PRE_SCALE];
  assign post_scale = mode[gnn_agg_pkg::MODE_POST_SCALE];
  assign edge_weight = mode[gnn_agg_pkg::MODE_EDGE_WEIGHT];
  assign apply_w = mode[gnn_agg_pkg::MODE_APPLY_W];
  assign relu = mode[gnn_agg_pkg::MODE_RELU];
  assign gather = mode[gnn_agg_pkg::MODE_DRAM_GATHER];
  assign idx16 = mode[gnn_agg_pkg::MODE_IDX16];
  assign tiled = mode[gnn_agg_pkg::MODE_TILED];

  assign wpr = KW'(feat_dim >> LOG_LANES);
  assign row_bytes = 16'(feat_dim) << $clog2(FEAT_BYTES);
  assign acc_row_bytes = 16'(feat_dim) << $clog2(ACC_BUF_BITS / 8);
  assign row_beats = row_bytes >> LOG_BB;

  assign rows_per_part = div_quotient & ~(QB'(PES - 1));  // whole rows in every bank
  assign single_part = {1'b0, n_src} <= 33'(rows_per_part);
  assign div_start = state == CHECK_DIM && !dim_err;
  assign div_divisor = QB'(feat_dim);

  logic [gnn_agg_pkg::ERR_BITS-1:0] err;

  // ---- the row_ptr check: the bus word holding row_ptr[0], then the one holding row_ptr[n_dst]
  logic rows_tail;                    // the second word is asked for / awaited
  logic [63:0] tail_addr;
  logic [31:0] probe_entry;           // the checked entry of the probe word
  localparam int ENTRY_SEL_W = LOG_BB > 2 ? LOG_BB - 2 : 1;   // bits of a u32 index in a bus word
  logic [31:0] tail_entry;            // row_ptr[n_dst], or tiled the last pair's edge end (entry 2 n_pairs - 1)
  logic one_pair;                     // n_pairs == 1: the last pair is pair 0, whose end is the hint
  logic [31:0] tail_end;              // the checked tail value (one pair alone ends at edge 0)
  assign tail_end = tiled && one_pair ? 32'd0 : probe_entry;
  assign tail_entry = tiled ? {n_pairs[30:0] - 31'd1, 1'b1} : n_dst;
  assign tail_addr = (ptr[0] + 64'({tail_entry, 2'b00})) & ~(64'(BUS_BYTES - 1));
  assign probe_entry = rows_tail ? probe_data[32 * int'(tail_entry[ENTRY_SEL_W-1:0]) +: 32] : probe_data[31:0];
  assign probe = state == ROWS_WAIT;
  assign abort = state == ABORT;

  // ---- passes and their loads
  logic preload_pending, preloaded;   // the preload is set up / this pass has one
  logic [32:0] preload_src0, preload_nrows;
  logic early, chunk_busy;            // early start / chunks still to load
  logic [TAW:0] chunk_lo;             // first table row of the chunk being loaded
  // the next table load: source rows [nxt_src0, nxt_src0 + nxt_nrows) into table rows from nxt_row0
  logic [32:0] nxt_src0, nxt_nrows;
  logic [TAW-1:0] nxt_row0;
  logic [32:0] rows_ended, rows_written;
  logic last_pass;                    // the pass over partition 0 (the run's last)
  // tiled: the marker's partition p and p R by shift-add (mul_acc += mul_a for each set bit of mul_b)
  logic [28:0] mark_p, mul_b;
  logic [47:0] mul_a, mul_acc;
  // tiled: the read-ahead hint h (pair 0's end) and h R, by the same shift-add as the first marker's
  logic [28:0] ahead_p, ahead_b;
  logic [47:0] ahead_acc;
  logic ahead_in;                     // h fits a marker's partition field (bits 31:29 clear)
  logic ahead_ok;                     // h < P and h != the first marker's: the first pass may read ahead
  logic [31:0] hint;                  // element 1 of the probe word: pair 0's end on a bus of >= 64 bits
  if (BUS_BITS >= 64) begin : g_hint
    assign hint = probe_data[63:32];
  end else begin : g_no_hint          // element 1 is in the next word: no read-ahead
    assign hint = '1;
  end

  logic load_issue, preload_issue, load_cmd;
  logic streams_open;                 // tiled: the run's streams were started
  assign run_issue = state == RUN_ISSUE;
  assign stream_start = run_issue && !(tiled && streams_open);
  assign gather_run = gather && state == RUN_WAIT;
  assign load_issue = state == LOAD_ISSUE;
  assign preload_issue = state == RUN_WAIT && preload_pending && ld_cmd_ready;
  assign load_cmd = load_issue || preload_issue;

  // the W load goes out in LOAD_W; table loads in LOAD_ISSUE or, overlapping a pass, from RUN_WAIT
  assign ld_cmd_valid = (state == LOAD_W && !ld_busy) || load_issue || (state == RUN_WAIT && preload_pending);
  assign ld_cmd_to_w = state == LOAD_W;
  assign ld_cmd_src0 = nxt_src0;
  assign ld_cmd_nrows = state == LOAD_W ? 33'(feat_dim) : nxt_nrows;
  assign ld_cmd_row0 = nxt_row0;

  // ---- read commands
  function automatic logic [BEATS_W-1:0] beats_of(input logic [64:0] nbytes);
    beats_of = BEATS_W'((nbytes + 65'(BUS_BYTES - 1)) >> LOG_BB);
  endfunction

  always_comb begin
    rd_cmd_valid = '0;
    rd_cmd_addr = '0;
    rd_cmd_beats = '0;
    // CSR and dst_scale streams: one command per pass; acc_buf: one per partial row read back
    rd_cmd_valid[gnn_agg_pkg::RD_ROW_PTR] = stream_start || state == ROWS_ISSUE;
    rd_cmd_addr[gnn_agg_pkg::RD_ROW_PTR] = state == ROWS_ISSUE && rows_tail ? tail_addr : ptr[0];
    rd_cmd_beats[gnn_agg_pkg::RD_ROW_PTR] = state == ROWS_ISSUE ? BEATS_W'(1) : beats_of(bytes[0]);
    rd_cmd_valid[gnn_agg_pkg::RD_COL_IDX] = stream_start && n_edges != 0;
    rd_cmd_addr[gnn_agg_pkg::RD_COL_IDX] = ptr[1];
    rd_cmd_beats[gnn_agg_pkg::RD_COL_IDX] = beats_of(bytes[1]);
    rd_cmd_valid[gnn_agg_pkg::RD_EDGE_W] = stream_start && edge_weight && n_edges != 0;
    rd_cmd_addr[gnn_agg_pkg::RD_EDGE_W] = ptr[2];
    rd_cmd_beats[gnn_agg_pkg::RD_EDGE_W] = beats_of(bytes[2]);
    rd_cmd_valid[gnn_agg_pkg::RD_DST_SCALE] = tiled ? state == RUN_WAIT && ds_rd_valid : run_issue && post_scale && n_dst != 0;
    rd_cmd_addr[gnn_agg_pkg::RD_DST_SCALE] = tiled ? ds_rd_addr : ptr[4];
    rd_cmd_beats[gnn_agg_pkg::RD_DST_SCALE] = tiled ? BEATS_W'(1) : beats_of(bytes[4]);
    rd_cmd_valid[gnn_agg_pkg::RD_ACC_BUF] = state == RUN_WAIT && acc_rd_valid;
    rd_cmd_addr[gnn_agg_pkg::RD_ACC_BUF] = acc_rd_addr;
    rd_cmd_beats[gnn_agg_pkg::RD_ACC_BUF] = BEATS_W'(acc_rd_beats);
    // feature rows and src_scale: the loader's (W, a table load) or, gather, one row per edge
    if (state == LOAD_W || load_cmd) begin
      rd_cmd_valid[gnn_agg_pkg::RD_FEAT] = ld_feat_cmd_valid;
      rd_cmd_addr[gnn_agg_pkg::RD_FEAT] = ld_feat_cmd_addr;
      rd_cmd_beats[gnn_agg_pkg::RD_FEAT] = ld_feat_cmd_beats;
      rd_cmd_valid[gnn_agg_pkg::RD_SRC_SCALE] = ld_scale_cmd_valid;
      rd_cmd_addr[gnn_agg_pkg::RD_SRC_SCALE] = ld_scale_cmd_addr;
      rd_cmd_beats[gnn_agg_pkg::RD_SRC_SCALE] = ld_scale_cmd_beats;
    end else if (gather) begin
      rd_cmd_valid[gnn_agg_pkg::RD_FEAT] = gfeat_valid;
      rd_cmd_addr[gnn_agg_pkg::RD_FEAT] = gfeat_addr;
      rd_cmd_beats[gnn_agg_pkg::RD_FEAT] = BEATS_W'(row_beats);
      rd_cmd_valid[gnn_agg_pkg::RD_SRC_SCALE] = gscale_valid;
      rd_cmd_addr[gnn_agg_pkg::RD_SRC_SCALE] = gscale_addr;
      rd_cmd_beats[gnn_agg_pkg::RD_SRC_SCALE] = BEATS_W'(1);
    end
  end
  assign ld_feat_cmd_ready = rd_cmd_ready[gnn_agg_pkg::RD_FEAT];
  assign ld_scale_cmd_ready = rd_cmd_ready[gnn_agg_pkg::RD_SRC_SCALE];
  assign gfeat_ready = state == RUN_WAIT && rd_cmd_ready[gnn_agg_pkg::RD_FEAT];
  assign acc_rd_ready = state == RUN_WAIT && rd_cmd_ready[gnn_agg_pkg::RD_ACC_BUF];
  assign ds_rd_ready = tiled && state == RUN_WAIT && rd_cmd_ready[gnn_agg_pkg::RD_DST_SCALE];
  assign gscale_ready = state == RUN_WAIT && rd_cmd_ready[gnn_agg_pkg::RD_SRC_SCALE];

  // ---- status
  assign kernel_idle = state == IDLE;
  assign kernel_done = state == DONE;

  logic [31:0] stat_cycles, stat_edges, stat_stalls, stat_rd_beats, stat_wr_beats;
  assign status = {32'(err), stat_wr_beats, stat_rd_beats, stat_stalls, stat_edges, stat_cycles};

  logic pass_finished;
  logic pass_rd_idle;   // tiled: the tile streams run on into the next pass
  assign pass_rd_idle = tiled ? rd_idle_pass : rd_idle;
  assign pass_finished = !ld_busy && !preload_pending && !chunk_busy && walker_done &&
                         rows_ended == walker_rows && rows_written == walker_rows &&
                         !accum_busy && writer_idle && !words_queued && pass_rd_idle;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state <= IDLE;
      ptr <= '0;
      {n_dst, n_src, n_edges, feat_dim_arg, mode, n_pairs, timeout} <= '0;
      one_pair <= 1'b0;
      streams_open <= 1'b0;
      feat_dim <= '0;
      err <= '0;
      rows_tail <= 1'b0;
      part_lo <= '0;
      part_hi <= '0;
      nxt_src0 <= '0;
      nxt_nrows <= '0;
      nxt_row0 <= '0;
      preload_pending <= 1'b0;
      preloaded <= 1'b0;
      early <= 1'b0;
      chunk_busy <= 1'b0;
      ready_lo <= '0;
      chunk_lo <= '0;
      preload_src0 <= '0;
      preload_nrows <= '0;
      last_pass <= 1'b0;
      mark_p <= '0;
      mul_b <= '0;
      mul_a <= '0;
      mul_acc <= '0;
      ahead_p <= '0;
      ahead_b <= '0;
      ahead_acc <= '0;
      ahead_in <= 1'b0;
      ahead_ok <= 1'b0;
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
        if (state == RUN_WAIT && starved && (!walker_done || rows_ended != walker_rows)) stat_stalls <= stat_stalls + 1'b1;
        if (r_beat) stat_rd_beats <= stat_rd_beats + 1'b1;
        if (w_beat) stat_wr_beats <= stat_wr_beats + 1'b1;
      end
      // ---- run-time errors
      if (state != IDLE) begin
        if (err_row_ptr) err[gnn_agg_pkg::ERR_ROW_PTR] <= 1'b1;
        if (err_index) err[gnn_agg_pkg::ERR_INDEX] <= 1'b1;
        if (rd_error) err[gnn_agg_pkg::ERR_AXI_RD] <= 1'b1;
        if (wr_error) err[gnn_agg_pkg::ERR_AXI_WR] <= 1'b1;
      end
      if (row_done) rows_ended <= rows_ended + 1'b1;
      if (row_written) rows_written <= rows_written + 1'b1;

      case (state)
        IDLE: if (start) begin
          ptr <= arg_ptr;
          n_dst <= arg_n_dst;
          n_src <= arg_n_src;
          n_edges <= arg_n_edges;
          feat_dim_arg <= arg_feat_dim;
          mode <= arg_mode;
          n_pairs <= arg_n_pairs;
          one_pair <= arg_n_pairs == 32'd1;
          timeout <= arg_timeout;
          err <= '0;
          state <= CHECK_DIM;
        end
        CHECK_DIM: begin
          if (dim_err) begin
            err[gnn_agg_pkg::ERR_ARG] <= 1'b1;
            state <= DONE;
          end else begin
            if (mode_err) err[gnn_agg_pkg::ERR_ARG] <= 1'b1;
            feat_dim <= FW'(feat_dim_arg);
            state <= DIVIDE;   // the divider starts now (div_start)
          end
        end
        DIVIDE: if (!div_busy) state <= CHECK_PTRS;
        CHECK_PTRS: begin
          err <= err | ptr_err;
          rows_tail <= 1'b0;
          streams_open <= 1'b0;
          state <= err != 0 || ptr_err != 0 ? DONE : ROWS_ISSUE;
          part_lo <= '0;
          part_hi <= {1'b0, n_src};
          preloaded <= 1'b0;
          ahead_ok <= 1'b0;
        end
        ROWS_ISSUE: if (rd_cmd_ready[gnn_agg_pkg::RD_ROW_PTR]) state <= ROWS_WAIT;
        ROWS_WAIT: if (probe_valid) begin
          // the word's read error (AXI_RD) reaches err before the word leaves the stream's FIFO
          // (tiled: pair 0 is a marker, then the last edge end)
          if ((rows_tail ? tail_end != n_edges : tiled ? !probe_entry[29] : probe_entry != 0) ||
              err[gnn_agg_pkg::ERR_AXI_RD]) begin
            if (!err[gnn_agg_pkg::ERR_AXI_RD]) err[gnn_agg_pkg::ERR_ROW_PTR] <= 1'b1;
            state <= FINISH;
          end else if (!rows_tail) begin
            rows_tail <= 1'b1;
            mark_p <= probe_entry[28:0];
            mul_b <= probe_entry[28:0];
            ahead_p <= hint[28:0];
            ahead_in <= hint[31:29] == 3'b0;
            ahead_b <= hint[31:29] == 3'b0 ? hint[28:0] : '0;
            ahead_acc <= '0;
            state <= ROWS_ISSUE;
          end else begin
            mul_a <= 48'(rows_per_part);
            mul_acc <= '0;
            state <= apply_w && !tiled ? LOAD_W : FIND_LAST;   // tiled: the first marker's check first
          end
        end
        LOAD_W: if (ld_last) state <= tiled ? PASS : FIND_LAST;
        // CSR: partitions run from the last (the remainder, usually the smallest) down to
        // partition 0, so the acc_buf read-back of the final pass overlaps the compute of a full
        // partition. Tiled: the marker's partition [p R, min((p + 1) R, n_src)).
        FIND_LAST: if (tiled) begin
          if (mul_b != 0 || ahead_b != 0) begin   // ahead_b: only for the first marker
            if (mul_b[0]) mul_acc <= mul_acc + mul_a;
            if (ahead_b[0]) ahead_acc <= ahead_acc + mul_a;
            mul_a <= mul_a << 1;
            mul_b <= mul_b >> 1;
            ahead_b <= ahead_b >> 1;
          end else if (mark_p != 0 && mul_acc >= 48'(n_src)) begin   // p >= P
            err[gnn_agg_pkg::ERR_ROW_PTR] <= 1'b1;
            part_lo <= '0;
            part_hi <= '0;
            preloaded <= 1'b0;
            state <= streams_open ? PASS : FINISH;
          end else begin
            if (!streams_open) ahead_ok <= ahead_in && ahead_acc < 48'(n_src) && ahead_p != mark_p;
            if (mark_p != ahead_p) preloaded <= 1'b0;   // the second marker is not the hinted one: a full load
            part_lo <= mul_acc[32:0];
            part_hi <= mul_acc + 48'(rows_per_part) < 48'(n_src) ? mul_acc[32:0] + 33'(rows_per_part) : {1'b0, n_src};
            state <= apply_w && !streams_open ? LOAD_W : PASS;
          end
        end else begin
          if (!gather && part_lo + 33'(rows_per_part) < {1'b0, n_src}) part_lo <= part_lo + 33'(rows_per_part);
          else state <= PASS;
        end
        PASS: begin
          logic [32:0] rows, load_rows;
          rows = part_hi - part_lo;
          load_rows = preloaded ? rows - preload_nrows : rows;
          last_pass <= part_lo == 0;
          nxt_src0 <= part_lo;
          nxt_nrows <= load_rows;
          nxt_row0 <= '0;
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
            nxt_src0 <= lo;
            nxt_nrows <= load_rows - lo;
            nxt_row0 <= TAW'(lo);
          end
          // the first pass (tiled: the first marker, if it may read ahead) over the remainder
          // partition: the next one's (tiled: the hint's) rows [rem, R) load during it
          if (!gather && (tiled ? ahead_ok && !streams_open : part_lo != 0) && part_hi == {1'b0, n_src} &&
              rows < 33'(rows_per_part)) begin
            preload_src0 <= (tiled ? ahead_acc[32:0] : part_lo - 33'(rows_per_part)) + rows;
            preload_nrows <= 33'(rows_per_part) - rows;
            preload_pending <= 1'b1;
            preloaded <= 1'b1;
          end
          state <= !gather && load_rows != 0 ? LOAD_ISSUE : RUN_ISSUE;
        end
        LOAD_ISSUE: state <= early ? RUN_ISSUE : LOAD_WAIT;   // the loader took the command
        LOAD_WAIT: if (!ld_busy && pass_rd_idle && !ss_valid) begin
          // set the preload up (issued once the pass runs)
          if (preload_pending) begin
            nxt_src0 <= preload_src0;
            nxt_nrows <= preload_nrows;
            nxt_row0 <= TAW'(part_hi - part_lo);
          end
          state <= RUN_ISSUE;
        end
        RUN_ISSUE: begin
          streams_open <= 1'b1;
          rows_ended <= '0;
          rows_written <= '0;
          state <= RUN_WAIT;
        end
        RUN_WAIT: if (preload_issue) begin
          preload_pending <= 1'b0;
        end else if (chunk_busy && !ld_busy && !preload_pending) begin
          // a chunk is in the table; set up the next one down
          logic [TAW:0] lo;
          lo = chunk_lo > (TAW + 1)'(LOAD_CHUNK_ROWS) ? chunk_lo - (TAW + 1)'(LOAD_CHUNK_ROWS) : '0;
          ready_lo <= chunk_lo;
          if (chunk_lo == 0) begin
            chunk_busy <= 1'b0;
          end else begin
            chunk_lo <= lo;
            nxt_src0 <= 33'(lo);
            nxt_nrows <= 33'(chunk_lo - lo);
            nxt_row0 <= TAW'(lo);
            preload_pending <= 1'b1;
          end
        end else if (pass_finished && !run_issue) begin
          if (tiled ? !tile_more : last_pass) begin
            state <= FINISH;
          end else if (tiled) begin
            mark_p <= tile_part;
            mul_b <= tile_part;
            mul_a <= 48'(rows_per_part);
            mul_acc <= '0;
            state <= FIND_LAST;
          end else begin
            part_hi <= part_lo;
            part_lo <= part_lo - 33'(rows_per_part);
            state <= PASS;
          end
        end
        FINISH: if (writer_idle && !words_queued && rd_idle) state <= DONE;
        ABORT: state <= DONE;
        DONE: state <= IDLE;
        default: state <= IDLE;
      endcase
      // the time-out ends the run from any state (the watchdog only counts while transactions wait)
      if (timed_out && state != IDLE && state != ABORT && state != DONE) begin
        err[gnn_agg_pkg::ERR_TIMEOUT] <= 1'b1;
        state <= ABORT;
      end
    end
  end

  // src_scale, feat_in, weight and feat_out are read or written by the loader, walker and epilogue
  wire unused = &{1'b0, bytes[3], bytes[7:5], bytes[8]};
endmodule

`default_nettype wire
