// gnn_agg_pkg: the interface contract (docs/CONTRACT.md, golden/contract.py) in SystemVerilog,
// plus the fixed-point narrowing steps every datapath shares. tests/golden/test_contract.py parses the
// localparam lines below, so keep their exact form.
`default_nettype none

package gnn_agg_pkg;
  // The full contract is listed even where the RTL decodes a range instead of a name (the
  // status words) so that tests/golden/test_contract.py can compare it with golden/contract.py.
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
  localparam logic [7:0] REG_HW_FORMATS = 8'hF4;
  localparam logic [7:0] REG_TIMEOUT = 8'hFC;
  localparam logic [8:0] REG_N_PAIRS = 9'h100;   // past the Vitis block: the address is 9 bits

  // mode register: bit indices
  localparam int MODE_PRE_SCALE = 0;
  localparam int MODE_POST_SCALE = 1;
  localparam int MODE_EDGE_WEIGHT = 2;
  localparam int MODE_APPLY_W = 3;
  localparam int MODE_RELU = 4;
  localparam int MODE_DRAM_GATHER = 5;
  localparam int MODE_IDX16 = 6;
  localparam int MODE_TILED = 7;
  localparam int MODE_BITS = 8;

  // stat_error: bit indices
  localparam int ERR_ARG = 0;
  localparam int ERR_ALIGN = 1;
  localparam int ERR_RANGE = 2;
  localparam int ERR_ROW_PTR = 3;
  localparam int ERR_INDEX = 4;
  localparam int ERR_AXI_RD = 5;
  localparam int ERR_AXI_WR = 6;
  localparam int ERR_TIMEOUT = 7;
  localparam int ERR_BITS = 8;

  localparam logic [31:0] HW_MAGIC = 32'h474E4101;

  localparam int BUFFER_ALIGN = 64;   // every used buffer starts on this byte boundary
  /* verilator lint_on UNUSEDPARAM */
  localparam int MAX_DEGREE = 65536;  // edges per row; ACC_BITS >= FEAT_BITS + 16 keeps sums exact
  localparam int IDX16_MAX_SRC = 65536;
  localparam int COEF_BITS = 16;      // scales and edge weights: unsigned, COEF_FRAC fraction bits
  localparam int ACC_BUF_BITS = 32;   // acc_buf elements in memory (the accumulator sign-extended)
  localparam int MAX_FEAT_BITS = 16;  // widest FEAT element a build may have

  // Read streams of gnn_agg_reader (an internal numbering, not part of the contract): the index
  // of each stream in the reader's command arrays, which is also its ARID.
  localparam int RD_STREAMS = 7;
  localparam int RD_ROW_PTR = 0;      // row_ptr, one command per pass
  localparam int RD_COL_IDX = 1;      // col_idx, one command per pass
  localparam int RD_EDGE_W = 2;       // edge_w (EDGE_WEIGHT), one command per pass
  localparam int RD_DST_SCALE = 3;    // dst_scale (POST_SCALE), the last pass
  localparam int RD_ACC_BUF = 4;      // acc_buf partial sums, every pass but the first
  localparam int RD_FEAT = 5;         // feat_in rows (a table load or, gather, one per edge) or W
  localparam int RD_SRC_SCALE = 6;    // src_scale (PRE_SCALE) of those rows

  // The number formats are gnn_agg parameters (FEAT_BITS, FEAT_FRAC, WGT_FRAC, COEF_FRAC,
  // ACC_BITS); the functions below take the target width `bits` and the shift as constant
  // arguments and return FEAT values sign-extended to MAX_FEAT_BITS, which callers narrow to
  // FEAT_BITS (lossless: the value is clamped to that range).

  // AP_SAT: clamp into a signed `bits`-bit range
  function automatic logic signed [MAX_FEAT_BITS-1:0] sat(input logic signed [63:0] v, input int bits);
    logic signed [63:0] hi, lo;
    hi = (64'sd1 <<< (bits - 1)) - 64'sd1;
    lo = -(64'sd1 <<< (bits - 1));
    if (v > hi) sat = MAX_FEAT_BITS'(hi);
    else if (v < lo) sat = MAX_FEAT_BITS'(lo);
    else sat = MAX_FEAT_BITS'(v);
  endfunction

  // AP_RND + AP_SAT into FEAT: floor(p / 2^shift + 1/2), clamped to `bits`. `p` is an exact
  // signed product of at most 57 bits (17 x 40); callers sign-extend into the 64-bit argument.
  function automatic logic signed [MAX_FEAT_BITS-1:0] round_sat(input logic signed [63:0] p, input int shift,
                                                                 input int bits);
    round_sat = sat((p + (64'sd1 <<< (shift - 1))) >>> shift, bits);
  endfunction

  // q(coef * x): a COEF coefficient times a FEAT value (17 x FEAT_BITS product, exact)
  function automatic logic signed [MAX_FEAT_BITS-1:0] scale_feat(input logic [COEF_BITS-1:0] coef,
      input logic signed [MAX_FEAT_BITS-1:0] x, input int coef_frac, input int bits);
    logic signed [COEF_BITS+MAX_FEAT_BITS:0] p;
    p = $signed({1'b0, coef}) * x;
    scale_feat = round_sat(64'(p), coef_frac, bits);
  endfunction

  // q(coef * acc): a COEF coefficient times an accumulator (17 x ACC_BITS product, exact)
  function automatic logic signed [MAX_FEAT_BITS-1:0] scale_acc(input logic [COEF_BITS-1:0] coef,
      input logic signed [ACC_BUF_BITS-1:0] a, input int coef_frac, input int bits);
    logic signed [COEF_BITS+ACC_BUF_BITS:0] p;
    p = $signed({1'b0, coef}) * a;
    scale_acc = round_sat(64'(p), coef_frac, bits);
  endfunction

endpackage

`default_nettype wire
