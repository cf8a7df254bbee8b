// Two-wire block kernels for the interpreter, as XLA FFI custom calls (qdist/sim/native.py builds
// and registers them; docs/concepts/simulator.md explains why).
//
// A state is a buffer of (..., 2^n) complex amplitudes, interleaved (re, im). A block is a 4 x 4
// matrix m on the state-index bits (hi, lo), hi > lo: with k = 2 bit_hi + bit_lo,
//     psi'[base + off_k] = sum_c m[k][c] psi[base + off_c],  off = (0, 2^lo, 2^hi, 2^hi + 2^lo),
// for every base with zeros at bits hi and lo. The kernels read their input and write their
// output element by element at the same positions, so an output aliased to its input (XLA's
// input_output_aliases) is updated in place. Leading dimensions are a batch: m, hi and lo either
// have the same batch (one matrix and pair per state) or none.
//
//   qdist_apply4_<t>(psi, m, hi, lo) -> psi'
//   qdist_adjoint4_<t>(psi, lam, m, hi, lo) -> (psi', lam', g)
//       psi' = m psi, lam' = m lam, g[c][r] = sum_base psi'_c conj(lam_r) (lam before its update)
//
// A block on the lowest bits runs tile by tile in registers (tiles.h); otherwise the indices are
// walked as runs (runs.h): contiguous runs by the vector code (simd.h), strided runs (lo < 2) by
// scalar code. Complex arithmetic is written out on (re, im) pairs: std::complex products go
// through the NaN-checking __muldc3 unless -ffast-math, which the build does not use.

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "xla/ffi/api/ffi.h"
#include "parts.h"
#include "runs.h"
#include "simd.h"
#include "sweeps.h"
#include "tiles.h"

namespace ffi = xla::ffi;

namespace {

using qdist::Chunks;
using qdist::for_parts;
using qdist::kParts;
using qdist::max_threads;
using qdist::offsets;
using qdist::reduce_streams;
using qdist::run_adjoint;
using qdist::run_apply;
using qdist::Runs;
using qdist::streams;
using qdist::Sums;
using qdist::threads_for;
using qdist::Tile;
using qdist::VMat;

template <typename R>
void apply4(const R* in, R* out, const R* mat, int64_t n, int64_t hi, int64_t lo, int threads) {
  const VMat<R> m(mat);
  if (Tile<R>::fits(n, hi)) {
    const Tile<R> tile(m.m, hi, lo);
    for_parts((int64_t{1} << n) / (tile.nv * Tile<R>::kW), threads,
              [&](int64_t, int64_t t0, int64_t t1) { qdist::tiles_apply(tile, in, out, t0, t1); });
    return;
  }
  int64_t off[4];
  offsets(hi, lo, off);
  const Runs runs(n, hi, lo);
  for_parts(runs.count, threads, [&](int64_t, int64_t r0, int64_t r1) {
    if (Chunks::vector<R>(runs)) {
      const Chunks ch(runs, r1 - r0);
      ch.each(runs, r0, r1, [&](int64_t start) {
        const R* x[4];
        R* y[4];
        streams(in, start, off, x), streams(out, start, off, y);
        ch.apply(m, x, y);
      });
      return;
    }
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t start = runs.start(r);
      const R* x[4];
      R* y[4];
      streams(in, start, off, x), streams(out, start, off, y);
      if (runs.step == 1)
        run_apply<R, true>(m.m, x, y, 1, runs.len);
      else
        run_apply<R, false>(m.m, x, y, runs.step, runs.len);
    }
  });
}

// The adjoint step on the runs (blocks tiles.h does not take): the partial G of each part.
template <typename R>
void adjoint_runs(const VMat<R>& m, const R* psi, const R* lam, R* psi_out, R* lam_out, int64_t n, int64_t hi,
                  int64_t lo, int threads, double (&gr)[kParts][4][4], double (&gi)[kParts][4][4]) {
  int64_t off[4];
  offsets(hi, lo, off);
  const Runs runs(n, hi, lo);
  for_parts(runs.count, threads, [&](int64_t p, int64_t r0, int64_t r1) {
    Sums<R> sums;
    if (Chunks::vector<R>(runs)) {
      const Chunks ch(runs, r1 - r0);
      ch.each(runs, r0, r1, [&](int64_t start) {
        const R *x[4], *l[4];
        R *y[4], *z[4];
        streams(psi, start, off, x), streams(lam, start, off, l);
        streams(psi_out, start, off, y), streams(lam_out, start, off, z);
        ch.apply(m, x, y);
        reduce_streams<R>(y, l, ch.nseg, ch.len, ch.seg, sums);
        ch.apply(m, l, z);
      });
    } else {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t start = runs.start(r);
        const R *x[4], *l[4];
        R *y[4], *z[4];
        streams(psi, start, off, x), streams(lam, start, off, l);
        streams(psi_out, start, off, y), streams(lam_out, start, off, z);
        if (runs.step == 1)
          run_adjoint<R, true>(m.m, x, l, y, z, 1, runs.len, sums.gr, sums.gi);
        else
          run_adjoint<R, false>(m.m, x, l, y, z, runs.step, runs.len, sums.gr, sums.gi);
      }
    }
    sums.into(gr[p], gi[p]);
  });
}

// One adjoint step, a chunk at a time: psi' = m psi is written, G += sum psi'_c conj(lam_r) is
// taken from the chunk while it is in L1, then lam' = m lam is written (over lam when aliased).
template <typename R>
void adjoint4(const R* psi, const R* lam, R* psi_out, R* lam_out, const R* mat, int64_t n, int64_t hi, int64_t lo,
              int threads, double* g) {
  const VMat<R> m(mat);
  double gr[kParts][4][4] = {}, gi[kParts][4][4] = {};  // per part, in double also for complex64
  if (Tile<R>::fits(n, hi)) {
    const Tile<R> tile(m.m, hi, lo);
    for_parts((int64_t{1} << n) / (tile.nv * Tile<R>::kW), threads, [&](int64_t p, int64_t t0, int64_t t1) {
      qdist::tiles_adjoint(tile, psi, lam, psi_out, lam_out, t0, t1, gr[p], gi[p]);
    });
  } else {
    adjoint_runs(m, psi, lam, psi_out, lam_out, n, hi, lo, threads, gr, gi);
  }
  for (int c = 0; c < 4; ++c)
    for (int r = 0; r < 4; ++r) {
      double sr = 0, si = 0;
      for (int64_t p = 0; p < kParts; ++p) sr += gr[p][c][r], si += gi[p][c][r];
      g[2 * (4 * c + r)] = sr, g[2 * (4 * c + r) + 1] = si;
    }
}

struct Layout {
  int64_t n = 0, dim = 0, batch = 0;
  bool ok = false;
};

inline Layout layout(ffi::AnyBuffer psi) {
  Layout l;
  auto dims = psi.dimensions();
  if (dims.size() == 0) return l;
  l.dim = dims.back();
  while ((int64_t{1} << l.n) < l.dim) ++l.n;
  l.batch = l.dim ? static_cast<int64_t>(psi.element_count()) / l.dim : 0;
  l.ok = l.n >= 2 && (int64_t{1} << l.n) == l.dim;
  return l;
}

// the stride (in elements) of per-batch item i of a buffer holding `count` elements per item
inline int64_t stride(size_t total, int64_t batch, int64_t per_item) {
  return static_cast<int64_t>(total) == batch * per_item ? per_item : 0;
}

template <typename R>
inline int64_t state_bytes(const Layout& l) {
  return static_cast<int64_t>(2 * sizeof(R)) * l.dim;
}

// The items of a batch whose states (`bytes` each: psi, and lam in an adjoint step) fit in a
// core's cache run one per thread, the others one at a time with their blocks over the threads.
template <typename F>
inline void for_items(const Layout& l, int64_t bytes, F f) {
  const int hw = max_threads(), threads = threads_for(bytes);
  if (l.batch < 2 || threads > 1 || hw < 2) {
    for (int64_t b = 0; b < l.batch; ++b) f(b, threads);
    return;
  }
  std::vector<std::thread> pool;
  for (int t = 0; t < hw; ++t)
    pool.emplace_back([&, t] {
      for (int64_t b = t; b < l.batch; b += hw) f(b, 1);
    });
  for (auto& th : pool) th.join();
}

template <typename R>
ffi::Error apply_impl(ffi::AnyBuffer psi, ffi::AnyBuffer m, ffi::Buffer<ffi::S32> hi, ffi::Buffer<ffi::S32> lo,
                      ffi::Result<ffi::AnyBuffer> out) {
  const Layout l = layout(psi);
  if (!l.ok) return ffi::Error::InvalidArgument("qdist_apply4: the state's last dimension must be 2^n, n >= 2");
  const int64_t sm = stride(m.element_count(), l.batch, 16), sp = stride(hi.element_count(), l.batch, 1);
  const R* in = reinterpret_cast<const R*>(psi.untyped_data());
  R* o = reinterpret_cast<R*>(out->untyped_data());
  const R* mm = reinterpret_cast<const R*>(m.untyped_data());
  for (int64_t b = 0; b < l.batch; ++b) {
    const int64_t h = hi.typed_data()[b * sp], w = lo.typed_data()[b * sp];
    if (!(h > w && w >= 0 && h < l.n)) return ffi::Error::InvalidArgument("qdist_apply4: need n > hi > lo >= 0");
  }
  for_items(l, state_bytes<R>(l), [&](int64_t b, int threads) {
    const int64_t h = hi.typed_data()[b * sp], w = lo.typed_data()[b * sp];
    apply4<R>(in + 2 * b * l.dim, o + 2 * b * l.dim, mm + 2 * b * sm, l.n, h, w, threads);
  });
  return ffi::Error::Success();
}

template <typename R>
ffi::Error adjoint_impl(ffi::AnyBuffer psi, ffi::AnyBuffer lam, ffi::AnyBuffer m, ffi::Buffer<ffi::S32> hi,
                        ffi::Buffer<ffi::S32> lo, ffi::Result<ffi::AnyBuffer> psi_out,
                        ffi::Result<ffi::AnyBuffer> lam_out, ffi::Result<ffi::AnyBuffer> g) {
  const Layout l = layout(psi);
  if (!l.ok) return ffi::Error::InvalidArgument("qdist_adjoint4: the state's last dimension must be 2^n, n >= 2");
  const int64_t sm = stride(m.element_count(), l.batch, 16), sp = stride(hi.element_count(), l.batch, 1);
  const R* p = reinterpret_cast<const R*>(psi.untyped_data());
  const R* q = reinterpret_cast<const R*>(lam.untyped_data());
  R* po = reinterpret_cast<R*>(psi_out->untyped_data());
  R* qo = reinterpret_cast<R*>(lam_out->untyped_data());
  R* go = reinterpret_cast<R*>(g->untyped_data());
  const R* mm = reinterpret_cast<const R*>(m.untyped_data());
  for (int64_t b = 0; b < l.batch; ++b) {
    const int64_t h = hi.typed_data()[b * sp], w = lo.typed_data()[b * sp];
    if (!(h > w && w >= 0 && h < l.n)) return ffi::Error::InvalidArgument("qdist_adjoint4: need n > hi > lo >= 0");
  }
  for_items(l, 2 * state_bytes<R>(l), [&](int64_t b, int threads) {
    const int64_t h = hi.typed_data()[b * sp], w = lo.typed_data()[b * sp], s = 2 * b * l.dim;
    double sums[32];
    adjoint4<R>(p + s, q + s, po + s, qo + s, mm + 2 * b * sm, l.n, h, w, threads, sums);
    qdist::put_g(go + 32 * b, sums);
  });
  return ffi::Error::Success();
}

// Whole sweeps in one call (circuits without diagonal stages): item i of the first count[b] items
// is block ref[i], a matrix mats[ref[i]] on the bits pair[ref[i]] = (hi, lo).
//   qdist_sweep_<t>(psi, mats, pair, ref, count) -> psi' = B_ref[count-1] ... B_ref[0] psi
//   qdist_adjoint_sweep_<t>(psi, lam, mats, pair, ref, count) -> (psi', lam', gs): from the last
//       item back, psi <- m psi, gs[ref[i]] = G, lam <- m lam with m = mats[ref[i]] (the daggers);
//       rows of gs no item refers to are zero.
struct Tables {
  int64_t nb = 0, ni = 0, sm = 0, sp = 0, sr = 0, sc = 0;
};

inline Tables tables(const Layout& l, ffi::AnyBuffer mats, ffi::Buffer<ffi::S32> pair, ffi::Buffer<ffi::S32> ref,
                     ffi::Buffer<ffi::S32> count) {
  Tables t;
  auto md = mats.dimensions();
  auto rd = ref.dimensions();
  t.nb = md.size() >= 3 ? md[md.size() - 3] : 0;
  t.ni = rd.size() >= 1 ? rd[rd.size() - 1] : 0;
  t.sm = stride(mats.element_count(), l.batch, 16 * t.nb), t.sp = stride(pair.element_count(), l.batch, 2 * t.nb);
  t.sr = stride(ref.element_count(), l.batch, t.ni), t.sc = stride(count.element_count(), l.batch, 1);
  return t;
}

inline const char* check_item(const Tables& t, int64_t n, const int32_t* pair, const int32_t* ref, int64_t count) {
  if (count < 0 || count > t.ni) return "qdist sweep: count must be in [0, len(ref)]";
  for (int64_t i = 0; i < count; ++i) {
    const int64_t r = ref[i];
    if (r < 0 || r >= t.nb) return "qdist sweep: ref entries must index the blocks";
    const int64_t h = pair[2 * r], w = pair[2 * r + 1];
    if (!(h > w && w >= 0 && h < n)) return "qdist sweep: need n > hi > lo >= 0";
  }
  return nullptr;
}

template <typename R>
ffi::Error sweep_impl(ffi::AnyBuffer psi, ffi::AnyBuffer mats, ffi::Buffer<ffi::S32> pair, ffi::Buffer<ffi::S32> ref,
                      ffi::Buffer<ffi::S32> count, ffi::Result<ffi::AnyBuffer> out) {
  const Layout l = layout(psi);
  if (!l.ok) return ffi::Error::InvalidArgument("qdist_sweep: the state's last dimension must be 2^n, n >= 2");
  const Tables t = tables(l, mats, pair, ref, count);
  for (int64_t b = 0; b < l.batch; ++b)
    if (const char* e = check_item(t, l.n, pair.typed_data() + b * t.sp, ref.typed_data() + b * t.sr,
                                   count.typed_data()[b * t.sc]))
      return ffi::Error::InvalidArgument(e);
  const R* in = reinterpret_cast<const R*>(psi.untyped_data());
  R* o = reinterpret_cast<R*>(out->untyped_data());
  if (o != in) std::memcpy(o, in, sizeof(R) * 2 * l.batch * l.dim);
  const R* mm = reinterpret_cast<const R*>(mats.untyped_data());
  auto block = [](R* x, const R* m, int64_t n, int64_t h, int64_t w, int th) { apply4<R>(x, x, m, n, h, w, th); };
  for_items(l, state_bytes<R>(l), [&](int64_t b, int threads) {
    qdist::sweep_state<R>(o + 2 * b * l.dim, mm + 2 * b * t.sm, pair.typed_data() + b * t.sp,
                          ref.typed_data() + b * t.sr, count.typed_data()[b * t.sc], l.n, threads, block);
  });
  return ffi::Error::Success();
}

template <typename R>
ffi::Error adjoint_sweep_impl(ffi::AnyBuffer psi, ffi::AnyBuffer lam, ffi::AnyBuffer mats, ffi::Buffer<ffi::S32> pair,
                              ffi::Buffer<ffi::S32> ref, ffi::Buffer<ffi::S32> count,
                              ffi::Result<ffi::AnyBuffer> psi_out, ffi::Result<ffi::AnyBuffer> lam_out,
                              ffi::Result<ffi::AnyBuffer> gs) {
  const Layout l = layout(psi);
  if (!l.ok) return ffi::Error::InvalidArgument("qdist_adjoint_sweep: the state's last dimension must be 2^n, n >= 2");
  const Tables t = tables(l, mats, pair, ref, count);
  for (int64_t b = 0; b < l.batch; ++b)
    if (const char* e = check_item(t, l.n, pair.typed_data() + b * t.sp, ref.typed_data() + b * t.sr,
                                   count.typed_data()[b * t.sc]))
      return ffi::Error::InvalidArgument(e);
  const R* p = reinterpret_cast<const R*>(psi.untyped_data());
  const R* q = reinterpret_cast<const R*>(lam.untyped_data());
  R* po = reinterpret_cast<R*>(psi_out->untyped_data());
  R* qo = reinterpret_cast<R*>(lam_out->untyped_data());
  R* go = reinterpret_cast<R*>(gs->untyped_data());
  const size_t bytes = sizeof(R) * 2 * l.batch * l.dim;
  if (po != p) std::memcpy(po, p, bytes);
  if (qo != q) std::memcpy(qo, q, bytes);
  std::memset(go, 0, sizeof(R) * 32 * t.nb * l.batch);
  const R* mm = reinterpret_cast<const R*>(mats.untyped_data());
  auto step = [](R* x, R* z, const R* m, int64_t n, int64_t h, int64_t w, int th, double* g) {
    adjoint4<R>(x, z, x, z, m, n, h, w, th, g);
  };
  for_items(l, 2 * state_bytes<R>(l), [&](int64_t b, int threads) {
    const int64_t s = 2 * b * l.dim;
    const int32_t *pr = pair.typed_data() + b * t.sp, *rf = ref.typed_data() + b * t.sr;
    qdist::adjoint_sweep_state<R>(po + s, qo + s, go + 32 * b * t.nb, mm + 2 * b * t.sm, pr, rf,
                                  count.typed_data()[b * t.sc], l.n, threads, step);
  });
  return ffi::Error::Success();
}

}  // namespace

#define QDIST_APPLY(name, R)                                                                          \
  XLA_FFI_DEFINE_HANDLER_SYMBOL(name, apply_impl<R>,                                                  \
                                ffi::Ffi::Bind()                                                      \
                                    .Arg<ffi::AnyBuffer>()                                            \
                                    .Arg<ffi::AnyBuffer>()                                            \
                                    .Arg<ffi::Buffer<ffi::S32>>()                                     \
                                    .Arg<ffi::Buffer<ffi::S32>>()                                     \
                                    .Ret<ffi::AnyBuffer>());
#define QDIST_ADJOINT(name, R)                                                                        \
  XLA_FFI_DEFINE_HANDLER_SYMBOL(name, adjoint_impl<R>,                                                \
                                ffi::Ffi::Bind()                                                      \
                                    .Arg<ffi::AnyBuffer>()                                            \
                                    .Arg<ffi::AnyBuffer>()                                            \
                                    .Arg<ffi::AnyBuffer>()                                            \
                                    .Arg<ffi::Buffer<ffi::S32>>()                                     \
                                    .Arg<ffi::Buffer<ffi::S32>>()                                     \
                                    .Ret<ffi::AnyBuffer>()                                            \
                                    .Ret<ffi::AnyBuffer>()                                            \
                                    .Ret<ffi::AnyBuffer>());

QDIST_APPLY(qdist_apply4_c128, double)
QDIST_APPLY(qdist_apply4_c64, float)
QDIST_ADJOINT(qdist_adjoint4_c128, double)
QDIST_ADJOINT(qdist_adjoint4_c64, float)

#define QDIST_SWEEP(name, R)                                                                          \
  XLA_FFI_DEFINE_HANDLER_SYMBOL(name, sweep_impl<R>,                                                  \
                                ffi::Ffi::Bind()                                                      \
                                    .Arg<ffi::AnyBuffer>()                                            \
                                    .Arg<ffi::AnyBuffer>()                                            \
                                    .Arg<ffi::Buffer<ffi::S32>>()                                     \
                                    .Arg<ffi::Buffer<ffi::S32>>()                                     \
                                    .Arg<ffi::Buffer<ffi::S32>>()                                     \
                                    .Ret<ffi::AnyBuffer>());
#define QDIST_ADJOINT_SWEEP(name, R)                                                                  \
  XLA_FFI_DEFINE_HANDLER_SYMBOL(name, adjoint_sweep_impl<R>,                                          \
                                ffi::Ffi::Bind()                                                      \
                                    .Arg<ffi::AnyBuffer>()                                            \
                                    .Arg<ffi::AnyBuffer>()                                            \
                                    .Arg<ffi::AnyBuffer>()                                            \
                                    .Arg<ffi::Buffer<ffi::S32>>()                                     \
                                    .Arg<ffi::Buffer<ffi::S32>>()                                     \
                                    .Arg<ffi::Buffer<ffi::S32>>()                                     \
                                    .Ret<ffi::AnyBuffer>()                                            \
                                    .Ret<ffi::AnyBuffer>()                                            \
                                    .Ret<ffi::AnyBuffer>());

QDIST_SWEEP(qdist_sweep_c128, double)
QDIST_SWEEP(qdist_sweep_c64, float)
QDIST_ADJOINT_SWEEP(qdist_adjoint_sweep_c128, double)
QDIST_ADJOINT_SWEEP(qdist_adjoint_sweep_c64, float)
