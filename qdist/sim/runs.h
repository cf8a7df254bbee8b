// How the block kernels (kernels.cc) walk a state: the indices with zeros at the block's two bits
// as runs, and the runs as chunks for the vector code (simd.h).
#pragma once

#include <cstdint>

#include "parts.h"
#include "simd.h"

namespace qdist {

// The indices with zeros at bits hi and lo, as `count` runs of `len` indices start + i step: along
// the contiguous low bits when there are at least 4 of them (step 1), else along the middle bits
// between lo and hi (step 2^(lo+1)), else along the high bits (step 2^(hi+1)), so that every run is
// long enough to vectorize. Strided runs are chunks of at most kRun with the low bits innermost in
// the run order, so the cache lines a chunk loads are used up before they are evicted. All sizes
// are powers of two: run r is decoded with shifts.
constexpr int64_t kRun = 64;

inline int64_t log2i(int64_t x) { return 63 - __builtin_clzll(static_cast<unsigned long long>(x)); }

struct Runs {
  int kind;  // 0: low bits, 1: middle bits, 2: high bits
  int64_t hi, lo, step, len, count, lc, lb;  // lc, lb: log2 of the two inner run-index factors

  Runs(int64_t n, int64_t hi_, int64_t lo_) : hi(hi_), lo(lo_) {
    const int64_t ln = lo, lm = hi - lo - 1, la = n - 1 - hi;
    if (ln >= 2) {  // long runs are split so that there are enough runs for kParts parts
      const int64_t want = log2i(kParts) - (la + lm), split = want < 0 ? 0 : (want < ln - 2 ? want : ln - 2);
      kind = 0, step = 1, len = int64_t{1} << (ln - split), lc = split, lb = lm;
      count = int64_t{1} << (la + lm + split);
    } else if (lm >= 3) {
      const int64_t ll = lm < 6 ? lm : 6;
      kind = 1, step = int64_t{2} << lo, len = int64_t{1} << ll, lc = ln, lb = lm - ll;
      count = int64_t{1} << (la + lb + lc);
    } else {
      const int64_t ll = la < 6 ? la : 6;
      kind = 2, step = int64_t{2} << hi, len = int64_t{1} << ll, lc = ln, lb = lm;
      count = int64_t{1} << (la - ll + lb + lc);
    }
  }

  int64_t start(int64_t r) const {
    const int64_t c = r & ((int64_t{1} << lc) - 1), rb = r >> lc;
    const int64_t b = rb & ((int64_t{1} << lb) - 1), a = rb >> lb;
    if (kind == 0) return (a << (hi + 1)) | (b << (lo + 1)) | (c * len);
    if (kind == 1) return (a << (hi + 1)) | ((b * len) << (lo + 1)) | c;
    return ((a * len) << (hi + 1)) | (b << (lo + 1)) | c;
  }
};


inline void offsets(int64_t hi, int64_t lo, int64_t* off) {
  off[0] = 0, off[1] = int64_t{1} << lo, off[2] = int64_t{1} << hi, off[3] = off[1] | off[2];
}

// Contiguous runs whose length is a multiple of kW go to the vector code, kChunk amplitudes at a
// time: a long run in pieces, short runs nseg at a time (consecutive runs of a part that are seg
// amplitudes apart: the split low bits, else the middle bits).
constexpr int64_t kChunk = 64;

struct Chunks {
  int64_t len, nseg, seg;
  template <typename R>
  static bool vector(const Runs& runs) {
    return runs.step == 1 && runs.len % VMat<R>::kW == 0;
  }
  Chunks(const Runs& runs, int64_t part) : len(runs.len < kChunk ? runs.len : kChunk) {
    const int64_t group = int64_t{1} << (runs.lc > 0 ? runs.lc : runs.lb);
    seg = runs.lc > 0 ? runs.len : int64_t{2} << runs.lo;
    nseg = kChunk / len;
    nseg = nseg < group ? nseg : group;
    nseg = nseg < part ? nseg : part;
  }
  // f(start, nseg) for the chunks of runs [r0, r1)
  template <typename F>
  void each(const Runs& runs, int64_t r0, int64_t r1, F f) const {
    for (int64_t r = r0; r < r1; r += nseg) {
      const int64_t start = runs.start(r);
      for (int64_t i0 = 0; i0 < runs.len; i0 += len) f(start + i0);
    }
  }
};

}  // namespace qdist
