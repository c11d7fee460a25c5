#include "base/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace atl::base {
namespace {
std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};

// Lines of EmitBuffered(), for the event-loop thread.
std::string& Buffered() {
  static std::string* buffer = new std::string();
  return *buffer;
}

void WriteAll(const char* p, size_t left) {
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) return;  // stderr gone: logging must never take the server down
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// "2026-11-23T08:53:54.123Z": the part up to the seconds is formatted once per second per thread
// (absl::FormatTime costs more than the rest of a line).
void AppendTimestamp(std::string* out) {
  thread_local int64_t cached_second = -1;
  thread_local std::string cached;
  absl::Time now = absl::Now();
  int64_t ms = absl::ToUnixMillis(now);
  int64_t second = ms / 1000;
  if (second != cached_second) {
    cached_second = second;
    cached = absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(second), absl::UTCTimeZone());
  }
  int milli = static_cast<int>(ms % 1000);
  char millis[5] = {'.', static_cast<char>('0' + milli / 100), static_cast<char>('0' + milli / 10 % 10),
                    static_cast<char>('0' + milli % 10), 'Z'};
  out->append(cached).append(millis, sizeof millis);
}
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

void AppendLogLineStart(LogLevel level, std::string_view msg, std::string* out) {
  out->append("{\"ts\":\"");
  AppendTimestamp(out);
  out->append("\",\"level\":\"");
  out->append(LogLevelName(level));
  out->append("\",\"msg\":\"");
  AppendJsonEscaped(msg, out);
  out->push_back('"');
}

LogLine::LogLine(LogLevel level, std::string_view msg) : writer_(&line_), enabled_(LogEnabled(level)) {
  if (!enabled_) return;
  line_.reserve(160);
  AppendLogLineStart(level, msg, &line_);
  writer_.ContinueObject();
}

LogLine& LogLine::Str(std::string_view key, std::string_view value) {
  if (!enabled_) return *this;
  writer_.Key(key);
  writer_.String(value);
  return *this;
}

LogLine& LogLine::Int(std::string_view key, int64_t value) {
  if (!enabled_) return *this;
  writer_.Key(key);
  writer_.Int(value);
  return *this;
}

LogLine& LogLine::Num(std::string_view key, double value) {
  if (!enabled_) return *this;
  writer_.Key(key);
  writer_.Double(value);
  return *this;
}

void LogLine::Emit() {
  if (!enabled_) return;
  writer_.EndObject();
  line_.push_back('\n');
  WriteAll(line_.data(), line_.size());
}

void LogLine::EmitBuffered() {
  if (!enabled_) return;
  writer_.EndObject();
  line_.push_back('\n');
  std::string& buffer = Buffered();
  buffer.append(line_);
  if (buffer.size() >= 64 * 1024) FlushBufferedLogs();
}

std::string* BeginBufferedLine(LogLevel level, std::string_view msg) {
  if (!LogEnabled(level)) return nullptr;
  std::string* buffer = &Buffered();
  AppendLogLineStart(level, msg, buffer);
  return buffer;
}

void EndBufferedLine() {
  if (Buffered().size() >= 64 * 1024) FlushBufferedLogs();
}

void FlushBufferedLogs() {
  std::string& buffer = Buffered();
  if (buffer.empty()) return;
  WriteAll(buffer.data(), buffer.size());
  buffer.clear();
}

}  // namespace atl::base
