#pragma once
// One tenant's live numbers in one worker process (SPEC §5 `GET /tenants/NAME` "stats"), in the
// form worker processes send each other so the admin API can show their sum.
//
//   std::string text = SerializeTenantStats({{"hello", stats}});   // one line per tenant
//   absl::flat_hash_map<std::string, TenantStats> sum;
//   AddTenantStats(text, &sum);

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace atl::server {

struct TenantStats {
  uint64_t requests = 0;
  uint64_t errors = 0;  // status 500 and over, and requests never answered
  uint64_t cpu_kills = 0, memory_kills = 0, wall_kills = 0;
  uint64_t isolates = 0;
  uint64_t heap_bytes = 0;
  double cpu_ms = 0;

  void Add(const TenantStats& other);
  // The "stats" object's members, without braces.
  std::string JsonMembers() const;
};

// "NAME requests errors cpu memory wall isolates heap_bytes cpu_ms\n" per tenant.
std::string SerializeTenantStats(const std::vector<std::pair<std::string, TenantStats>>& stats);
// Adds each well-formed line of `text` to `sum` under its tenant's name; others are skipped.
void AddTenantStats(std::string_view text, absl::flat_hash_map<std::string, TenantStats>* sum);

}  // namespace atl::server
