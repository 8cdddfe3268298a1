// Verilator harness for gnn_agg: the RTL plus a DDR model on m_axi_gmem and an AXI4-Lite master
// on s_axi_control, clocked in C++ and exposed as a shared library with a C API (ctypes).
//
// DDR model (one port, the kernel's only master):
//   * reads: up to `max_reads` bursts in flight; the first beat of a burst comes `read_latency`
//     cycles after its AR handshake, then beats in order at most `rd_num/rd_den` per cycle
//     (a token bucket models the bandwidth share); RID echoes ARID;
//   * writes: up to `max_writes` AW in flight; W beats accepted for the oldest AW at most
//     `wr_num/wr_den` per cycle; B comes `write_latency` cycles after the last beat;
//   * a read beat in the read-error window answers SLVERR (data 0); a write beat in the
//     write-error window is dropped and its burst answers SLVERR (either response may be set to
//     DECERR, gs_set_error_resp); outside the memory: DECERR (data 0, the write dropped);
//   * a slave that stops answering (gs_stop_answering): at most `read_beats` more R beats, and
//     with `writes` no B at all, while AR, AW and W are taken at once (no stall), until
//     gs_answer_again drops everything in flight, as a reset of the interconnect would (the
//     master abandoned it: gnn_agg's TIMEOUT), and the model answers normally again;
//   * a reset scheduled at a cycle (gs_reset_at): gs_run_until_interrupt holds ap_rst_n low for
//     the given cycles when the cycle counter reaches it, then returns (a reset in mid-run);
//   * DDR realism (off by default: the "ideal" model above; sim/harness/ddr.py has the boards'
//     figures): refresh windows (every `refresh_interval` cycles the data bus is busy for
//     `refresh_cycles` and every row closes), row-buffer misses (bank = (addr / page_bytes) %
//     banks, row = addr / (page_bytes * banks); a beat whose row is not its bank's open row
//     waits `row_miss_cycles`, precharge + activate), and a competing master taking a random
//     `contention` share (per mille) of the data-bus cycles; `address_stall` (per mille) drops
//     ARREADY / AWREADY / WREADY at random (backpressure);
//   * protocol checks, counted in `violations` (the master-side AXI4 rules of
//     sim/cocotb/axi_checker.py, under the same names, docs/RELIABILITY.md): VALID dropped or
//     payload changed while waiting for READY, VALID during / right after reset, AxSIZE other
//     than the bus width, an unaligned address, a burst type other than INCR, a burst crossing
//     4 KiB, WLAST on the wrong beat, write data with no address offered, more reads in flight or
//     writes awaiting B than the RTL declares (GS_MAX_OUTSTANDING); and containment: an access
//     outside the memory, a write outside the allowed write windows (when set: feat_out and
//     acc_buf), a read outside the allowed read windows (when set: the input buffers).
//     The first violation is described in `first_violation`.
// Every cycle: drive inputs, eval with clock low (settles comb paths from our inputs, and
// Verilator sees an edge only after evaluating the clock low), sample handshakes, eval with
// clock high, update the model. Waves (VCD) when built with GS_TRACE.
#include <algorithm>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "Vgnn_agg.h"
#include "verilated.h"
#ifdef GS_TRACE
#include "verilated_vcd_c.h"
#endif

namespace {

// ---- moving bus words between the model's bytes and Verilator signals of any width --------
template <typename T>
inline void put_word(T& sig, const uint8_t* p, unsigned nbytes) {
    uint64_t v = 0;
    std::memcpy(&v, p, nbytes);
    sig = static_cast<T>(v);
}
template <std::size_t N>
inline void put_word(VlWide<N>& sig, const uint8_t* p, unsigned nbytes) {
    for (std::size_t i = 0; i < N; ++i) std::memcpy(&sig[i], p + 4 * i, 4);
    (void)nbytes;
}
template <typename T>
inline void get_word(const T& sig, uint8_t* p, unsigned nbytes) {
    uint64_t v = sig;
    std::memcpy(p, &v, nbytes);
}
template <std::size_t N>
inline void get_word(const VlWide<N>& sig, uint8_t* p, unsigned nbytes) {
    for (std::size_t i = 0; i < N; ++i) std::memcpy(p + 4 * i, &sig[i], 4);
    (void)nbytes;
}
template <typename T>
inline uint64_t as_u64(const T& sig) { return static_cast<uint64_t>(sig); }

// Verilator renames the port `interrupt` (a C++ keyword in some compilers) to this
#define GS_INTERRUPT __SYM__interrupt

constexpr unsigned kBusBytes = GS_BUS_BYTES;
constexpr uint8_t kOkay = 0, kSlverr = 2, kDecerr = 3;
constexpr uint32_t kLiteTimeout = 10000;
#ifndef GS_MAX_OUTSTANDING
#error "build with -DGS_MAX_OUTSTANDING=<the kernel's MAX_OUTSTANDING> (sim/harness/build.py does)"
#endif
constexpr uint32_t kMaxOutstanding = GS_MAX_OUTSTANDING;

struct Burst {
    uint64_t addr;      // address of beat 0 (aligned down to the transfer size)
    uint32_t beats;     // ARLEN/AWLEN + 1
    uint32_t done = 0;  // beats transferred so far
    uint32_t size;      // bytes per beat
    uint32_t id;
    uint64_t ready_at;  // first cycle the response may appear
    uint8_t resp = kOkay;
};

// [base, base + bytes) may end at 2^64 (base + bytes wraps to 0): compare offsets, never ends
struct Window {
    uint64_t base = 0, bytes = 0;
    bool hits(uint64_t a, uint64_t n) const {
        return bytes && n && (a >= base ? a - base < bytes : base - a < n);
    }
    bool holds(uint64_t a, uint64_t n) const { return a >= base && a - base <= bytes && n <= bytes - (a - base); }
};

enum Counter {
    kCycles, kReadBursts, kReadBeats, kWriteBursts, kWriteBeats, kViolations, kCross4k,
    kBadBurst, kOutOfMemory, kWriteOutsideWindow, kReadOutsideWindow, kWlastMismatch, kValidInReset, kValidDropped,
    kPayloadChanged, kBadSize, kUnaligned, kWBeforeAw, kOutstanding,
    // DDR realism: cycles the data bus was refreshing / taken by the other master, row misses
    kRefreshCycles, kContendedCycles, kRowMisses, kNumCounters
};
const char* const kCounterNames[kNumCounters] = {
    "cycles", "read_bursts", "read_beats", "write_bursts", "write_beats", "violations", "cross_4k",
    "bad_burst", "out_of_memory", "write_outside_window", "read_outside_window", "wlast_mismatch", "valid_in_reset",
    "valid_dropped", "payload_changed", "bad_size", "unaligned", "w_before_aw", "outstanding",
    "refresh_cycles", "contended_cycles", "row_misses"};

// what one address channel (AR or AW) carries; compared while VALID waits for READY
struct AddrPayload {
    uint64_t addr, len, size, burst, id, lock, cache, prot, qos;
    bool operator!=(const AddrPayload& o) const {
        return std::memcmp(this, &o, sizeof(*this)) != 0;
    }
};
struct WPayload {
    uint8_t data[kBusBytes > 8 ? kBusBytes : 8];
    uint64_t strb;
    bool last;
    bool operator!=(const WPayload& o) const {
        return std::memcmp(data, o.data, kBusBytes) != 0 || strb != o.strb || last != o.last;
    }
};

// a small deterministic generator for the random knobs (xorshift64*)
struct Rng {
    uint64_t s = 0x9E3779B97F4A7C15ull;
    uint32_t permille() {
        s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
        return uint32_t((s * 0x2545F4914F6CDD1Dull) >> 33) % 1000;
    }
};

struct Harness {
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Vgnn_agg> top;
#ifdef GS_TRACE
    std::unique_ptr<VerilatedVcdC> trace;
#endif
    std::vector<uint8_t> mem;
    uint64_t mem_base;
    uint64_t counters[kNumCounters] = {};

    // timing
    uint32_t read_latency = 32, write_latency = 16, max_reads = 8, max_writes = 8;
    uint32_t rd_num = 1, rd_den = 1, wr_num = 1, wr_den = 1;
    uint32_t rd_credit = 1, wr_credit = 1;

    // DDR realism (all 0: the ideal model)
    uint32_t refresh_interval = 0, refresh_cycles = 0, row_miss_cycles = 0, page_bytes = 2048, banks = 8;
    uint32_t contention = 0, address_stall = 0;  // per mille of cycles
    Rng rng;
    std::vector<int64_t> open_row;  // per bank; -1 closed
    uint64_t data_ready_at = 0;     // end of the current row activation

    // error injection and write permissions
    Window read_error, write_error;
    uint8_t read_error_resp = kSlverr, write_error_resp = kSlverr;
    std::vector<Window> write_windows, read_windows;

    // a slave that stops answering: R beats still to send (-1: no limit), B withheld
    bool stopped = false, b_withheld = false;
    int64_t r_beats_left = -1;

    // a reset in mid-run: at cycle `reset_at` (0: none) hold reset for `reset_len` cycles
    uint64_t reset_at = 0;
    uint32_t reset_len = 16;

    // master-side protocol checker state (sampled at each rising edge)
    bool first_reset_edge = true, after_reset = false;
    bool ar_waited = false, aw_waited = false, w_waited = false;
    AddrPayload ar_held{}, aw_held{};
    WPayload w_held{};
    std::deque<uint32_t> w_beats_left;  // accepted AWs whose data is incomplete
    std::string first_violation;

    // m_axi state
    std::deque<Burst> reads, writes, responses;
    bool r_valid = false, b_valid = false;

    // AXI-Lite master state
    bool l_aw = false, l_w = false, l_b = false, l_ar = false, l_r = false;
    uint32_t l_rdata = 0;
    uint8_t l_resp = 0;
    std::vector<uint32_t> write_log;  // (address, data) pairs of completed control writes

    Harness(uint64_t base, uint64_t bytes, const char* wave_path)
        : ctx(new VerilatedContext), top(nullptr), mem(bytes, 0), mem_base(base), open_row(banks, -1) {
        top.reset(new Vgnn_agg(ctx.get(), "gnn_agg"));
#ifdef GS_TRACE
        if (wave_path && *wave_path) {
            ctx->traceEverOn(true);
            trace.reset(new VerilatedVcdC);
            top->trace(trace.get(), 99);
            trace->open(wave_path);
        }
#else
        (void)wave_path;
#endif
        idle_inputs();
        reset(16);
    }

    ~Harness() {
#ifdef GS_TRACE
        if (trace) trace->close();
#endif
        top->final();
    }

    void idle_inputs() {
        top->ap_clk = 0;
        top->s_axi_control_AWVALID = 0;
        top->s_axi_control_WVALID = 0;
        top->s_axi_control_WSTRB = 0xF;
        top->s_axi_control_BREADY = 0;
        top->s_axi_control_ARVALID = 0;
        top->s_axi_control_RREADY = 0;
        top->m_axi_gmem_ARREADY = 0;
        top->m_axi_gmem_RVALID = 0;
        top->m_axi_gmem_RLAST = 0;
        top->m_axi_gmem_RRESP = 0;
        top->m_axi_gmem_RID = 0;
        top->m_axi_gmem_RUSER = 0;
        top->m_axi_gmem_AWREADY = 0;
        top->m_axi_gmem_WREADY = 0;
        top->m_axi_gmem_BVALID = 0;
        top->m_axi_gmem_BRESP = 0;
        top->m_axi_gmem_BID = 0;
        top->m_axi_gmem_BUSER = 0;
    }

    // ---- memory ----------------------------------------------------------------------------
    uint8_t* at(uint64_t addr, uint64_t n) {
        if (addr < mem_base || addr - mem_base > mem.size() || n > mem.size() - (addr - mem_base)) return nullptr;
        return mem.data() + (addr - mem_base);
    }

    void violation(Counter c, const char* fmt, ...) __attribute__((format(printf, 3, 4))) {
        ++counters[c];
        ++counters[kViolations];
        if (!first_violation.empty()) return;
        char text[256];
        va_list ap;
        va_start(ap, fmt);
        std::vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        char head[64];
        std::snprintf(head, sizeof head, "cycle %llu: %s: ", (unsigned long long)counters[kCycles], kCounterNames[c]);
        first_violation = std::string(head) + text;
    }

    void check_burst(const char* ch, const AddrPayload& p) {
        uint64_t size = 1ull << p.size;
        if (size != kBusBytes) violation(kBadSize, "%sSIZE %llu, the bus needs %u bytes", ch, (unsigned long long)p.size, kBusBytes);
        if (p.addr % kBusBytes) violation(kUnaligned, "%sADDR 0x%llx", ch, (unsigned long long)p.addr);
        if (p.burst != 1) violation(kBadBurst, "%sBURST %llu", ch, (unsigned long long)p.burst);
        if ((p.addr & 0xFFF) + (p.len + 1) * size > 0x1000)
            violation(kCross4k, "%s burst at 0x%llx of %llu beats", ch, (unsigned long long)p.addr, (unsigned long long)(p.len + 1));
    }

    AddrPayload ar_payload() const {
        const Vgnn_agg& t = *top;
        return {as_u64(t.m_axi_gmem_ARADDR), t.m_axi_gmem_ARLEN, t.m_axi_gmem_ARSIZE, t.m_axi_gmem_ARBURST,
                t.m_axi_gmem_ARID, t.m_axi_gmem_ARLOCK, t.m_axi_gmem_ARCACHE, t.m_axi_gmem_ARPROT, t.m_axi_gmem_ARQOS};
    }
    AddrPayload aw_payload() const {
        const Vgnn_agg& t = *top;
        return {as_u64(t.m_axi_gmem_AWADDR), t.m_axi_gmem_AWLEN, t.m_axi_gmem_AWSIZE, t.m_axi_gmem_AWBURST,
                t.m_axi_gmem_AWID, t.m_axi_gmem_AWLOCK, t.m_axi_gmem_AWCACHE, t.m_axi_gmem_AWPROT, t.m_axi_gmem_AWQOS};
    }
    WPayload w_payload() const {
        WPayload p{};
        get_word(top->m_axi_gmem_WDATA, p.data, kBusBytes);
        p.strb = as_u64(top->m_axi_gmem_WSTRB);
        p.last = top->m_axi_gmem_WLAST;
        return p;
    }

    // The master's side of one edge (handshakes as sampled), before the model acts on it.
    void check_edge(bool ar_ready, bool aw_ready, bool w_ready) {
        const Vgnn_agg& t = *top;
        bool arv = t.m_axi_gmem_ARVALID, awv = t.m_axi_gmem_AWVALID, wv = t.m_axi_gmem_WVALID;
        if (!t.ap_rst_n) {
            if (!first_reset_edge && (arv || awv || wv))
                violation(kValidInReset, "AR/AW/WVALID = %d/%d/%d during reset", arv, awv, wv);
            first_reset_edge = false;
            after_reset = true;
            ar_waited = aw_waited = w_waited = false;
            w_beats_left.clear();
            return;
        }
        first_reset_edge = true;
        if (after_reset && (arv || awv || wv))
            violation(kValidInReset, "AR/AW/WVALID = %d/%d/%d at the first edge after reset", arv, awv, wv);
        after_reset = false;
        if (ar_waited) {
            if (!arv) violation(kValidDropped, "ARVALID fell before ARREADY");
            else if (ar_payload() != ar_held) violation(kPayloadChanged, "AR payload changed while ARVALID waited (ARADDR 0x%llx -> 0x%llx)",
                                                        (unsigned long long)ar_held.addr, (unsigned long long)ar_payload().addr);
        }
        if (aw_waited) {
            if (!awv) violation(kValidDropped, "AWVALID fell before AWREADY");
            else if (aw_payload() != aw_held) violation(kPayloadChanged, "AW payload changed while AWVALID waited (AWADDR 0x%llx -> 0x%llx)",
                                                        (unsigned long long)aw_held.addr, (unsigned long long)aw_payload().addr);
        }
        if (w_waited) {
            if (!wv) violation(kValidDropped, "WVALID fell before WREADY");
            else if (w_payload() != w_held) violation(kPayloadChanged, "WDATA/WSTRB/WLAST changed while WVALID waited");
        }
        ar_waited = arv && !ar_ready;
        if (ar_waited) ar_held = ar_payload();
        aw_waited = awv && !aw_ready;
        if (aw_waited) aw_held = aw_payload();
        w_waited = wv && !w_ready;
        if (w_waited) w_held = w_payload();
        if (arv && ar_ready) {
            check_burst("AR", ar_payload());
            if (reads.size() + 1 > kMaxOutstanding)
                violation(kOutstanding, "%zu reads in flight, the RTL declares %u", reads.size() + 1, kMaxOutstanding);
        }
        if (awv && aw_ready) {
            check_burst("AW", aw_payload());
            if (writes.size() + responses.size() + 1 > kMaxOutstanding)
                violation(kOutstanding, "%zu writes awaiting B, the RTL declares %u",
                          writes.size() + responses.size() + 1, kMaxOutstanding);
            w_beats_left.push_back(uint32_t(t.m_axi_gmem_AWLEN) + 1);
        }
        if (wv && w_beats_left.empty() && !awv) violation(kWBeforeAw, "WVALID with no write address offered or awaiting data");
        if (wv && w_ready && !w_beats_left.empty()) {
            bool last = --w_beats_left.front() == 0;
            if (bool(t.m_axi_gmem_WLAST) != last)
                violation(kWlastMismatch, "WLAST=%d with %u beats left", int(t.m_axi_gmem_WLAST), w_beats_left.front());
            if (last || t.m_axi_gmem_WLAST) w_beats_left.pop_front();
        }
    }

    // ---- DDR realism ----------------------------------------------------------------------------
    bool refreshing(uint64_t now) const { return refresh_interval && now % refresh_interval < refresh_cycles; }

    // May the beat at `addr` use the data bus this cycle? Opens its row (and says no) on a miss.
    bool row_open(uint64_t addr, uint64_t now) {
        if (!row_miss_cycles) return true;
        uint64_t page = addr / page_bytes;
        uint32_t bank = uint32_t(page % banks);
        int64_t row = int64_t(page / banks);
        if (open_row[bank] == row) return true;
        open_row[bank] = row;
        data_ready_at = now + row_miss_cycles;
        ++counters[kRowMisses];
        return false;
    }

    static bool inside(const std::vector<Window>& windows, uint64_t a, uint64_t n) {
        if (windows.empty()) return true;
        for (const Window& w : windows)
            if (w.holds(a, n)) return true;
        return false;
    }
    bool write_allowed(uint64_t a, uint64_t n) const { return inside(write_windows, a, n); }
    bool read_allowed(uint64_t a, uint64_t n) const { return inside(read_windows, a, n); }

    // ---- one clock cycle -------------------------------------------------------------------
    void tick() {
        Vgnn_agg& t = *top;
        uint64_t now = counters[kCycles];
        // the data bus this cycle: free, refreshing (rows close), taken by the other master, or
        // waiting for a row activation
        bool data_free = true;
        if (refreshing(now)) {
            data_free = false;
            ++counters[kRefreshCycles];
            std::fill(open_row.begin(), open_row.end(), -1);
        } else if (contention && rng.permille() < contention) {
            data_free = false;
            ++counters[kContendedCycles];
        } else if (now < data_ready_at) {
            data_free = false;
        }
        // drive the memory side from the model state
        // a stopped slave takes every address at once (so the master never waits on AR/AW)
        t.m_axi_gmem_ARREADY = stopped || (reads.size() < max_reads && !(address_stall && rng.permille() < address_stall));
        t.m_axi_gmem_AWREADY = stopped || (writes.size() < max_writes && !(address_stall && rng.permille() < address_stall));
        if (!r_valid && r_beats_left != 0 && data_free && !reads.empty() && reads.front().ready_at <= now && rd_credit >= rd_den &&
            row_open(reads.front().addr + uint64_t(reads.front().done) * reads.front().size, now)) {
            Burst& b = reads.front();
            uint64_t beat_addr = b.addr + uint64_t(b.done) * b.size;
            uint64_t word = beat_addr & ~uint64_t(kBusBytes - 1);
            uint8_t buf[kBusBytes > 8 ? kBusBytes : 8] = {};
            uint8_t resp = kOkay;
            const uint8_t* src = at(word, kBusBytes);
            if (!read_allowed(beat_addr, b.size))
                violation(kReadOutsideWindow, "read beat at 0x%llx", (unsigned long long)beat_addr);
            if (!src) { resp = kDecerr; violation(kOutOfMemory, "read beat at 0x%llx", (unsigned long long)beat_addr); }
            else if (read_error.hits(beat_addr, b.size)) resp = read_error_resp;
            else std::memcpy(buf, src, kBusBytes);
            put_word(t.m_axi_gmem_RDATA, buf, kBusBytes);
            t.m_axi_gmem_RRESP = resp;
            t.m_axi_gmem_RID = b.id;
            t.m_axi_gmem_RLAST = b.done + 1 == b.beats;
            r_valid = true;
            rd_credit -= rd_den;
            if (r_beats_left > 0) --r_beats_left;
        }
        t.m_axi_gmem_RVALID = r_valid;
        // a read's row miss this cycle takes the data bus too (else a read and a write to two rows of
        // one bank would close each other's row forever)
        bool w_open = stopped ? !writes.empty() && writes.front().done < writes.front().beats :
                      data_free && now >= data_ready_at && !writes.empty() && writes.front().done < writes.front().beats && wr_credit >= wr_den &&
                      !(address_stall && rng.permille() < address_stall) &&
                      row_open(writes.front().addr + uint64_t(writes.front().done) * writes.front().size, now);
        t.m_axi_gmem_WREADY = w_open;
        if (!b_valid && !b_withheld && !responses.empty() && responses.front().ready_at <= now) {
            t.m_axi_gmem_BRESP = responses.front().resp;
            t.m_axi_gmem_BID = responses.front().id;
            b_valid = true;
        }
        t.m_axi_gmem_BVALID = b_valid;

        t.ap_clk = 0;
        t.eval();
#ifdef GS_TRACE
        if (trace) trace->dump(2 * now);
#endif

        // sample the handshakes of this edge
        bool ar_fire = t.m_axi_gmem_ARVALID && t.m_axi_gmem_ARREADY;
        bool r_fire = r_valid && t.m_axi_gmem_RREADY;
        bool aw_fire = t.m_axi_gmem_AWVALID && t.m_axi_gmem_AWREADY;
        bool w_fire = t.m_axi_gmem_WVALID && w_open;
        bool b_fire = b_valid && t.m_axi_gmem_BREADY;
        check_edge(t.m_axi_gmem_ARREADY, t.m_axi_gmem_AWREADY, w_open);
        if (ar_fire) {
            uint32_t size = 1u << t.m_axi_gmem_ARSIZE;
            uint64_t addr = as_u64(t.m_axi_gmem_ARADDR);
            Burst b{addr & ~uint64_t(size - 1), uint32_t(t.m_axi_gmem_ARLEN) + 1, 0, size,
                    uint32_t(t.m_axi_gmem_ARID), now + read_latency};
            reads.push_back(b);
            ++counters[kReadBursts];
        }
        if (aw_fire) {
            uint32_t size = 1u << t.m_axi_gmem_AWSIZE;
            uint64_t addr = as_u64(t.m_axi_gmem_AWADDR);
            Burst b{addr & ~uint64_t(size - 1), uint32_t(t.m_axi_gmem_AWLEN) + 1, 0, size,
                    uint32_t(t.m_axi_gmem_AWID), 0};
            writes.push_back(b);
            ++counters[kWriteBursts];
        }
        if (w_fire) {
            Burst& b = writes.front();
            uint64_t beat_addr = b.addr + uint64_t(b.done) * b.size;
            uint64_t word = beat_addr & ~uint64_t(kBusBytes - 1);
            uint8_t buf[kBusBytes > 8 ? kBusBytes : 8];
            get_word(t.m_axi_gmem_WDATA, buf, kBusBytes);
            uint64_t strb = as_u64(t.m_axi_gmem_WSTRB);
            uint8_t* dst = at(word, kBusBytes);
            bool allowed = write_allowed(beat_addr, b.size);
            if (!allowed) violation(kWriteOutsideWindow, "write beat at 0x%llx", (unsigned long long)beat_addr);
            if (!dst) {
                b.resp = kDecerr;
                violation(kOutOfMemory, "write beat at 0x%llx", (unsigned long long)beat_addr);
            } else if (write_error.hits(beat_addr, b.size)) {
                b.resp = write_error_resp;
            } else if (allowed) {
                for (unsigned i = 0; i < kBusBytes; ++i)
                    if (strb >> i & 1) dst[i] = buf[i];
            }
            ++b.done;
            ++counters[kWriteBeats];
            wr_credit -= wr_den;
        }
        LiteFires lite = lite_sample();

        t.ap_clk = 1;
        t.eval();
#ifdef GS_TRACE
        if (trace) trace->dump(2 * now + 1);
#endif
        lite_advance(lite);
        // advance the model
        counters[kCycles] = now + 1;
        if (rd_credit < rd_den) rd_credit += rd_num;
        if (wr_credit < wr_den) wr_credit += wr_num;
        if (r_fire) {
            r_valid = false;
            ++counters[kReadBeats];
            Burst& b = reads.front();
            if (++b.done == b.beats) reads.pop_front();
        }
        if (w_fire && writes.front().done == writes.front().beats) {
            Burst b = writes.front();
            writes.pop_front();
            b.ready_at = now + write_latency;
            responses.push_back(b);
        }
        if (b_fire) {
            b_valid = false;
            responses.pop_front();
        }
    }

    // ---- AXI-Lite master ---------------------------------------------------------------------
    // Handshakes are sampled before the rising edge and the master's valid/ready inputs drop
    // after it, so the kernel sees each handshake at exactly one edge.
    struct LiteFires { bool aw, w, b, ar, r; };

    LiteFires lite_sample() {
        Vgnn_agg& t = *top;
        LiteFires f{l_aw && t.s_axi_control_AWREADY, l_w && t.s_axi_control_WREADY,
                    l_b && t.s_axi_control_BVALID, l_ar && t.s_axi_control_ARREADY,
                    l_r && t.s_axi_control_RVALID};
        if (f.b) l_resp = t.s_axi_control_BRESP;
        if (f.r) { l_rdata = t.s_axi_control_RDATA; l_resp = t.s_axi_control_RRESP; }
        return f;
    }

    void lite_advance(const LiteFires& f) {
        Vgnn_agg& t = *top;
        if (f.aw) { l_aw = false; t.s_axi_control_AWVALID = 0; }
        if (f.w) { l_w = false; t.s_axi_control_WVALID = 0; }
        if (f.b) { l_b = false; t.s_axi_control_BREADY = 0; }
        if (f.ar) { l_ar = false; t.s_axi_control_ARVALID = 0; }
        if (f.r) { l_r = false; t.s_axi_control_RREADY = 0; }
    }

    int ctrl_write(uint32_t addr, uint32_t data) {
        Vgnn_agg& t = *top;
        t.s_axi_control_AWADDR = addr;
        t.s_axi_control_AWVALID = 1;
        t.s_axi_control_WDATA = data;
        t.s_axi_control_WSTRB = 0xF;
        t.s_axi_control_WVALID = 1;
        t.s_axi_control_BREADY = 1;
        l_aw = l_w = l_b = true;
        for (uint32_t i = 0; i < kLiteTimeout && (l_aw || l_w || l_b); ++i) tick();
        if (l_aw || l_w || l_b) {
            l_aw = l_w = l_b = false;
            t.s_axi_control_AWVALID = t.s_axi_control_WVALID = t.s_axi_control_BREADY = 0;
            return -1;
        }
        write_log.push_back(addr);
        write_log.push_back(data);
        return l_resp;
    }

    int64_t ctrl_read(uint32_t addr) {
        Vgnn_agg& t = *top;
        t.s_axi_control_ARADDR = addr;
        t.s_axi_control_ARVALID = 1;
        t.s_axi_control_RREADY = 1;
        l_ar = l_r = true;
        for (uint32_t i = 0; i < kLiteTimeout && (l_ar || l_r); ++i) tick();
        if (l_ar || l_r) {
            l_ar = l_r = false;
            t.s_axi_control_ARVALID = t.s_axi_control_RREADY = 0;
            return -1;
        }
        return l_resp ? -2 : int64_t(l_rdata);
    }

    // ---- reset and run ----------------------------------------------------------------------
    // Transactions in flight are dropped with the kernel that issued them.
    void drop_transactions() {
        reads.clear(); writes.clear(); responses.clear();
        r_valid = b_valid = false;
        std::fill(open_row.begin(), open_row.end(), -1);
        l_aw = l_w = l_b = l_ar = l_r = false;
    }

    void reset(uint32_t cycles) {
        drop_transactions();
        idle_inputs();
        top->ap_rst_n = 0;
        for (uint32_t i = 0; i < cycles; ++i) tick();
        drop_transactions();
        top->ap_rst_n = 1;
        tick();
    }

    // Clock until the interrupt line rises or `max_cycles` pass; a scheduled reset (reset_at)
    // that falls due is applied and ends the call (the kernel is idle after it).
    uint64_t run_until_interrupt(uint64_t max_cycles) {
        uint64_t n = 0;
        while (n < max_cycles && !top->GS_INTERRUPT) {
            if (reset_at && counters[kCycles] >= reset_at) {
                reset_at = 0;
                reset(reset_len);
                return n + reset_len + 1;
            }
            tick();
            ++n;
        }
        return n;
    }

    // The interconnect was reset under a master that abandoned its transactions: forget them
    // (and the checker's view of them) and answer normally again.
    void answer_again() {
        reads.clear(); writes.clear(); responses.clear();
        r_valid = b_valid = false;
        top->m_axi_gmem_RVALID = 0;
        top->m_axi_gmem_BVALID = 0;
        std::fill(open_row.begin(), open_row.end(), -1);
        ar_waited = aw_waited = w_waited = false;
        w_beats_left.clear();
        stopped = b_withheld = false;
        r_beats_left = -1;
    }
};

}  // namespace

extern "C" {

void* gs_create(uint64_t mem_base, uint64_t mem_bytes, const char* wave_path) {
    return new Harness(mem_base, mem_bytes, wave_path);
}
void gs_destroy(void* h) { delete static_cast<Harness*>(h); }
uint8_t* gs_mem(void* h) { return static_cast<Harness*>(h)->mem.data(); }
uint32_t gs_bus_bytes() { return kBusBytes; }
int gs_has_trace() {
#ifdef GS_TRACE
    return 1;
#else
    return 0;
#endif
}

void gs_set_timing(void* h, uint32_t read_latency, uint32_t write_latency, uint32_t rd_num,
                   uint32_t rd_den, uint32_t wr_num, uint32_t wr_den, uint32_t max_reads,
                   uint32_t max_writes) {
    Harness& s = *static_cast<Harness*>(h);
    s.read_latency = read_latency;
    s.write_latency = write_latency;
    s.rd_num = rd_num; s.rd_den = rd_den; s.rd_credit = rd_den;
    s.wr_num = wr_num; s.wr_den = wr_den; s.wr_credit = wr_den;
    s.max_reads = max_reads;
    s.max_writes = max_writes;
}

// DDR realism and backpressure (all 0: the ideal model); see the header comment
void gs_set_ddr(void* h, uint32_t refresh_interval, uint32_t refresh_cycles, uint32_t row_miss_cycles,
                uint32_t page_bytes, uint32_t banks, uint32_t contention_permille,
                uint32_t address_stall_permille, uint64_t seed) {
    Harness& s = *static_cast<Harness*>(h);
    s.refresh_interval = refresh_interval;
    s.refresh_cycles = refresh_cycles;
    s.row_miss_cycles = row_miss_cycles;
    s.page_bytes = page_bytes ? page_bytes : 1;
    s.banks = banks ? banks : 1;
    s.open_row.assign(s.banks, -1);
    s.contention = contention_permille;
    s.address_stall = address_stall_permille;
    s.rng.s = seed * 0x9E3779B97F4A7C15ull + 1;
}
uint32_t gs_max_outstanding() { return kMaxOutstanding; }
// The first protocol violation seen, as text (empty if none); returns its length.
void gs_clear_first_violation(void* h) { static_cast<Harness*>(h)->first_violation.clear(); }
uint64_t gs_first_violation(void* h, char* out, uint64_t n) {
    const std::string& v = static_cast<Harness*>(h)->first_violation;
    if (out && n) {
        std::size_t k = v.size() < n - 1 ? v.size() : n - 1;
        std::memcpy(out, v.data(), k);
        out[k] = 0;
    }
    return v.size();
}

void gs_set_read_error(void* h, uint64_t base, uint64_t bytes) {
    static_cast<Harness*>(h)->read_error = Window{base, bytes};
}
void gs_set_write_error(void* h, uint64_t base, uint64_t bytes) {
    static_cast<Harness*>(h)->write_error = Window{base, bytes};
}
static void assign_windows(std::vector<Window>& windows, uint32_t n, const uint64_t* base, const uint64_t* bytes) {
    windows.clear();
    for (uint32_t i = 0; i < n; ++i) windows.push_back(Window{base[i], bytes[i]});
}
void gs_set_write_windows(void* h, uint32_t n, const uint64_t* base, const uint64_t* bytes) {
    assign_windows(static_cast<Harness*>(h)->write_windows, n, base, bytes);
}

// Read and write responses of the error windows: 2 = SLVERR (the default), 3 = DECERR.
void gs_set_error_resp(void* h, uint32_t read_resp, uint32_t write_resp) {
    Harness& s = *static_cast<Harness*>(h);
    s.read_error_resp = uint8_t(read_resp & 3);
    s.write_error_resp = uint8_t(write_resp & 3);
}
// Reads allowed only inside these windows (n = 0: anywhere); others count read_outside_window.
void gs_set_read_windows(void* h, uint32_t n, const uint64_t* base, const uint64_t* bytes) {
    assign_windows(static_cast<Harness*>(h)->read_windows, n, base, bytes);
}
// From now on at most `read_beats` more R beats (< 0: no limit) and, with `writes`, no B;
// addresses and write data are taken at once.
void gs_stop_answering(void* h, int64_t read_beats, int writes) {
    Harness& s = *static_cast<Harness*>(h);
    s.stopped = true;
    s.r_beats_left = read_beats < 0 ? -1 : read_beats;
    s.b_withheld = writes != 0;
}
void gs_answer_again(void* h) { static_cast<Harness*>(h)->answer_again(); }
// Reset (for `cycles` cycles) when the cycle counter reaches `at_cycle` inside
// gs_run_until_interrupt (0: cancel).
void gs_reset_at(void* h, uint64_t at_cycle, uint32_t cycles) {
    Harness& s = *static_cast<Harness*>(h);
    s.reset_at = at_cycle;
    s.reset_len = cycles ? cycles : 1;
}
// The cycle of the scheduled reset still to come (0: none, or it was applied).
uint64_t gs_reset_pending(void* h) { return static_cast<Harness*>(h)->reset_at; }
uint64_t gs_cycle(void* h) { return static_cast<Harness*>(h)->counters[kCycles]; }
void gs_reset(void* h, uint32_t cycles) { static_cast<Harness*>(h)->reset(cycles); }
int gs_ctrl_write(void* h, uint32_t addr, uint32_t data) { return static_cast<Harness*>(h)->ctrl_write(addr, data); }
int64_t gs_ctrl_read(void* h, uint32_t addr) { return static_cast<Harness*>(h)->ctrl_read(addr); }
uint64_t gs_run_until_interrupt(void* h, uint64_t max_cycles) {
    return static_cast<Harness*>(h)->run_until_interrupt(max_cycles);
}
int gs_interrupt(void* h) { return static_cast<Harness*>(h)->top->GS_INTERRUPT; }
uint32_t gs_num_counters() { return kNumCounters; }
void gs_counters(void* h, uint64_t* out) {
    Harness& s = *static_cast<Harness*>(h);
    std::memcpy(out, s.counters, sizeof(s.counters));
}
// Completed control writes since the last clear, as (address, data) pairs; returns the count.
uint64_t gs_write_log(void* h, uint32_t* out, uint64_t max_pairs) {
    Harness& s = *static_cast<Harness*>(h);
    uint64_t n = s.write_log.size() / 2;
    if (out) std::memcpy(out, s.write_log.data(), 8 * (n < max_pairs ? n : max_pairs));
    return n;
}
void gs_clear_write_log(void* h) { static_cast<Harness*>(h)->write_log.clear(); }

}  // extern "C"
