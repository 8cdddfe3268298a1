// gnn_agg_epilogue: finishes one destination row per hand-off from the accumulate stage, as the
// walker's row plan for the row says (gnn_agg_walker, "Row plans"; one plan per row, in order):
//   not proc: nothing (the row's acc_buf partial row stays as it is; its dst_scale entry is dropped)
//   combine  total = acc (+ the acc_buf row of the earlier partitions if add)   lane word per cycle
//   not fin: write total to acc_buf (ACC_BITS sign-extended to 32-bit lanes)
//   fin:     y = POST_SCALE ? q(dst_scale[v] * total) : sat(total)
//            COMBINE is a pipeline with one stall for all stages (the output register waiting
//            for the write queue): the sum, the product (DSP48s), the rounding add, saturation
//            into the output register. Every word takes the multiply: by dst_scale[v], or by
//            1.0 (2^COEF_FRAC), which round_sat maps back to sat(total) and to total exactly.
//            The epilogue is free again once the row's last word is in the pipeline; a row's
//            words are offered to the write queue 4 cycles after they enter it
//            APPLY_W: z_j = q(sum_k W[j][k] y_k), W held on chip, LANES products per cycle,
//            pipelined: W read, W / y registers, products, a radix-4 adder tree
//            (MV_TREE levels), the row's accumulation, saturation: MV_TREE + 5 cycles
//            from a W word's read to its z in zrow (MV_TREE + 2 more per row than unpipelined);
//            W @ y starts when the row's last y is in yrow (3 cycles later than unpipelined)
//            RELU, then write the FEAT row to feat_out (through the output register)
// The row's write address (feat_out + v * row_bytes if fin, else acc_buf + v * acc_row_bytes)
// comes with its plan. Its dst_scale entry: the next one of the per-pass dst_scale stream
// (every row's, CSR modes), or, tiled, lane plan_lane of the bus word read for each fin row.
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
    parameter int DS_LANES = 4,   // 16-bit dst_scale entries in a dscale_data word (a bus word)
    localparam int AB = gnn_agg_pkg::ACC_BUF_BITS,   // acc_buf element width in memory
    localparam int MAX_WPR = MAX_FEAT / LANES,   // most lane words per row
    localparam int KW = $clog2(MAX_WPR + 1),   // bits of wpr (0..MAX_WPR)
    localparam int KIW = MAX_WPR > 1 ? $clog2(MAX_WPR) : 1,   // index into a row's lane words
    localparam int W_WORDS = MAX_FEAT * MAX_WPR,   // lane words of W
    localparam int WAW = $clog2(W_WORDS),   // bits of a W word address
    localparam int FW = $clog2(MAX_FEAT + 1),   // bits of feat_dim
    localparam int LOG_LANES = $clog2(LANES),   // log2(LANES)
    localparam int MV_TREE = (LOG_LANES + 1) / 2   // radix-4 adder-tree levels of a lane word's products
) (
    input  logic                        clk,
    input  logic                        rst_n,
    // configuration, stable during a pass
    input  logic [KW-1:0]               wpr,
    input  logic [FW-1:0]               feat_dim,
    input  logic                        post_scale,   // a dst_scale entry per row (tiled: per fin row)
    input  logic                        tiled,
    input  logic                        apply_w,
    input  logic                        relu,
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
    input  logic [63:0]                 plan_addr,
    input  logic [$clog2(DS_LANES)-1:0] plan_lane,
    // acc_buf rows read back (the `add` rows') and dst_scale entries
    input  logic                        accin_valid,
    output logic                        accin_ready,
    input  logic [LANES*AB-1:0]         accin_data,
    input  logic                        dscale_valid,
    output logic                        dscale_ready,
    input  logic [16*DS_LANES-1:0]      dscale_data,  // entry in lane plan_lane (CSR modes: lane 0)
    // to the writer
    output logic                        wcmd_valid,
    input  logic                        wcmd_ready,
    output logic [63:0]                 wcmd_addr,
    output logic [15:0]                 wcmd_beats,
    output logic                        wdata_valid,
    input  logic                        wdata_ready,
    output logic [LANES*AB-1:0]         wdata,
    output logic                        wdata_wide,
    output logic                        row_written,   // one cycle per finished row
    output logic                        busy           // lane words in the pipeline, not yet queued
);
  typedef enum logic [2:0] {IDLE, CMD, COMBINE, MATVEC, EMIT} state_t;
  state_t state;

  logic signed [ACC_BITS-1:0] snap[MAX_WPR][LANES];
  logic signed [FEAT_BITS-1:0] yrow[MAX_WPR][LANES];
  logic signed [FEAT_BITS-1:0] zrow[MAX_WPR][LANES];
  localparam int CW = gnn_agg_pkg::COEF_BITS + 1;   // the multiplier's coefficient (signed, >= 0)
  localparam int QW = CW + ACC_BITS;                 // a product
  logic signed [CW-1:0] coef_q;   // the row's: dst_scale[v] (POST_SCALE, fin) or 1.0
  logic [KW-1:0] k;

  assign free = state == IDLE;
  logic add_q, fin_q;   // the current row's plan
  logic plan_go;        // CMD: the plan (and dst_scale entry) is taken this cycle
  logic need_ds;        // the plan takes a dst_scale entry
  assign need_ds = post_scale && (!tiled || (plan_proc && plan_fin));
  assign plan_go = state == CMD && plan_valid && (!need_ds || dscale_valid) && (!plan_proc || wcmd_ready);
  assign plan_ready = plan_go;

  // ---------------- combine: one lane word per cycle, a pipeline with one stall
  //   sum    s_total <= snap[k] + acc_buf word (add)          (the snapshot word is read here)
  //   mul    the product, one DSP48 pass per register (signed operands of 25 x 18 bits): wider
  //          than 25 bits, m_lo <= coef * the low 17 bits and m_hi <= coef * the high bits
  //   add    p_r <= coef * total + 1/2 LSB of y: (m_hi << 17 | 1/2 LSB) + m_lo (the rounding
  //          constant in the shifted term's zero low bits), a carry chain
  //   out    y = sat(p_r >>> COEF_FRAC), total = p_r >>> COEF_FRAC (coef 1.0) -> o_data or yrow
  // The rounding constant added before the out stage leaves it round_sat's saturation only.
  // EMIT's zrow words also go out through o_data, so every write-queue word leaves a register.
  logic adv;            // the pipeline moves: the output register is empty or the queue takes it
  logic s_v, m_v, p_v, o_v;
  logic s_fin, m_fin, p_fin, o_wide;
  logic [KIW-1:0] s_k, m_k, p_k;
  logic signed [CW-1:0] s_coef;
  logic signed [ACC_BITS-1:0] s_total[LANES];
  logic signed [QW-1:0] p_r[LANES];
  logic [LANES*AB-1:0] o_data;
  assign adv = !o_v || wdata_ready;

  logic combine_go;  // a lane word enters the pipeline this cycle
  assign combine_go = state == COMBINE && (!add_q || accin_valid) && adv;
  assign accin_ready = combine_go && add_q;
  logic emit_go;     // EMIT: a zrow word goes to the output register
  assign emit_go = state == EMIT && adv;

  // acc_buf holds the exact sums sign-extended, so its low ACC_BITS are the sum
  always_ff @(posedge clk) begin
    if (adv) begin
      s_fin <= fin_q;
      s_k <= KIW'(k);
      s_coef <= coef_q;
      for (int l = 0; l < LANES; l++)
        s_total[l] <= snap[KIW'(k)][l] + (add_q ? accin_data[AB*l +: ACC_BITS] : ACC_BITS'(0));
      m_fin <= s_fin;
      m_k <= s_k;
      p_fin <= m_fin;
      p_k <= m_k;
    end
  end

  localparam logic signed [QW-1:0] HALF = QW'(1) <<< (COEF_FRAC - 1);   // 1/2 LSB of y
  if (ACC_BITS > 25) begin : g_split
    localparam int LO = 17;   // {0, the low bits}: an 18-bit signed operand
    logic signed [CW+LO:0] m_lo[LANES];
    logic signed [QW-LO-1:0] m_hi[LANES];
    always_ff @(posedge clk) begin
      if (adv) begin
        for (int l = 0; l < LANES; l++) begin
          m_lo[l] <= s_coef * $signed({1'b0, s_total[l][LO-1:0]});
          m_hi[l] <= s_coef * $signed(s_total[l][ACC_BITS-1:LO]);
          p_r[l] <= ((QW'(m_hi[l]) <<< LO) | HALF) + QW'(m_lo[l]);
        end
      end
    end
  end else begin : g_one
    logic signed [QW-1:0] m[LANES];
    always_ff @(posedge clk) begin
      if (adv) begin
        for (int l = 0; l < LANES; l++) begin
          m[l] <= s_coef * s_total[l];
          p_r[l] <= m[l] + HALF;
        end
      end
    end
  end

  logic signed [FEAT_BITS-1:0] y[LANES];
  logic signed [AB-1:0] total[LANES];
  always_comb begin
    for (int l = 0; l < LANES; l++) begin
      y[l] = FEAT_BITS'(gnn_agg_pkg::sat(64'(p_r[l] >>> COEF_FRAC), FEAT_BITS));
      if (relu && !apply_w && y[l] < 0) y[l] = '0;
      total[l] = AB'(p_r[l] >>> COEF_FRAC);
    end
  end

  // ---------------- W @ y: W[j][k-th lane word] . yrow[k], one lane word per cycle
  // A W word's pipeline (a valid bit and its j, k per stage):
  //   issue  w_q <= W memory (block RAM read)
  //   m1     w_r <= w_q, y_r <= yrow[k]          (DSP A / B input registers)
  //   m2     prod[l] <= w_r[l] * y_r[l]          (DSP P register)
  //   t1..   sums of 4, MV_TREE levels           (fabric adders, one level per cycle)
  //   acc    dot <= (k == 0 ? 1/2 LSB of z : dot) + word sum; the row's last word also into fin
  //   sat    zrow[j] <= sat(fin >>> WGT_FRAC) (ReLU)
  // Adding the rounding constant first makes fin >>> WGT_FRAC round_sat's rounding, exactly.
  localparam int PW = 2 * FEAT_BITS;              // a product
  localparam int SW = PW + 2 * MV_TREE;           // a tree sum (exact: 4^MV_TREE >= LANES terms)
  localparam int MV_STAGES = MV_TREE + 3;         // m1, m2, t1..tN, acc: stages with a (j, k)
  logic [WAW-1:0] w_addr;     // = j * wpr + kk, walks W in storage order
  logic [FW-1:0] j_issue;
  logic [KW-1:0] k_issue;
  logic issue_v, issue_done;
  logic [LANES*FEAT_BITS-1:0] w_mem[W_WORDS];
  logic [LANES*FEAT_BITS-1:0] w_q, w_r;
  logic signed [FEAT_BITS-1:0] y_r[LANES];
  logic signed [PW-1:0] prod[LANES];
  logic signed [SW-1:0] tree[MV_TREE][LANES];
  logic signed [47:0] dot, fin;
  logic mv_v[MV_STAGES];            // stage s holds a word: m1 = 0, m2 = 1, t1.. = 2.., acc = MV_TREE + 2
  logic [FW-1:0] mv_j[MV_STAGES];
  logic [KW-1:0] mv_k[MV_STAGES];
  logic fin_v;
  logic [FW-1:0] fin_j;
  logic mv_busy;                    // a word in the pipeline before its sat stage

  always_ff @(posedge clk) begin
    if (ww_en) w_mem[ww_addr] <= ww_data;
    if (issue_v) w_q <= w_mem[w_addr];
  end

  // the tree: level 0 adds groups of 4 products, level n groups of 4 sums of level n - 1 (whose
  // entries past its last group are constant 0)
  logic signed [SW-1:0] word_sum;
  assign word_sum = tree[MV_TREE-1][0];
  always_ff @(posedge clk) begin
    w_r <= w_q;
    for (int l = 0; l < LANES; l++) begin
      y_r[l] <= yrow[KIW'(mv_k[0])][l];
      prod[l] <= $signed(w_r[FEAT_BITS*l +: FEAT_BITS]) * y_r[l];
    end
    for (int n = 0; n < MV_TREE; n++) begin
      for (int i = 0; i < LANES; i++) begin
        logic signed [SW-1:0] s4;
        s4 = '0;
        for (int g = 0; g < 4; g++)
          if (4 * i + g < LANES) s4 = s4 + (n == 0 ? SW'(prod[4 * i + g]) : tree[n == 0 ? 0 : n - 1][4 * i + g]);
        tree[n][i] <= s4;
      end
    end
  end

  logic signed [47:0] dot_next;
  assign dot_next = (mv_k[MV_STAGES-1] == '0 ? 48'sd1 <<< (WGT_FRAC - 1) : dot) + 48'(word_sum);
  // AP_SAT of fin >>> WGT_FRAC into FEAT_BITS: in range when the bits above the sign agree
  logic signed [47:0] fin_sh;
  logic fin_ovf;
  logic signed [FEAT_BITS-1:0] z;
  assign fin_sh = fin >>> WGT_FRAC;
  assign fin_ovf = fin_sh[47:FEAT_BITS-1] != {(49 - FEAT_BITS){fin_sh[47]}};
  always_comb begin
    z = fin_ovf ? {fin_sh[47], {(FEAT_BITS - 1){!fin_sh[47]}}} : fin_sh[FEAT_BITS-1:0];
    if (relu && z < 0) z = '0;
  end

  // EMIT may begin while the row's last z is written (it reads zrow a cycle later)
  always_comb begin
    mv_busy = 1'b0;
    for (int s = 0; s < MV_STAGES; s++) mv_busy = mv_busy || mv_v[s];
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      for (int s = 0; s < MV_STAGES; s++) mv_v[s] <= 1'b0;
      fin_v <= 1'b0;
    end else begin
      mv_v[0] <= issue_v;
      for (int s = 1; s < MV_STAGES; s++) mv_v[s] <= mv_v[s-1];
      fin_v <= mv_v[MV_STAGES-1] && mv_k[MV_STAGES-1] == wpr - 1'b1;
    end
    mv_j[0] <= j_issue;
    mv_k[0] <= k_issue;
    for (int s = 1; s < MV_STAGES; s++) begin
      mv_j[s] <= mv_j[s-1];
      mv_k[s] <= mv_k[s-1];
    end
    if (mv_v[MV_STAGES-1]) begin
      dot <= dot_next;
      fin <= dot_next;
      fin_j <= mv_j[MV_STAGES-1];
    end
    if (fin_v) zrow[KIW'(fin_j >> LOG_LANES)][LOG_LANES'(fin_j)] <= z;
  end

  // ---------------- control
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state <= IDLE;
      k <= '0;
      coef_q <= '0;
      add_q <= 1'b0;
      fin_q <= 1'b0;
      issue_v <= 1'b0;
      issue_done <= 1'b0;
      w_addr <= '0;
      j_issue <= '0;
      k_issue <= '0;
    end else begin
      case (state)
        IDLE: if (row_done) state <= CMD;
        CMD: if (plan_go) begin
          coef_q <= post_scale && plan_fin ? $signed({1'b0, dscale_data[16 * int'(plan_lane) +: 16]})
                                           : CW'(1) <<< COEF_FRAC;
          add_q <= plan_add;
          fin_q <= plan_fin;
          k <= '0;
          state <= plan_proc ? COMBINE : IDLE;
        end
        COMBINE: if (combine_go) begin
          k <= k + 1'b1;
          if (k == wpr - 1'b1) begin
            k <= '0;
            if (fin_q && apply_w) begin
              state <= MATVEC;   // the W reads start with the row's last y in yrow
              issue_done <= 1'b0;
              w_addr <= '0;
              j_issue <= '0;
              k_issue <= '0;
            end else begin
              state <= IDLE;
            end
          end
        end
        MATVEC: begin
          // the pipeline holds only this row's words: its last one goes into yrow now
          if (!issue_v && !issue_done && adv && p_v && !m_v && !s_v) issue_v <= 1'b1;
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
          if (issue_done && !mv_busy) begin
            issue_done <= 1'b0;
            state <= EMIT;
          end
        end
        EMIT: if (emit_go) begin
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
    end
  end

  // the pipeline's valid bits; yrow and the output register take a word as it leaves prod
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      {s_v, m_v, p_v, o_v} <= '0;
    end else if (adv) begin
      s_v <= combine_go;
      m_v <= s_v;
      p_v <= m_v;
      o_v <= emit_go || (p_v && !(p_fin && apply_w));
    end
  end
  always_ff @(posedge clk) begin
    if (adv) begin
      if (p_v && p_fin && apply_w)
        for (int l = 0; l < LANES; l++) yrow[p_k][l] <= y[l];
      o_wide <= !emit_go && !p_fin;
      o_data <= '0;
      for (int l = 0; l < LANES; l++) begin
        if (emit_go) o_data[FEAT_BITS*l +: FEAT_BITS] <= zrow[KIW'(k)][l];
        else if (p_fin) o_data[FEAT_BITS*l +: FEAT_BITS] <= y[l];
        else o_data[AB*l +: AB] <= total[l];
      end
    end
  end
  assign busy = s_v || m_v || p_v || o_v;

  // row_written: the row is finished for this pass (left as it is, or its last word in the
  // pipeline: `busy` stays up until the write queue holds it)
  assign row_written = (combine_go && k == wpr - 1'b1 && !(fin_q && apply_w))
                    || (emit_go && k == wpr - 1'b1)
                    || (plan_go && !plan_proc);
  assign dscale_ready = plan_go && need_ds;
  assign wcmd_valid = state == CMD && plan_valid && plan_proc && (!need_ds || dscale_valid);
  assign wcmd_addr = plan_addr;
  assign wcmd_beats = (plan_fin ? row_bytes : acc_row_bytes) >> log_bus_bytes;
  assign wdata_valid = o_v;
  assign wdata = o_data;
  assign wdata_wide = o_wide;
endmodule

`default_nettype wire
