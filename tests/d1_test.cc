// D1 databases ([tenants.d1], js/lazy/d1.js) through the real binary on 127.0.0.1, with two
// worker processes (a database is a Durable Object: calls from the process that does not run it
// are forwarded): concurrent inserts from 20 connections all land, each row once; migrations
// from a folder are applied in order once, and a new file is applied after a restart; writes
// survive kill -9; two tenants' databases of one name are apart; a project's wrangler.toml with
// [[d1_databases]] and its migrations folder runs unchanged.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

constexpr const char* kScript = R"JS(
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = (k) => url.searchParams.get(k);
    try {
      switch (url.pathname) {
        case "/add": {
          const r = await env.DB.prepare("INSERT INTO notes (body) VALUES (?)").bind(q("body")).run();
          return new Response(String(r.meta.last_row_id));
        }
        case "/count": return Response.json(await env.DB.prepare("SELECT count(*) AS n, count(DISTINCT body) AS d FROM notes").first());
        case "/migrations": return Response.json(await env.DB.prepare("SELECT name FROM d1_migrations ORDER BY id").raw());
        case "/columns": return Response.json((await env.DB.prepare("SELECT * FROM notes LIMIT 0").raw({ columnNames: true }))[0]);
      }
      return new Response("no route", { status: 404 });
    } catch (e) {
      return new Response(`${e.name}: ${e.message}`, { status: 500 });
    }
  },
};
)JS";

struct D1Project {
  TenantFixture fixture;
  std::string config;
  D1Project() {
    fixture.Write("d1.js", kScript);
    fixture.Write("migrations/0001_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n");
    fixture.Write("migrations/0002_created.sql",
                  "-- when\nALTER TABLE notes ADD COLUMN created TEXT;\nCREATE INDEX notes_body ON notes(body);\n");
    fixture.Write("migrations/README.md", "not a migration");
    config = fixture.WriteConfig("", R"(
[[tenants]]
name = "a"
script = "d1.js"
routes = ["a.test/*"]
[tenants.d1]
DB = { database = "notes-db", migrations = "migrations" }
[[tenants]]
name = "b"
script = "d1.js"
routes = ["b.test/*"]
[tenants.d1]
DB = { database = "notes-db", migrations = "migrations" }
)");
  }
};

const std::vector<std::string> kTwoWorkers = {"--workers", "2"};

TEST(D1, ConcurrentInsertsFromTwoProcessesAllLandOnce) {
  D1Project project;
  TestServer server(project.config, kTwoWorkers);
  ASSERT_TRUE(server.WaitForWorkersReady(2)) << server.log();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < 20; ++c) {
    threads.emplace_back([&server, &ok, c] {
      RawClient client(server.port());
      for (int i = 0; i < 10; ++i) {
        client.Send("GET /add?body=n" + std::to_string(c) + "-" + std::to_string(i) + " HTTP/1.1\r\nHost: a.test\r\n\r\n");
        if (client.ReadResponse().status == 200) ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(BodyFromTenant(server, "a", "/count"), R"({"n":200,"d":200})");
  EXPECT_EQ(BodyFromTenant(server, "b", "/count"), R"({"n":0,"d":0})");  // tenant b's "notes-db" is its own
  EXPECT_EQ(server.Stop(), 0);
}

TEST(D1, MigrationsAreAppliedInOrderOnceAndANewOneAfterARestart) {
  D1Project project;
  {
    TestServer server(project.config, kTwoWorkers);
    EXPECT_EQ(BodyFromTenant(server, "a", "/migrations"), R"([["0001_notes.sql"],["0002_created.sql"]])");
    EXPECT_EQ(BodyFromTenant(server, "a", "/columns"), R"(["id","body","created"])");
    EXPECT_EQ(BodyFromTenant(server, "a", "/add?body=kept"), "1");
    EXPECT_EQ(server.Stop(), 0);
  }
  project.fixture.Write("migrations/0003_tags.sql", "ALTER TABLE notes ADD COLUMN tags TEXT;\n");
  TestServer server(project.config, kTwoWorkers);
  EXPECT_EQ(BodyFromTenant(server, "a", "/migrations"), R"([["0001_notes.sql"],["0002_created.sql"],["0003_tags.sql"]])");
  EXPECT_EQ(BodyFromTenant(server, "a", "/columns"), R"(["id","body","created","tags"])");
  EXPECT_EQ(BodyFromTenant(server, "a", "/count"), R"({"n":1,"d":1})");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(D1, AFailingMigrationFailsTheCallsAndNothingOfItStays) {
  D1Project project;
  project.fixture.Write("migrations/0003_bad.sql", "ALTER TABLE notes ADD COLUMN half TEXT;\nCREATE TABLE broken (;\n");
  TestServer server(project.config);
  HttpResponse r = GetFrom(server.port(), "a.test", "/count");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("D1_ERROR: migration 0003_bad.sql failed"), std::string::npos) << r.body;
  // Fixed, it applies on the next call; the half of the bad one was rolled back.
  project.fixture.Write("migrations/0003_bad.sql", "ALTER TABLE notes ADD COLUMN half TEXT;\n");
  EXPECT_EQ(server.Stop(), 0);
  TestServer again(project.config);
  EXPECT_EQ(BodyFromTenant(again, "a", "/columns"), R"(["id","body","created","half"])");
  EXPECT_EQ(again.Stop(), 0);
}

TEST(D1, AcknowledgedWritesSurviveKillDashNine) {
  D1Project project;
  TestServer server(project.config, kTwoWorkers);
  for (int i = 1; i <= 20; ++i) ASSERT_EQ(BodyFromTenant(server, "a", "/add?body=w" + std::to_string(i)), std::to_string(i));
  ASSERT_TRUE(WaitFor([&] { return server.worker_pid(0) > 0 && server.worker_pid(1) > 0; }, std::chrono::seconds(5)));
  pid_t first = server.worker_pid(0), second = server.worker_pid(1);
  ASSERT_EQ(kill(first, SIGKILL), 0);
  ASSERT_EQ(kill(second, SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return server.worker_pid(0) != first && server.worker_pid(1) != second; },
                      std::chrono::seconds(10)));
  HttpResponse r;
  ASSERT_TRUE(WaitFor([&] { return (r = GetFrom(server.port(), "a.test", "/count")).status == 200; },
                      std::chrono::seconds(10)));
  EXPECT_EQ(r.body, R"({"n":20,"d":20})");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(D1, AWranglerProjectWithItsMigrationsFolderRunsUnchanged) {
  TenantFixture fixture;
  fixture.Write("project/src/index.js", kScript);
  fixture.Write("project/migrations/0001_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n");
  std::string wrangler = fixture.Write("project/wrangler.toml", R"(name = "notes"
main = "src/index.js"
compatibility_date = "2026-06-01"
[[d1_databases]]
binding = "DB"
database_name = "notes-prod"
database_id = "2c4a3a2e-8a0e-4c55-9f7c-1b3f1f0b7a11"
)");
  TestServer server("", {"--wrangler", wrangler, "--data-dir", (fixture.dir() / "data").string()});
  HttpResponse r = Get(server.port(), "/add?body=hello");
  EXPECT_EQ(r.status, 200) << r.body << server.log();
  EXPECT_EQ(r.body, "1");
  EXPECT_EQ(Get(server.port(), "/migrations").body, R"([["0001_notes.sql"]])");
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace atl::testing
