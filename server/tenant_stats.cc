#include "server/tenant_stats.h"

#include <cinttypes>
#include <cstdio>
#include <charconv>

#include "base/strings.h"

namespace atl::server {

void TenantStats::Add(const TenantStats& other) {
  requests += other.requests;
  errors += other.errors;
  cpu_kills += other.cpu_kills;
  memory_kills += other.memory_kills;
  wall_kills += other.wall_kills;
  isolates += other.isolates;
  heap_bytes += other.heap_bytes;
  cpu_ms += other.cpu_ms;
}

std::string TenantStats::JsonMembers() const {
  char cpu[32];
  std::snprintf(cpu, sizeof(cpu), "%.3f", cpu_ms);
  return base::StrCat("\"requests\":", requests, ",\"errors\":", errors, ",\"limit_kills\":{\"cpu\":", cpu_kills,
                      ",\"memory\":", memory_kills, ",\"wall\":", wall_kills, "},\"isolates\":", isolates,
                      ",\"heap_bytes\":", heap_bytes, ",\"cpu_ms\":", cpu);
}

std::string SerializeTenantStats(const std::vector<std::pair<std::string, TenantStats>>& stats) {
  std::string out;
  char line[256];
  for (const auto& [name, s] : stats) {
    std::snprintf(line, sizeof(line), " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %.3f\n",
                  s.requests, s.errors, s.cpu_kills, s.memory_kills, s.wall_kills, s.isolates, s.heap_bytes, s.cpu_ms);
    out += name;
    out += line;
  }
  return out;
}

void AddTenantStats(std::string_view text, absl::flat_hash_map<std::string, TenantStats>* sum) {
  for (std::string_view line : base::Split(text, '\n')) {
    std::vector<std::string_view> fields = base::Split(line, ' ');
    if (fields.size() != 9 || fields[0].empty()) continue;
    TenantStats stats;
    uint64_t* integers[] = {&stats.requests, &stats.errors, &stats.cpu_kills, &stats.memory_kills,
                            &stats.wall_kills, &stats.isolates, &stats.heap_bytes};
    bool ok = true;
    for (size_t i = 0; i < 7; ++i) ok = ok && base::ParseUnsigned(fields[i + 1], integers[i]);
    std::string_view cpu = fields[8];
    auto [end, ec] = std::from_chars(cpu.data(), cpu.data() + cpu.size(), stats.cpu_ms);
    if (!ok || ec != std::errc() || end != cpu.data() + cpu.size()) continue;
    (*sum)[std::string(fields[0])].Add(stats);
  }
}

}  // namespace atl::server
