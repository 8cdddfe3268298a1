// gnn_agg_epilogue: finishes one destination row per hand-off from the accumulate stage, as the
// walker's row plan for the row says (gnn_agg_walker, "Row plans"; one plan per row, in order):
//   not proc: nothing (the row's acc_buf partial row stays as it is; its dst_scale entry is dropped)
//   combine  total = acc (+ the acc_buf row of the earlier partitions if add)   lane word per cycle
//   not fin: write total to acc_buf (ACC_BITS sign-extended to 32-bit lanes)
//   fin:     y = POST_SCALE ? q(dst_scale[v] * total) : sat(total)
//            APPLY_W: z_j = q(sum_k W[j][k] y_k), W held on chip, LANES products per cycle
//            RELU, then write the FEAT row to feat_out
// Row v's addresses are feat_out + v * row_bytes and acc_buf + v * acc_row_bytes in every pass.
// The reducer writes the row's sum over the processing elements into the snapshot register while
// the epilogue is free, so the PEs accumulate the next rows meanwhile.
`default_nettype none

module gnn_agg_epilogue
#(
    parameter int LANES = 16,   // elements per lane word
    parameter int MAX_FEAT = 256,   // largest feat_dim (W is MAX_FEAT x MAX_FEAT)
    parameter int FEAT_BITS = 16,         // number formats (gnn_agg's parameters)
    parameter int WGT_FRAC = 12,   // W fraction bits: the matvec drops this many bits
    parameter int COEF_FRAC = 15,   // dst_scale fraction bits
    parameter int ACC_BITS = 32,   // accumulator width
    localparam int AB = gnn_agg_pkg::ACC_BUF_BITS,   // acc_buf element width in memory
    localparam int MAX_WPR = MAX_FEAT / LANES,   // most lane words per row
    localparam int KW = $clog2(MAX_WPR + 1),   // bits of wpr (0..MAX_WPR)
    localparam int KIW = MAX_WPR > 1 ? $clog2(MAX_WPR) : 1,   // index into a row's lane words
    localparam int W_WORDS = MAX_FEAT * MAX_WPR,   // lane words of W
    localparam int WAW = $clog2(W_WORDS),   // bits of a W word address
    localparam int FW = $clog2(MAX_FEAT + 1),   // bits of feat_dim
    localparam int LOG_LANES = $clog2(LANES)   // log2(LANES)
) (
    input  logic                        clk,
    input  logic                        rst_n,
    // configuration, stable during a pass
    input  logic                        start,        // one cycle: a pass begins (row 0)
    input  logic [KW-1:0]               wpr,
    input  logic [FW-1:0]               feat_dim,
    input  logic                        post_scale,   // a dst_scale entry per row, every pass
    input  logic                        apply_w,
    input  logic                        relu,
    input  logic [63:0]                 feat_out,
    input  logic [63:0]                 acc_buf,
    input  logic [15:0]                 row_bytes,    // feat_dim * FEAT_BITS / 8
    input  logic [15:0]                 acc_row_bytes,  // feat_dim * 4
    input  logic [7:0]                  log_bus_bytes,
    // W memory write port (the loader)
    input  logic                        ww_en,
    input  logic [WAW-1:0]              ww_addr,
    input  logic [LANES*FEAT_BITS-1:0]  ww_data,
    // finished accumulations
    output logic                        free,
    input  logic                        row_done,     // one cycle: snap holds the row
    input  logic                        snap_we,      // the reducer writes the row, a lane word
    input  logic [KIW-1:0]              snap_k,       // per cycle, while free
    input  logic [LANES*ACC_BITS-1:0]   snap_word,
    // the row plans (gnn_agg_walker)
    input  logic                        plan_valid,
    output logic                        plan_ready,
    input  logic                        plan_proc,
    input  logic                        plan_add,
    input  logic                        plan_fin,
    // acc_buf rows read back (the `add` rows') and dst_scale entries
    input  logic                        accin_valid,
    output logic                        accin_ready,
    input  logic [LANES*AB-1:0]         accin_data,
    input  logic                        dscale_valid,
    output logic                        dscale_ready,
    input  logic [15:0]                 dscale_data,
    // to the writer
    output logic                        wcmd_valid,
    input  logic                        wcmd_ready,
    output logic [63:0]                 wcmd_addr,
    output logic [15:0]                 wcmd_beats,
    output logic                        wdata_valid,
    input  logic                        wdata_ready,
    output logic [LANES*AB-1:0]         wdata,
    output logic                        wdata_wide,
    output logic                        row_written    // one cycle per finished row
);
  typedef enum logic [2:0] {IDLE, CMD, COMBINE, MATVEC, EMIT} state_t;
  state_t state;

  logic signed [ACC_BITS-1:0] snap[MAX_WPR][LANES];
  logic signed [FEAT_BITS-1:0] yrow[MAX_WPR][LANES];
  logic signed [FEAT_BITS-1:0] zrow[MAX_WPR][LANES];
  logic [15:0] dscale_q;
  logic [KW-1:0] k;
  logic [63:0] out_addr, acc_addr;

  assign free = state == IDLE;
  logic add_q, fin_q;   // the current row's plan
  logic plan_go;        // CMD: the plan (and dst_scale entry) is taken this cycle
  assign plan_go = state == CMD && plan_valid && (!post_scale || dscale_valid) && (!plan_proc || wcmd_ready);
  assign plan_ready = plan_go;

  // ---------------- combine: one lane word per cycle
  // acc_buf holds the exact sums sign-extended, so its low ACC_BITS are the sum
  logic signed [ACC_BITS-1:0] total[LANES];
  logic signed [FEAT_BITS-1:0] y[LANES];
  always_comb begin
    for (int l = 0; l < LANES; l++) begin
      total[l] = snap[KIW'(k)][l] + (add_q ? accin_data[AB*l +: ACC_BITS] : ACC_BITS'(0));
      y[l] = FEAT_BITS'(post_scale ? gnn_agg_pkg::scale_acc(dscale_q, AB'(total[l]), COEF_FRAC, FEAT_BITS)
                                   : gnn_agg_pkg::sat(64'(total[l]), FEAT_BITS));
      if (relu && !apply_w && y[l] < 0) y[l] = '0;
    end
  end

  logic combine_go;  // a lane word is combined this cycle
  assign combine_go = state == COMBINE && (!add_q || accin_valid) &&
                      (fin_q && apply_w || wdata_ready);
  assign accin_ready = combine_go && add_q;

  // ---------------- W @ y: W[j][k-th lane word] . yrow[k], one lane word per cycle
  logic [WAW-1:0] w_addr;     // = j * wpr + kk, walks W in storage order
  logic [FW-1:0] j_issue, j_data;
  logic [KW-1:0] k_issue, k_data;
  logic issue_v, data_v, issue_done;
  logic [LANES*FEAT_BITS-1:0] w_mem[W_WORDS];
  logic [LANES*FEAT_BITS-1:0] w_q;
  logic signed [47:0] dot;

  always_ff @(posedge clk) begin
    if (ww_en) w_mem[ww_addr] <= ww_data;
    if (issue_v) w_q <= w_mem[w_addr];
  end

  logic signed [47:0] word_sum;
  always_comb begin
    word_sum = '0;
    for (int l = 0; l < LANES; l++) begin
      logic signed [2*FEAT_BITS-1:0] p;
      p = $signed(w_q[FEAT_BITS*l +: FEAT_BITS]) * yrow[KIW'(k_data)][l];
      word_sum = word_sum + 48'(p);
    end
  end
  logic signed [47:0] dot_next;
  assign dot_next = dot + word_sum;
  logic signed [FEAT_BITS-1:0] z;
  always_comb begin
    z = FEAT_BITS'(gnn_agg_pkg::round_sat(64'(dot_next), WGT_FRAC, FEAT_BITS));
    if (relu && z < 0) z = '0;
  end

  // ---------------- control
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state <= IDLE;
      k <= '0;
      out_addr <= '0;
      acc_addr <= '0;
      dscale_q <= '0;
      add_q <= 1'b0;
      fin_q <= 1'b0;
      issue_v <= 1'b0;
      data_v <= 1'b0;
      issue_done <= 1'b0;
      w_addr <= '0;
      j_issue <= '0;
      k_issue <= '0;
      j_data <= '0;
      k_data <= '0;
      dot <= '0;
    end else begin
      if (start) begin
        out_addr <= feat_out;
        acc_addr <= acc_buf;
      end
      data_v <= issue_v;
      j_data <= j_issue;
      k_data <= k_issue;
      case (state)
        IDLE: if (row_done) state <= CMD;
        CMD: if (plan_go) begin
          dscale_q <= dscale_data;
          add_q <= plan_add;
          fin_q <= plan_fin;
          k <= '0;
          state <= plan_proc ? COMBINE : IDLE;
        end
        COMBINE: if (combine_go) begin
          for (int l = 0; l < LANES; l++) yrow[KIW'(k)][l] <= y[l];
          k <= k + 1'b1;
          if (k == wpr - 1'b1) begin
            k <= '0;
            if (fin_q && apply_w) begin
              state <= MATVEC;
              issue_v <= 1'b1;
              issue_done <= 1'b0;
              w_addr <= '0;
              j_issue <= '0;
              k_issue <= '0;
              dot <= '0;
            end else begin
              state <= IDLE;
            end
          end
        end
        MATVEC: begin
          if (issue_v) begin
            w_addr <= w_addr + 1'b1;
            k_issue <= k_issue + 1'b1;
            if (k_issue == wpr - 1'b1) begin
              k_issue <= '0;
              j_issue <= j_issue + 1'b1;
              if (j_issue == feat_dim - 1'b1) begin
                issue_v <= 1'b0;
                issue_done <= 1'b1;
              end
            end
          end
          if (data_v) begin
            if (k_data == wpr - 1'b1) begin
              zrow[KIW'(j_data >> LOG_LANES)][LOG_LANES'(j_data)] <= z;
              dot <= '0;
            end else begin
              dot <= dot_next;
            end
          end
          if (issue_done && !data_v) begin
            issue_done <= 1'b0;
            state <= EMIT;
          end
        end
        EMIT: if (wdata_ready) begin
          k <= k + 1'b1;
          if (k == wpr - 1'b1) begin
            k <= '0;
            state <= IDLE;
          end
        end
        default: state <= IDLE;
      endcase
      if (snap_we)
        for (int l = 0; l < LANES; l++) snap[snap_k][l] <= $signed(snap_word[ACC_BITS*l +: ACC_BITS]);
      if (plan_go) begin
        out_addr <= out_addr + 64'(row_bytes);
        acc_addr <= acc_addr + 64'(acc_row_bytes);
      end
    end
  end

  // row_written: the row is finished for this pass (written, or left as it is)
  assign row_written = (state == COMBINE && combine_go && k == wpr - 1'b1 && !(fin_q && apply_w))
                    || (state == EMIT && wdata_ready && k == wpr - 1'b1)
                    || (plan_go && !plan_proc);
  assign dscale_ready = plan_go && post_scale;
  assign wcmd_valid = state == CMD && plan_valid && plan_proc && (!post_scale || dscale_valid);
  assign wcmd_addr = plan_fin ? out_addr : acc_addr;
  assign wcmd_beats = (plan_fin ? row_bytes : acc_row_bytes) >> log_bus_bytes;

  always_comb begin
    wdata = '0;
    wdata_wide = !fin_q;
    wdata_valid = 1'b0;
    if (state == COMBINE) begin
      wdata_valid = (!add_q || accin_valid) && !(fin_q && apply_w);
      for (int l = 0; l < LANES; l++) begin
        if (fin_q) wdata[FEAT_BITS*l +: FEAT_BITS] = y[l];
        else wdata[AB*l +: AB] = AB'(total[l]);
      end
    end else if (state == EMIT) begin
      wdata_valid = 1'b1;
      for (int l = 0; l < LANES; l++) wdata[FEAT_BITS*l +: FEAT_BITS] = zrow[KIW'(k)][l];
    end
  end
endmodule

`default_nettype wire
