#include "server/admin_api.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>

#include "base/json_writer.h"
#include "base/log.h"
#include "base/strings.h"
#include "server/serve_plan.h"

namespace atl::server {
namespace {

isolates::ConnectionLimits AdminConnectionLimits() {
  isolates::ConnectionLimits limits;
  // Deploy bodies are read whole (a chunked one is gathered from its pieces).
  limits.max_buffered_request_body = AdminApi::kMaxBody;
  limits.max_buffered_output = 8 << 20;
  return limits;
}

// SHA-256 of `text`: both sides of the token compare have the same length.
std::array<unsigned char, 32> Digest(std::string_view text) {
  std::array<unsigned char, 32> out{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

std::string_view ContextName(const bindings::WorkerOptions& worker) { return worker.per_request_context ? "per_request" : "shared"; }

}  // namespace

bool BearerMatches(std::string_view header, std::string_view token) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (token.empty() || header.size() < kPrefix.size()) return false;
  bool scheme = true;
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    char c = header[i];
    char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    char want = kPrefix[i] >= 'A' && kPrefix[i] <= 'Z' ? static_cast<char>(kPrefix[i] - 'A' + 'a') : kPrefix[i];
    scheme = scheme && lower == want;
  }
  std::array<unsigned char, 32> given = Digest(header.substr(kPrefix.size()));
  std::array<unsigned char, 32> wanted = Digest(token);
  return CRYPTO_memcmp(given.data(), wanted.data(), given.size()) == 0 && scheme;
}

AdminApi::AdminApi(uv_loop_t* loop, std::string token, TenantStore* store, TenantManager* tenants,
                   const Metrics* metrics, kv::KvRegistry* kv_stores)
    : token_(std::move(token)),
      store_(store),
      tenants_(tenants),
      metrics_(metrics),
      kv_stores_(kv_stores),
      server_(loop, AdminConnectionLimits(), this) {}

void AdminApi::Dispatch(uint64_t id, int32_t, const bindings::RequestView& request) {
  std::string_view authorization;
  for (const auto& [name, value] : request.headers) {
    if (name == "authorization") authorization = value;
  }
  if (!BearerMatches(authorization, token_)) {
    RespondError(id, 401, "unauthorized", "Authorization: Bearer TOKEN required");
    return;
  }
  std::string_view path = base::UrlPath(request.url);
  if (request.body_streamed) {
    uploads_[id] = Upload{std::string(request.method), std::string(path), std::string(request.body)};
    return;
  }
  Handle(id, request.method, path, request.body);
}

bool AdminApi::PushUpload(uint64_t id, std::string_view bytes) {
  auto it = uploads_.find(id);
  if (it != uploads_.end()) it->second.body.append(bytes);
  return true;
}

void AdminApi::EndUpload(uint64_t id, std::string_view error) {
  auto it = uploads_.find(id);
  if (it == uploads_.end()) return;
  Upload upload = std::move(it->second);
  uploads_.erase(it);
  if (!error.empty()) {
    RespondError(id, 400, "bad_request", error);
    return;
  }
  Handle(id, upload.method, upload.path, upload.body);
}

void AdminApi::Respond(uint64_t id, int status, std::string_view body, std::string_view content_type) {
  bindings::HeaderView headers[] = {{"content-type", content_type}};
  bindings::ResponseView response;
  response.status = status;
  response.headers = headers;
  response.body = body;
  server_.Complete(id, response);
}

void AdminApi::RespondError(uint64_t id, int status, std::string_view code, std::string_view message) {
  std::string body;
  base::JsonWriter w(&body);
  w.BeginObject();
  w.Key("error");
  w.String(code);
  if (!message.empty()) {
    w.Key("message");
    w.String(message);
  }
  w.EndObject();
  Respond(id, status, body);
}

void AdminApi::Handle(uint64_t id, std::string_view method, std::string_view path, std::string_view body) {
  if (path == "/healthz") {
    if (method != "GET" && method != "HEAD") return RespondError(id, 405, "method_not_allowed");
    return Respond(id, 200, "{\"status\":\"ok\"}");
  }
  if (path == "/metrics") {
    if (method != "GET" && method != "HEAD") return RespondError(id, 405, "method_not_allowed");
    return Respond(id, 200, RenderMetrics(), "text/plain; version=0.0.4; charset=utf-8");
  }
  if (path == "/tenants" || path == "/tenants/") {
    if (method != "GET") return RespondError(id, 405, "method_not_allowed");
    std::string out = "{\"tenants\":[";
    bool first = true;
    for (uint32_t i = 0; i < tenants_->tenant_slots(); ++i) {
      if (!tenants_->Serving(i)) continue;
      if (!first) out.push_back(',');
      first = false;
      out += TenantJson(i);
    }
    out += "]}";
    return Respond(id, 200, out);
  }
  constexpr std::string_view kTenants = "/tenants/";
  if (path.substr(0, kTenants.size()) != kTenants) return RespondError(id, 404, "not_found");
  std::string_view name = path.substr(kTenants.size());
  if (!ValidName(name)) return RespondError(id, 400, "bad_request", "tenant name must match [a-z0-9-]{1,63}");
  int32_t index = tenants_->Find(name);
  bool exists = index >= 0 && tenants_->Serving(static_cast<uint32_t>(index));
  if (method == "GET") {
    if (!exists) return RespondError(id, 404, "no_tenant");
    return Respond(id, 200, TenantJson(static_cast<uint32_t>(index)));
  }
  if (method == "DELETE") {
    if (!exists) return RespondError(id, 404, "no_tenant");
    absl::Status removed = store_->Remove(name);
    if (!removed.ok()) return RespondError(id, 500, "storage_error", base::ToStd(removed.message()));
    tenants_->Remove(name);
    base::LogLine(base::LogLevel::kInfo, "tenant deleted").Str("tenant", name).Emit();
    return Respond(id, 200, base::StrCat("{\"name\":\"", name, "\",\"deleted\":true}"));
  }
  if (method == "PUT") return Deploy(id, name, body);
  RespondError(id, 405, "method_not_allowed");
}

void AdminApi::Deploy(uint64_t id, std::string_view name, std::string_view body) {
  std::vector<std::string> known;
  for (uint32_t i = 0; i < tenants_->tenant_slots(); ++i) {
    if (tenants_->Serving(i)) known.push_back(tenants_->TenantName(i));
  }
  absl::StatusOr<TenantStore::Staged> staged = store_->Stage(name, body, known);
  if (!staged.ok()) {
    bool client = absl::IsInvalidArgument(staged.status()) || absl::IsNotFound(staged.status());
    return RespondError(id, client ? 400 : 500, client ? "invalid_tenant" : "storage_error", base::ToStd(staged.status().message()));
  }
  TenantSpec spec = SpecOf(std::move(staged->config));
  spec.version = staged->version;
  spec.etag = staged->etag;
  absl::Status bound = BindKvStores(&spec, kv_stores_);
  if (bound.ok()) bound = tenants_->Deploy(std::move(spec));
  if (!bound.ok()) {
    store_->Discard(*staged);
    base::LogLine(base::LogLevel::kWarn, "deploy refused")
        .Str("tenant", name)
        .Str("error", base::ToStd(bound.message()))
        .Emit();
    if (absl::IsResourceExhausted(bound)) return RespondError(id, 503, "overloaded", base::ToStd(bound.message()));
    return RespondError(id, 400, "invalid_tenant", base::ToStd(bound.message()));
  }
  // Serving already; what the process restarts with is written last.
  absl::Status committed = store_->Commit(*staged);
  if (!committed.ok()) return RespondError(id, 500, "storage_error", base::ToStd(committed.message()));
  base::LogLine(base::LogLevel::kInfo, "tenant deployed")
      .Str("tenant", name)
      .Int("version", static_cast<int64_t>(staged->version))
      .Str("etag", staged->etag)
      .Emit();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("name");
  w.String(name);
  w.Key("version");
  w.Int(static_cast<int64_t>(staged->version));
  w.Key("etag");
  w.String(staged->etag);
  w.EndObject();
  Respond(id, 200, out);
}

std::string AdminApi::TenantJson(uint32_t index) const {
  TenantInfo info = tenants_->Info(index);
  const TenantSpec& spec = *info.spec;
  TenantRequestStats requests = metrics_->StatsOf(static_cast<int32_t>(index));
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("name");
  w.String(spec.worker.tenant_name);
  w.Key("version");
  w.Int(static_cast<int64_t>(spec.version));
  w.Key("etag");
  w.String(spec.etag);
  w.Key("source");
  w.String(spec.version > 0 ? "api" : "config");
  w.EndObject();
  out.pop_back();  // the rest is written by hand: arrays and nested objects
  out += ",\"config\":{\"routes\":[";
  for (size_t i = 0; i < spec.routes.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    base::AppendJsonEscaped(spec.routes[i].ToString(), &out);
    out.push_back('"');
  }
  const isolates::TenantLimits& limits = spec.worker.limits;
  out += base::StrCat("],\"memory_mb\":", limits.memory_mb, ",\"cpu_ms\":", limits.cpu_ms, ",\"wall_ms\":", limits.wall_ms,
                      ",\"subrequests\":", limits.subrequests, ",\"max_request_body\":", limits.max_request_body,
                      ",\"context\":\"", ContextName(spec.worker), "\"}");
  out += base::StrCat(",\"stats\":{\"requests\":", requests.requests, ",\"errors\":", requests.errors,
                      ",\"limit_kills\":{\"cpu\":", info.cpu_kills, ",\"memory\":", info.memory_kills,
                      ",\"wall\":", info.wall_kills, "},\"isolates\":", info.live ? 1 : 0, ",\"heap_bytes\":", info.heap_bytes);
  char cpu[32];
  std::snprintf(cpu, sizeof(cpu), "%.3f", info.cpu_ms);
  out += base::StrCat(",\"cpu_ms\":", cpu, "}}");
  return out;
}

std::string AdminApi::RenderMetrics() const {
  std::string out;
  metrics_->RenderRequests(&out);
  out += "# HELP atoll_isolates Isolates of this process by state.\n# TYPE atoll_isolates gauge\n";
  AppendSample(&out, "atoll_isolates", {{"state", "live"}}, static_cast<double>(tenants_->live_isolates()));
  AppendSample(&out, "atoll_isolates", {{"state", "retiring"}}, static_cast<double>(tenants_->retiring_isolates()));
  out += "# HELP atoll_isolate_creations_total Isolates made (ahead of time or on demand).\n"
         "# TYPE atoll_isolate_creations_total counter\n";
  AppendSample(&out, "atoll_isolate_creations_total", {}, static_cast<double>(tenants_->pool_stats().created));
  out += "# HELP atoll_limit_kills_total Isolates discarded or requests abandoned for a limit.\n"
         "# TYPE atoll_limit_kills_total counter\n";
  std::string heap = "# HELP atoll_heap_bytes V8 heap in use by a tenant's isolate.\n# TYPE atoll_heap_bytes gauge\n";
  for (uint32_t i = 0; i < tenants_->tenant_slots(); ++i) {
    TenantInfo info = tenants_->Info(i);
    const std::string& name = info.spec->worker.tenant_name;
    for (auto [limit, count] : {std::pair<std::string_view, uint64_t>{"cpu", info.cpu_kills},
                                {"memory", info.memory_kills}, {"wall", info.wall_kills}}) {
      if (count > 0) AppendSample(&out, "atoll_limit_kills_total", {{"tenant", name}, {"limit", limit}}, static_cast<double>(count));
    }
    if (tenants_->Serving(i)) AppendSample(&heap, "atoll_heap_bytes", {{"tenant", name}}, static_cast<double>(info.heap_bytes));
  }
  out += heap;
  return out;
}

}  // namespace atl::server
