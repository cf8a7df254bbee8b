// The interpreter's 4 x 4 block algebra as XLA FFI custom calls (qdist/sim/native.py builds them
// with kernels.cc; docs/concepts/simulator.md derives the formulas).
//
// Block i is the product B_i = M_{i,K-1} ... M_{i,0} of K primitives
//     M_{ij} = sum_f f_f(phi_ij) basis[i, j, f],   phi_ij = coeff[i, j] theta[index[i, j]] + offset[i, j],
//     f(phi) = (1, cos phi/2, sin phi/2, cos phi, sin phi).
//   qdist_block_matrices(theta, basis, index, coeff, offset) -> B (..., NB, 4, 4)
//   qdist_block_gradient(theta, basis, index, coeff, offset, gs) -> d/dtheta sum_i 2 Re tr(B_i(theta) G_i)
// The gradient uses prefix products P_j = M_j ... M_0 and suffix products S_j = M_{K-1} ... M_{j+1}:
//     d tr(B G) / d phi_j = tr(M'_j P_{j-1} G S_j),   f'(phi) = (0, -sin(phi/2)/2, cos(phi/2)/2, -sin phi, cos phi).
// theta (..., P) float64, basis (NB, K, 5, 4, 4) complex128, index (NB, K) int32, coeff and offset
// (NB, K) float64, gs (..., NB, 4, 4) complex128; leading dimensions are a batch, and an input with a
// leading dimension of 1 (or none) is shared by every item. A primitive with index -1 is padding:
// the identity, skipped.

#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <vector>

#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

namespace {

using C = std::complex<double>;

struct M4 {
  C a[16];
  static M4 eye() {
    M4 m{};
    for (int k = 0; k < 4; ++k) m.a[5 * k] = 1.0;
    return m;
  }
};

inline M4 mul(const M4& x, const M4& y) {
  M4 z{};
  for (int r = 0; r < 4; ++r)
    for (int k = 0; k < 4; ++k) {
      const C v = x.a[4 * r + k];
      for (int c = 0; c < 4; ++c) z.a[4 * r + c] += v * y.a[4 * k + c];
    }
  return z;
}

// sum_f w_f basis_f for one primitive (basis: 5 matrices of 16 complex)
inline M4 combine(const C* basis, const double (&w)[5]) {
  M4 m{};
  for (int f = 0; f < 5; ++f)
    if (w[f] != 0.0)
      for (int e = 0; e < 16; ++e) m.a[e] += w[f] * basis[16 * f + e];
  return m;
}

struct Shape {
  int64_t nb = 0, k = 0, p = 0, batch = 1;
};

inline int64_t items(size_t total, int64_t per_item) { return per_item ? static_cast<int64_t>(total) / per_item : 0; }
inline int64_t stride(size_t total, int64_t batch, int64_t per_item) {
  return batch > 1 && static_cast<int64_t>(total) == batch * per_item ? per_item : 0;
}

struct Tables {
  const double* theta;
  const C* basis;
  const int32_t* index;
  const double *coeff, *offset;
  int64_t nb, k, p;

  double phi(int64_t b_theta, int64_t i, int64_t j) const {
    const int64_t e = i * k + j;
    return coeff[e] * theta[b_theta + index[e]] + offset[e];
  }
  const C* prim(int64_t i, int64_t j) const { return basis + 80 * (i * k + j); }
};

inline const char* check(const Tables& t) {
  for (int64_t e = 0; e < t.nb * t.k; ++e)
    if (t.index[e] < -1 || t.index[e] >= t.p) return "qdist_block_matrices: index entries must be in [-1, P)";
  return nullptr;
}

Tables tables(ffi::Buffer<ffi::F64> theta, ffi::Buffer<ffi::C128> basis, ffi::Buffer<ffi::S32> index,
              ffi::Buffer<ffi::F64> coeff, ffi::Buffer<ffi::F64> offset) {
  auto bd = basis.dimensions();
  auto td = theta.dimensions();
  Tables t{theta.typed_data(), basis.typed_data(), index.typed_data(), coeff.typed_data(), offset.typed_data(), 0, 0, 0};
  t.nb = bd.size() >= 5 ? bd[bd.size() - 5] : 0;
  t.k = bd.size() >= 4 ? bd[bd.size() - 4] : 0;
  t.p = td.size() >= 1 ? td[td.size() - 1] : 0;
  return t;
}

ffi::Error matrices_impl(ffi::Buffer<ffi::F64> theta, ffi::Buffer<ffi::C128> basis, ffi::Buffer<ffi::S32> index,
                         ffi::Buffer<ffi::F64> coeff, ffi::Buffer<ffi::F64> offset,
                         ffi::Result<ffi::Buffer<ffi::C128>> out) {
  const Tables t = tables(theta, basis, index, coeff, offset);
  if (const char* e = check(t)) return ffi::Error::InvalidArgument(e);
  const int64_t batch = items(out->element_count(), 16 * t.nb), st = stride(theta.element_count(), batch, t.p);
  C* o = out->typed_data();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < t.nb; ++i) {
      M4 acc = M4::eye();
      for (int64_t j = 0; j < t.k; ++j) {
        if (t.index[i * t.k + j] < 0) continue;
        const double phi = t.phi(b * st, i, j);
        const double w[5] = {1.0, std::cos(phi / 2), std::sin(phi / 2), std::cos(phi), std::sin(phi)};
        acc = mul(combine(t.prim(i, j), w), acc);
      }
      std::memcpy(o + 16 * (b * t.nb + i), acc.a, sizeof(acc.a));
    }
  return ffi::Error::Success();
}

ffi::Error gradient_impl(ffi::Buffer<ffi::F64> theta, ffi::Buffer<ffi::C128> basis, ffi::Buffer<ffi::S32> index,
                         ffi::Buffer<ffi::F64> coeff, ffi::Buffer<ffi::F64> offset, ffi::Buffer<ffi::C128> gs,
                         ffi::Result<ffi::Buffer<ffi::F64>> out) {
  const Tables t = tables(theta, basis, index, coeff, offset);
  if (const char* e = check(t)) return ffi::Error::InvalidArgument(e);
  const int64_t batch = items(out->element_count(), t.p);
  const int64_t st = stride(theta.element_count(), batch, t.p), sg = stride(gs.element_count(), batch, 16 * t.nb);
  double* o = out->typed_data();
  std::memset(o, 0, sizeof(double) * batch * t.p);
  std::vector<M4> m(t.k), dm(t.k), prefix(t.k + 1);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < t.nb; ++i) {
      prefix[0] = M4::eye();
      for (int64_t j = 0; j < t.k; ++j) {
        if (t.index[i * t.k + j] < 0) {  // padding: the identity
          m[j] = M4::eye(), prefix[j + 1] = prefix[j];
          continue;
        }
        const double phi = t.phi(b * st, i, j), c2 = std::cos(phi / 2), s2 = std::sin(phi / 2);
        const double c = std::cos(phi), s = std::sin(phi);
        const double w[5] = {1.0, c2, s2, c, s}, dw[5] = {0.0, -s2 / 2, c2 / 2, -s, c};
        m[j] = combine(t.prim(i, j), w), dm[j] = combine(t.prim(i, j), dw);
        prefix[j + 1] = mul(m[j], prefix[j]);  // prefix[j + 1] = M_j ... M_0
      }
      M4 g;
      std::memcpy(g.a, gs.typed_data() + b * sg + 16 * i, sizeof(g.a));
      M4 suffix = M4::eye();  // M_{K-1} ... M_{j+1}
      for (int64_t j = t.k - 1; j >= 0; --j) {
        const int64_t e = i * t.k + j;
        if (t.index[e] < 0) continue;  // the identity: the suffix stays
        if (t.coeff[e] != 0.0) {
          const M4 x = mul(mul(prefix[j], g), suffix);  // tr(M'_j x)
          C tr = 0.0;
          for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 4; ++c) tr += dm[j].a[4 * r + c] * x.a[4 * c + r];
          o[b * t.p + t.index[e]] += 2.0 * t.coeff[e] * tr.real();
        }
        suffix = mul(suffix, m[j]);
      }
    }
  return ffi::Error::Success();
}

}  // namespace

XLA_FFI_DEFINE_HANDLER_SYMBOL(qdist_block_matrices, matrices_impl,
                              ffi::Ffi::Bind()
                                  .Arg<ffi::Buffer<ffi::F64>>()
                                  .Arg<ffi::Buffer<ffi::C128>>()
                                  .Arg<ffi::Buffer<ffi::S32>>()
                                  .Arg<ffi::Buffer<ffi::F64>>()
                                  .Arg<ffi::Buffer<ffi::F64>>()
                                  .Ret<ffi::Buffer<ffi::C128>>());

XLA_FFI_DEFINE_HANDLER_SYMBOL(qdist_block_gradient, gradient_impl,
                              ffi::Ffi::Bind()
                                  .Arg<ffi::Buffer<ffi::F64>>()
                                  .Arg<ffi::Buffer<ffi::C128>>()
                                  .Arg<ffi::Buffer<ffi::S32>>()
                                  .Arg<ffi::Buffer<ffi::F64>>()
                                  .Arg<ffi::Buffer<ffi::F64>>()
                                  .Arg<ffi::Buffer<ffi::C128>>()
                                  .Ret<ffi::Buffer<ffi::F64>>());
