#pragma once
// Loads tenants before their first request (issue 18: a cold tenant's first request), in the
// background after start-up: one tenant per turn of the event loop (I/O is served between two),
// in config order, each on an isolate of the pool with its module instantiated from the code
// cache and its context ready, then given the compacting GC an idle tenant gets. It stops at the
// first of: every tenant loaded, the worker's resident memory grown by its budget since it
// started (`budget_kb`: this worker's share of `[server] prewarm_mb`, which is per server; the
// blank isolates the pool makes meanwhile count too), or `max_isolates` live
// isolates (it never evicts). Loading costs the tenant nothing: it is the platform's work, on
// the top level's budget as a load on request would be, never on a request's CPU time.
//
//   Prewarmer prewarmer(loop, &tenants, /*budget_kb=*/512 * 1024, /*max_isolates=*/2000);
//   prewarmer.Start();  // logs "prewarm done" when it stops

#include <uv.h>

#include <cstdint>
#include <string>

namespace atl::server {

class TenantManager;

class Prewarmer {
 public:
  struct Stats {
    uint32_t warmed = 0;          // tenants loaded
    uint32_t failed = 0;          // scripts that did not load (their first request reports it)
    int64_t rss_added_kb = 0;     // resident memory grown since Start, as the last step measured it
    int64_t rss_kept_kb = 0;      // the same after the final malloc_trim (can be below the budget)
    uint64_t ms = 0;              // from Start to the stop
    std::string stopped_by;       // "all", "budget", "max_isolates"; empty while running
  };

  Prewarmer(uv_loop_t* loop, TenantManager* tenants, uint64_t budget_kb, uint32_t max_isolates);
  ~Prewarmer();
  Prewarmer(const Prewarmer&) = delete;
  Prewarmer& operator=(const Prewarmer&) = delete;

  void Start();
  // Stops early (server shutdown); the handle is closed, the loop must run once more.
  void Stop();
  const Stats& stats() const { return stats_; }

 private:
  void Step();
  void Finish(const char* why);

  uv_loop_t* loop_;
  TenantManager* tenants_;
  uint64_t budget_kb_;
  uint32_t max_isolates_;
  uint32_t next_ = 0;             // the next tenant index to look at
  int64_t start_rss_kb_ = 0;
  uint64_t start_ms_ = 0;
  Stats stats_;
  uv_idle_t idle_;
};

// This process's resident memory in KB (/proc/self/statm), or 0.
int64_t SelfResidentKb();

}  // namespace atl::server
