// A fixed set of threads that run one job at a time together: the caller
// is worker 0, and run() returns once every worker has finished the job.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pgmapcheck::detail {

class worker_pool {
 public:
  // n workers in all (at least 1): the caller and n - 1 threads.
  explicit worker_pool(unsigned n) {
    for (unsigned w = 1; w < n; ++w) threads_.emplace_back([this, w] { serve(w); });
  }
  ~worker_pool() {
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
      ++generation_;
    }
    start_.notify_all();
    for (auto& t : threads_) t.join();
  }
  worker_pool(worker_pool const&) = delete;
  worker_pool& operator=(worker_pool const&) = delete;

  unsigned size() const { return static_cast<unsigned>(threads_.size()) + 1; }

  // Runs job(w) on every worker w and returns when all have returned; an
  // exception a worker's job threw is thrown again here.
  void run(std::function<void(unsigned)> const& job) {
    if (threads_.empty()) {
      job(0);
      return;
    }
    {
      std::lock_guard lock(mutex_);
      job_ = &job;
      busy_ = static_cast<unsigned>(threads_.size());
      ++generation_;
    }
    start_.notify_all();
    std::exception_ptr mine;
    try {
      job(0);
    } catch (...) {
      mine = std::current_exception();
    }
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return busy_ == 0; });
    job_ = nullptr;
    if (!mine) std::swap(mine, thrown_);
    thrown_ = nullptr;
    if (mine) std::rethrow_exception(mine);
  }

 private:
  void serve(unsigned w) {
    std::uint64_t seen = 0;
    for (;;) {
      std::function<void(unsigned)> const* job;
      {
        std::unique_lock lock(mutex_);
        start_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (quit_) return;
        job = job_;
      }
      std::exception_ptr e;
      try {
        (*job)(w);
      } catch (...) {
        e = std::current_exception();
      }
      {
        std::lock_guard lock(mutex_);
        if (e && !thrown_) thrown_ = e;
        --busy_;
      }
      done_.notify_one();
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable start_, done_;
  std::function<void(unsigned)> const* job_ = nullptr;
  std::exception_ptr thrown_;  // the first a worker's job threw
  std::uint64_t generation_ = 0;
  unsigned busy_ = 0;
  bool quit_ = false;
};

}  // namespace pgmapcheck::detail
