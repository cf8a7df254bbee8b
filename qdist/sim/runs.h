// How the block kernels (kernels.cc) walk a state: the indices with zeros at the block's two bits
// as runs, the runs as chunks for the vector code (simd.h), and the scalar code for strided runs.
#pragma once

#include <cstdint>

#include "parts.h"
#include "simd.h"

namespace qdist {

// The indices with zeros at bits hi and lo, as `count` runs of `len` indices start + i step: along
// the contiguous low bits when there are at least 4 of them (step 1), else along the middle bits
// between lo and hi (step 2^(lo+1)), else along the high bits (step 2^(hi+1)), so that every run is
// long enough to vectorize. Strided runs are chunks of at most 2^kRunBits with the low bits innermost
// in the run order, so the cache lines a chunk loads are used up before they are evicted. All sizes
// are powers of two: run r is decoded with shifts.
constexpr int64_t kRunBits = 6;

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
      const int64_t ll = lm < kRunBits ? lm : kRunBits;
      kind = 1, step = int64_t{2} << lo, len = int64_t{1} << ll, lc = ln, lb = lm - ll;
      count = int64_t{1} << (la + lb + lc);
    } else {
      const int64_t ll = la < kRunBits ? la : kRunBits;
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

constexpr int64_t kChunk = 64;

// Scalar code for strided runs (lo < 2): y = m x on one run, stream k's amplitude i at p[k] + 2 i
// step (re), + 1 (im); the loop over i has no dependences (in place too).
template <typename R, bool Unit>
inline void run_apply(const Mat<R>& m, const R* const* x, R* const* y, int64_t step, int64_t count) {
  const int64_t s = Unit ? 2 : 2 * step;
#pragma GCC ivdep
  for (int64_t i = 0; i < count; ++i) {
    R xr[4], xi[4], yr[4], yi[4];
    for (int c = 0; c < 4; ++c) xr[c] = x[c][s * i], xi[c] = x[c][s * i + 1];
    rows(m, xr, xi, yr, yi);
    for (int k = 0; k < 4; ++k) y[k][s * i] = yr[k], y[k][s * i + 1] = yi[k];
  }
}

// One adjoint step on a strided run, in chunks of kChunk: psi' = m psi and lam' = m lam are written
// (lam's old values kept in a split buffer), then G += sum_i psi'_c conj(lam_r) row by row (c).
template <typename R, bool Unit>
inline void run_adjoint(const Mat<R>& m, const R* const* x, const R* const* l, R* const* y, R* const* z,
                        int64_t step, int64_t count, double (&gr)[4][4], double (&gi)[4][4]) {
  const int64_t s = Unit ? 2 : 2 * step;
  R lr[4][kChunk], li[4][kChunk];
  for (int64_t i0 = 0; i0 < count; i0 += kChunk) {
    const int64_t len = count - i0 < kChunk ? count - i0 : kChunk;
    for (int c = 0; c < 4; ++c)
      for (int64_t i = 0; i < len; ++i) lr[c][i] = l[c][s * (i0 + i)], li[c][i] = l[c][s * (i0 + i) + 1];
    const R* xs[4] = {x[0] + s * i0, x[1] + s * i0, x[2] + s * i0, x[3] + s * i0};
    R* ys[4] = {y[0] + s * i0, y[1] + s * i0, y[2] + s * i0, y[3] + s * i0};
    run_apply<R, Unit>(m, xs, ys, step, len);
#pragma GCC ivdep
    for (int64_t i = 0; i < len; ++i) {
      R xr[4], xi[4], zr[4], zi[4];
      for (int c = 0; c < 4; ++c) xr[c] = lr[c][i], xi[c] = li[c][i];
      rows(m, xr, xi, zr, zi);
      for (int k = 0; k < 4; ++k) z[k][s * (i0 + i)] = zr[k], z[k][s * (i0 + i) + 1] = zi[k];
    }
    for (int c = 0; c < 4; ++c) {
      R ar[4] = {}, ai[4] = {};
      const R* yc = ys[c];
      for (int64_t i = 0; i < len; ++i) {
        const R pr = yc[s * i], pi = yc[s * i + 1];
        for (int r = 0; r < 4; ++r) {  // psi'_c conj(lam_r)
          ar[r] += pr * lr[r][i] + pi * li[r][i];
          ai[r] += pi * lr[r][i] - pr * li[r][i];
        }
      }
      for (int r = 0; r < 4; ++r) gr[c][r] += ar[r], gi[c][r] += ai[r];
    }
  }
}

inline void offsets(int64_t hi, int64_t lo, int64_t* off) {
  off[0] = 0, off[1] = int64_t{1} << lo, off[2] = int64_t{1} << hi, off[3] = off[1] | off[2];
}

// the four streams of the block's indices from `start`: p[k] = base + 2 (start + off[k])
template <typename P>
inline void streams(P base, int64_t start, const int64_t* off, P (&p)[4]) {
  for (int k = 0; k < 4; ++k) p[k] = base + 2 * (start + off[k]);
}

// Contiguous runs whose length is a multiple of kW go to the vector code, kChunk amplitudes at a
// time: a long run in pieces, short runs nseg at a time (consecutive runs of a part that are seg
// amplitudes apart: the split low bits, else the middle bits).
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
  // y = m x on the nseg segments of a chunk (x, y: the streams of its first segment)
  template <typename R>
  void apply(const VMat<R>& m, const R* const* x, R* const* y) const {
    for (int64_t s = 0; s < nseg; ++s) {
      const int64_t j = 2 * s * seg;
      const R* xs[4] = {x[0] + j, x[1] + j, x[2] + j, x[3] + j};
      R* ys[4] = {y[0] + j, y[1] + j, y[2] + j, y[3] + j};
      apply_streams(m, xs, ys, len);
    }
  }
  // f(start) for the chunks of runs [r0, r1)
  template <typename F>
  void each(const Runs& runs, int64_t r0, int64_t r1, F f) const {
    for (int64_t r = r0; r < r1; r += nseg) {
      const int64_t start = runs.start(r);
      for (int64_t i0 = 0; i0 < runs.len; i0 += len) f(start + i0);
    }
  }
};

}  // namespace qdist
