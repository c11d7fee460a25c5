#include "server/admin_api.h"

#include <chrono>

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
  constexpr ::atl::limits::AdminLimits kAdmin;
  limits.max_buffered_output = kAdmin.max_buffered_output;
  limits.max_connections = kAdmin.max_connections;
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

std::string_view ContextName(const bindings::WorkerOptions& worker) {
  return worker.reuse_contexts ? "per_request_hardened" : worker.per_request_context ? "per_request" : "shared";
}

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
                   const Metrics* metrics, kv::KvRegistry* kv_stores, WorkerLink* link)
    : token_(std::move(token)),
      store_(store),
      tenants_(tenants),
      metrics_(metrics),
      kv_stores_(kv_stores),
      link_(link),
      server_(loop, AdminConnectionLimits(), this) {
  link_->set_query_handler([this](std::string_view question, WorkerLink::Reply reply) { Answer(question, std::move(reply)); });
}

void AdminApi::Dispatch(uint64_t id, int32_t, const bindings::RequestView& request, ResponseSink&) {
  std::string_view authorization, if_match;
  for (const auto& [name, value] : request.headers) {
    if (name == "authorization") authorization = value;
    if (name == "if-match") if_match = value;
  }
  std::string_view probe = base::UrlPath(request.url);
  if (probe == "/healthz" || probe == "/readyz") return Probe(id, request.method, probe);
  if (!BearerMatches(authorization, token_)) {
    RespondError(id, 401, "unauthorized", "Authorization: Bearer TOKEN required");
    return;
  }
  std::string_view path = base::UrlPath(request.url);
  constexpr std::string_view kScheduled = "/scheduled";
  // "/tenants/" NAME "/scheduled" (a tenant may itself be named "scheduled").
  if (path.size() > 9 + kScheduled.size() && path.substr(path.size() - kScheduled.size()) == kScheduled &&
      path.substr(0, 9) == "/tenants/") {
    return FireScheduled(id, request.method, path.substr(9, path.size() - 9 - kScheduled.size()),
                         ScheduledEvents::CronOfQuery(request.url));
  }
  if (request.body_streamed) {
    uploads_[id] = Upload{std::string(request.method), std::string(path), std::string(request.body), std::string(if_match)};
    return;
  }
  Handle(id, request.method, path, request.body, if_match);
}

bool AdminApi::PushUpload(uint64_t id, int32_t, std::string_view bytes) {
  auto it = uploads_.find(id);
  if (it != uploads_.end()) it->second.body.append(bytes);
  return true;
}

void AdminApi::EndUpload(uint64_t id, int32_t, std::string_view error) {
  auto it = uploads_.find(id);
  if (it == uploads_.end()) return;
  Upload upload = std::move(it->second);
  uploads_.erase(it);
  if (!error.empty()) {
    RespondError(id, 400, "bad_request", error);
    return;
  }
  Handle(id, upload.method, upload.path, upload.body, upload.if_match);
}

// POST /tenants/NAME/scheduled?cron=...: the tenant's scheduled handler runs now on this worker;
// the answer says how it ended.
void AdminApi::FireScheduled(uint64_t id, std::string_view method, std::string_view name, std::string cron) {
  if (method != "POST") return RespondError(id, 405, "method_not_allowed");
  int32_t index = ValidName(name) ? tenants_->Find(name) : -1;
  if (index < 0 || !tenants_->Serving(static_cast<uint32_t>(index))) return RespondError(id, 404, "no_tenant");
  double now_ms = static_cast<double>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  tenants_->scheduled().Fire(static_cast<uint32_t>(index), cron, now_ms, nullptr, 0,
                             [this, id, name = std::string(name), cron](bool ok, std::string_view error) {
                               std::string body;
                               base::JsonWriter w(&body);
                               w.BeginObject();
                               w.Key("tenant");
                               w.String(name);
                               w.Key("cron");
                               w.String(cron);
                               w.Key("outcome");
                               w.String(ok ? "ok" : "exception");
                               if (!ok) {
                                 w.Key("error");
                                 w.String(error);
                               }
                               w.EndObject();
                               Respond(id, ok ? 200 : 500, body);
                             });
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

void AdminApi::Probe(uint64_t id, std::string_view method, std::string_view path) {
  if (method != "GET" && method != "HEAD") return RespondError(id, 405, "method_not_allowed");
  if (path == "/healthz") {
    return link_->Ask("ping", [this, id](Answers answers) {
      size_t answering = answers.bodies.size() + 1;  // this worker too
      bool all = answering >= answers.workers;
      Respond(id, all ? 200 : 503, base::StrCat("{\"status\":\"", all ? "ok" : "degraded", "\",\"workers\":", answers.workers,
                                               ",\"answering\":", answering, "}"));
    });
  }
  // /readyz: every worker up and ready (worker 0, in cluster mode: synced with etcd).
  link_->Ask("ready", [this, id](Answers answers) {
    size_t ready = ready_ && !ready_() ? 0 : 1;
    for (const std::string& answer : answers.bodies) ready += answer == "ok" ? 1 : 0;
    bool all = ready >= answers.workers;
    Respond(id, all ? 200 : 503, base::StrCat("{\"status\":\"", all ? "ready" : "not_ready", "\",\"workers\":", answers.workers,
                                             ",\"ready\":", ready, ",\"cluster\":", cluster_ != nullptr ? "true" : "false", "}"));
  });
}

void AdminApi::Handle(uint64_t id, std::string_view method, std::string_view path, std::string_view body, std::string_view if_match) {
  if (path.starts_with("/cluster") && HandleCluster(id, method, path)) return;
  if (path == "/metrics") {
    if (method != "GET" && method != "HEAD") return RespondError(id, 405, "method_not_allowed");
    return link_->Ask("metrics", [this, id, local = RenderMetrics()](Answers answers) {
      std::vector<std::string_view> texts = {local};
      texts.insert(texts.end(), answers.bodies.begin(), answers.bodies.end());
      Respond(id, 200, SumPrometheusTexts(texts), "text/plain; version=0.0.4; charset=utf-8");
    });
  }
  if (path == "/tenants" || path == "/tenants/") {
    if (method != "GET") return RespondError(id, 405, "method_not_allowed");
    return RespondTenants(id, std::nullopt);
  }
  constexpr std::string_view kTenants = "/tenants/";
  if (path.substr(0, kTenants.size()) != kTenants) return RespondError(id, 404, "not_found");
  constexpr std::string_view kIsolation = "/isolation";  // (a tenant may itself be named "isolation")
  if (path.size() > kTenants.size() + kIsolation.size() && path.ends_with(kIsolation) &&
      ValidName(path.substr(kTenants.size(), path.size() - kTenants.size() - kIsolation.size()))) {
    return MoveTenant(id, method, path.substr(kTenants.size(), path.size() - kTenants.size() - kIsolation.size()), body);
  }
  std::string_view name = path.substr(kTenants.size());
  if (!ValidName(name)) return RespondError(id, 400, "bad_request", "tenant name must match [a-z0-9-]{1,63}");
  int32_t index = tenants_->Find(name);
  bool exists = index >= 0 && tenants_->Serving(static_cast<uint32_t>(index));
  if (method == "GET") {
    if (!exists) return RespondError(id, 404, "no_tenant");
    return RespondTenants(id, std::string(name));
  }
  if (method == "DELETE") {
    if (!exists) return RespondError(id, 404, "no_tenant");
    if (cluster_ != nullptr) {
      return cluster_->Delete(std::string(name), [this, id](ClusterAdmin::Answer a) { Respond(id, a.status, a.body); });
    }
    absl::Status removed = store_->Remove(name);
    if (!removed.ok()) return RespondError(id, 500, "storage_error", base::ToStd(removed.message()));
    tenants_->Remove(name);
    base::LogLine(base::LogLevel::kInfo, "tenant deleted").Str("tenant", name).Emit();
    return Propagate(id, name, base::StrCat("{\"name\":\"", name, "\",\"deleted\":true}"));
  }
  if (method == "PUT") return cluster_ != nullptr ? ClusterDeploy(id, name, body, if_match) : Deploy(id, name, body);
  RespondError(id, 405, "method_not_allowed");
}

void AdminApi::Propagate(uint64_t id, std::string_view name, std::string body) {
  // Every live worker, starting ones too: the answer means every worker serves the change.
  link_->AskAll(base::StrCat("reload ", name), [this, id, name = std::string(name), body = std::move(body)](Answers answers) {
    size_t failed = 0;
    for (const std::string& answer : answers.bodies) {
      if (answer == "ok") continue;
      ++failed;
      base::LogLine(base::LogLevel::kWarn, "a worker did not take the change").Str("tenant", name).Str("error", answer).Emit();
    }
    // A worker spawned after the question reads the store when it starts.
    if (answers.bodies.size() + 1 < answers.workers) {
      base::LogLine(base::LogLevel::kWarn, "a worker did not answer in time; it takes the change when it does")
          .Str("tenant", name)
          .Int("workers", answers.workers)
          .Int("answered", static_cast<int64_t>(answers.bodies.size() + 1))
          .Emit();
    }
    base::LogLine(base::LogLevel::kDebug, "change propagated")
        .Str("tenant", name)
        .Int("workers", answers.workers)
        .Int("answered", static_cast<int64_t>(answers.bodies.size() - failed + 1))
        .Emit();
    Respond(id, 200, body);
  });
}

void AdminApi::RespondTenants(uint64_t id, std::optional<std::string> name) {
  std::string question = name ? base::StrCat("stats ", *name) : std::string("stats");
  link_->Ask(question, [this, id, name = std::move(name)](Answers answers) {
    absl::flat_hash_map<std::string, TenantStats> others;
    for (const std::string& text : answers.bodies) AddTenantStats(text, &others);
    auto json = [&](uint32_t index) {
      TenantStats stats = LocalStats(index);
      if (auto it = others.find(tenants_->TenantName(index)); it != others.end()) stats.Add(it->second);
      return TenantJson(index, stats);
    };
    if (name) {
      int32_t index = tenants_->Find(*name);
      if (index < 0 || !tenants_->Serving(static_cast<uint32_t>(index))) return RespondError(id, 404, "no_tenant");
      return Respond(id, 200, json(static_cast<uint32_t>(index)));
    }
    std::string out = "{\"tenants\":[";
    bool first = true;
    for (uint32_t i = 0; i < tenants_->tenant_slots(); ++i) {
      if (!tenants_->Serving(i)) continue;
      if (!first) out.push_back(',');
      first = false;
      out += json(i);
    }
    out += "]}";
    Respond(id, 200, out);
  });
}

void AdminApi::CollectStats(std::function<void(absl::flat_hash_map<std::string, TenantStats>)> done) {
  link_->Ask("stats", [this, done = std::move(done)](Answers answers) {
    absl::flat_hash_map<std::string, TenantStats> sum;
    for (const std::string& text : answers.bodies) AddTenantStats(text, &sum);
    for (uint32_t i = 0; i < tenants_->tenant_slots(); ++i) {
      if (tenants_->Serving(i)) sum[tenants_->TenantName(i)].Add(LocalStats(i));
    }
    done(std::move(sum));
  });
}

void AdminApi::Answer(std::string_view question, WorkerLink::Reply reply) {
  if (question == "ping") return reply("ok");
  if (question == "ready") return reply(!ready_ || ready_() ? "ok" : "not_ready");
  if (question == "metrics") return reply(RenderMetrics());
  if (question == "stats" || question.starts_with("stats ")) {
    std::vector<std::pair<std::string, TenantStats>> stats;
    std::string_view only = question.size() > 6 ? question.substr(6) : std::string_view();
    for (uint32_t i = 0; i < tenants_->tenant_slots(); ++i) {
      if (!tenants_->Serving(i) || (!only.empty() && tenants_->TenantName(i) != only)) continue;
      stats.emplace_back(tenants_->TenantName(i), LocalStats(i));
    }
    return reply(SerializeTenantStats(stats));
  }
  if (question.starts_with("reload ")) return reply(ReloadTenant(question.substr(7)));
  reply("");
}

std::string AdminApi::ReloadTenant(std::string_view name) {
  // Not while another worker deploys: its commit removes the script of the version read here.
  TenantStore::Lock lock = store_->Exclusive();
  absl::StatusOr<TenantStore::Loaded> loaded = store_->LoadOne(name);
  if (!loaded.ok()) return std::string(base::ToStd(loaded.status().message()));
  if (!loaded->deleted.empty()) {
    tenants_->Remove(name);
    return "ok";
  }
  if (loaded->tenants.empty()) return "ok";  // never deployed: nothing to do
  int32_t index = tenants_->Find(name);
  if (index >= 0 && tenants_->Serving(static_cast<uint32_t>(index)) &&
      tenants_->Info(static_cast<uint32_t>(index)).spec->version == loaded->versions[0]) {
    return "ok";
  }
  TenantSpec spec = SpecOf(std::move(loaded->tenants[0]));
  spec.version = loaded->versions[0];
  spec.etag = loaded->etags[0];
  spec.revision = loaded->revisions[0];
  absl::Status deployed = BindResources(&spec, kv_stores_);
  if (deployed.ok()) deployed = tenants_->Deploy(std::move(spec), /*check_elsewhere=*/false);
  if (!deployed.ok()) return std::string(base::ToStd(deployed.message()));
  base::LogLine(base::LogLevel::kInfo, "tenant reloaded from data_dir").Str("tenant", name).Int("version", static_cast<int64_t>(loaded->versions[0])).Emit();
  return "ok";
}

absl::StatusOr<AdminApi::Deployed> AdminApi::DeployHere(std::string_view name, std::string_view body, uint64_t revision, int* status) {
  std::vector<std::string> known;
  for (uint32_t i = 0; i < tenants_->tenant_slots(); ++i) {
    if (tenants_->Serving(i)) known.push_back(tenants_->TenantName(i));
  }
  TenantStore::Lock lock = store_->Exclusive();
  absl::StatusOr<TenantStore::Staged> staged = store_->Stage(name, body, known, revision);
  if (!staged.ok()) {
    bool client = absl::IsInvalidArgument(staged.status()) || absl::IsNotFound(staged.status());
    *status = client ? 400 : 500;
    return client ? absl::InvalidArgumentError(staged.status().message()) : absl::InternalError(staged.status().message());
  }
  TenantSpec spec = SpecOf(std::move(staged->config));
  spec.version = staged->version;
  spec.etag = staged->etag;
  spec.revision = revision;
  absl::Status bound = BindResources(&spec, kv_stores_);
  if (bound.ok()) bound = tenants_->Deploy(std::move(spec));
  if (!bound.ok()) {
    store_->Discard(*staged);
    base::LogLine(base::LogLevel::kWarn, "deploy refused")
        .Str("tenant", name)
        .Str("error", base::ToStd(bound.message()))
        .Emit();
    *status = absl::IsResourceExhausted(bound) ? 503 : 400;
    return bound;
  }
  // Serving already; what the process restarts with is written last.
  absl::Status committed = store_->Commit(*staged);
  if (!committed.ok()) {
    *status = 500;
    return absl::InternalError(committed.message());
  }
  base::LogLine(base::LogLevel::kInfo, "tenant deployed")
      .Str("tenant", name)
      .Int("version", static_cast<int64_t>(staged->version))
      .Int("revision", static_cast<int64_t>(revision))
      .Str("etag", staged->etag)
      .Emit();
  return Deployed{staged->version, staged->etag};
}

void AdminApi::Deploy(uint64_t id, std::string_view name, std::string_view body) {
  int status = 500;
  absl::StatusOr<Deployed> deployed = DeployHere(name, body, 0, &status);
  if (!deployed.ok()) {
    std::string_view code = status == 400 ? "invalid_tenant" : status == 503 ? "overloaded" : "storage_error";
    return RespondError(id, status, code, base::ToStd(deployed.status().message()));
  }
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("name");
  w.String(name);
  w.Key("version");
  w.Int(static_cast<int64_t>(deployed->version));
  w.Key("etag");
  w.String(deployed->etag);
  w.EndObject();
  // isolation = "process" deployed for a tenant without a group, or the key given explicitly
  // and differing from where it runs: the supervisor moves it, then every worker reloads it.
  int32_t index = tenants_->Find(name);
  bool want = index >= 0 && tenants_->spec(static_cast<uint32_t>(index)).process_isolation;
  bool have = tenants_->isolation().table().contains(name);
  if (want != have && (want || body.find("\"isolation\"") != std::string_view::npos)) {
    return link_->Isolate(base::StrCat(name, want ? " process" : " shared"),
                          [this, id, name = std::string(name), out = std::move(out)](Answers) mutable {
                            Propagate(id, name, std::move(out));
                          });
  }
  Propagate(id, name, std::move(out));
}

void AdminApi::MoveTenant(uint64_t id, std::string_view method, std::string_view name, std::string_view body) {
  if (method != "POST" && method != "PUT") return RespondError(id, 405, "method_not_allowed");
  int32_t index = tenants_->Find(name);
  if (index < 0 || !tenants_->Serving(static_cast<uint32_t>(index))) return RespondError(id, 404, "no_tenant");
  std::string_view mode = body.find("\"process\"") != std::string_view::npos  ? "process"
                          : body.find("\"shared\"") != std::string_view::npos ? "shared"
                                                                               : "";
  if (mode.empty() || body.find("\"isolation\"") == std::string_view::npos) {
    return RespondError(id, 400, "bad_request", "expected {\"isolation\": \"process\"} or {\"isolation\": \"shared\"}");
  }
  link_->Isolate(base::StrCat(name, " ", mode), [this, id, name = std::string(name), mode](Answers answers) {
    if (answers.bodies.size() != 1 || answers.bodies[0] != "ok") {
      return RespondError(id, 503, "isolation_failed", answers.bodies.empty() ? "no answer from the supervisor" : answers.bodies[0]);
    }
    base::LogLine(base::LogLevel::kInfo, "tenant moved").Str("tenant", name).Str("isolation", mode).Emit();
    Respond(id, 200, base::StrCat("{\"name\":\"", name, "\",\"isolation\":\"", mode, "\"}"));
  });
}

std::string AdminApi::TenantJson(uint32_t index, const TenantStats& stats) const {
  TenantInfo info = tenants_->Info(index);
  const TenantSpec& spec = *info.spec;
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("name");
  w.String(spec.worker.tenant_name);
  w.Key("version");
  w.Int(static_cast<int64_t>(spec.version));
  w.Key("etag");
  w.String(spec.etag);
  if (spec.revision > 0) {
    w.Key("revision");
    w.Int(static_cast<int64_t>(spec.revision));
  }
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
                      ",\"context\":\"", ContextName(spec.worker), "\",\"isolation\":\"",
                      tenants_->Elsewhere(index) ? "process" : "shared", "\"}");
  out += base::StrCat(",\"stats\":{", stats.JsonMembers(), "}}");
  return out;
}

TenantStats AdminApi::LocalStats(uint32_t index) const {
  TenantInfo info = tenants_->Info(index);
  TenantRequestStats requests = metrics_->StatsOf(static_cast<int32_t>(index));
  TenantStats stats;
  stats.requests = requests.requests;
  stats.errors = requests.errors;
  stats.cpu_kills = info.cpu_kills;
  stats.memory_kills = info.memory_kills;
  stats.wall_kills = info.wall_kills;
  stats.isolates = info.live ? 1 : 0;
  stats.heap_bytes = info.heap_bytes;
  stats.cpu_ms = info.cpu_ms;
  return stats;
}

std::string AdminApi::RenderMetrics() const {
  std::string out;
  metrics_->RenderRequests(&out);
  out += "# HELP atoll_isolates Isolates of this process by state.\n# TYPE atoll_isolates gauge\n";
  AppendSample(&out, "atoll_isolates", {{"state", "live"}}, static_cast<double>(tenants_->live_isolates()));
  AppendSample(&out, "atoll_isolates", {{"state", "retiring"}}, static_cast<double>(tenants_->retiring_isolates()));
  AppendSample(&out, "atoll_isolates", {{"state", "spare"}}, static_cast<double>(tenants_->spare_isolates()));
  out += "# HELP atoll_isolate_creations_total Isolates made (ahead of time or on demand).\n"
         "# TYPE atoll_isolate_creations_total counter\n";
  AppendSample(&out, "atoll_isolate_creations_total", {}, static_cast<double>(tenants_->pool_stats().created));
  out += "# HELP atoll_limit_kills_total Isolates discarded or requests abandoned for a limit.\n"
         "# TYPE atoll_limit_kills_total counter\n";
  std::string heap = "# HELP atoll_heap_bytes V8 heap in use by a tenant's isolate.\n# TYPE atoll_heap_bytes gauge\n";
  std::string streams = "# HELP atoll_tenant_streams_snapshot 1 for a live tenant whose isolate is from the streams snapshot (streams preloaded).\n"
                        "# TYPE atoll_tenant_streams_snapshot gauge\n";
  std::string loads = "# HELP atoll_tenant_loads_total A tenant's isolate loaded on its request (a cold start) or ahead of it (prewarm).\n"
                      "# TYPE atoll_tenant_loads_total counter\n";
  // Deleted tenants' series are left out (Metrics::set_exported).
  for (uint32_t i = 0; i < tenants_->tenant_slots(); ++i) {
    if (!tenants_->Serving(i)) continue;
    TenantInfo info = tenants_->Info(i);
    const std::string& name = info.spec->worker.tenant_name;
    for (auto [limit, count] : {std::pair<std::string_view, uint64_t>{"cpu", info.cpu_kills},
                                {"memory", info.memory_kills}, {"wall", info.wall_kills}}) {
      if (count > 0) AppendSample(&out, "atoll_limit_kills_total", {{"tenant", name}, {"limit", limit}}, static_cast<double>(count));
    }
    AppendSample(&heap, "atoll_heap_bytes", {{"tenant", name}}, static_cast<double>(info.heap_bytes));
    if (info.streams_snapshot) AppendSample(&streams, "atoll_tenant_streams_snapshot", {{"tenant", name}}, 1);
    for (auto [on, count] : {std::pair<std::string_view, uint64_t>{"request", info.loads_on_request}, {"prewarm", info.prewarms}}) {
      if (count > 0) AppendSample(&loads, "atoll_tenant_loads_total", {{"tenant", name}, {"on", on}}, static_cast<double>(count));
    }
  }
  out += heap;
  out += streams;
  out += loads;
  out += "# HELP atoll_scheduled_total Scheduled events (cron triggers and fired by hand) by outcome.\n"
         "# TYPE atoll_scheduled_total counter\n";
  for (uint32_t i = 0; i < tenants_->tenant_slots(); ++i) {
    if (!tenants_->Serving(i)) continue;
    TenantInfo info = tenants_->Info(i);
    const std::string& name = info.spec->worker.tenant_name;
    for (auto [outcome, count] : {std::pair<std::string_view, uint64_t>{"ok", info.scheduled_ok},
                                  {"exception", info.scheduled_exception}}) {
      if (count > 0) AppendSample(&out, "atoll_scheduled_total", {{"tenant", name}, {"outcome", outcome}}, static_cast<double>(count));
    }
  }
  return out;
}

}  // namespace atl::server
