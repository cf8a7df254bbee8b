// Vector arithmetic of the block kernels (kernels.cc): a 4 x 4 complex matrix applied to four
// contiguous streams of interleaved (re, im) amplitudes, and the sums G[c][r] = sum y_c conj(l_r)
// of an adjoint step. docs/concepts/simulator.md explains the layout.
#pragma once

#include <cstdint>
#include <cstring>

namespace qdist {
template <typename R>
struct Mat {
  R re[4][4], im[4][4];
  explicit Mat(const R* m) {
    for (int k = 0; k < 4; ++k)
      for (int c = 0; c < 4; ++c) re[k][c] = m[2 * (4 * k + c)], im[k][c] = m[2 * (4 * k + c) + 1];
  }
};
// y_k = sum_c m_kc x_c on split (re, im) values (the scalar tail of a vector loop)
template <typename R>
inline void rows(const Mat<R>& m, const R* xr, const R* xi, R* yr, R* yi) {
  for (int k = 0; k < 4; ++k) {
    R sr = 0, si = 0;
    for (int c = 0; c < 4; ++c) {
      sr += m.re[k][c] * xr[c] - m.im[k][c] * xi[c];
      si += m.re[k][c] * xi[c] + m.im[k][c] * xr[c];
    }
    yr[k] = sr, yi[k] = si;
  }
}

// 64-byte vectors of interleaved (re, im) values, kW amplitudes each (GCC vector extensions: one
// AVX-512 register, or two AVX2 / four SSE registers where the machine has no AVX-512). With
// s = x with re and im swapped, a complex product is m x = re(m) x + (-im(m), im(m)) s: the
// matrix is kept as 16 splats of re(m) and 16 vectors (-im, im, ...), so a block is 32 FMAs and
// four swaps per kW amplitudes of each stream, no lane wasted.
template <typename R>
struct Simd;
template <>
struct Simd<double> {
  typedef double V __attribute__((vector_size(64)));
  typedef int64_t I;
  typedef I M __attribute__((vector_size(64)));
  static V swap(V v) { return __builtin_shuffle(v, M{1, 0, 3, 2, 5, 4, 7, 6}); }
};
template <>
struct Simd<float> {
  typedef float V __attribute__((vector_size(64)));
  typedef int32_t I;
  typedef I M __attribute__((vector_size(64)));
  static V swap(V v) { return __builtin_shuffle(v, M{1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14}); }
};
typedef double DV __attribute__((vector_size(64)));

template <typename R>
struct VMat {
  typedef typename Simd<R>::V V;
  static constexpr int kW = sizeof(V) / sizeof(R) / 2;  // amplitudes per vector
  V re[4][4], ims[4][4];
  Mat<R> m;
  explicit VMat(const R* mat) : m(mat) {
    for (int k = 0; k < 4; ++k)
      for (int c = 0; c < 4; ++c)
        for (int j = 0; j < 2 * kW; j += 2)
          re[k][c][j] = re[k][c][j + 1] = m.re[k][c], ims[k][c][j] = -m.im[k][c], ims[k][c][j + 1] = m.im[k][c];
  }
};

template <typename V, typename R>
inline V load(const R* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename V, typename R>
inline void store(R* p, V v) {
  std::memcpy(p, &v, sizeof v);
}

// y = m x on contiguous interleaved streams x[c], y[k] of `count` amplitudes (y may be x: each
// step reads its four vectors before it writes)
template <typename R>
inline void apply_streams(const VMat<R>& m, const R* const* x, R* const* y, int64_t count) {
  typedef typename Simd<R>::V V;
  constexpr int kW = VMat<R>::kW;
  int64_t i = 0;
  for (; i + kW <= count; i += kW) {
    V a[4], s[4];
    for (int c = 0; c < 4; ++c) a[c] = load<V>(x[c] + 2 * i), s[c] = Simd<R>::swap(a[c]);
    V out[4];
    for (int k = 0; k < 4; ++k) {
      V acc = m.re[k][0] * a[0] + m.ims[k][0] * s[0];
      for (int c = 1; c < 4; ++c) acc += m.re[k][c] * a[c] + m.ims[k][c] * s[c];
      out[k] = acc;
    }
    for (int k = 0; k < 4; ++k) store(y[k] + 2 * i, out[k]);
  }
  for (; i < count; ++i) {
    R xr[4], xi[4], yr[4], yi[4];
    for (int c = 0; c < 4; ++c) xr[c] = x[c][2 * i], xi[c] = x[c][2 * i + 1];
    rows(m.m, xr, xi, yr, yi);
    for (int k = 0; k < 4; ++k) y[k][2 * i] = yr[k], y[k][2 * i + 1] = yi[k];
  }
}

// G[c][r] = sum_i y_c conj(l_r) of one part: A = y l and B = swap(y) l lane by lane, so that
// re G = sum of A's lanes and im G = even lanes of B - odd lanes of B. Vector sums are kept in
// double (complex64 adds each call's float sums in), the scalar tail in gr, gi.
template <typename V>
inline void add_to(DV& acc, V v) {
  if constexpr (sizeof(v[0]) == 8) {
    acc += v;
  } else {
    DV lo, hi;
    for (int j = 0; j < 8; ++j) lo[j] = v[j], hi[j] = v[j + 8];
    acc += lo + hi;
  }
}

template <typename R>
struct Sums {
  typedef typename Simd<R>::V V;
  static constexpr int64_t kFlush = 512;  // complex64: amplitudes summed in float before double
  V fa[4][4] = {}, fb[4][4] = {};
  DV a[4][4] = {}, b[4][4] = {};
  double gr[4][4] = {}, gi[4][4] = {};
  int64_t pending = 0;
  void flush() {
    for (int c = 0; c < 4; ++c)
      for (int k = 0; k < 4; ++k) add_to(a[c][k], fa[c][k]), add_to(b[c][k], fb[c][k]), fa[c][k] = fb[c][k] = V{};
    pending = 0;
  }
  void into(double (&r)[4][4], double (&i)[4][4]) {
    flush();
    for (int c = 0; c < 4; ++c)
      for (int k = 0; k < 4; ++k) {
        double sr = gr[c][k], si = gi[c][k];
        for (int j = 0; j < 8; j += 2) sr += a[c][k][j] + a[c][k][j + 1], si += b[c][k][j] - b[c][k][j + 1];
        r[c][k] += sr, i[c][k] += si;
      }
  }
};

template <typename R>
inline void reduce_streams(const R* const* y, const R* const* l, int64_t nseg, int64_t len, int64_t seg,
                           Sums<R>& sums) {
  typedef typename Simd<R>::V V;
  constexpr int kW = VMat<R>::kW;
  for (int c = 0; c < 4; ++c) {
    V a[4] = {}, b[4] = {};
    for (int64_t s = 0; s < nseg; ++s)
      for (int64_t i = s * seg; i < s * seg + len; i += kW) {
        const V p = load<V>(y[c] + 2 * i), q = Simd<R>::swap(p);
        for (int r = 0; r < 4; ++r) {
          const V v = load<V>(l[r] + 2 * i);
          a[r] += p * v, b[r] += q * v;
        }
      }
    for (int r = 0; r < 4; ++r) sums.fa[c][r] += a[r], sums.fb[c][r] += b[r];
  }
  if (sizeof(R) == 4 && (sums.pending += nseg * len) >= Sums<R>::kFlush) sums.flush();
}

}  // namespace qdist
