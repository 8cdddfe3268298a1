// gnn_agg_walker: turns the CSR streams into edge groups for the processing elements.
//
// Row part: reads row_ptr[0..n_dst] once per pass and emits one descriptor per destination row
// (its degree). Malformed row pointers set ROW_PTR and are clamped to the edges that exist
// (start = previous end, end within [start, min(n_edges, start + MAX_DEGREE)]), so exactly
// n_edges col_idx entries are consumed whatever row_ptr holds; unclaimed ones are drained.
// Edge part: scans up to SN consecutive indices of one row per cycle from the col_idx window
// (SN = a bus word of 16-bit indices, at least G), checks every one against n_src BEFORE it can
// become an address (INDEX), marks the ones whose source lies in the current partition and
// emits them, packed into the first slots (with their table rows), as one group of G = max(2,
// PES) slots with at most EMAX contributing edges (PES in table mode, 1 in DRAM-gather mode,
// where the contributing edge's source row and src_scale word are requested from memory).
// Edges that do not contribute (another partition, a bad index, a drained tail) cost no
// processing element anything, and with several partitions they pass at the col_idx stream's
// word rate: a pass over a partition that few of a row's edges read is not bound by scanning.
// The group that takes a row's last index carries the row end; a row with nothing left to take
// (no edges) is a group with no edges and the row end.
//
// Row plans (table mode with several partitions; passes run from the highest partition down):
// while it scans a row's indices the walker notes whether any valid one lies in the current
// partition (now), above it (before: an earlier pass added those) or below it (after: a later
// pass will). At the row end it hands the epilogue the row's plan, in row order:
//   proc  the epilogue handles the row this pass: now, or (last pass) a row no pass touched;
//         otherwise its acc_buf partial row is left as it is (no read, no write);
//   add   acc_buf holds the row's partial sum: before && now (read it back and add);
//   fin   finish the row into feat_out this pass: now && !after, or (last pass) !now && !before;
//         proc && !fin writes the partial row to acc_buf.
// and, for every `add` row, the acc_buf read command of its partial row (acc_rd_*), issued as
// soon as the row's indices are scanned, so the read runs while the row's edges accumulate.
// A row thus reads and writes acc_buf once for each partition it touches beyond its first and
// is finished in the pass of its lowest partition. With one partition every row is proc && fin.
//
// Tiled mode (TILED: the layout of docs/CONTRACT.md "Tiled layout"): the row part reads tile
// pairs (row word, edge end) instead of row_ptr, two elements per cycle, over one stream for the
// whole run (stream_start opens it in the first pass; its state carries over between passes).
// The first pair is the first tile's marker (the sequencer checked it before the passes); its
// end is the sequencer's read-ahead hint, taken here as 0 (no edges: pair 1's start at 0). A
// pass takes the pairs of its tile up to the next marker, which it consumes and hands on
// (tile_more, tile_part: the partition of the next pass), or up to the last pair; each pair is
// a descriptor whose plan is the pair's (proc: the row is < n_dst, add, fin), so the scan notes
// nothing; with one partition (single_part) acc_buf is no buffer of the call, so every row is
// fin and none add whatever its flags say. The indices are table rows already (INDEX: >= the
// partition's rows, also for the edges of a row >= n_dst, which are dropped). The edges of a
// marker, and after the last pair those up to n_edges (they have no tile), are drained without
// an index check, so exactly n_pairs pairs and n_edges indices are read whatever they hold.
// Any word with bit 29 is a marker (partition in bits 28:0, its flags ignored). ROW_PTR: edge
// ends as row_ptr entries, a row >= n_dst, rows not ascending within a tile, a marker with edges.
// Each row's write address (feat_out + v row_bytes when it finishes, else acc_buf + v
// acc_row_bytes) rides on its plan, in either mode; a tiled POST_SCALE run reads the bus word
// holding dst_scale[v] once per finished row (ds_rd_*; its lane rides on the plan).
`default_nettype none

module gnn_agg_walker
#(
    parameter int BUS_BITS = 64,   // m_axi_gmem data width
    parameter int TAW = 13,   // bits of a table row number
    parameter int PES = 1,   // processing elements
    parameter int PLAN_FIFO_DEPTH = 64,   // row plans queued for the epilogue
    parameter int ACC_RD_FIFO_DEPTH = 16,   // acc_buf row reads queued for the reader
    parameter int FEAT_BITS = 16,   // FEAT element width: an acc_buf row is 32 / FEAT_BITS feature rows
    localparam int G = PES > 2 ? PES : 2,    // slots of a group
    localparam int SN = BUS_BITS / 16 > G ? BUS_BITS / 16 : G,   // indices scanned per cycle
    localparam int NW = $clog2(SN + 1),   // bits of an index count (0..SN)
    localparam int LANE_SEL_W = $clog2(BUS_BITS / 16)   // bits selecting a 16-bit element in a bus word
) (
    input  logic                  clk,
    input  logic                  rst_n,
    input  logic                  start,        // a pass begins
    input  logic                  stream_start, // the CSR / tile streams begin (every pass; tiled: the first)
    input  logic                  tiled,
    input  logic [31:0]           n_pairs,
    input  logic                  post_scale,
    input  logic [63:0]           dst_scale,
    input  logic [63:0]           feat_out,
    input  logic [31:0]           n_dst,
    input  logic [31:0]           n_src,
    input  logic [31:0]           n_edges,
    input  logic [32:0]           part_lo,      // sources [part_lo, part_hi) are in the table
    input  logic [32:0]           part_hi,
    input  logic                  single_part,  // one partition (tiled: no acc_buf)
    input  logic                  gather,
    input  logic                  pre_scale,
    input  logic                  edge_weight,
    input  logic [63:0]           feat_in,
    input  logic [63:0]           src_scale,
    input  logic [15:0]           row_bytes,
    input  logic [63:0]           acc_buf,
    input  logic [15:0]           acc_row_beats,
    // element streams
    input  logic                  rp_valid,
    output logic                  rp_ready,
    input  logic [31:0]           rp_data,
    input  logic [31:0]           rp_data2,     // tiled: the pair's edge end (rp_data its row word)
    output logic                  rp_take2,
    input  logic [NW-1:0]         ci_count,     // col_idx window
    input  logic [SN-1:0][31:0]   ci_data,
    output logic [NW-1:0]         ci_take,
    output logic [2:0][32:0]      ci_limit,     // the window's comparison limits (CI_*), registered
    input  logic [SN-1:0][2:0]    ci_lt,        // ci_data[i] < ci_limit[t]
    input  logic [NW-1:0]         ew_count,     // edge_w window
    input  logic [SN-1:0][31:0]   ew_data,
    output logic [NW-1:0]         ew_take,
    // groups
    output logic                  grp_valid,
    input  logic                  grp_ready,
    output logic                  grp_row_end,
    output logic [G-1:0]          grp_emit,     // slot j holds a contributing edge (j < their count)
    output logic [G-1:0][TAW-1:0] grp_row,      // its table row (table mode)
    output logic [G-1:0][15:0]    grp_weight,
    output logic [LANE_SEL_W-1:0] grp_scale_lane,  // gather: src_scale lane of the edge
    // DRAM-gather requests
    output logic                  gfeat_valid,
    input  logic                  gfeat_ready,
    output logic [63:0]           gfeat_addr,
    output logic                  gscale_valid,
    input  logic                  gscale_ready,
    output logic [63:0]           gscale_addr,
    // row plans, one per destination row in row order (the epilogue's)
    output logic                  plan_valid,
    input  logic                  plan_ready,
    output logic                  plan_proc,
    output logic                  plan_add,
    output logic                  plan_fin,
    output logic [63:0]           plan_addr,    // the row's write address (feat_out if fin, else acc_buf)
    output logic [LANE_SEL_W-1:0] plan_lane,    // tiled: dst_scale[v]'s lane in its ds_rd word
    output logic [32:0]           rows_out,     // plans of this pass (final once done)
    // acc_buf read commands: the partial row of each `add` row, in row order
    output logic                  acc_rd_valid,
    input  logic                  acc_rd_ready,
    output logic [63:0]           acc_rd_addr,
    output logic [15:0]           acc_rd_beats,
    // tiled POST_SCALE: the bus word holding dst_scale[v] of each finished row, in row order
    output logic                  ds_rd_valid,
    input  logic                  ds_rd_ready,
    output logic [63:0]           ds_rd_addr,
    output logic                  tile_more,     // tiled: this pass ended at a marker (a pass follows)
    output logic [28:0]           tile_part,     // tiled: that marker's partition
    output logic                  err_row_ptr,   // one cycle
    output logic                  err_index,     // one cycle
    output logic                  done           // every row emitted and every col_idx consumed
);  localparam int BUS_BYTES = BUS_BITS / 8;

  localparam int ACC_SHIFT = $clog2(gnn_agg_pkg::ACC_BUF_BITS / FEAT_BITS);   // acc_buf row / feature row
  localparam int LW = $clog2(SN + 2);   // bits of an edge count saturated at SN + 1 (0..SN+1)
  localparam int DW = 2 + 33 + LW + 3 + 29 + 48;   // descriptor: leftover, drain, count, count saturated, tiled plan, row, row offset
  localparam int CI_IDX = 0, CI_LO = 1, CI_HI = 2;   // ci_limit: a valid index (tiled: a table row), part_lo, part_hi
  function automatic logic [LW-1:0] saturate(input logic [32:0] count);   // min(count, SN + 1)
    saturate = count > 33'(SN + 1) ? LW'(SN + 1) : LW'(count);
  endfunction

  // ---------------- rows -> descriptors {leftover, drain, count, min(count, SN + 1), proc, add, fin, v, v * row_bytes}
  typedef enum logic [1:0] {R_IDLE, R_ROWS, R_DRAIN, R_DONE} rstate_t;
  rstate_t rstate;
  logic first;
  logic [32:0] v;            // row_ptr entries consumed
  logic [32:0] prev_raw, prev_end;
  logic desc_in_valid, desc_in_ready, desc_valid, desc_ready;
  logic [DW-1:0] desc_in, desc;

  // tiled: the pair's fields
  logic t_end, t_add, t_fin, t_first;   // t_first: no row of this tile taken yet
  logic t_open;                         // the next pair is the first tile's marker
  logic [28:0] t_v, prev_v;
  logic [32:0] pairs_left;
  logic last_part;
  assign last_part = part_lo == 0;
  assign t_end = rp_data[29];
  assign t_add = rp_data[30];
  assign t_fin = rp_data[31];
  assign t_v = rp_data[28:0];
  logic [28:0] row_v;        // the descriptor's row
  assign row_v = tiled ? t_v : v[28:0] - 29'd1;

  logic [32:0] raw, limit, end_c;
  assign raw = {1'b0, tiled ? (t_open ? 32'b0 : rp_data2) : rp_data};   // pair 0's end is the hint: no edges
  always_comb begin
    limit = prev_end + 33'(gnn_agg_pkg::MAX_DEGREE);
    if (limit > {1'b0, n_edges}) limit = {1'b0, n_edges};
    end_c = raw;
    if (end_c < prev_end) end_c = prev_end;
    if (end_c > limit) end_c = limit;
  end
  logic last_entry;
  assign last_entry = v == {1'b0, n_dst};

  logic no_pairs, final_pair;   // tiled: no pair left / this pair is the last
  assign no_pairs = tiled && pairs_left == 0;
  assign final_pair = pairs_left == 33'd1;
  assign rp_ready = rstate == R_ROWS && !no_pairs && (first || desc_in_ready);
  assign rp_take2 = tiled;
  logic rp_fire;
  assign rp_fire = rp_valid && rp_ready;
  logic [47:0] row_off;      // v * row_bytes: the row's offset in feat_out
  assign row_off = 48'(row_v) * 48'(row_bytes);
  logic [32:0] row_count, drain_count;   // a row's edges, the edges after the last row
  assign row_count = end_c - prev_end;
  assign drain_count = {1'b0, n_edges} - prev_end;
  always_comb begin
    desc_in_valid = 1'b0;
    desc_in = '0;
    if (rstate == R_ROWS && rp_valid && !first && !no_pairs) begin
      // a marker is a descriptor only when it has edges (drained without an index check)
      desc_in_valid = !(tiled && t_end) || end_c != prev_end;
      desc_in = {tiled && t_end, tiled && t_end, row_count, saturate(row_count), {3'b0, row_v} < n_dst, t_add, t_fin,
                 row_v, row_off};
    end else if (rstate == R_DRAIN && prev_end != {1'b0, n_edges}) begin
      desc_in_valid = 1'b1;
      desc_in = {tiled, 1'b1, drain_count, saturate(drain_count), 3'b0, 29'b0, 48'b0};   // the edges after the last row (tiled: no tile, no index check)
    end
  end
  logic row_err;
  always_comb begin
    row_err = 1'b0;
    if (rp_fire) begin
      if (first && rp_data != 0) row_err = 1'b1;
      if (!first && (raw < prev_raw || raw - prev_raw > 33'(gnn_agg_pkg::MAX_DEGREE))) row_err = 1'b1;
      if (!tiled && last_entry && rp_data != n_edges) row_err = 1'b1;
      if (tiled) begin
        if (t_end && end_c != prev_end) row_err = 1'b1;                       // a marker with edges
        if (final_pair && raw != {1'b0, n_edges}) row_err = 1'b1;
        if (!t_end && ({3'b0, t_v} >= n_dst || (!t_first && t_v <= prev_v))) row_err = 1'b1;
      end
    end
  end
  assign err_row_ptr = row_err;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      rstate <= R_IDLE;
      first <= 1'b0;
      v <= '0;
      prev_raw <= '0;
      prev_end <= '0;
      pairs_left <= '0;
      t_first <= 1'b0;
      t_open <= 1'b0;
      tile_more <= 1'b0;
      tile_part <= '0;
      prev_v <= '0;
    end else if (start) begin
      rstate <= R_ROWS;
      first <= !tiled;
      v <= '0;
      t_first <= 1'b1;
      tile_more <= 1'b0;
      if (!tiled || stream_start) begin
        prev_raw <= '0;
        prev_end <= '0;
        pairs_left <= {1'b0, n_pairs};
        t_open <= tiled;
      end
    end else begin
      case (rstate)
        R_ROWS: if (no_pairs) begin
          rstate <= R_DRAIN;
        end else if (rp_fire) begin
          first <= 1'b0;
          prev_raw <= raw;
          if (!first) prev_end <= end_c;
          v <= v + 1'b1;
          if (tiled) begin
            pairs_left <= pairs_left - 1'b1;
            t_open <= 1'b0;
            if (!t_end) begin
              t_first <= 1'b0;
              prev_v <= t_v;
            end
            if (t_end && !t_open) begin   // the next tile's marker ends this pass
              tile_more <= 1'b1;
              tile_part <= t_v;
              rstate <= R_DONE;
            end else if (final_pair) begin
              rstate <= R_DRAIN;
            end
          end else if (last_entry) begin
            rstate <= R_DRAIN;
          end
        end
        R_DRAIN: if (!desc_in_valid || desc_in_ready) rstate <= R_DONE;
        default: ;
      endcase
    end
  end

  // the descriptor from a register: the scan below starts from it
  gnn_agg_fifo #(.WIDTH(DW), .DEPTH(4), .OUT_REG(1'b1)) desc_fifo (
      .clk, .rst_n,
      .in_valid(desc_in_valid), .in_ready(desc_in_ready), .in_data(desc_in),
      .out_valid(desc_valid), .out_ready(desc_ready), .out_data(desc),
      /* verilator lint_off PINCONNECTEMPTY */
      .count());
      /* verilator lint_on PINCONNECTEMPTY */

  // ---------------- edges -> groups
  // The edges left of the current descriptor: its count until its first group goes (fresh),
  // then a register. The scan and the row end read only the count saturated at SN + 1 (lsat: a
  // few bits, from flip-flops), not a 33-bit difference, as they sit in the loop with the windows.
  logic fresh;
  logic [32:0] left_q;
  logic [LW-1:0] lsat_q;
  logic desc_left, desc_drain, d_proc, d_add, d_fin;
  logic [32:0] desc_count, left;
  logic [LW-1:0] desc_lsat, lsat;
  logic [28:0] d_v;
  logic [47:0] d_off;
  assign {desc_left, desc_drain, desc_count, desc_lsat, d_proc, d_add, d_fin, d_v, d_off} = desc;
  assign left = fresh ? desc_count : left_q;
  assign lsat = fresh ? desc_lsat : lsat_q;
  logic [32:0] part_rows;   // tiled: local indices below this are valid
  assign part_rows = part_hi - part_lo;

  logic [NW-1:0] avail;
  assign avail = edge_weight && ew_count < ci_count ? ew_count : ci_count;
  logic [NW-1:0] emax;
  assign emax = gather ? NW'(1) : NW'(PES);

  // The index checks come from the window as flags registered with the indices (ci_lt against
  // ci_limit), so the scan below starts from flip-flops: it is in a loop with the window (the
  // take it decides moves the window's entries in the same cycle). The limits only change between
  // passes, at least two cycles before a pass's first scan (its first descriptor).
  always_ff @(posedge clk) begin
    ci_limit[CI_IDX] <= tiled ? part_rows : {1'b0, n_src};
    ci_limit[CI_LO] <= part_lo;
    ci_limit[CI_HI] <= part_hi;
  end
  logic [SN-1:0] idx_ok, emit;
  always_comb
    for (int i = 0; i < SN; i++) begin
      idx_ok[i] = ci_lt[i][CI_IDX];
      emit[i] = idx_ok[i] && (tiled || (!ci_lt[i][CI_LO] && ci_lt[i][CI_HI])) && !desc_drain;
    end
  // Take the longest run of front indices that are in the window, in the descriptor and bring at
  // most emax contributing edges: index i is taken when every j <= i is available, left and the
  // contributing ones up to it number at most emax (prefix counts, then the run's length).
  logic [SN-1:0] in_k, sel;
  logic [NW-1:0] k, n_emit;
  always_comb begin
    logic [NW-1:0] upto;   // contributing indices among 0..i
    logic run;
    upto = '0;
    run = 1'b1;
    for (int i = 0; i < SN; i++) begin
      upto = upto + NW'(emit[i]);
      run = run && NW'(i) < avail && lsat > LW'(i) && upto <= emax;
      in_k[i] = run;
    end
    k = '0;
    for (int i = 0; i < SN; i++) k = k + NW'(in_k[i]);
  end
  assign sel = emit & in_k;
  always_comb begin
    n_emit = '0;
    for (int i = 0; i < SN; i++) n_emit = n_emit + NW'(sel[i]);
  end
`ifndef SYNTHESIS
  // the registered flags are the comparisons of the indices scanned (Verilator --assert builds)
  always_ff @(posedge clk)
    if (rst_n && desc_valid)
      for (int i = 0; i < SN; i++)
        if (NW'(i) < avail) begin
          assert (idx_ok[i] == (tiled ? {1'b0, ci_data[i]} < part_rows : ci_data[i] < n_src));
          assert (ci_lt[i][CI_LO] == ({1'b0, ci_data[i]} < part_lo));
          assert (ci_lt[i][CI_HI] == ({1'b0, ci_data[i]} < part_hi));
        end
`endif

  // ---------------- row plans
  // valid indices of the taken ones above / below the partition (the row's other passes)
  logic [SN-1:0] above, below;
  always_comb
    for (int i = 0; i < SN; i++) begin
      above[i] = idx_ok[i] && !ci_lt[i][CI_HI];
      below[i] = ci_lt[i][CI_LO];
    end
  logic seen_now, seen_before, seen_after;   // of the current row's earlier groups
  logic row_now, row_before, row_after;      // including this group
  assign row_now = seen_now || n_emit != 0;
  assign row_before = seen_before || |(in_k & above);
  assign row_after = seen_after || |(in_k & below);
  logic p_proc, p_add, p_fin;
  assign p_fin = tiled ? d_fin || single_part : row_now ? !row_after : last_part && !row_before;
  assign p_proc = tiled ? d_proc : row_now || p_fin;
  assign p_add = tiled ? d_proc && d_add && !single_part : row_now && row_before;
  logic p_ds;   // tiled POST_SCALE: read the row's dst_scale word
  assign p_ds = tiled && post_scale && d_proc && p_fin;

  logic plan_in_ready, acc_in_ready, ds_in_ready;
  logic [63:0] row_acc_addr, row_out_addr, row_ds_addr;   // the descriptor's row in acc_buf, feat_out, dst_scale
  assign row_out_addr = feat_out + 64'(d_off);
  assign row_acc_addr = acc_buf + (64'(d_off) << ACC_SHIFT);
  assign row_ds_addr = (dst_scale + {34'b0, d_v, 1'b0}) & ~(64'(BUS_BYTES - 1));

  logic ends, row_end, has_out, need_fetch, fetch_ok, plan_ok, go;
  assign ends = desc_valid && lsat == LW'(k);   // k <= SN: left == k exactly when lsat == k
  assign row_end = ends && !desc_drain;
  assign has_out = row_end || n_emit != 0;
  assign need_fetch = gather && n_emit != 0;
  assign fetch_ok = !need_fetch || (gfeat_ready && (!pre_scale || gscale_ready));
  assign plan_ok = !row_end || (plan_in_ready && (!p_add || acc_in_ready) && (!p_ds || ds_in_ready));
  assign go = desc_valid && (k != 0 || ends) && (!has_out || grp_ready) && fetch_ok && plan_ok;

  // the contributing edge of a gather group (at most one)
  logic [31:0] g_idx;
  always_comb begin
    g_idx = ci_data[0];
    for (int i = SN - 1; i >= 0; i--) if (sel[i]) g_idx = ci_data[i];
  end

  assign ci_take = go ? k : '0;
  assign ew_take = go && edge_weight ? k : '0;
  assign err_index = go && !desc_left && |(in_k & ~idx_ok);
  assign gfeat_valid = desc_valid && (k != 0 || ends) && need_fetch && grp_ready && (!pre_scale || gscale_ready) &&
                       plan_ok;
  assign gscale_valid = desc_valid && (k != 0 || ends) && need_fetch && pre_scale && grp_ready && gfeat_ready &&
                        plan_ok;
  assign gfeat_addr = feat_in + 64'(g_idx) * 64'(row_bytes);
  assign gscale_addr = (src_scale + {31'b0, g_idx, 1'b0}) & ~(64'(BUS_BYTES - 1));

  assign grp_valid = desc_valid && (k != 0 || ends) && has_out && fetch_ok && plan_ok;
  assign grp_row_end = row_end;
  // packing: selected index i goes to slot pos[i] = how many selected indices precede it
  // (an AND-OR selection per slot; at most EMAX <= G are selected)
  logic [SN-1:0][NW-1:0] pos;
  always_comb begin
    logic [NW-1:0] c;
    c = '0;
    for (int i = 0; i < SN; i++) begin
      pos[i] = c;
      c = c + NW'(sel[i]);
    end
  end
  always_comb begin
    for (int j = 0; j < G; j++) begin
      grp_emit[j] = NW'(j) < n_emit;
      grp_row[j] = '0;
      grp_weight[j] = '0;
      for (int i = 0; i < SN; i++)
        if (sel[i] && pos[i] == NW'(j)) begin
          grp_row[j] = grp_row[j] | (tiled ? TAW'(ci_data[i]) : TAW'({1'b0, ci_data[i]} - part_lo));
          grp_weight[j] = grp_weight[j] | ew_data[i][15:0];
        end
    end
  end
  assign grp_scale_lane = g_idx[LANE_SEL_W-1:0];  // src_scale[u] sits in halfword u % (bus/16)
  assign desc_ready = go && ends;

  // After a group that does not end the descriptor, left - k: its saturation needs no 33-bit
  // compare after k when left > 2 SN + 1 (then left - k > SN + 1), decided from registers.
  logic left_big;
  logic [LW:0] left_small_less;   // left - k when left <= 2 SN + 1
  assign left_big = left > 33'(2 * SN + 1);
  assign left_small_less = (LW + 1)'(left) - (LW + 1)'(k);
  always_ff @(posedge clk) begin
    if (!rst_n || start || desc_ready) begin
      fresh <= 1'b1;
    end else if (go) begin
      fresh <= 1'b0;
      left_q <= left - 33'(k);
      lsat_q <= left_big || left_small_less > (LW + 1)'(SN + 1) ? LW'(SN + 1) : LW'(left_small_less);
    end
  end
`ifndef SYNTHESIS
  always_ff @(posedge clk)
    if (rst_n && desc_valid) assert (lsat == saturate(left));
`endif

  logic plan_push, acc_push, ds_push;
  assign plan_push = go && row_end;
  assign acc_push = plan_push && p_add;
  assign ds_push = plan_push && p_ds;
  always_ff @(posedge clk) begin
    if (!rst_n || start) begin
      {seen_now, seen_before, seen_after} <= '0;
      rows_out <= '0;
    end else begin
      if (desc_ready) {seen_now, seen_before, seen_after} <= '0;
      else if (go) {seen_now, seen_before, seen_after} <= {row_now, row_before, row_after};
      if (plan_push) rows_out <= rows_out + 1'b1;
    end
  end

  gnn_agg_fifo #(.WIDTH(3 + LANE_SEL_W + 64), .DEPTH(PLAN_FIFO_DEPTH)) plan_fifo (
      .clk, .rst_n,
      .in_valid(plan_push), .in_ready(plan_in_ready),
      .in_data({p_proc, p_add, p_fin, tiled ? d_v[LANE_SEL_W-1:0] : LANE_SEL_W'(0), p_fin ? row_out_addr : row_acc_addr}),
      .out_valid(plan_valid), .out_ready(plan_ready), .out_data({plan_proc, plan_add, plan_fin, plan_lane, plan_addr}),
      /* verilator lint_off PINCONNECTEMPTY */
      .count());
      /* verilator lint_on PINCONNECTEMPTY */
  gnn_agg_fifo #(.WIDTH(64), .DEPTH(ACC_RD_FIFO_DEPTH)) ds_rd_fifo (
      .clk, .rst_n,
      .in_valid(ds_push), .in_ready(ds_in_ready), .in_data(row_ds_addr),
      .out_valid(ds_rd_valid), .out_ready(ds_rd_ready), .out_data(ds_rd_addr),
      /* verilator lint_off PINCONNECTEMPTY */
      .count());
      /* verilator lint_on PINCONNECTEMPTY */
  gnn_agg_fifo #(.WIDTH(64), .DEPTH(ACC_RD_FIFO_DEPTH)) acc_rd_fifo (
      .clk, .rst_n,
      .in_valid(acc_push), .in_ready(acc_in_ready), .in_data(row_acc_addr),
      .out_valid(acc_rd_valid), .out_ready(acc_rd_ready), .out_data(acc_rd_addr),
      /* verilator lint_off PINCONNECTEMPTY */
      .count());
      /* verilator lint_on PINCONNECTEMPTY */
  assign acc_rd_beats = acc_row_beats;

  assign done = rstate == R_DONE && !desc_valid && !acc_rd_valid && !ds_rd_valid;
  wire unused_ew = &{1'b0, ew_data};
endmodule

`default_nettype wire
