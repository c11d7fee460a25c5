#include "base/log.h"

#include <unistd.h>

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace atl::base {
namespace {
std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};
}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

LogLevel ParseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

void SetMinLogLevel(LogLevel level) { g_min_level.store(static_cast<int>(level)); }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_min_level.load(); }

LogLine::LogLine(LogLevel level, std::string_view msg) : writer_(&line_) {
  line_.reserve(160);
  writer_.BeginObject();
  writer_.Key("ts");
  writer_.String(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()));
  writer_.Key("level");
  writer_.String(LogLevelName(level));
  writer_.Key("msg");
  writer_.String(msg);
}

LogLine& LogLine::Str(std::string_view key, std::string_view value) {
  writer_.Key(key);
  writer_.String(value);
  return *this;
}

LogLine& LogLine::Int(std::string_view key, int64_t value) {
  writer_.Key(key);
  writer_.Int(value);
  return *this;
}

LogLine& LogLine::Num(std::string_view key, double value) {
  writer_.Key(key);
  writer_.Double(value);
  return *this;
}

void LogLine::Emit() {
  writer_.EndObject();
  line_.push_back('\n');
  const char* p = line_.data();
  size_t left = line_.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) return;  // stderr gone: logging must never take the server down
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace atl::base
