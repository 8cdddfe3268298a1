/*
 * hls_stream.h -- a minimal hls::stream for C simulation with g++ (this project's own code).
 *
 * Only what the gnn_agg kernels use: read/write, the << >> operators, empty/size, a name. C
 * simulation runs the processes of a DATAFLOW region one after the other, so, as in Vitis C
 * simulation, a stream here is an unbounded FIFO and reading an empty one is a deadlock in
 * hardware: it stops the simulation with the stream's name instead of returning junk.
 * Vitis HLS ships its own hls_stream.h; this file is on the include path for g++ only.
 */
#ifndef GNN_AGG_SIM_HLS_STREAM_H
#define GNN_AGG_SIM_HLS_STREAM_H

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>

namespace hls {

template <typename T>
class stream {
  public:
    stream() : name_("unnamed") {}
    explicit stream(const char *name) : name_(name) {}
    stream(const stream &) = delete;
    stream &operator=(const stream &) = delete;

    ~stream() {
        if (!fifo_.empty())
            std::fprintf(stderr, "hls::stream '%s' destroyed holding %zu items\n", name_.c_str(),
                         fifo_.size());
    }

    void write(const T &v) { fifo_.push_back(v); }

    T read() {
        if (fifo_.empty()) {
            std::fprintf(stderr, "hls::stream '%s' read while empty: the dataflow would deadlock\n",
                         name_.c_str());
            std::abort();
        }
        T v = fifo_.front();
        fifo_.pop_front();
        return v;
    }

    void read(T &v) { v = read(); }
    stream &operator<<(const T &v) { write(v); return *this; }
    stream &operator>>(T &v) { v = read(); return *this; }
    bool empty() const { return fifo_.empty(); }
    bool full() const { return false; }
    std::size_t size() const { return fifo_.size(); }

  private:
    std::string name_;
    std::deque<T> fifo_;
};

}  // namespace hls

#endif  // GNN_AGG_SIM_HLS_STREAM_H
