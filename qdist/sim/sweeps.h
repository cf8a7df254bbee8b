// The forward sweep of a state larger than a core's L2 in stages (kernels.cc's qdist_sweep):
// consecutive blocks whose bits are all below chunk_bits are applied chunk by chunk, so that a
// stage reads and writes the state once instead of once per block, and its blocks run on a chunk
// that stays in L2. docs/concepts/simulator.md gives the measurements.
#pragma once

#include <cstdint>

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
  auto hi = [&](int64_t i) { return int64_t{pair[2 * ref[i]]}; };
  auto lo = [&](int64_t i) { return int64_t{pair[2 * ref[i] + 1]}; };
  const bool staged = n > kb;  // a state that fits a chunk is swept block by block
  for (int64_t i = 0; i < count;) {
    int64_t j = i;
    while (staged && j < count && hi(j) < kb) ++j;
    if (j - i < 2) {
      apply(s, mats + 32 * ref[i], n, hi(i), lo(i), threads), ++i;
      continue;
    }
    for_parts(int64_t{1} << (n - kb), threads, [&](int64_t, int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t k = i; k < j; ++k) apply(s + 2 * (c << kb), mats + 32 * ref[k], kb, hi(k), lo(k), 1);
    });
    i = j;
  }
}

}  // namespace qdist
