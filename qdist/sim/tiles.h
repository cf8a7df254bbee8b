// Blocks on the lowest bits (2^(hi+1) <= 2 kW amplitudes, kW a vector's amplitudes: (1, 0) and
// (2, *) in complex128, up to (3, *) in complex64), whose four streams interleave inside a vector:
// the state is walked as consecutive tiles of nv = max(1, 2^(hi+1) / kW) vectors and each output
// vector is sum_c C_c x_c with x_c = the tile's amplitudes with bits (hi, lo) set to c, gathered by
// a shuffle, and C_c the lane-by-lane matrix entries m[k(lane)][c] (simd.h's complex product).
#pragma once

#include <cstdint>

#include "simd.h"

namespace qdist {

template <typename R>
struct Tile {
  typedef typename Simd<R>::V V;
  typedef typename Simd<R>::M M;
  static constexpr int kW = VMat<R>::kW, kL = 2 * kW;  // amplitudes, reals per vector
  int nv;                                               // vectors per tile (1 or 2)
  int k[2][kW];                                         // the stream of each amplitude
  M pick[2][4], swap[2][4];                             // the lanes of x_c (and re/im swapped)
  V re[2][4], ims[2][4];                                // C_c: (re, re), (-im, im)

  static bool fits(int64_t n, int64_t hi) { return (int64_t{2} << hi) <= 2 * kW && (int64_t{1} << n) >= kW; }

  Tile(const Mat<R>& m, int64_t hi, int64_t lo) : nv((int64_t{2} << hi) > kW ? 2 : 1) {
    const int64_t mask = (int64_t{1} << hi) | (int64_t{1} << lo);
    for (int v = 0; v < nv; ++v)
      for (int a = 0; a < kW; ++a) {
        const int64_t amp = v * kW + a;
        k[v][a] = static_cast<int>(2 * ((amp >> hi) & 1) + ((amp >> lo) & 1));
        for (int c = 0; c < 4; ++c) {
          const int64_t src = (amp & ~mask) | ((c >> 1) << hi) | ((c & 1) << lo);
          pick[v][c][2 * a] = swap[v][c][2 * a + 1] = static_cast<typename Simd<R>::I>(2 * src);
          pick[v][c][2 * a + 1] = swap[v][c][2 * a] = static_cast<typename Simd<R>::I>(2 * src + 1);
          re[v][c][2 * a] = re[v][c][2 * a + 1] = m.re[k[v][a]][c];
          ims[v][c][2 * a] = -m.im[k[v][a]][c], ims[v][c][2 * a + 1] = m.im[k[v][a]][c];
        }
      }
  }

  static V gather(const V* t, int nv, M idx) {
    return nv == 1 ? __builtin_shuffle(t[0], idx) : __builtin_shuffle(t[0], t[1], idx);
  }

  // y = m x on the tile t (nv vectors)
  void apply(const V* t, V* y) const {
    for (int v = 0; v < nv; ++v) {
      V acc = re[v][0] * gather(t, nv, pick[v][0]) + ims[v][0] * gather(t, nv, swap[v][0]);
      for (int c = 1; c < 4; ++c) acc += re[v][c] * gather(t, nv, pick[v][c]) + ims[v][c] * gather(t, nv, swap[v][c]);
      y[v] = acc;
    }
  }

  // a[v][r] += y l_r, b[v][r] += y swap(l_r) lane by lane: lane pairs of amplitude amp (stream
  // k[v][amp]) hold psi'_c conj(lam_r) as (a0 + a1, b1 - b0)
  void sums(const V* y, const V* l, V (&a)[2][4], V (&b)[2][4]) const {
    for (int v = 0; v < nv; ++v)
      for (int r = 0; r < 4; ++r) a[v][r] += y[v] * gather(l, nv, pick[v][r]), b[v][r] += y[v] * gather(l, nv, swap[v][r]);
  }

  void into(const double (&a)[2][4][kL], const double (&b)[2][4][kL], double (&gr)[4][4], double (&gi)[4][4]) const {
    for (int v = 0; v < nv; ++v)
      for (int r = 0; r < 4; ++r)
        for (int j = 0; j < kW; ++j)
          gr[k[v][j]][r] += a[v][r][2 * j] + a[v][r][2 * j + 1], gi[k[v][j]][r] += b[v][r][2 * j + 1] - b[v][r][2 * j];
  }
};

// the tiles [t0, t1) of psi (and lam): apply only (lam null) or the adjoint step with its sums
template <typename R>
inline void tiles_apply(const Tile<R>& tile, const R* in, R* out, int64_t t0, int64_t t1) {
  typedef typename Simd<R>::V V;
  const int64_t step = tile.nv * Tile<R>::kL;
  for (int64_t t = t0; t < t1; ++t) {
    V x[2], y[2];
    for (int v = 0; v < tile.nv; ++v) x[v] = load<V>(in + t * step + v * Tile<R>::kL);
    tile.apply(x, y);
    for (int v = 0; v < tile.nv; ++v) store(out + t * step + v * Tile<R>::kL, y[v]);
  }
}

template <typename R>
inline void tiles_adjoint(const Tile<R>& tile, const R* psi, const R* lam, R* psi_out, R* lam_out, int64_t t0,
                          int64_t t1, double (&gr)[4][4], double (&gi)[4][4]) {
  typedef typename Simd<R>::V V;
  constexpr int kL = Tile<R>::kL;
  const int64_t step = tile.nv * kL, flush = Sums<R>::kFlush / (tile.nv * Tile<R>::kW);  // tiles summed in R
  double a2[2][4][kL] = {}, b2[2][4][kL] = {};
  for (int64_t t = t0; t < t1;) {
    V a[2][4] = {}, b[2][4] = {};
    for (const int64_t end = t + flush < t1 ? t + flush : t1; t < end; ++t) {
      V x[2], l[2], y[2], z[2];
      for (int v = 0; v < tile.nv; ++v) x[v] = load<V>(psi + t * step + v * kL), l[v] = load<V>(lam + t * step + v * kL);
      tile.apply(x, y);
      tile.sums(y, l, a, b);
      tile.apply(l, z);
      for (int v = 0; v < tile.nv; ++v) store(psi_out + t * step + v * kL, y[v]), store(lam_out + t * step + v * kL, z[v]);
    }
    for (int v = 0; v < tile.nv; ++v)
      for (int r = 0; r < 4; ++r)
        for (int j = 0; j < kL; ++j) a2[v][r][j] += a[v][r][j], b2[v][r][j] += b[v][r][j];
  }
  tile.into(a2, b2, gr, gi);
}

}  // namespace qdist
