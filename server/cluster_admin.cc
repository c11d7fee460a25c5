#include "server/cluster_admin.h"

#include "absl/container/flat_hash_map.h"
#include "base/json_reader.h"
#include "base/json_writer.h"
#include "base/log.h"
#include "base/strings.h"
#include "server/cluster_node.h"

namespace atl::server {
namespace {

// loaded/ is read every 10 ms for the first half second of a deploy's wait, then every 50 ms.
constexpr uint64_t kFastPollMs = 10, kPollMs = 50, kFastPollFor = 500;

std::string ErrorBody(std::string_view code, std::string_view message, int64_t revision = -1) {
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("error");
  w.String(code);
  w.Key("message");
  w.String(message);
  if (revision >= 0) {
    w.Key("revision");
    w.Int(revision);
  }
  w.EndObject();
  return out;
}

ClusterAdmin::Answer EtcdError(const absl::Status& status) {
  return {503, ErrorBody("control_plane_unavailable", base::ToStd(status.message()))};
}

}  // namespace

std::optional<int64_t> ParseIfMatch(std::string_view header) {
  if (header.starts_with("W/")) header.remove_prefix(2);
  if (header.size() >= 2 && header.front() == '"' && header.back() == '"') header = header.substr(1, header.size() - 2);
  uint64_t value = 0;
  if (header.empty() || !base::ParseUnsigned(header, &value)) return std::nullopt;
  return static_cast<int64_t>(value);
}

struct ClusterAdmin::Waiter {
  uv_timer_t timer;
  ClusterAdmin* admin;
  std::string name;
  int64_t revision;
  bool deleted;
  uint64_t deadline_ms;
  Done done;
  std::vector<std::string> behind, nodes;
  uint64_t started_ms = 0;
};

ClusterAdmin::ClusterAdmin(uv_loop_t* loop, const config::ClusterConfig& cluster)
    : loop_(loop),
      cluster_(cluster),
      keys_(cluster.prefix),
      etcd_(loop, EtcdClient::ParseUrl(cluster.etcd).value_or(EtcdClient::Endpoint{"127.0.0.1", 2379})) {}

ClusterAdmin::~ClusterAdmin() { Shutdown(); }

void ClusterAdmin::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  etcd_.Shutdown();
  for (Waiter* w : waiters_) uv_close(reinterpret_cast<uv_handle_t*>(&w->timer), [](uv_handle_t* h) { delete static_cast<Waiter*>(h->data); });
  waiters_.clear();
}

void ClusterAdmin::Deploy(const std::string& name, const config::SplitBody& body, std::optional<int64_t> if_match, Done done) {
  if (body.script.size() > config::kMaxClusterValue) {
    return done({413, ErrorBody("bundle_too_large", base::StrCat("the script is ", body.script.size(),
                                                                 " bytes; etcd takes values up to ", config::kMaxClusterValue,
                                                                 " bytes (its --max-request-bytes, 1.5 MiB by default)"))});
  }
  std::string hash = Sha256Hex(body.script);
  std::string record = config::EncodeTenantRecord({hash, body.spec});
  if (record.size() > config::kMaxClusterValue) {
    return done({413, ErrorBody("spec_too_large", base::StrCat("the tenant's settings are ", record.size(), " bytes; etcd takes up to ",
                                                               config::kMaxClusterValue))});
  }
  // The bundle first: a node that sees tenants/NAME finds its script.
  auto shared = std::make_shared<Done>(std::move(done));
  etcd_.Put(keys_.Bundle(hash), body.script, 0, [this, name, record, if_match, shared](absl::StatusOr<int64_t> put) {
    if (!put.ok()) return (*shared)(EtcdError(put.status()));
    if (!if_match) {
      return etcd_.Put(keys_.Tenant(name), record, 0, [this, name, shared](absl::StatusOr<int64_t> rev) {
        if (!rev.ok()) return (*shared)(EtcdError(rev.status()));
        Written(name, *rev, false, std::move(*shared));
      });
    }
    etcd_.PutIfModRevision(keys_.Tenant(name), record, *if_match, [this, name, if_match, shared](absl::StatusOr<EtcdClient::TxnResult> txn) {
      if (!txn.ok()) return (*shared)(EtcdError(txn.status()));
      if (!txn->succeeded) {
        int64_t current = txn->current ? txn->current->mod_revision : 0;
        return (*shared)({409, ErrorBody("conflict",
                                         base::StrCat("tenant ", name, " is at revision ", current, ", not ", *if_match,
                                                      ": read it again and deploy on top of it"),
                                         current)});
      }
      Written(name, txn->revision, false, std::move(*shared));
    });
  });
}

void ClusterAdmin::Written(const std::string& name, int64_t revision, bool deleted, Done done) {
  base::LogLine(base::LogLevel::kInfo, deleted ? "cluster: tenant deleted in etcd" : "cluster: tenant written to etcd")
      .Str("tenant", name)
      .Int("revision", revision)
      .Emit();
  auto* w = new Waiter{{}, this, name, revision, deleted, uv_now(loop_) + cluster_.deploy_timeout_ms, std::move(done), {}, {}};
  uv_timer_init(loop_, &w->timer);
  w->timer.data = w;
  w->started_ms = uv_now(loop_);
  waiters_.insert(w);
  Wait(w);
}

void ClusterAdmin::Delete(const std::string& name, Done done) {
  etcd_.DeleteRange(keys_.Tenant(name), "", [this, name, done = std::move(done)](absl::StatusOr<int64_t> rev) mutable {
    if (!rev.ok()) return done(EtcdError(rev.status()));
    Written(name, *rev, true, std::move(done));
  });
}

void ClusterAdmin::Wait(Waiter* w) {
  if (shut_down_) return;
  etcd_.Range(keys_.Nodes(), config::PrefixEnd(keys_.Nodes()), [this, w](absl::StatusOr<EtcdClient::RangeResult> nodes) {
    etcd_.Range(keys_.AllLoaded(), config::PrefixEnd(keys_.AllLoaded()), [this, w, nodes = std::move(nodes)](absl::StatusOr<EtcdClient::RangeResult> loaded) {
      if (nodes.ok() && loaded.ok()) {
        absl::flat_hash_map<std::string, int64_t> serving;  // node -> revision of this tenant
        for (const EtcdClient::KeyValue& kv : loaded->kvs) {
          std::string_view rest = config::ClusterKeys::After(kv.key, keys_.AllLoaded());
          size_t slash = rest.find('/');
          if (slash == std::string_view::npos || rest.substr(slash + 1) != w->name) continue;
          serving[std::string(rest.substr(0, slash))] = std::strtoll(kv.value.c_str(), nullptr, 10);
        }
        w->behind.clear();
        w->nodes.clear();
        for (const EtcdClient::KeyValue& kv : nodes->kvs) {
          std::string node(config::ClusterKeys::After(kv.key, keys_.Nodes()));
          w->nodes.push_back(node);
          auto it = serving.find(node);
          if (it == serving.end() || it->second < w->revision) w->behind.push_back(node);
        }
        if (w->behind.empty()) return Finish(w, {200, ""});
      }
      if (uv_now(loop_) >= w->deadline_ms) return Finish(w, {202, ""});
      uint64_t delay = uv_now(loop_) - w->started_ms < kFastPollFor ? kFastPollMs : kPollMs;
      uv_timer_start(&w->timer, [](uv_timer_t* t) { auto* w = static_cast<Waiter*>(t->data); w->admin->Wait(w); }, delay, 0);
    });
  });
}

void ClusterAdmin::Finish(Waiter* w, Answer answer) {
  std::string out;
  base::JsonWriter j(&out);
  j.BeginObject();
  j.Key("name");
  j.String(w->name);
  j.Key("revision");
  j.Int(w->revision);
  if (w->deleted) {
    j.Key("deleted");
    j.Bool(true);
  }
  j.EndObject();
  out.pop_back();
  auto list = [&out](std::string_view key, const std::vector<std::string>& names) {
    out += base::StrCat(",\"", key, "\":[");
    for (size_t i = 0; i < names.size(); ++i) out += base::StrCat(i ? "," : "", "\"", names[i], "\"");
    out += "]";
  };
  list("nodes", w->nodes);
  if (answer.status == 202) list("behind", w->behind);
  out += "}";
  answer.body = std::move(out);
  Done done = std::move(w->done);
  waiters_.erase(w);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->timer), [](uv_handle_t* h) { delete static_cast<Waiter*>(h->data); });
  done(std::move(answer));
}

void ClusterAdmin::Describe(Done done) {
  etcd_.Range(keys_.Nodes(), config::PrefixEnd(keys_.Nodes()), [this, done = std::move(done)](absl::StatusOr<EtcdClient::RangeResult> nodes) mutable {
    if (!nodes.ok()) return done(EtcdError(nodes.status()));
    etcd_.Range(keys_.AllLoaded(), config::PrefixEnd(keys_.AllLoaded()),
                [this, nodes = std::move(*nodes), done = std::move(done)](absl::StatusOr<EtcdClient::RangeResult> loaded) {
                  if (!loaded.ok()) return done(EtcdError(loaded.status()));
                  std::string out = base::StrCat("{\"revision\":", loaded->revision, ",\"nodes\":[");
                  for (size_t i = 0; i < nodes.kvs.size(); ++i) {
                    std::string node(config::ClusterKeys::After(nodes.kvs[i].key, keys_.Nodes()));
                    absl::StatusOr<config::NodeRecord> record = config::DecodeNodeRecord(nodes.kvs[i].value);
                    out += base::StrCat(i ? "," : "", "{\"name\":\"", node, "\"");
                    if (record.ok()) {
                      out += base::StrCat(",\"advertise\":\"", record->advertise, "\",\"cores\":", record->cores,
                                          ",\"memory_mb\":", record->memory_mb);
                    }
                    out += ",\"loaded\":{";
                    bool first = true;
                    for (const EtcdClient::KeyValue& kv : loaded->kvs) {
                      std::string_view tenant = config::ClusterKeys::After(kv.key, keys_.LoadedOf(node));
                      if (tenant.empty()) continue;
                      out += base::StrCat(first ? "" : ",", "\"", tenant, "\":", std::strtoll(kv.value.c_str(), nullptr, 10));
                      first = false;
                    }
                    out += "}}";
                  }
                  out += "]";
                  AddPlacements(std::move(out), std::move(done));
                });
  });
}

void ClusterAdmin::AddPlacements(std::string out, Done done) {
  // [control/leader, placements/...]: one range (it also spans load/, loaded/ and nodes/, skipped).
  etcd_.Range(keys_.ControlLeader(), config::PrefixEnd(keys_.Placements()),
              [this, out = std::move(out), done = std::move(done)](absl::StatusOr<EtcdClient::RangeResult> range) mutable {
    if (!range.ok()) return done(EtcdError(range.status()));
    std::string leader, placements;
    for (const EtcdClient::KeyValue& kv : range->kvs) {
      if (kv.key == keys_.ControlLeader()) {
        absl::StatusOr<base::JsonValue> doc = base::ParseJson(kv.value);
        if (const base::JsonValue* name = doc.ok() ? doc->Get("name") : nullptr) leader = name->text;
        continue;
      }
      std::string_view tenant = config::ClusterKeys::After(kv.key, keys_.Placements());
      absl::StatusOr<config::PlacementRecord> record = config::DecodePlacementRecord(kv.value);
      if (tenant.empty() || !record.ok()) continue;
      placements += base::StrCat(placements.empty() ? "" : ",", "\"", tenant, "\":[");
      for (size_t i = 0; i < record->nodes.size(); ++i) {
        placements += base::StrCat(i ? "," : "", "\"");
        base::AppendJsonEscaped(record->nodes[i], &placements);
        placements += "\"";
      }
      placements += "]";
    }
    out += ",\"leader\":\"";
    base::AppendJsonEscaped(leader, &out);
    out += base::StrCat("\",\"placements\":{", placements, "}}");
    done({200, std::move(out)});
  });
}

}  // namespace atl::server
