// Router::Match with 10 vs 10,000 (and 100,000) routes, half `tN.example.com/*`, half `*/tN/*`.
// The number of hash probes per lookup does not depend on the number of routes: *Hot (one request
// over and over) stays flat; the others cycle through every route, so at 100,000 routes they also
// measure cache misses. Run: build-*/bench/router_benchmark
#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "config/route_pattern.h"
#include "server/router.h"

namespace atl::server {
namespace {

using base::StrCat;

Router MakeRouter(int routes) {
  Router router;
  for (int i = 0; i < routes; ++i) {
    std::string text = i % 2 == 0 ? StrCat("t", i, ".example.com/*") : StrCat("*/t", i, "/*");
    (void)router.Add(*config::ParseRoutePattern(text), static_cast<uint32_t>(i));
  }
  return router;
}

// Requests spread over every route: host routes are hit by Host (mixed case, with a port),
// path routes by path under a host that has no route of its own.
std::vector<std::pair<std::string, std::string>> MakeRequests(int routes, bool by_host) {
  std::vector<std::pair<std::string, std::string>> requests;
  for (int i = by_host ? 0 : 1; i < routes; i += 2) {
    if (by_host) requests.emplace_back(StrCat("T", i, ".Example.com:8080"), "/some/path/here");
    else requests.emplace_back("www.unrouted.example.org", StrCat("/t", i, "/some/path/here"));
  }
  return requests;
}

void Run(benchmark::State& state, bool by_host, bool hot = false) {
  const int routes = static_cast<int>(state.range(0));
  Router router = MakeRouter(routes);
  auto requests = MakeRequests(routes, by_host);
  if (hot) requests.resize(1);
  size_t i = 0;
  for (auto _ : state) {
    const auto& [host, path] = requests[i];
    benchmark::DoNotOptimize(router.Match(host, path));
    if (++i == requests.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_MatchByHost(benchmark::State& state) { Run(state, true); }
void BM_MatchByPath(benchmark::State& state) { Run(state, false); }
void BM_MatchByHostHot(benchmark::State& state) { Run(state, true, /*hot=*/true); }
void BM_MatchByPathHot(benchmark::State& state) { Run(state, false, /*hot=*/true); }

BENCHMARK(BM_MatchByHost)->Arg(10)->Arg(10000)->Arg(100000);
BENCHMARK(BM_MatchByPath)->Arg(10)->Arg(10000)->Arg(100000);
BENCHMARK(BM_MatchByHostHot)->Arg(10)->Arg(10000)->Arg(100000);
BENCHMARK(BM_MatchByPathHot)->Arg(10)->Arg(10000)->Arg(100000);

}  // namespace
}  // namespace atl::server
