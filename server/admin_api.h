#pragma once
// The admin API of SPEC §5 on its own listener (`admin_listen`): deploy, list, inspect and
// delete tenants, Prometheus metrics and a health check. It has its own HttpServer and answers
// every request itself, never through a tenant. Every request needs
// `Authorization: Bearer TOKEN` (compared in constant time); else 401.
//
//   AdminApi admin(loop, {token, data_dir / "tenants"}, &tenants, &metrics, &kv_stores);
//   admin.Listen(address);

#include <uv.h>

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "kv/kv_store.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/tenant_manager.h"
#include "server/tenant_store.h"

namespace atl::server {

class AdminApi : public RequestSink {
 public:
  // Deploy bodies over this get 413.
  static constexpr uint64_t kMaxBody = 5ull << 20;

  AdminApi(uv_loop_t* loop, std::string token, TenantStore* store, TenantManager* tenants, const Metrics* metrics,
           kv::KvRegistry* kv_stores);

  absl::StatusOr<std::string> Listen(const config::ListenAddress& address) { return server_.Listen(address); }
  void Shutdown() { server_.Shutdown(); }

  // RequestSink
  RouteDecision Route(std::string_view host, std::string_view path) override { return {0, kMaxBody}; }
  void Dispatch(uint64_t id, int32_t target, const bindings::RequestView& request) override;
  bool PushUpload(uint64_t id, std::string_view bytes) override;
  void EndUpload(uint64_t id, std::string_view error) override;
  void Forget(uint64_t id, bool aborted) override { uploads_.erase(id); }

 private:
  struct Upload {
    std::string method, path;
    std::string body;
  };

  void Handle(uint64_t id, std::string_view method, std::string_view path, std::string_view body);
  void Respond(uint64_t id, int status, std::string_view body, std::string_view content_type = "application/json");
  void RespondError(uint64_t id, int status, std::string_view code, std::string_view message = {});
  void Deploy(uint64_t id, std::string_view name, std::string_view body);
  std::string TenantJson(uint32_t index) const;
  std::string RenderMetrics() const;

  std::string token_;
  TenantStore* store_;
  TenantManager* tenants_;
  const Metrics* metrics_;
  kv::KvRegistry* kv_stores_;
  HttpServer server_;
  absl::flat_hash_map<uint64_t, Upload> uploads_;  // requests whose body is streamed
};

// Whether `header` is "Bearer TOKEN" for `token`, in time independent of where they differ.
bool BearerMatches(std::string_view header, std::string_view token);

}  // namespace atl::server
