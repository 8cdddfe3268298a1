/*
 * tb_gnn_agg.cpp -- C simulation testbench: runs gnn_agg on golden test vectors.
 *
 *   tb_gnn_agg VECTOR_DIR [--min-words N]
 *
 * VECTOR_DIR/index.txt names the .bin files (golden/vectors.py). --min-words makes the simulated
 * memory at least N bus words long: C/RTL co-simulation copies each m_axi port's `depth` words.
 *
 * For every vector: build the DDR image at its own addresses (bytes below and above the image
 * are filled with a marker), call the kernel with the same base pointer on all seven gmem views,
 * then check
 *   - stat_error equals the expected error bits, and the hw_* words are the build's;
 *   - on a clean run feat_out is bit-exact with the golden output, stat_edges = n_edges and
 *     stat_wr_beats is feat_out plus the acc_buf spills of a source-tiled run (CSR: every row in
 *     every pass but the last; TILED: the row pairs that do not finish their row);
 *   - no byte outside feat_out and acc_buf changed; after an ARG/ALIGN/RANGE error no byte at
 *     all changed and no beat moved.
 * Vectors with an AXI read-error window need a memory model that answers SLVERR: C simulation
 * has none, so they are skipped by name and counted. Exit status 0 only if nothing failed.
 */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "gnn_agg.h"

using namespace gnn;

namespace {

constexpr char MAGIC[] = "GNNAGGV1";
constexpr std::size_t HEADER_BYTES = 160;
constexpr unsigned PRECHECK_ERRORS = GNN_AGG_ERR_ARG | GNN_AGG_ERR_ALIGN | GNN_AGG_ERR_RANGE;
constexpr std::uint8_t OUTSIDE_MARK = 0x5A;
constexpr std::size_t TAIL_BYTES = 4096;

const char *const BUFFER_NAMES[9] = {"row_ptr", "col_idx", "edge_w", "src_scale", "dst_scale",
                                     "feat_in", "weight", "feat_out", "acc_buf"};
enum { FEAT_OUT = 7, ACC_BUF = 8 };

struct vector_file {
    std::uint32_t n_dst, n_src, n_edges, feat_dim, mode, expect_error, n_pairs;
    std::uint64_t ptr[9];
    std::uint64_t image_base, image_bytes, expect_bytes, axi_error_base, axi_error_bytes;
    std::vector<std::uint8_t> image, expect;
};

template <typename T>
T get(const std::vector<std::uint8_t> &d, std::size_t off) {
    T v;
    std::memcpy(&v, d.data() + off, sizeof v);  // the files are little-endian, like the host
    return v;
}

bool load(const std::string &path, vector_file &v, std::string &why) {
    std::ifstream f(path, std::ios::binary);
    if (!f) { why = "cannot open"; return false; }
    const std::vector<std::uint8_t> d((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (d.size() < HEADER_BYTES || std::memcmp(d.data(), MAGIC, 8) != 0) { why = "bad magic"; return false; }
    if (get<std::uint32_t>(d, 8) != 2) { why = "unknown version"; return false; }
    if (get<std::uint32_t>(d, 36) != unsigned(FEAT_BITS)) { why = "made for another FEAT width"; return false; }
    v.n_dst = get<std::uint32_t>(d, 12);
    v.n_src = get<std::uint32_t>(d, 16);
    v.n_edges = get<std::uint32_t>(d, 20);
    v.feat_dim = get<std::uint32_t>(d, 24);
    v.mode = get<std::uint32_t>(d, 28);
    v.expect_error = get<std::uint32_t>(d, 32);
    for (int i = 0; i < 9; ++i) v.ptr[i] = get<std::uint64_t>(d, 40 + 8 * i);
    v.image_base = get<std::uint64_t>(d, 112);
    v.image_bytes = get<std::uint64_t>(d, 120);
    v.expect_bytes = get<std::uint64_t>(d, 128);
    v.axi_error_base = get<std::uint64_t>(d, 136);
    v.axi_error_bytes = get<std::uint64_t>(d, 144);
    const std::uint64_t n_pairs = get<std::uint64_t>(d, 152);
    if (n_pairs >> 32) { why = "n_pairs does not fit 32 bits"; return false; }
    v.n_pairs = std::uint32_t(n_pairs);
    if (HEADER_BYTES + v.image_bytes + v.expect_bytes != d.size()) { why = "truncated"; return false; }
    if (v.image_base % BUS_BYTES) { why = "image base not on a bus word"; return false; }
    v.image.assign(d.begin() + HEADER_BYTES, d.begin() + HEADER_BYTES + v.image_bytes);
    v.expect.assign(d.begin() + HEADER_BYTES + v.image_bytes, d.end());
    return true;
}

std::vector<bus_t> to_words(const std::vector<std::uint8_t> &bytes) {
    std::vector<bus_t> words(bytes.size() / BUS_BYTES);
    for (std::size_t w = 0; w < words.size(); ++w)
        for (int k = 0; k < BUS_BYTES; ++k) words[w](8 * k + 7, 8 * k) = bytes[w * BUS_BYTES + k];
    return words;
}

std::vector<std::uint8_t> to_bytes(const std::vector<bus_t> &words) {
    std::vector<std::uint8_t> bytes(words.size() * BUS_BYTES);
    for (std::size_t w = 0; w < words.size(); ++w)
        for (int k = 0; k < BUS_BYTES; ++k) bytes[w * BUS_BYTES + k] = std::uint8_t(words[w](8 * k + 7, 8 * k));
    return bytes;
}

// Bytes feat_out and acc_buf may take, as [begin, end) clipped to the simulated memory.
bool writable(const vector_file &v, std::uint64_t addr, std::size_t mem_bytes) {
    const std::uint64_t sizes[2] = {std::uint64_t(FEAT_BYTES) * v.n_dst * v.feat_dim,
                                    std::uint64_t(ACC_BUF_BYTES) * v.n_dst * v.feat_dim};
    const int which[2] = {FEAT_OUT, ACC_BUF};
    for (int i = 0; i < 2; ++i) {
        const std::uint64_t p = v.ptr[which[i]];
        if (p && p < mem_bytes && addr >= p && addr - p < sizes[i]) return true;
    }
    return false;
}

std::uint32_t expected_passes(const vector_file &v) {
    if (v.mode & GNN_AGG_MODE_DRAM_GATHER) return 1;
    const std::uint64_t rows = TABLE_ELEMS / v.feat_dim;
    return v.n_src <= rows ? 1 : std::uint32_t((v.n_src + rows - 1) / rows);
}

// Partial rows a clean run writes to acc_buf: every row in every pass but the last (CSR); the
// listed rows that are not finished where they are listed (TILED: n_pairs less the markers in
// row_ptr, one per pass, and the n_dst finishing pairs).
std::uint64_t spilled_rows(const vector_file &v, const std::vector<std::uint8_t> &mem) {
    if (v.mode & GNN_AGG_MODE_TILED) {
        std::uint64_t markers = 0;
        for (std::uint64_t j = 0; j < v.n_pairs; ++j)
            markers += (get<std::uint32_t>(mem, v.ptr[0] + 8 * j) & GNN_AGG_TILE_END) != 0;
        return v.n_pairs - markers - v.n_dst;
    }
    return (expected_passes(v) - 1) * v.n_dst;
}

// Runs one vector; returns "" when every check holds, else what went wrong.
std::string check(const vector_file &v, std::size_t min_words) {
    std::size_t mem_bytes = (v.image_base + v.image_bytes + TAIL_BYTES + BUS_BYTES - 1) / BUS_BYTES * BUS_BYTES;
    if (mem_bytes < min_words * BUS_BYTES) mem_bytes = min_words * BUS_BYTES;
    std::vector<std::uint8_t> before(mem_bytes, OUTSIDE_MARK);
    std::copy(v.image.begin(), v.image.end(), before.begin() + v.image_base);
    std::vector<bus_t> mem = to_words(before);

    u32 cycles, edges, stalls, rd_beats, wr_beats, error, magic, params, max_feat, table_elems, formats;
    bus_t *const base = mem.data();  // address 0 of the simulated address space
    gnn_agg(base, base, base, base, base, base, base, v.ptr[0], v.ptr[1], v.ptr[2], v.ptr[3], v.ptr[4],
            v.ptr[5], v.ptr[6], v.ptr[7], v.ptr[8], v.n_dst, v.n_src, v.n_edges, v.feat_dim, v.mode, v.n_pairs,
            cycles, edges, stalls, rd_beats, wr_beats, error, magic, params, max_feat, table_elems, formats);
    const std::vector<std::uint8_t> after = to_bytes(mem);

    std::ostringstream why;
    if (unsigned(error) != v.expect_error)
        why << "stat_error 0x" << std::hex << unsigned(error) << ", expected 0x" << v.expect_error << std::dec << "; ";
    if (magic != GNN_AGG_HW_MAGIC || params != HW_PARAMS || max_feat != MAX_FEAT || table_elems != TABLE_ELEMS ||
        formats != HW_FORMATS)
        why << "hw_* words differ from the build; ";
    const bool prechecked = v.expect_error & PRECHECK_ERRORS;
    if (prechecked && (rd_beats != 0 || wr_beats != 0))
        why << "memory traffic after an argument error (" << unsigned(rd_beats) << " read, "
            << unsigned(wr_beats) << " written beats); ";
    std::size_t stray = 0, first_stray = 0;
    for (std::size_t a = 0; a < mem_bytes; ++a) {
        if (after[a] != before[a] && (prechecked || !writable(v, a, mem_bytes))) {
            if (stray++ == 0) first_stray = a;
        }
    }
    if (stray) why << stray << " bytes written outside feat_out/acc_buf, first at 0x" << std::hex << first_stray << std::dec << "; ";
    if (v.expect_error == 0) {
        const std::uint64_t out = v.ptr[FEAT_OUT];
        std::size_t wrong = 0, first_wrong = 0;
        for (std::size_t i = 0; i < v.expect.size(); ++i) {
            if (after[out + i] != v.expect[i] && wrong++ == 0) first_wrong = i / FEAT_BYTES;
        }
        if (wrong) why << wrong << " feat_out bytes differ from golden, first at element " << first_wrong
                       << " (row " << first_wrong / v.feat_dim << "); ";
        if (edges != v.n_edges) why << "stat_edges " << unsigned(edges) << ", expected " << v.n_edges << "; ";
        const std::uint64_t out_beats = std::uint64_t(FEAT_BYTES) * v.n_dst * v.feat_dim / BUS_BYTES;
        const std::uint64_t spill_beats = spilled_rows(v, before) * ACC_BUF_BYTES * v.feat_dim / BUS_BYTES;
        if (wr_beats != out_beats + spill_beats)
            why << "stat_wr_beats " << unsigned(wr_beats) << ", expected " << out_beats + spill_beats << "; ";
    }
    return why.str();
}

}  // namespace

int main(int argc, char **argv) {
    std::size_t min_words = 0;
    if (argc == 4 && std::string(argv[2]) == "--min-words") {
        min_words = std::strtoull(argv[3], nullptr, 0);
    } else if (argc != 2) {
        std::fprintf(stderr, "usage: %s VECTOR_DIR [--min-words N]   (VECTOR_DIR from python -m golden.vectors_cli)\n",
                     argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    std::ifstream index(dir + "/index.txt");
    if (!index) {
        std::fprintf(stderr, "cannot read %s/index.txt\n", dir.c_str());
        return 2;
    }
    std::printf("build: bus %d bits, lanes %d, pes %d, max_feat %d, table_elems %d, hw_params 0x%06x\n",
                BUS_BITS, LANES, PES, MAX_FEAT, TABLE_ELEMS, HW_PARAMS);
    int passed = 0, failed = 0;
    std::vector<std::string> skipped;
    for (std::string name; std::getline(index, name);) {
        if (name.empty()) continue;
        vector_file v;
        std::string why;
        if (!load(dir + "/" + name, v, why)) {
            std::printf("FAIL %s: %s\n", name.c_str(), why.c_str());
            ++failed;
            continue;
        }
        if (v.axi_error_bytes) {
            skipped.push_back(name);
            continue;
        }
        why = check(v, min_words);
        if (why.empty()) {
            ++passed;
        } else {
            std::printf("FAIL %s: %s\n", name.c_str(), why.c_str());
            ++failed;
        }
    }
    for (const std::string &name : skipped)
        std::printf("skip %s: AXI error injection needs a bus model (covered by the RTL suite)\n", name.c_str());
    std::printf("csim: %d vectors checked: %d bit-exact, %d failed, %zu skipped\n", passed + failed, passed,
                failed, skipped.size());
    return failed == 0 && passed > 0 ? 0 : 1;
}
