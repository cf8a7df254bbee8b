// Threads for the block kernels (kernels.cc): a state's index runs are cut into at most kParts
// parts whatever the thread count, so results do not depend on QDIST_THREADS; the parts run on
// persistent workers, since a sweep calls for_parts once per block.
#pragma once

#include <unistd.h>

#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace qdist {

// Runs are split into at most kParts contiguous parts; parts run on up to `threads` threads and an
// adjoint step's partial G of each part is summed in part order, so the result does not depend on
// the number of threads.
constexpr int64_t kParts = 16;

// QDIST_THREADS, else every core
inline int max_threads() {
  static const int hw = [] {
    const char* env = std::getenv("QDIST_THREADS");
    const int n = env ? std::atoi(env) : static_cast<int>(std::thread::hardware_concurrency());
    return n < 1 ? 1 : n;
  }();
  return hw;
}

// one core's L2 cache in bytes (1 MiB where the system does not say)
inline int64_t l2_bytes() {
  static const int64_t bytes = [] {
    const long v = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return v > 0 ? static_cast<int64_t>(v) : int64_t{1} << 20;
  }();
  return bytes;
}

// Threads for a kernel whose states take `bytes`: one while they fit in one core's L2, since split
// over the cores every block on the top bits moves half of them from one core's cache to the
// other's (0.6-0.95x of one thread at n = 15-17, docs/concepts/simulator.md); else max_threads().
inline int threads_for(int64_t bytes) { return bytes > l2_bytes() ? max_threads() : 1; }

// Persistent workers for for_parts: a sweep makes one call per block, and starting and joining a
// std::thread per call cost more than a block at n = 16. run(threads, job) calls job(t) for t in
// [0, threads), t = 0 on the calling thread, and returns false (the caller then starts threads
// itself) when another call holds the pool or the process is a fork of the one that made it. The
// pool is never destroyed: idle workers simply end with the process.
class Pool {
 public:
  bool run(int threads, const std::function<void(int)>& job) {
    if (getpid() != pid_) return false;
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    std::unique_lock<std::mutex> g(m_);
    while (static_cast<int>(workers_) < threads - 1) {
      const int id = static_cast<int>(++workers_);
      std::thread([this, id, seen = gen_] { loop(id, seen); }).detach();
    }
    job_ = &job, active_ = threads - 1, pending_ = threads - 1, ++gen_;
    g.unlock();
    wake_.notify_all();
    job(0);
    g.lock();
    done_.wait(g, [this] { return pending_ == 0; });
    job_ = nullptr;
    return true;
  }

 private:
  void loop(int id, uint64_t seen) {
    std::unique_lock<std::mutex> g(m_);
    for (;;) {
      wake_.wait(g, [&] { return gen_ != seen; });
      seen = gen_;
      if (id > active_) continue;
      const std::function<void(int)>* job = job_;
      g.unlock();
      (*job)(id);
      g.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  const pid_t pid_ = getpid();
  std::mutex busy_, m_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* job_ = nullptr;
  uint64_t gen_ = 0, workers_ = 0;
  int active_ = 0, pending_ = 0;
};

inline Pool& pool() {
  static Pool* p = new Pool;  // leaked on purpose (see Pool)
  return *p;
}

// f(part, r0, r1) for the parts of [0, count): at most kParts contiguous ranges, on up to `threads`
// threads, each taking consecutive parts (what a part computes never depends on the threads). The
// run order keeps the bits above hi outermost, so a thread keeps the same half of the state from
// block to block (in its own cache) except on blocks touching the top bit.
template <typename F>
void for_parts(int64_t count, int threads, F f) {
  const int64_t parts = count < kParts ? count : kParts;
  auto work = [&](int64_t t, int64_t teams) {
    for (int64_t p = parts * t / teams; p < parts * (t + 1) / teams; ++p)
      f(p, count * p / parts, count * (p + 1) / parts);
  };
  if (threads <= 1 || parts <= 1) return work(0, 1);
  if (pool().run(threads, [&](int t) { work(t, threads); })) return;
  std::vector<std::thread> team;
  for (int t = 1; t < threads; ++t) team.emplace_back(work, t, threads);
  work(0, threads);
  for (auto& th : team) th.join();
}

}  // namespace qdist
