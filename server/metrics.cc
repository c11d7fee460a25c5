#include "server/metrics.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <map>

#include "base/log.h"
#include "base/strings.h"

namespace atl::server {
namespace {

void AppendInt(std::string* out, int64_t value) {
  char buf[24];
  auto [end, error] = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, static_cast<size_t>(end - buf));
}

// A label value: backslash, quote and newline escaped.
void AppendLabelValue(std::string* out, std::string_view value) {
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out->push_back('\\');
      out->push_back(c);
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

void AppendNumber(std::string* out, double value) {
  char buffer[32];
  if (value == static_cast<double>(static_cast<int64_t>(value)) && value < 1e15 && value > -1e15) {
    std::snprintf(buffer, sizeof(buffer), "%" PRId64, static_cast<int64_t>(value));
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.9g", value);
  }
  out->append(buffer);
}

}  // namespace

void AppendSample(std::string* out, std::string_view name,
                  std::initializer_list<std::pair<std::string_view, std::string_view>> labels, double value) {
  out->append(name);
  if (labels.size() > 0) {
    out->push_back('{');
    bool first = true;
    for (const auto& [key, label] : labels) {
      if (!first) out->push_back(',');
      first = false;
      out->append(key);
      out->append("=\"");
      AppendLabelValue(out, label);
      out->push_back('"');
    }
    out->push_back('}');
  }
  out->push_back(' ');
  AppendNumber(out, value);
  out->push_back('\n');
}

Metrics::Metrics(std::function<std::string_view(int32_t)> tenant_name, bool access_log)
    : tenant_name_(std::move(tenant_name)), access_log_(access_log), pid_(static_cast<int>(getpid())) {}

void Metrics::OnRequestDone(const RequestRecord& record) {
  ++requests_[{record.target, record.status}];
  TenantRequestStats& tenant = per_tenant_[record.target];
  ++tenant.requests;
  if (record.status >= 500 || record.status == 0) ++tenant.errors;
  size_t bucket = std::lower_bound(kBuckets.begin(), kBuckets.end(), record.seconds) - kBuckets.begin();
  ++duration_buckets_[bucket];
  duration_sum_ += record.seconds;
  ++duration_count_;
  if (access_log_) {
    // Built in place in the buffer written once per loop turn (HttpServer::FlushDirty), not
    // through LogLine: the keys are constants, one line per request.
    if (std::string* out = base::BeginBufferedLine(base::LogLevel::kInfo, "access")) {
      AppendAccessFields(tenant_name_(record.target), record, pid_, out);
      base::EndBufferedLine();
    }
  }
}

void AppendAccessFields(std::string_view tenant, const RequestRecord& record, int pid, std::string* out) {
  out->append(",\"tenant\":\"");
  base::AppendJsonEscaped(tenant, out);
  out->append("\",\"method\":\"");
  base::AppendJsonEscaped(record.method, out);
  out->append("\",\"path\":\"");
  base::AppendJsonEscaped(record.path, out);
  out->append("\",\"status\":");
  AppendInt(out, record.status);
  out->append(",\"ms\":");
  base::JsonWriter(out).Double(record.seconds * 1000.0);
  out->append(",\"bytes\":");
  AppendInt(out, static_cast<int64_t>(record.body_bytes));
  out->append(",\"worker\":");
  AppendInt(out, pid);
  out->append("}\n");
}

TenantRequestStats Metrics::StatsOf(int32_t target) const {
  auto it = per_tenant_.find(target);
  return it == per_tenant_.end() ? TenantRequestStats{} : it->second;
}

void Metrics::RenderRequests(std::string* out) const {
  if (forwards_[0] + forwards_[1] + forwards_[2] > 0) {
    out->append("# HELP atoll_forwards_total Requests for a tenant placed on other nodes, by outcome.\n"
                "# TYPE atoll_forwards_total counter\n");
    AppendSample(out, "atoll_forwards_total", {{"outcome", "forwarded"}}, static_cast<double>(forwards_[0]));
    AppendSample(out, "atoll_forwards_total", {{"outcome", "fallback"}}, static_cast<double>(forwards_[1]));
    AppendSample(out, "atoll_forwards_total", {{"outcome", "failed"}}, static_cast<double>(forwards_[2]));
  }
  out->append("# HELP atoll_requests_total Requests answered, by tenant and status (0: never answered).\n"
              "# TYPE atoll_requests_total counter\n");
  // Sorted, so that the text is stable from scrape to scrape.
  std::map<std::pair<std::string, int>, uint64_t> sorted;
  for (const auto& [key, count] : requests_) {
    if (exported_ && !exported_(key.first)) continue;
    sorted[{std::string(tenant_name_(key.first)), key.second}] += count;
  }
  for (const auto& [key, count] : sorted) {
    std::string status = std::to_string(key.second);
    AppendSample(out, "atoll_requests_total", {{"tenant", key.first}, {"status", status}}, static_cast<double>(count));
  }
  out->append("# HELP atoll_request_duration_seconds Time from a request's dispatch to its answer written.\n"
              "# TYPE atoll_request_duration_seconds histogram\n");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += duration_buckets_[i];
    std::string le;
    AppendNumber(&le, kBuckets[i]);
    AppendSample(out, "atoll_request_duration_seconds_bucket", {{"le", le}}, static_cast<double>(cumulative));
  }
  cumulative += duration_buckets_.back();
  AppendSample(out, "atoll_request_duration_seconds_bucket", {{"le", "+Inf"}}, static_cast<double>(cumulative));
  AppendSample(out, "atoll_request_duration_seconds_sum", {}, duration_sum_);
  AppendSample(out, "atoll_request_duration_seconds_count", {}, static_cast<double>(duration_count_));
}

std::string SumPrometheusTexts(const std::vector<std::string_view>& texts) {
  struct Family {
    std::vector<std::string> comments;  // HELP and TYPE, once
    std::vector<std::string> series;    // "name{labels}", in the order first seen
    absl::flat_hash_map<std::string, double> values;
  };
  std::vector<Family> families;
  absl::flat_hash_map<std::string, size_t> by_name;
  auto family_of = [&](std::string_view name) -> Family& {
    auto [it, added] = by_name.try_emplace(std::string(name), families.size());
    if (added) families.emplace_back();
    return families[it->second];
  };
  for (std::string_view text : texts) {
    Family* current = nullptr;
    for (std::string_view line : base::Split(text, '\n')) {
      if (line.empty()) continue;
      if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
        std::string_view name = line.substr(7);
        current = &family_of(name.substr(0, name.find(' ')));
        if (std::find(current->comments.begin(), current->comments.end(), line) == current->comments.end()) {
          current->comments.emplace_back(line);
        }
        continue;
      }
      if (line.front() == '#') continue;
      size_t space = line.rfind(' ');
      if (space == std::string_view::npos) continue;
      double value = 0;
      std::string_view number = line.substr(space + 1);
      auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
      if (ec != std::errc() || end != number.data() + number.size()) continue;
      std::string_view key = line.substr(0, space);
      Family& family = current != nullptr ? *current : family_of(key.substr(0, key.find('{')));
      auto [it, added] = family.values.try_emplace(std::string(key), 0.0);
      if (added) family.series.emplace_back(key);
      it->second += value;
    }
  }
  std::string out;
  for (const Family& family : families) {
    for (const std::string& comment : family.comments) {
      out += comment;
      out.push_back('\n');
    }
    for (const std::string& key : family.series) {
      out += key;
      out.push_back(' ');
      AppendNumber(&out, family.values.at(key));
      out.push_back('\n');
    }
  }
  return out;
}

}  // namespace atl::server
