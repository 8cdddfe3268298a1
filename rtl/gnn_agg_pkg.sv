// gnn_agg_pkg: the interface contract (docs/CONTRACT.md, golden/contract.py) in SystemVerilog,
// plus the fixed-point narrowing steps every datapath shares. tests/test_contract.py parses the
// localparam lines below, so keep their exact form.
package gnn_agg_pkg;
  // The full contract is listed even where the RTL decodes a range instead of a name (the
  // status words) so that tests/test_contract.py can compare it with golden/contract.py.
  /* verilator lint_off UNUSEDPARAM */

  // s_axi_control byte offsets (Vitis HLS layout)
  localparam logic [7:0] REG_CTRL = 8'h00;
  localparam logic [7:0] REG_GIE = 8'h04;
  localparam logic [7:0] REG_IER = 8'h08;
  localparam logic [7:0] REG_ISR = 8'h0C;
  localparam logic [7:0] REG_ROW_PTR = 8'h10;
  localparam logic [7:0] REG_COL_IDX = 8'h1C;
  localparam logic [7:0] REG_EDGE_W = 8'h28;
  localparam logic [7:0] REG_SRC_SCALE = 8'h34;
  localparam logic [7:0] REG_DST_SCALE = 8'h40;
  localparam logic [7:0] REG_FEAT_IN = 8'h4C;
  localparam logic [7:0] REG_WEIGHT = 8'h58;
  localparam logic [7:0] REG_FEAT_OUT = 8'h64;
  localparam logic [7:0] REG_ACC_BUF = 8'h70;
  localparam logic [7:0] REG_N_DST = 8'h7C;
  localparam logic [7:0] REG_N_SRC = 8'h84;
  localparam logic [7:0] REG_N_EDGES = 8'h8C;
  localparam logic [7:0] REG_FEAT_DIM = 8'h94;
  localparam logic [7:0] REG_MODE = 8'h9C;
  localparam logic [7:0] REG_STAT_CYCLES = 8'hA4;
  localparam logic [7:0] REG_STAT_EDGES = 8'hAC;
  localparam logic [7:0] REG_STAT_STALLS = 8'hB4;
  localparam logic [7:0] REG_STAT_RD_BEATS = 8'hBC;
  localparam logic [7:0] REG_STAT_WR_BEATS = 8'hC4;
  localparam logic [7:0] REG_STAT_ERROR = 8'hCC;
  localparam logic [7:0] REG_HW_MAGIC = 8'hD4;
  localparam logic [7:0] REG_HW_PARAMS = 8'hDC;
  localparam logic [7:0] REG_HW_MAX_FEAT = 8'hE4;
  localparam logic [7:0] REG_HW_TABLE_ELEMS = 8'hEC;

  // mode register: bit indices
  localparam int MODE_PRE_SCALE = 0;
  localparam int MODE_POST_SCALE = 1;
  localparam int MODE_EDGE_WEIGHT = 2;
  localparam int MODE_APPLY_W = 3;
  localparam int MODE_RELU = 4;
  localparam int MODE_DRAM_GATHER = 5;
  localparam int MODE_IDX16 = 6;
  localparam int MODE_BITS = 7;

  // stat_error: bit indices
  localparam int ERR_ARG = 0;
  localparam int ERR_ALIGN = 1;
  localparam int ERR_RANGE = 2;
  localparam int ERR_ROW_PTR = 3;
  localparam int ERR_INDEX = 4;
  localparam int ERR_AXI_RD = 5;
  localparam int ERR_AXI_WR = 6;
  localparam int ERR_BITS = 7;

  localparam logic [31:0] HW_MAGIC = 32'h474E4101;

  localparam int BUFFER_ALIGN = 64;   // every used buffer starts on this byte boundary
  /* verilator lint_on UNUSEDPARAM */
  localparam int MAX_DEGREE = 65536;  // 16-bit terms in a 32-bit exact accumulator
  localparam int IDX16_MAX_SRC = 65536;
  localparam int COEF_FRAC = 15;      // UQ1.15 scales and edge weights
  localparam int WGT_FRAC = 12;       // Q4.12 W

  // AP_RND + AP_SAT into FEAT (16 bits): floor(p / 2^shift + 1/2), clamped. `p` is an exact
  // signed product of at most 56 bits (16 x 40); callers sign-extend into the 64-bit argument.
  function automatic logic signed [15:0] round_sat(input logic signed [63:0] p, input int shift);
    logic signed [63:0] r;
    r = (p + (64'sd1 <<< (shift - 1))) >>> shift;
    if (r > 64'sd32767) round_sat = 16'sh7FFF;
    else if (r < -64'sd32768) round_sat = 16'sh8000;
    else round_sat = r[15:0];
  endfunction

  // q(coef * x): a UQ1.15 coefficient times a FEAT value (17 x 16 bit product, exact)
  function automatic logic signed [15:0] scale_feat(input logic [15:0] coef, input logic signed [15:0] x);
    logic signed [32:0] p;
    p = $signed({1'b0, coef}) * x;
    scale_feat = round_sat(64'(p), COEF_FRAC);
  endfunction

  // q(coef * acc): a UQ1.15 coefficient times a 32-bit accumulator (17 x 32 bit product, exact)
  function automatic logic signed [15:0] scale_acc(input logic [15:0] coef, input logic signed [31:0] a);
    logic signed [48:0] p;
    p = $signed({1'b0, coef}) * a;
    scale_acc = round_sat(64'(p), COEF_FRAC);
  endfunction

  // AP_SAT without rounding: a 32-bit accumulator clamped into FEAT
  function automatic logic signed [15:0] sat16(input logic signed [31:0] v);
    if (v > 32'sd32767) sat16 = 16'sh7FFF;
    else if (v < -32'sd32768) sat16 = 16'sh8000;
    else sat16 = v[15:0];
  endfunction

endpackage
