#pragma once
// A 5-field cron expression (minute hour day-of-month month day-of-week), evaluated in UTC, as
// Cloudflare's cron triggers take them (https://developers.cloudflare.com/workers/configuration/cron-triggers/):
// each field is `*`, a number, a range `a-b`, a step `*/n` or `a-b/n` or `a/n`, or a list of
// those separated by commas; months and weekdays may be names (JAN-DEC, SUN-SAT, any case);
// weekday 7 is Sunday too. As in Vixie cron, when both day-of-month and day-of-week are
// restricted a day matching either one matches. Quartz extensions (L, W, #, ?) are refused.
//
//   absl::StatusOr<CronSchedule> cron = ParseCron("*/5 * * * *");
//   if (cron->Matches(unix_minute)) ...

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace atl::config {

struct CronSchedule {
  std::string text;             // as written
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;         // 1-31
  std::bitset<13> months;       // 1-12
  std::bitset<7> weekdays;      // 0 = Sunday
  bool any_day = true;          // day-of-month was `*`
  bool any_weekday = true;      // day-of-week was `*`

  // Whether the minute starting at `unix_seconds` (UTC; seconds are ignored) matches.
  bool Matches(int64_t unix_seconds) const;
  // The first matching minute strictly after `unix_seconds`, in Unix seconds; -1 if none within
  // five years (e.g. "0 0 31 2 *").
  int64_t NextAfter(int64_t unix_seconds) const;
};

// InvalidArgument naming the field and what is wrong with it.
absl::StatusOr<CronSchedule> ParseCron(std::string_view text);

}  // namespace atl::config
