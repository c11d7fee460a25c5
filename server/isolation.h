#pragma once
// Isolation groups (README "Isolation groups"): a tenant with `isolation = "process"` runs in
// worker processes of its own, started by the supervisor (supervisor.h), which listen only on a
// loopback socket the supervisor opened for the group. The shared workers keep accepting every
// connection on the public listeners; a request they route to such a tenant is forwarded, as
// an HTTP/1.1 request with its absolute URL and original Host, to the group's loopback port, and
// the answer streamed back (IsolationForwarder). The isolated process serves only its tenant.
//
// The table (tenant -> port) comes from the supervisor: ATOLL_ISOLATION="name=port,..." at
// spawn, then the control message "isolation" whenever a tenant moves (admin API). An isolated
// process gets ATOLL_ISOLATED=<tenant>.
//
//   IsolationForwarder forwarder(loop);
//   if (forwarder.Elsewhere(name)) forwarder.Dispatch(id, forwarder.PortOf(name), request, sink);

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "server/http_client.h"
#include "server/response_sink.h"

namespace atl::server {

// "name=port,name=port" -> the map; malformed entries are skipped.
std::map<std::string, uint16_t, std::less<>> ParseIsolationTable(std::string_view text);
std::string FormatIsolationTable(const std::map<std::string, uint16_t, std::less<>>& table);

// One worker process's view of the isolation groups, and the forwarding of requests to them.
class IsolationForwarder {
 public:
  explicit IsolationForwarder(uv_loop_t* loop);
  ~IsolationForwarder();

  // The tenant this process is isolated for ("" in a shared worker).
  const std::string& own() const { return own_; }
  void set_own(std::string name) { own_ = std::move(name); }
  void set_table(std::map<std::string, uint16_t, std::less<>> table) { table_ = std::move(table); }
  const std::map<std::string, uint16_t, std::less<>>& table() const { return table_; }
  // Whether tenant `name` is not served by this process.
  bool Elsewhere(std::string_view name) const {
    return own_.empty() ? table_.contains(name) : name != own_;
  }
  // The loopback port of `name`'s group; 0 when it has none (an isolated process asking for
  // another tenant).
  uint16_t PortOf(std::string_view name) const {
    auto it = table_.find(name);
    return own_.empty() && it != table_.end() ? it->second : 0;
  }

  // Request `id` forwarded to `port`, answered into `sink` (valid until Forget).
  void Dispatch(uint64_t id, uint16_t port, const bindings::RequestView& request, ResponseSink* sink);
  bool Has(uint64_t id) const { return forwards_.contains(id); }
  bool PushUpload(uint64_t id, std::string_view bytes);
  void EndUpload(uint64_t id, std::string_view error);
  void ResumeResponse(uint64_t id);
  // The sink's owner is done with request `id`: an unfinished forward is cancelled.
  void Forget(uint64_t id);
  uint64_t forwarded() const { return forwarded_; }
  void Shutdown();

 private:
  class Forward;
  void Done(uint64_t id);

  HttpClient client_;
  std::string own_;
  std::map<std::string, uint16_t, std::less<>> table_;
  std::map<uint64_t, std::unique_ptr<Forward>> forwards_;
  uint64_t forwarded_ = 0;
};

// `isolation = "auto"`: a shared worker asks the supervisor to move the tenant to a process of
// its own once it killed it this many times in a row (TenantHealth's kill window, cpu or memory).
inline constexpr uint32_t kAutoIsolateAfterKills = 3;

// Tests: ATOLL_TEST_PID_HEADER=1 adds `x-atoll-pid: <pid of the process that answered>` to
// every response (response_writer.cc); off otherwise.
bool PidHeaderEnabled();

}  // namespace atl::server
