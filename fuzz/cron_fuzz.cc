// libFuzzer: cron expressions (config/cron.h). A schedule that parses answers NextAfter with a
// matching minute strictly later (or -1), and Matches agrees with it.
#include <cstdlib>
#include <string_view>

#include "config/cron.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<atl::config::CronSchedule> cron = atl::config::ParseCron(text);
  if (!cron.ok()) return 0;
  const int64_t start = 1764892800;  // 2025-12-05 00:00 UTC
  int64_t next = cron->NextAfter(start);
  if (next != -1 && (next <= start || next % 60 != 0 || !cron->Matches(next))) abort();
  return 0;
}
