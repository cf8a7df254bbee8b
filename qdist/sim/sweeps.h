// The forward sweep of a state larger than a core's L2 in stages (kernels.cc's qdist_sweep):
// consecutive blocks whose bits are all below chunk_bits are applied chunk by chunk, so that a
// stage reads and writes the state once instead of once per block, and its blocks run on a chunk
// that stays in L2. docs/concepts/simulator.md gives the measurements.
#pragma once

#include <cstdint>
#include <vector>

#include "parts.h"
#include "runs.h"

namespace qdist {

// log2 of the amplitudes of a chunk: half a core's L2 (at least 2^4 amplitudes, whatever the
// system reports)
template <typename R>
inline int64_t chunk_bits() {
  const int64_t amplitudes = l2_bytes() / 2 / static_cast<int64_t>(2 * sizeof(R));
  return amplitudes < 16 ? 4 : log2i(amplitudes);
}

// G (16 interleaved complex) from an adjoint step's double sums
template <typename R>
inline void put_g(R* g, const double* sums) {
  for (int q = 0; q < 32; ++q) g[q] = R(sums[q]);
}

// The items of a sweep: item i is the block ref[i], a matrix at mats + 32 ref[i] on bits pair[ref[i]]
template <typename R>
struct Items {
  const R* mats;
  const int32_t *pair, *ref;
  const R* mat(int64_t i) const { return mats + 32 * ref[i]; }
  int64_t hi(int64_t i) const { return pair[2 * ref[i]]; }
  int64_t lo(int64_t i) const { return pair[2 * ref[i] + 1]; }
};

// The sweep of items [0, count) on the state s (2^n amplitudes) in place, item i being the block
// mats[ref[i]] on bits pair[ref[i]]; apply(state, mat, n, hi, lo, threads) applies one block. A
// run of at least two consecutive items with both bits below kb = chunk_bits is one stage: each
// chunk of 2^kb consecutive amplitudes (a state of kb qubits) goes through all of the stage's
// blocks before the next chunk; other items are applied alone. Every amplitude goes through the
// same products in the same order as block by block, so the result is the same, bit for bit.
template <typename R, typename Apply>
void sweep_state(R* s, const R* mats, const int32_t* pair, const int32_t* ref, int64_t count, int64_t n,
                 int threads, Apply apply) {
  const int64_t kb = chunk_bits<R>();
  const Items<R> it{mats, pair, ref};
  const bool staged = n > kb;  // a state that fits a chunk is swept block by block
  for (int64_t i = 0; i < count;) {
    int64_t j = i;
    while (staged && j < count && it.hi(j) < kb) ++j;
    if (j - i < 2) {
      apply(s, it.mat(i), n, it.hi(i), it.lo(i), threads), ++i;
      continue;
    }
    for_parts(int64_t{1} << (n - kb), threads, [&](int64_t, int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t k = i; k < j; ++k) apply(s + 2 * (c << kb), it.mat(k), kb, it.hi(k), it.lo(k), 1);
    });
    i = j;
  }
}

// The adjoint sweep of items count-1 down to 0 on psi = x and lam = z in place, g[ref[i]] (16
// interleaved complex) the G of item i's step (the last visit's when a block repeats);
// step(x, z, mat, n, hi, lo, threads, sums) makes one adjoint step and returns its G in double.
// Stages as in sweep_state, with chunks of both states together in half a core's L2 (chunk_bits
// - 1): a stage's G is summed per chunk, and the chunks' sums added in chunk order, so the result
// does not depend on the threads (it differs from block by block in the rounding of G only).
template <typename R, typename Step>
void adjoint_sweep_state(R* x, R* z, R* g, const R* mats, const int32_t* pair, const int32_t* ref, int64_t count,
                         int64_t n, int threads, Step step) {
  const int64_t kb = chunk_bits<R>() - 1;
  const Items<R> it{mats, pair, ref};
  const bool staged = n > kb;
  auto put = [&](int64_t i, const double* sums) { put_g(g + 32 * ref[i], sums); };
  for (int64_t i = count - 1; i >= 0;) {
    int64_t j = i;  // the stage is the items (j, i], run from i down
    while (staged && j >= 0 && it.hi(j) < kb) --j;
    if (i - j < 2) {
      double sums[32];
      step(x, z, it.mat(i), n, it.hi(i), it.lo(i), threads, sums);
      put(i, sums), --i;
      continue;
    }
    const int64_t chunks = int64_t{1} << (n - kb);
    std::vector<double> part(static_cast<size_t>(32 * chunks * (i - j)));
    for_parts(chunks, threads, [&](int64_t, int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t k = i; k > j; --k)
          step(x + 2 * (c << kb), z + 2 * (c << kb), it.mat(k), kb, it.hi(k), it.lo(k), 1,
               &part[32 * ((i - k) * chunks + c)]);
    });
    for (int64_t k = i; k > j; --k) {
      double sums[32] = {};
      for (int64_t c = 0; c < chunks; ++c)
        for (int q = 0; q < 32; ++q) sums[q] += part[32 * ((i - k) * chunks + c) + q];
      put(k, sums);
    }
    i = j;
  }
}

}  // namespace qdist
