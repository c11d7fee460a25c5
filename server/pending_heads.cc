#include "server/pending_heads.h"

#include <algorithm>

namespace atl::server {

bool PendingHeads::Admit(uint64_t request, uint64_t fetch) {
  Request& r = requests_[request];
  if (r.waiting.size() < limit_ && r.queued.empty()) {
    r.waiting.push_back(fetch);
    return true;
  }
  r.queued.push_back(fetch);
  return false;
}

void PendingHeads::Release(uint64_t request, uint64_t fetch, std::vector<uint64_t>* next) {
  auto it = requests_.find(request);
  if (it == requests_.end()) return;
  Request& r = it->second;
  if (auto w = std::find(r.waiting.begin(), r.waiting.end(), fetch); w != r.waiting.end()) {
    r.waiting.erase(w);
    while (r.waiting.size() < limit_ && !r.queued.empty()) {
      r.waiting.push_back(r.queued.front());
      next->push_back(r.queued.front());
      r.queued.pop_front();
    }
  } else if (auto q = std::find(r.queued.begin(), r.queued.end(), fetch); q != r.queued.end()) {
    r.queued.erase(q);
  }
  if (r.waiting.empty() && r.queued.empty()) requests_.erase(it);
}

size_t PendingHeads::waiting() const {
  size_t n = 0;
  for (const auto& [request, r] : requests_) n += r.waiting.size();
  return n;
}

size_t PendingHeads::queued() const {
  size_t n = 0;
  for (const auto& [request, r] : requests_) n += r.queued.size();
  return n;
}

}  // namespace atl::server
