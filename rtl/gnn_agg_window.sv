// gnn_agg_window: bus words -> a run of `count` 16- or 32-bit little-endian elements, offered
// N at a time across word boundaries. The consumer takes any 0..out_count of the front elements
// per cycle (out_take); a new word is accepted whenever the buffer has room for all of its
// elements (decided from the fill level before the take, so in_ready does not depend on the
// consumer), which sustains N elements per cycle when a word holds at least N of them.
// Exactly ceil(count * elem bytes / bus bytes) words are consumed; elements of the last word
// beyond `count` are dropped. The walker reads col_idx and edge_w through this.
// Each held element also carries TAGS comparisons against the limits the consumer gives
// (out_lt[i][t] = out_data[i] < tag_limit[t]), made where the element enters or stays in the
// buffer and registered with it: the consumer's decisions start from flip-flops, not from a
// comparator behind them. They use the limits of the cycle before, so a limit must be stable a
// cycle before the consumer relies on out_lt.
`default_nettype none

module gnn_agg_window #(
    parameter int BUS_BITS = 64,   // bus word width (a multiple of 32)
    parameter int N = 2,   // elements offered per cycle
    parameter int TAGS = 1,   // comparisons carried per element
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
    input  logic [NW-1:0]       out_take,    // <= out_count
    input  logic [TAGS-1:0][32:0] tag_limit,
    output logic [N-1:0][TAGS-1:0] out_lt    // out_data[i] < tag_limit[t] (the last cycle's limits)
);
  localparam int HALVES = BUS_BITS / 16;   // 16-bit halves per bus word
  // buffer: two windows plus one word of 16-bit elements, so a word is accepted whenever fewer
  // than 2N elements are held and the next cycle still offers N after any take
  localparam int C = 2 * N + HALVES;
  localparam int CW = $clog2(C + 1);   // bits of the fill count (0..C)

  logic [C-1:0][31:0] buf_q;
  logic [N-1:0][TAGS-1:0] lt_q;   // buf_q[i] < tag_limit[t] for the offered entries (the last cycle's limits)
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
    assign out_lt[i] = lt_q[i];
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
  // the comparisons of every source an offered entry can take (positions < 2N of the sequence),
  // made before the late take picks one
  logic [2*N-1:0][TAGS-1:0] lt_buf, held_lt;
  logic [HALVES-1:0][TAGS-1:0] lt_word;
  always_comb
    for (int t = 0; t < TAGS; t++) begin
      for (int j = 0; j < 2 * N; j++) lt_buf[j][t] = {1'b0, buf_q[j]} < tag_limit[t];
      for (int j = 0; j < HALVES; j++) lt_word[j][t] = {1'b0, word_elems[j]} < tag_limit[t];
    end
  always_comb
    for (int j = 0; j < C + HALVES; j++) begin
      logic [CW:0] w;   // position j within the word (when j >= cnt)
      w = (CW + 1)'(j) - (CW + 1)'(cnt);
      held_in[j] = j < C && (CW + 1)'(j) < (CW + 1)'(cnt) ? buf_q[j % C] : word_elems[LH'(w)];
      fill[j] = (CW + 1)'(j) < (CW + 1)'(cnt) || (ingest && w < (CW + 1)'(HALVES));
    end
  always_comb
    for (int j = 0; j < 2 * N; j++)
      held_lt[j] = (CW + 1)'(j) < (CW + 1)'(cnt) ? lt_buf[j] : lt_word[LH'((CW + 1)'(j) - (CW + 1)'(cnt))];
  // entry i after a take of t: position i + t of that sequence (kept as it is where that is empty)
  logic [C-1:0][N:0][31:0] move;
  logic [C-1:0][N:0] move_fill;
  logic [N-1:0][N:0][TAGS-1:0] move_lt;
  always_comb
    for (int i = 0; i < C; i++)
      for (int t = 0; t <= N; t++) begin
        move[i][t] = held_in[(i + t) % (C + HALVES)];
        move_fill[i][t] = i + t < C + HALVES && fill[(i + t) % (C + HALVES)];
      end
  always_comb
    for (int i = 0; i < N; i++)
      for (int t = 0; t <= N; t++) move_lt[i][t] = held_lt[i + t];

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
      // every held entry moves (by 0 or more), so its tags are compared against this cycle's
      // limits; an empty entry's tags are never offered
      for (int i = 0; i < N; i++) lt_q[i] <= move_lt[i][out_take];
      cnt <= cnt + (ingest ? n_in : CW'(0)) - CW'(out_take);   // the late take in the last adder
      if (ingest) ingest_left <= ingest_left - 33'(n_in);
    end
  end
endmodule

`default_nettype wire
