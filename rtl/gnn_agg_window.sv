// gnn_agg_window: bus words -> a run of `count` 16- or 32-bit little-endian elements, offered
// N at a time across word boundaries. The consumer takes any 0..out_count of the front elements
// per cycle (out_take); a new word is accepted whenever the buffer has room for all of its
// elements (decided from the fill level before the take, so in_ready does not depend on the
// consumer), which sustains N elements per cycle when a word holds at least N of them.
// Exactly ceil(count * elem bytes / bus bytes) words are consumed; elements of the last word
// beyond `count` are dropped. The walker reads col_idx and edge_w through this.
`default_nettype none

module gnn_agg_window #(
    parameter int BUS_BITS = 64,   // bus word width (a multiple of 32)
    parameter int N = 2,   // elements offered per cycle
    localparam int NW = $clog2(N + 1)   // bits of an element count (0..N)
) (
    input  logic                clk,
    input  logic                rst_n,
    input  logic                start,       // load the run below (while idle)
    input  logic                wide,        // 1: 32-bit elements, 0: 16-bit
    input  logic [32:0]         count,
    input  logic                in_valid,
    output logic                in_ready,
    input  logic [BUS_BITS-1:0] in_data,
    output logic [NW-1:0]       out_count,   // front elements available (<= N)
    output logic [N-1:0][31:0]  out_data,
    input  logic [NW-1:0]       out_take     // <= out_count
);
  localparam int HALVES = BUS_BITS / 16;   // 16-bit halves per bus word
  // buffer: two windows plus one word of 16-bit elements, so a word is accepted whenever fewer
  // than 2N elements are held and the next cycle still offers N after any take
  localparam int C = 2 * N + HALVES;
  localparam int CW = $clog2(C + 1);   // bits of the fill count (0..C)

  logic [C-1:0][31:0] buf_q;
  logic [CW-1:0] cnt;
  logic [32:0] ingest_left;   // elements still to come from memory
  logic wide_q;

  logic [CW-1:0] epw, n_in;   // elements per word, elements this word brings
  assign epw = wide_q ? CW'(HALVES / 2) : CW'(HALVES);
  assign n_in = ingest_left < 33'(epw) ? CW'(ingest_left) : epw;
  assign in_ready = ingest_left != 0 && 32'(cnt) + 32'(epw) <= 32'(C);
  logic ingest;
  assign ingest = in_valid && in_ready;

  assign out_count = cnt < CW'(N) ? NW'(cnt) : NW'(N);
  for (genvar i = 0; i < N; i++) begin : g_out
    assign out_data[i] = buf_q[i];
  end

  logic [HALVES-1:0][31:0] word_elems;
  always_comb begin
    for (int j = 0; j < HALVES; j++) begin
      if (wide_q) word_elems[j] = j < HALVES / 2 ? in_data[32*j +: 32] : 32'd0;
      else word_elems[j] = {16'd0, in_data[16*j +: 16]};
    end
  end

  // The held elements followed by the word's (when one is ingested), from the registered state
  // alone: out_take comes late (the walker decides it from out_data in the same cycle), so it
  // only picks the window of this sequence each entry moves to (an N + 1 input mux per entry).
  // fill[j]: position j holds an element (below cnt, or below cnt + HALVES while ingesting);
  // entries whose source position is empty keep their value.
  localparam int LH = $clog2(HALVES);
  logic [C+HALVES-1:0][31:0] held_in;
  logic [C+HALVES-1:0] fill;
  always_comb
    for (int j = 0; j < C + HALVES; j++) begin
      logic [CW:0] w;   // position j within the word (when j >= cnt)
      w = (CW + 1)'(j) - (CW + 1)'(cnt);
      held_in[j] = j < C && (CW + 1)'(j) < (CW + 1)'(cnt) ? buf_q[j % C] : word_elems[LH'(w)];
      fill[j] = (CW + 1)'(j) < (CW + 1)'(cnt) || (ingest && w < (CW + 1)'(HALVES));
    end
  // entry i after a take of t: position i + t of that sequence (kept as it is where that is empty)
  logic [C-1:0][N:0][31:0] move;
  logic [C-1:0][N:0] move_fill;
  always_comb
    for (int i = 0; i < C; i++)
      for (int t = 0; t <= N; t++) begin
        move[i][t] = held_in[(i + t) % (C + HALVES)];
        move_fill[i][t] = i + t < C + HALVES && fill[(i + t) % (C + HALVES)];
      end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      cnt <= '0;
      ingest_left <= '0;
      wide_q <= 1'b0;
    end else if (start) begin
      cnt <= '0;
      ingest_left <= count;
      wide_q <= wide;
    end else begin
      for (int i = 0; i < C; i++)
        if (out_take <= NW'(N) && move_fill[i][out_take]) buf_q[i] <= move[i][out_take];
      cnt <= cnt + (ingest ? n_in : CW'(0)) - CW'(out_take);   // the late take in the last adder
      if (ingest) ingest_left <= ingest_left - 33'(n_in);
    end
  end
endmodule

`default_nettype wire
