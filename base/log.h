#pragma once
// Structured logging: one JSON object per line on stderr (SPEC §1): `ts`, `level`, `msg`, plus
// any extra fields (`tenant`, `status`, `ms`, `path`, ...).
//
//   LogLine(LogLevel::kInfo, "listening").Str("address", "127.0.0.1:8080").Emit();

#include <cstdint>
#include <string>
#include <string_view>

#include "base/json_writer.h"

namespace atl::base {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

std::string_view LogLevelName(LogLevel level);

// Parses "debug" | "info" | "warn" | "error"; anything else is kInfo.
LogLevel ParseLogLevel(std::string_view name);

// Lines below this level are dropped (default kInfo; ATOLL_LOG_LEVEL=debug shows everything).
void SetMinLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

// Builds one log line; Emit() writes it with a single write(2) so lines never interleave.
class LogLine {
 public:
  LogLine(LogLevel level, std::string_view msg);
  LogLine& Str(std::string_view key, std::string_view value);
  LogLine& Int(std::string_view key, int64_t value);
  LogLine& Num(std::string_view key, double value);
  void Emit();
  // Appends the line to a buffer that FlushBufferedLogs() writes (and that writes itself past
  // 64 KB): one write(2) per event-loop turn for high-rate lines such as the access log, instead
  // of one per line. Event-loop thread only.
  void EmitBuffered();

 private:
  std::string line_;
  JsonWriter writer_;
  bool enabled_;  // at or above the minimum level: otherwise nothing is built or written
};

// Writes what EmitBuffered() collected (the server calls it once per loop turn and at exit).
void FlushBufferedLogs();

// For a high-rate line built in place (the access log, server/metrics.cc) instead of through
// LogLine's JsonWriter: the line starts as LogLine's does (`{"ts":"...","level":"...","msg":"..."`),
// the caller appends the rest of the object, "}\n", and calls EndBufferedLine(). Null if `level`
// is below the minimum (nothing is to be written). Event-loop thread only, as EmitBuffered().
std::string* BeginBufferedLine(LogLevel level, std::string_view msg);
void EndBufferedLine();

// LogLine's first fields, `{"ts":"...","level":"...","msg":"..."` without the closing brace.
void AppendLogLineStart(LogLevel level, std::string_view msg, std::string* out);

}  // namespace atl::base
