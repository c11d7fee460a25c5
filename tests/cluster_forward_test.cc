// Placements and forwarding end to end (README.md "Placements and forwarding"): three atoll
// nodes on 127.0.0.1 (two worker processes each) and one real etcd (tests/etcd_fixture.h).
// Placements are written straight into etcd (PREFIX placements/TENANT), as `atoll control` would;
// every check is a request to a node's listener (the `x-atoll-node` header says who ran the
// handler) or its admin API's /metrics. Bounded: ~40 s.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "bindings/base64.h"
#include "tests/etcd_fixture.h"
#include "tests/fleet_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {


// Echoes what it saw: GET answers the URL and the headers as JSON; POST /echo answers the body;
// /stream answers 40 chunks of 16 KB from a ReadableStream.
constexpr char kScript[] = R"JS(export default { async fetch(req) {
  const url = new URL(req.url);
  if (url.pathname === '/echo') return new Response(await req.arrayBuffer());
  if (url.pathname === '/stream') {
    let i = 0;
    const chunk = new Uint8Array(16384).fill(97);
    return new Response(new ReadableStream({ pull(c) { if (i++ < 40) c.enqueue(chunk); else c.close(); } }));
  }
  return new Response(JSON.stringify({ url: req.url, headers: [...req.headers] }));
} })JS";

// One node of the fleet (tests/fleet_fixture.h) and what these tests ask it about tenant t.
class Node : public FleetNode {
 public:
  Node(const std::string& name, const std::string& etcd_url, const std::string& root)
      : FleetNode(name, root, "etcd = \"" + etcd_url + "\"\n") {}
  HttpResponse GetT(const std::string& path, const std::string& extra = "") const { return Get("t.test", path, extra); }
  // The node that served tenant t's GET / here (on fresh connections: every worker; they must agree).
  std::string ServedBy() const {
    return Agreed("t.test", [](const HttpResponse& r) { return r.status == 200 ? r.Header("x-atoll-node") : "HTTP " + std::to_string(r.status); });
  }
};

class ClusterForwardTest : public ClusterSuite {
 protected:
  void SetUp() override {
    ClusterSuite::SetUp();
    if (HasFatalFailure()) return;
    for (const char* name : {"a", "b", "c"}) nodes_.push_back(std::make_unique<Node>(name, etcd_.url(), root_));
    for (auto& node : nodes_) node->Start();
    for (auto& node : nodes_) ASSERT_TRUE(node->Ready()) << node->server().log();
    for (const char* tenant : {"t", "u"}) {
      std::string body = "{\"script\":" + JsonQuote(kScript) + ",\"routes\":[\"" + tenant + ".test/*\"]}";
      HttpResponse deployed = node(0).Admin("PUT", std::string("/tenants/") + tenant, body);
      ASSERT_EQ(deployed.status, 200) << deployed.body;
    }
  }
  void StopFleet() override {
    for (auto& node : nodes_) node->Stop();
  }
  Node& node(int i) { return *nodes_[i]; }
  void Place(const std::string& tenant, const std::string& nodes_json) {
    std::string key = bindings::Base64Encode("/atoll/placements/" + tenant);
    std::string value = bindings::Base64Encode("{\"nodes\":" + nodes_json + ",\"controller\":\"test\"}");
    ASSERT_NE(etcd_.Post("/v3/kv/put", "{\"key\":\"" + key + "\",\"value\":\"" + value + "\"}").find("revision"), std::string::npos);
  }

  std::vector<std::unique_ptr<Node>> nodes_;
};

// The value of `atoll_forwards_total{outcome="OUTCOME"}` in node's /metrics (0: absent).
int Forwards(const Node& node, const std::string& outcome) {
  std::string metrics = node.Admin("GET", "/metrics").body;
  std::string sample = "atoll_forwards_total{outcome=\"" + outcome + "\"} ";
  size_t at = metrics.find(sample);
  return at == std::string::npos ? 0 : std::atoi(metrics.c_str() + at + sample.size());
}

TEST_F(ClusterForwardTest, RequestsGoToThePlacedNode) {
  // No placement: every node serves it itself.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(node(i).ServedBy(), std::string(1, "abc"[i]));
  Place("t", "[\"b\"]");
  ASSERT_TRUE(WaitFor([&] { return node(0).ServedBy() == "b" && node(2).ServedBy() == "b"; }, std::chrono::seconds(5)));
  EXPECT_EQ(node(1).ServedBy(), "b");
  EXPECT_EQ(node(0).GetT("/").Header("x-atoll-node"), "b");
  // What the tenant on B sees of a forwarded request: the client's Host and URL, no loop guard.
  HttpResponse seen = node(0).GetT("/path?q=1", "X-Custom: yes\r\n");
  ASSERT_EQ(seen.status, 200);
  EXPECT_NE(seen.body.find("\"url\":\"http://t.test/path?q=1\""), std::string::npos) << seen.body;
  EXPECT_NE(seen.body.find("[\"x-custom\",\"yes\"]"), std::string::npos) << seen.body;
  EXPECT_EQ(seen.body.find("x-atoll-forwarded"), std::string::npos) << seen.body;
  {
    RawClient client(node(0).port());
    client.Send("HEAD / HTTP/1.1\r\nHost: t.test\r\n\r\n");
    HttpResponse head = client.ReadResponse(/*head_request=*/true);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.Header("x-atoll-node"), "b");
    EXPECT_EQ(head.body, "");
    client.Send("GET / HTTP/1.1\r\nHost: t.test\r\n\r\n");  // the connection goes on after it
    EXPECT_EQ(client.ReadResponse().Header("x-atoll-node"), "b");
  }
  // Not placed elsewhere: u is still served where the request lands.
  EXPECT_EQ(GetFrom(node(2).port(), "u.test", "/").Header("x-atoll-node"), "c");

  // The loop guard: a request forwarded by a node (it carries the fleet secret) is served here,
  // and the tenant sees neither header.
  std::map<std::string, std::string> secret = ReadEtcdPrefix(etcd_, "/atoll/do-secret");
  ASSERT_EQ(secret.size(), 1u);
  ASSERT_EQ(secret.begin()->second.size(), 64u);
  for (int i = 0; i < 4; ++i) {
    HttpResponse guarded =
        node(0).GetT("/", "X-Atoll-Forwarded: z\r\nX-Atoll-Forward-Token: " + secret.begin()->second + "\r\n");
    ASSERT_EQ(guarded.status, 200);
    EXPECT_EQ(guarded.Header("x-atoll-node"), "a");
    EXPECT_EQ(guarded.body.find("x-atoll-forward"), std::string::npos) << guarded.body;
  }
  // A client's own loop guard, without the secret or with a wrong one, is not honoured (the
  // request goes to the placed node as any other) and is taken out before the tenant sees it.
  for (const std::string& forged : {std::string("X-Atoll-Forwarded: z\r\n"),
                                    "X-Atoll-Forwarded: z\r\nX-Atoll-Forward-Token: " + std::string(64, '0') + "\r\n",
                                    std::string("X-Atoll-Forwarded: b\r\nX-Atoll-Forward-Token: \r\n")}) {
    HttpResponse forwarded = node(0).GetT("/", forged);
    ASSERT_EQ(forwarded.status, 200);
    EXPECT_EQ(forwarded.Header("x-atoll-node"), "b") << forged;
    EXPECT_EQ(forwarded.body.find("x-atoll-forward"), std::string::npos) << forwarded.body;
  }

  // A 1 MB body both ways through the hop (a streamed upload), and a streamed response.
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7 + i / 1000) % 26);
  for (int n : {0, 2}) {
    RawClient client(node(n).port());
    client.Send("POST /echo HTTP/1.1\r\nHost: t.test\r\nContent-Length: " + std::to_string(big.size()) + "\r\n\r\n" + big);
    HttpResponse echoed = client.ReadResponse(false, std::chrono::seconds(20));
    ASSERT_EQ(echoed.status, 200);
    EXPECT_EQ(echoed.Header("x-atoll-node"), "b");
    EXPECT_EQ(echoed.body.size(), big.size());
    EXPECT_TRUE(echoed.body == big) << "the body changed on the way";
    client.Send("POST /echo HTTP/1.1\r\nHost: t.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    HttpResponse chunked = client.ReadResponse();
    EXPECT_EQ(chunked.body, "hello world");
    EXPECT_EQ(chunked.Header("x-atoll-node"), "b");
  }
  HttpResponse streamed = node(2).GetT("/stream");
  ASSERT_EQ(streamed.status, 200);
  EXPECT_EQ(streamed.Header("x-atoll-node"), "b");
  EXPECT_TRUE(streamed.chunked);
  EXPECT_EQ(streamed.body, std::string(40 * 16384, 'a'));

  EXPECT_GE(Forwards(node(0), "forwarded"), 10);
  EXPECT_EQ(Forwards(node(0), "fallback"), 0);
  EXPECT_EQ(Forwards(node(1), "forwarded"), 0);
  // 8 keep-alive clients at once through A: the pool serves them all, every answer from B.
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      RawClient client(node(c % 2 == 0 ? 0 : 2).port());
      for (int i = 0; i < 100; ++i) {
        client.Send("GET /?c=" + std::to_string(c) + " HTTP/1.1\r\nHost: t.test\r\n\r\n");
        HttpResponse r = client.ReadResponse();
        if (r.status == 200 && r.Header("x-atoll-node") == "b" && r.body.find("?c=" + std::to_string(c)) != std::string::npos) ++good;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(good, 800);

  // The cost of the hop: median of 1,000 keep-alive GETs through A against 1,000 straight to B.
  auto median_us = [](int port) {
    RawClient client(port);
    std::vector<double> us;
    for (int i = 0; i < 1000; ++i) {
      auto start = std::chrono::steady_clock::now();
      client.Send("GET / HTTP/1.1\r\nHost: t.test\r\n\r\n");
      HttpResponse r = client.ReadResponse();
      if (r.status != 200) return -1.0;
      us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    }
    std::nth_element(us.begin(), us.begin() + 500, us.end());
    return us[500];
  };
  double direct = median_us(node(1).port());
  double forwarded = median_us(node(0).port());
  ASSERT_GT(direct, 0);
  ASSERT_GT(forwarded, 0);
  std::printf("forward hop: median %.0f us forwarded (A -> B) vs %.0f us direct (B), +%.0f us\n", forwarded, direct,
              forwarded - direct);
  RecordProperty("forwarded_median_us", static_cast<int>(forwarded));
  RecordProperty("direct_median_us", static_cast<int>(direct));
}

TEST_F(ClusterForwardTest, KillNineOfThePlacedNodeLosesNoRequest) {
  Place("t", "[\"b\"]");
  ASSERT_TRUE(WaitFor([&] { return node(0).ServedBy() == "b" && node(2).ServedBy() == "b"; }, std::chrono::seconds(5)));
  std::atomic<int> sent{0}, failed{0}, served_by_b{0};
  std::string first_failure;
  std::thread load([&] {
    for (int i = 0; i < 200; ++i) {
      HttpResponse r = (i % 2 == 0 ? node(0) : node(2)).GetT("/");
      if (r.status != 200 && failed++ == 0) first_failure = std::to_string(r.status) + " " + r.body;
      if (r.Header("x-atoll-node") == "b") ++served_by_b;
      ++sent;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  ASSERT_TRUE(WaitFor([&] { return sent >= 50; }, std::chrono::seconds(10)));
  node(1).Kill9();  // every process of B, with -9: its lease lives on for up to 3 s
  load.join();
  EXPECT_EQ(failed, 0) << first_failure;
  EXPECT_GE(served_by_b, 40);
  EXPECT_LT(served_by_b, 200);
  // B was still in nodes/ (its lease outlives it by up to 3 s): the forwards failed and fell back.
  EXPECT_TRUE(node(0).server().WaitForLog("cluster: forward failed; serving the request here"));
  EXPECT_TRUE(node(2).server().WaitForLog("cluster: forward failed; serving the request here"));
  EXPECT_GE(Forwards(node(0), "fallback") + Forwards(node(2), "fallback"), 1);
  EXPECT_EQ(Forwards(node(0), "failed") + Forwards(node(2), "failed"), 0);
  EXPECT_EQ(node(0).ServedBy(), "a");  // the fallback: served where it lands
  EXPECT_EQ(node(2).ServedBy(), "c");
}

TEST_F(ClusterForwardTest, AStreamedUploadIsServedHereWhenTheForwardFails) {
  // A node in nodes/ that nobody listens for (port 1 refuses): every forward to it fails.
  std::string key = bindings::Base64Encode("/atoll/nodes/ghost");
  std::string value = bindings::Base64Encode("{\"advertise\":\"127.0.0.1:1\",\"cores\":1,\"memory_mb\":1}");
  ASSERT_NE(etcd_.Post("/v3/kv/put", "{\"key\":\"" + key + "\",\"value\":\"" + value + "\"}").find("revision"), std::string::npos);
  Place("t", "[\"ghost\"]");
  ASSERT_TRUE(WaitFor([&] { return node(0).GetT("/").status == 200 && Forwards(node(0), "fallback") >= 2; }, std::chrono::seconds(5)));
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 13 + i / 4096) % 26);
  for (int round = 0; round < 2; ++round) {
    int before = Forwards(node(0), "fallback");
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the ghost is tried again
    RawClient client(node(0).port());
    client.Send("POST /echo HTTP/1.1\r\nHost: t.test\r\nContent-Length: " + std::to_string(big.size()) + "\r\n\r\n" + big);
    HttpResponse echoed = client.ReadResponse(false, std::chrono::seconds(20));
    ASSERT_EQ(echoed.status, 200) << echoed.body.substr(0, 200);
    EXPECT_EQ(echoed.Header("x-atoll-node"), "a");
    EXPECT_EQ(echoed.body.size(), big.size());
    EXPECT_TRUE(echoed.body == big) << "the replayed body changed";
    EXPECT_GT(Forwards(node(0), "fallback"), before) << "the upload was not forwarded first";
  }
  EXPECT_EQ(Forwards(node(0), "failed"), 0);
}

// The value of `atoll_tenant_loads_total{tenant="NAME",on="ON"}` in node's /metrics (0: absent).
int Loads(const Node& node, const std::string& tenant, const std::string& on) {
  std::string metrics = node.Admin("GET", "/metrics").body;
  std::string sample = "atoll_tenant_loads_total{tenant=\"" + tenant + "\",on=\"" + on + "\"} ";
  size_t at = metrics.find(sample);
  return at == std::string::npos ? 0 : std::atoi(metrics.c_str() + at + sample.size());
}

TEST_F(ClusterForwardTest, PlacedTenantIsWarmBeforeItsFirstRequest) {
  Place("t", "[\"c\"]");
  // A restarted node serves its tenants from data_dir, loaded on their first request, unless
  // they are placed on it.
  node(2).Stop();
  node(2).Start();
  ASSERT_TRUE(node(2).Ready()) << node(2).server().log();
  ASSERT_TRUE(WaitFor([&] { return Loads(node(2), "t", "prewarm") == 2; }, std::chrono::seconds(5)))
      << node(2).Admin("GET", "/metrics").body;
  EXPECT_EQ(node(2).ServedBy(), "c");
  EXPECT_EQ(GetFrom(node(2).port(), "u.test", "/").status, 200);
  EXPECT_EQ(Loads(node(2), "t", "request"), 0) << "t's first requests compiled it";
  EXPECT_GE(Loads(node(2), "u", "request"), 1) << "u is not placed on c: cold";
  EXPECT_EQ(Loads(node(2), "u", "prewarm"), 0);
}

}  // namespace
}  // namespace atl::testing
