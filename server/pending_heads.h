#pragma once
// Workers' "simultaneous open connections" limit: per request, at most `limit` fetches wait for
// their response head at once; a fetch made past it waits, in order, until one of them has its
// head (or failed, or was cancelled), and only then connects. A head always comes or the fetch
// fails (connect and idle timeouts), so the queue always moves; a flood of fetches from one
// request takes `limit` connections of the worker, not one per fetch.
// https://developers.cloudflare.com/workers/platform/limits/#simultaneous-open-connections
//
//   if (heads.Admit(request, fetch)) Connect(fetch); else keep its request for later;
//   ... its head came:  heads.Release(request, fetch, &next); for (id : next) Connect(id);

#include <cstdint>
#include <deque>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace atl::server {

class PendingHeads {
 public:
  explicit PendingHeads(uint32_t limit) : limit_(limit == 0 ? 1 : limit) {}

  // Fetch `fetch` of request `request` may connect now (true: it counts until Release) or waits
  // (false: it is queued, and comes out of a later Release).
  bool Admit(uint64_t request, uint64_t fetch);
  // `fetch`'s wait is over (its head, an error, a cancel): if it was counted, the queued fetches
  // that may connect now are appended to `next` (each counted from then on); if it was queued,
  // it leaves the queue.
  void Release(uint64_t request, uint64_t fetch, std::vector<uint64_t>* next);
  // Fetches waiting for a head, and queued, across every request (for tests and stats).
  size_t waiting() const;
  size_t queued() const;
  void Clear() { requests_.clear(); }

 private:
  struct Request {
    std::vector<uint64_t> waiting;  // counted: at most limit_
    std::deque<uint64_t> queued;    // in the order they were made
  };
  uint32_t limit_;
  absl::flat_hash_map<uint64_t, Request> requests_;
};

}  // namespace atl::server
