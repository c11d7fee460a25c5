#include "config/cron.h"

#include <ctime>
#include <vector>

#include "base/strings.h"

namespace atl::config {
namespace {

using base::StrCat;

struct Field {
  const char* name;
  int min;
  int max;
  const char* const* names;  // names[i] is value min + i (null: numbers only)
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr Field kFields[] = {
    {"minute", 0, 59, nullptr},
    {"hour", 0, 23, nullptr},
    {"day of month", 1, 31, nullptr},
    {"month", 1, 12, kMonthNames},
    {"day of week", 0, 7, kDayNames},  // 7 = Sunday
};

// One value of `field`: a number or (months, weekdays) a three-letter name.
bool ParseValue(const Field& field, std::string_view s, int* out) {
  if (s.empty()) return false;
  if (field.names != nullptr && s.size() == 3) {
    std::string lower;
    for (char c : s) lower.push_back(base::AsciiToLower(c));
    int count = field.max - field.min + 1 - (field.max == 7 ? 1 : 0);
    for (int i = 0; i < count; ++i) {
      if (lower == field.names[i]) {
        *out = field.min + i;
        return true;
      }
    }
  }
  uint32_t value;
  if (!base::ParseUnsigned(s, &value) || value > 1000) return false;
  *out = static_cast<int>(value);
  return true;
}

// One field into `bits` (bit v for value v); `*star` is whether it was exactly `*`.
absl::Status ParseField(const Field& field, std::string_view text, std::vector<bool>* bits, bool* star) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("cron \"", text, "\": ", field.name, ": ", why));
  };
  *star = text == "*";
  if (text.empty()) return bad("empty");
  for (std::string_view part : base::Split(text, ',')) {
    if (part.empty()) return bad("an empty list item");
    std::string_view range = part;
    int step = 1;
    if (size_t slash = part.find('/'); slash != std::string_view::npos) {
      range = part.substr(0, slash);
      int value;
      if (!ParseValue(Field{field.name, 1, 1000, nullptr}, part.substr(slash + 1), &value) || value == 0) {
        return bad(StrCat("\"", part, "\": the step must be a positive number"));
      }
      step = value;
    }
    int low, high;
    if (range == "*") {
      low = field.min;
      high = field.max == 7 ? 6 : field.max;
    } else if (size_t dash = range.find('-'); dash != std::string_view::npos) {
      if (!ParseValue(field, range.substr(0, dash), &low) || !ParseValue(field, range.substr(dash + 1), &high)) {
        return bad(StrCat("\"", part, "\" is not a range (expected a-b)"));
      }
      if (low > high) return bad(StrCat("\"", part, "\": the range goes backwards"));
    } else {
      if (!ParseValue(field, range, &low)) {
        for (char c : range) {
          if (c == 'L' || c == 'W' || c == '#' || c == '?') {
            return bad(StrCat("\"", part, "\": Quartz extensions (L, W, #, ?) are not supported"));
          }
        }
        return bad(StrCat("\"", part, "\" is not a number", field.names ? " or a name" : ""));
      }
      // `a/n` is a to the end in steps of n.
      high = part.find('/') != std::string_view::npos ? (field.max == 7 ? 6 : field.max) : low;
    }
    if (low < field.min || high > field.max) {
      return bad(StrCat("\"", part, "\" is out of range (", field.min, "-", field.max, ")"));
    }
    for (int v = low; v <= high; v += step) (*bits)[v] = true;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CronSchedule> ParseCron(std::string_view text) {
  std::vector<std::string_view> fields = base::SplitWords(text);
  if (fields.size() != 5) {
    return absl::InvalidArgumentError(
        StrCat("cron \"", text, "\": expected 5 fields (minute hour day-of-month month day-of-week), got ",
               fields.size()));
  }
  CronSchedule out;
  out.text = std::string(text);
  bool star = false;
  for (int f = 0; f < 5; ++f) {
    std::vector<bool> bits(kFields[f].max + 1, false);
    if (absl::Status st = ParseField(kFields[f], fields[f], &bits, &star); !st.ok()) return st;
    for (int v = kFields[f].min; v <= kFields[f].max; ++v) {
      if (!bits[v]) continue;
      switch (f) {
        case 0: out.minutes.set(v); break;
        case 1: out.hours.set(v); break;
        case 2: out.days.set(v); break;
        case 3: out.months.set(v); break;
        case 4: out.weekdays.set(v % 7); break;
      }
    }
    if (f == 2) out.any_day = star;
    if (f == 4) out.any_weekday = star;
  }
  return out;
}

bool CronSchedule::Matches(int64_t unix_seconds) const {
  time_t t = static_cast<time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  if (!minutes[tm.tm_min] || !hours[tm.tm_hour] || !months[tm.tm_mon + 1]) return false;
  bool day = days[tm.tm_mday];
  bool weekday = weekdays[tm.tm_wday];
  if (any_day && any_weekday) return true;
  if (any_day) return weekday;
  if (any_weekday) return day;
  return day || weekday;
}

int64_t CronSchedule::NextAfter(int64_t unix_seconds) const {
  int64_t minute = unix_seconds - (unix_seconds % 60 + 60) % 60 + 60;
  constexpr int64_t kLimit = int64_t{5} * 366 * 24 * 60;
  for (int64_t n = 0; n < kLimit; ++n, minute += 60) {
    if (Matches(minute)) return minute;
  }
  return -1;
}

}  // namespace atl::config
