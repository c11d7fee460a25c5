// Durable Objects in a fleet (README.md "Durable Objects in a fleet", server/cluster_objects.h):
// three atoll nodes on 127.0.0.1 (two worker processes each, lease TTL 3 s) and one real etcd.
// A counter object is called through every node; each answer says which node ran the object
// (the stub's response carries the owner's `x-atoll-node` when the call crossed nodes); the
// admin API's GET /cluster/objects/T/CLASS/ID says what each node knows of the owner and the
// fencing token its fence hook returns. Owners are killed -9 and stopped (SIGSTOP) under calls.
// Bounded: ~60 s.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/etcd_fixture.h"
#include "tests/fleet_fixture.h"
#include "tests/postgres_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kLeaseTtlS = 3;

// GET /inc?name=N increments object N's count; the answer is {"n":COUNT,"via":OWNER_OR_NULL}.
constexpr char kScript[] = R"JS(
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  async fetch(request) {
    const n = ((await this.ctx.storage.get("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", n);
    return new Response(String(n));
  }
  ping() { return "pong"; }
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const id = env.COUNTER.idFromName(url.searchParams.get("name") ?? "a");
    if (url.pathname === "/id") return new Response(id.toString());
    const stub = env.COUNTER.get(id);
    if (url.pathname === "/rpc") return new Response(await stub.ping());
    let res;
    try {
      res = await stub.fetch("http://do/inc");
    } catch (e) {
      return Response.json({ status: e.status ?? 500, error: String(e) });
    }
    const text = await res.text();
    return Response.json({ n: Number(text), status: res.status, via: res.headers.get("x-atoll-node"),
                           error: res.status === 200 ? null : text });
  },
};
)JS";

struct Call {
  int status = 0;
  int n = 0;
  std::string owner;  // the node that ran the object
  std::string body;
};

// A JSON number or string field of a flat object ("" if absent or null).
std::string Field(const std::string& json, const std::string& name) {
  size_t at = json.find("\"" + name + "\":");
  if (at == std::string::npos) return "";
  at += name.size() + 3;
  if (json.compare(at, 4, "null") == 0) return "";
  if (json[at] == '"') return json.substr(at + 1, json.find('"', at + 1) - at - 1);
  size_t end = json.find_first_of(",}", at);
  return json.substr(at, end - at);
}

class ClusterObjectsTest : public ClusterSuite {
 protected:
  explicit ClusterObjectsTest(bool postgres = false) : ClusterSuite(postgres) {}
  void SetUp() override {
    ClusterSuite::SetUp();
    if (HasFatalFailure()) return;
    for (const char* name : {"a", "b", "c"}) {
      nodes_.push_back(std::make_unique<FleetNode>(name, root_, ClusterTable() + "lease_ttl_s = " + std::to_string(kLeaseTtlS) + "\n"));
    }
    for (auto& node : nodes_) node->Start();
    for (auto& node : nodes_) ASSERT_TRUE(node->Ready()) << node->server().log();
    std::string body = "{\"script\":" + JsonQuote(kScript) +
                       ",\"routes\":[\"t.test/*\"],\"durable_objects\":{\"COUNTER\":\"Counter\"}}";
    HttpResponse deployed = node(0).Admin("PUT", "/tenants/t", body);
    ASSERT_EQ(deployed.status, 200) << deployed.body;
  }
  void StopFleet() override {
    for (auto& node : nodes_) {
      if (node->up()) node->Signal(SIGCONT);
      node->Stop();
    }
  }
  FleetNode& node(int i) { return *nodes_[i]; }
  int IndexOf(const std::string& name) { return name.empty() ? -1 : name[0] - 'a'; }

  // One call of object `name` through node i (a call that crosses to a stopped node hangs: the
  // client gives up after `timeout`). status: the object's answer's (0: none).
  Call Inc(int i, const std::string& name, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    RawClient client(node(i).port());
    client.Send("GET /inc?name=" + name + " HTTP/1.1\r\nHost: t.test\r\n\r\n");
    HttpResponse r = client.ReadResponse(false, timeout);
    Call call;
    call.body = r.body;
    if (r.status != 200) {
      call.status = r.status;
      return call;
    }
    call.status = std::atoi(Field(r.body, "status").c_str());
    if (call.status != 200) return call;
    call.n = std::atoi(Field(r.body, "n").c_str());
    call.owner = Field(r.body, "via");
    if (call.owner.empty()) call.owner = r.Header("x-atoll-node");  // ran on the node called
    return call;
  }
  std::string IdOf(const std::string& name) { return node(0).Get("t.test", "/id?name=" + name).body; }
  // {"node","owner","fence","lease_valid"} as node i's admin API says about the object.
  std::string Info(int i, const std::string& id) { return node(i).Admin("GET", "/cluster/objects/t/Counter/" + id).body; }
  int64_t Fence(int i, const std::string& id) { return std::atoll(Field(Info(i, id), "fence").c_str()); }
  // The owner's fence once its admin worker saw the claim (the worker that made it may be the other).
  int64_t OwnerFence(int i, const std::string& id) {
    int64_t fence = 0;
    WaitFor([&] { return (fence = Fence(i, id)) > 0; }, std::chrono::seconds(2));
    return fence;
  }

  std::vector<std::unique_ptr<FleetNode>> nodes_;
};

// The same fleet with the objects' storage in PostgreSQL (server/pg_do_storage.h).
class ClusterObjectsOnPostgresTest : public ClusterObjectsTest {
 protected:
  ClusterObjectsOnPostgresTest() : ClusterObjectsTest(/*postgres=*/true) {}
};

// The owner node etcd's claim names ("" if none).
std::string OwnerInEtcd(const EtcdServer& etcd, const std::string& id) {
  std::string key = "/atoll/do/t/Counter/" + id;
  std::map<std::string, std::string> all = ReadEtcdPrefix(etcd, key);
  auto it = all.find(key);
  return it == all.end() ? "" : it->second;
}

TEST_F(ClusterObjectsTest, EveryNodeReachesTheOneOwner) {
  // 60 calls, 20 through each node, round robin: one owner, the count goes up by one each time
  // (each node's storage is its own here: two owners would count apart).
  std::string owner;
  for (int i = 0; i < 60; ++i) {
    Call call = Inc(i % 3, "x");
    ASSERT_EQ(call.status, 200) << call.body;
    if (owner.empty()) owner = call.owner;
    EXPECT_EQ(call.owner, owner) << "call " << i << " through " << "abc"[i % 3];
    EXPECT_EQ(call.n, i + 1) << call.body;
  }
  EXPECT_EQ(owner, "a");  // the node where it was called first claimed it
  // RPC too, from every node.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(node(i).Get("t.test", "/rpc?name=x").body, "pong");
  // Every node knows the same owner; the owner's fence hook returns the claim's revision, the
  // others' return 0.
  std::string id = IdOf("x");
  ASSERT_EQ(id.size(), 64u);
  EXPECT_EQ(OwnerInEtcd(etcd_, id), owner);
  int64_t token = OwnerFence(IndexOf(owner), id);
  EXPECT_GT(token, 0);
  for (int i = 0; i < 3; ++i) {
    std::string info = Info(i, id);
    EXPECT_EQ(Field(info, "owner"), owner) << info;
    EXPECT_EQ(Field(info, "fence"), i == IndexOf(owner) ? std::to_string(token) : "0") << info;
  }
  // Another object first called through c is c's, with a higher token.
  Call other = Inc(2, "y");
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(other.owner, "c");
  EXPECT_EQ(Inc(0, "y").owner, "c");
  EXPECT_GT(OwnerFence(2, IdOf("y")), token);
  // A client cannot pass for another node: the node-to-node path without the fleet's secret.
  HttpResponse forged = node(1).Get("t.test", "/__atoll_do/t/", "x-atoll-do-node: guess\r\nx-atoll-do: rpc Counter " + id + "\r\n");
  EXPECT_EQ(forged.status, 403) << forged.body;
  EXPECT_EQ(node(1).Get("any.test", "/__atoll_do/t/x").status, 403);  // nor a way around the routes
}

TEST_F(ClusterObjectsTest, KilledOwnerIsReplacedWithinTheLease) {
  std::string id = IdOf("k");
  ASSERT_EQ(Inc(1, "k").owner, "b");
  int64_t old_token = OwnerFence(1, id);
  ASSERT_GT(old_token, 0);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(Inc(i % 2 == 0 ? 0 : 2, "k").owner, "b");
  node(1).Kill9();
  Clock::time_point killed = Clock::now();
  // Calls from a and c until one succeeds on a survivor.
  Call call;
  int failed = 0;
  while (Clock::now() - killed < std::chrono::seconds(kLeaseTtlS + 8)) {
    call = Inc(failed % 2 == 0 ? 0 : 2, "k");
    if (call.status == 200) break;
    ++failed;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  double took_s = std::chrono::duration<double>(Clock::now() - killed).count();
  ASSERT_EQ(call.status, 200) << call.body;
  EXPECT_TRUE(call.owner == "a" || call.owner == "c") << call.owner;
  EXPECT_LE(took_s, kLeaseTtlS + 2.0) << failed << " calls failed before";
  std::printf("owner killed -9: a survivor owns the object %.2f s later (lease TTL %d s), %d calls failed meanwhile\n",
              took_s, kLeaseTtlS, failed);
  int owner = IndexOf(call.owner);
  int64_t new_token = OwnerFence(owner, id);
  EXPECT_GT(new_token, old_token);
  // Calls succeed again, from both survivors, on the one new owner.
  for (int i = 0; i < 10; ++i) {
    Call again = Inc(i % 2 == 0 ? 0 : 2, "k");
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.owner, call.owner);
  }
}

TEST_F(ClusterObjectsTest, StoppedOwnerIsFencedWhenItComesBack) {
  std::string id = IdOf("s");
  Call first = Inc(2, "s");
  ASSERT_EQ(first.owner, "c") << first.status << " " << first.body;
  int64_t old_token = OwnerFence(2, id);
  ASSERT_GT(old_token, 0);
  node(2).Signal(SIGSTOP);
  Clock::time_point stopped = Clock::now();
  Call call;
  while (Clock::now() - stopped < std::chrono::seconds(kLeaseTtlS + 8)) {
    call = Inc(0, "s", std::chrono::milliseconds(500));
    if (call.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(call.status, 200) << call.body;
  EXPECT_EQ(call.owner, "a");
  int64_t new_token = OwnerFence(0, id);
  EXPECT_GT(new_token, old_token);
  // C comes back believing nothing: at once its fence hook returns 0 for the object (a write
  // carrying its token would be refused), and no call is ever run there again.
  node(2).Signal(SIGCONT);
  std::string info = Info(2, id);
  EXPECT_EQ(Field(info, "fence"), "0") << info;
  EXPECT_NE(Field(info, "owner"), "c") << info;
  Clock::time_point back = Clock::now();
  int served = 0;
  while (Clock::now() - back < std::chrono::seconds(4)) {
    for (int i : {2, 1, 0}) {
      Call after = Inc(i, "s", std::chrono::seconds(2));
      EXPECT_NE(after.owner, "c") << after.body;  // c never answers as the owner again
      if (after.status == 200) {
        EXPECT_EQ(after.owner, "a") << after.body;
        ++served;
      }
    }
    EXPECT_EQ(Fence(2, id), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GT(served, 0);
  // Once c has a new lease, its calls reach a (it does not take the object back).
  ASSERT_TRUE(WaitFor([&] { return Inc(2, "s").owner == "a"; }, std::chrono::seconds(10)));
  EXPECT_EQ(Fence(0, id), new_token);
}

// Not a check: the cost of a call that crosses nodes next to one that does not (printed): the
// client's latency (alternating, same run) and the CPU time of the fleet's processes per call
// (utime + stime of every process of a, b and c, one phase after the other).
double FleetCpuMs(const std::vector<const FleetNode*>& nodes) {
  double ticks = 0;
  for (const FleetNode* node : nodes) {
    std::vector<pid_t> pids = {node->server().pid()};
    for (int i = 0; i < 2; ++i) pids.push_back(node->server().worker_pid(i));
    for (pid_t pid : pids) {
      std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
      std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      size_t close = stat.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream fields(stat.substr(close + 2));
      std::string field;
      for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14 || i == 15) ticks += std::atof(field.c_str());
      }
    }
  }
  return ticks * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

TEST_F(ClusterObjectsTest, ForwardCostIsPrinted) {
  ASSERT_EQ(Inc(0, "near").owner, "a");
  ASSERT_EQ(Inc(1, "far").owner, "b");
  std::vector<double> near, far;
  for (int i = 0; i < 300; ++i) {
    for (auto [name, out] : {std::pair<const char*, std::vector<double>*>{"near", &near}, {"far", &far}}) {
      Clock::time_point start = Clock::now();
      Call call = Inc(0, name);
      out->push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      ASSERT_EQ(call.status, 200) << call.body;
    }
  }
  std::sort(near.begin(), near.end());
  std::sort(far.begin(), far.end());
  std::vector<const FleetNode*> all = {&node(0), &node(1), &node(2)};
  double cpu[2] = {};
  for (int phase = 0; phase < 2; ++phase) {
    double before = FleetCpuMs(all);
    for (int i = 0; i < 500; ++i) ASSERT_EQ(Inc(0, phase == 0 ? "near" : "far").status, 200);
    cpu[phase] = (FleetCpuMs(all) - before) / 500;
  }
  double load[3] = {};
  getloadavg(load, 3);
  std::printf("object call through node a, median of 300 (fresh connection each, alternating): owned by a %.0f us, owned by b "
              "%.0f us (p90 %.0f / %.0f us); fleet CPU per call (500 each): %.3f ms / %.3f ms; load average %.2f\n",
              near[150], far[150], near[270], far[270], cpu[0], cpu[1], load[0]);
}

// Ownership and storage together: the object moves to a survivor when its owner is killed -9,
// under a higher fencing token, and goes on from the last acknowledged count, restored from
// PostgreSQL on a node that never ran it.
TEST_F(ClusterObjectsOnPostgresTest, AKilledOwnersObjectGoesOnFromItsLastAcknowledgedWriteElsewhere) {
  std::string id = IdOf("m");
  for (int i = 0; i < 15; ++i) {
    Call call = Inc(i == 0 ? 1 : i % 3, "m");
    ASSERT_EQ(call.status, 200) << call.body;
    ASSERT_EQ(call.owner, "b");
    ASSERT_EQ(call.n, i + 1);
  }
  int64_t old_token = OwnerFence(1, id);
  node(1).Kill9();
  Clock::time_point killed = Clock::now();
  Call call;
  while (Clock::now() - killed < std::chrono::seconds(kLeaseTtlS + 8)) {
    call = Inc(0, "m");
    if (call.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(call.status, 200) << call.body;
  EXPECT_TRUE(call.owner == "a" || call.owner == "c") << call.owner;
  EXPECT_EQ(call.n, 16) << "every acknowledged increment is there, nothing else";
  EXPECT_GT(OwnerFence(IndexOf(call.owner), id), old_token);
  for (int i = 0; i < 10; ++i) {
    Call again = Inc(i % 2 == 0 ? 0 : 2, "m");
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.owner, call.owner);
    EXPECT_EQ(again.n, 17 + i);
  }
}

}  // namespace
}  // namespace atl::testing
