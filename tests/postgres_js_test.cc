// A real Workers project on a real PostgreSQL 15 (tests/postgres_fixture.h): npm postgres
// (postgres.js 3.4.10, pinned in package.json; tests/postgres_js/app.js) bundled at build time by
// esbuild as wrangler does (tests/hono/build.mjs), so its "workerd" build runs unchanged: TCP
// through cloudflare:sockets (a bare dynamic import), node:buffer, node:events, node:stream, and
// SCRAM-SHA-256 through crypto.subtle (PBKDF2, HMAC, SHA-256), since the role it logs in as has a
// password. As Cloudflare's docs write it, each request makes its own client (at most 5
// connections) and ends it with ctx.waitUntil(sql.end()).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "tests/postgres_fixture.h"
#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using std::chrono::milliseconds;

constexpr const char* kRole = "pgjs";
constexpr const char* kPassword = "p@ss:w/rd";
constexpr const char* kPasswordInUrl = "p%40ss%3Aw%2Frd";

// One PostgreSQL, its role "pgjs" proving its password with SCRAM-SHA-256, and one server with the
// same bundle as three tenants, each on its host: "app" (the port in outbound), "wrongpw" (the
// port in outbound, the wrong password), "closed" (the right URL, nothing in outbound).
class PostgresJs : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_.AddPasswordRole(kRole, kPassword);
    ASSERT_TRUE(pg_.Start()) << pg_.log();
    // PostgreSQL 15 gives no one CREATE on schema public but its owner.
    ASSERT_EQ(pg_.Psql(std::string("GRANT CREATE ON SCHEMA public TO ") + kRole), "GRANT\n");
    // Its logins are SCRAM-SHA-256: pg_hba.conf's first rule asks it of the role, whose password
    // is stored as a SCRAM verifier.
    ASSERT_EQ(pg_.Psql("SELECT auth_method || ' ' || array_to_string(user_name, ',') FROM pg_hba_file_rules "
                       "ORDER BY line_number LIMIT 1"),
              std::string("scram-sha-256 ") + kRole + "\n");
    ASSERT_EQ(pg_.Psql(std::string("SELECT split_part(rolpassword, chr(36), 1) FROM pg_authid WHERE rolname = '") +
                       kRole + "'"),
              "SCRAM-SHA-256\n");
    std::string port = std::to_string(pg_.port());
    std::string url = std::string("postgres://") + kRole + ":" + kPasswordInUrl + "@127.0.0.1:" + port + "/postgres";
    std::string wrong = std::string("postgres://") + kRole + ":wrong@127.0.0.1:" + port + "/postgres";
    // cpu_ms: a request here costs the tenant 20-50 ms of CPU on the build machine (measured:
    // at cpu_ms = 20 three of these tests hit cpu_limit, at 50 none): the first calls compile
    // postgres.js's functions, and each connection's SCRAM login is 4,096 PBKDF2 rounds. A
    // slower machine must not turn that into cpu_limit (Workers' paid plan allows 30 s).
    auto tenant = [&](const std::string& name, const std::string& outbound, const std::string& database_url,
                      const char* bundle = ATOLL_POSTGRES_JS_BUNDLE) {
      return "[[tenants]]\nname = \"" + name + "\"\nscript = \"" + bundle + "\"\nroutes = [\"" + name +
             ".test/*\"]\ncompatibility_flags = [\"nodejs_compat\"]\n" + outbound + "cpu_ms = 500\n[tenants.vars]\n" +
             "DATABASE_URL = \"" + database_url + "\"\n";
    };
    std::string outbound = "outbound = [\"127.0.0.1:" + port + "\"]\n";
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig(
        "", tenant("app", outbound, url) + tenant("wrongpw", outbound, wrong) + tenant("closed", "", url) +
                tenant("nodepg", outbound, url, ATOLL_NODE_POSTGRES_BUNDLE) +
                tenant("nodepgwrong", outbound, wrong, ATOLL_NODE_POSTGRES_BUNDLE)));
  }

  HttpResponse App(const std::string& path) const { return GetFrom(server_->port(), "app.test", path); }
  HttpResponse NodePg(const std::string& path) const { return GetFrom(server_->port(), "nodepg.test", path); }
  // The role's backends PostgreSQL has open (its client's connections).
  std::string Backends() const {
    return pg_.Psql(std::string("SELECT count(*) FROM pg_stat_activity WHERE usename = '") + kRole + "'");
  }

  PostgresServer pg_;
  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(PostgresJs, RowsInsertedAreSelectedByTheNextRequestsFreshClient) {
  HttpResponse setup = App("/setup");
  ASSERT_EQ(setup.status, 200) << setup.body << "\n" << server_->log();
  EXPECT_EQ(setup.body, R"({"ok":true})");

  HttpResponse ann = App("/insert?name=ann");
  EXPECT_EQ(ann.status, 200);
  EXPECT_EQ(ann.body, R"({"id":1,"name":"ann"})");
  HttpResponse bob = App("/insert?name=bob%20o'neil");  // a parameter, not SQL text
  EXPECT_EQ(bob.body, R"({"id":2,"name":"bob o'neil"})");
  EXPECT_EQ(pg_.Psql("SELECT name FROM people ORDER BY id"), "ann\nbob o'neil\n");

  // Each request's client is new, and ctx.waitUntil(sql.end()) closes its connection.
  for (int i = 0; i < 2; ++i) {
    HttpResponse select = App("/select");
    EXPECT_EQ(select.status, 200) << select.body;
    EXPECT_EQ(select.body, R"([{"id":1,"name":"ann"},{"id":2,"name":"bob o'neil"}])");
    std::string backends;
    EXPECT_TRUE(WaitFor([&] { return (backends = Backends()) == "0\n"; }, milliseconds(5000))) << backends;
  }
}

TEST_F(PostgresJs, ATransactionThatThrowsRollsBackAndOneThatReturnsCommits) {
  ASSERT_EQ(App("/setup").status, 200) << server_->log();
  ASSERT_EQ(App("/insert?name=ann").status, 200);
  HttpResponse tx = App("/tx");
  EXPECT_EQ(tx.status, 200);
  EXPECT_EQ(tx.body, R"({"rolledBack":"changed my mind","count":2,"names":["ann","committed"]})");
  EXPECT_EQ(pg_.Psql("SELECT count(*) FROM people WHERE name = 'rolled back'"), "0\n");
}

TEST_F(PostgresJs, ASyntaxErrorIsAPostgresErrorWithItsCode) {
  HttpResponse error = App("/error");
  EXPECT_EQ(error.status, 200) << server_->log();
  EXPECT_EQ(error.body,
            R"({"name":"PostgresError","isPostgresError":true,"code":"42601","message":"syntax error at or near \"selec\""})");
  // A constraint violation rejects the same way, and the next request on a new client still works.
  ASSERT_EQ(App("/setup").status, 200);
  ASSERT_EQ(App("/insert?name=ann").status, 200);
  HttpResponse duplicate = App("/insert?name=ann");
  EXPECT_EQ(duplicate.status, 500);
  EXPECT_EQ(duplicate.body,
            R"({"name":"PostgresError","code":"23505","message":"duplicate key value violates unique constraint \"people_name_key\""})");
  EXPECT_EQ(App("/select").body, R"([{"id":1,"name":"ann"}])");
}

TEST_F(PostgresJs, TenQueriesAtOnceRunOnTheClientsFiveConnections) {
  HttpResponse concurrent = App("/concurrent");
  EXPECT_EQ(concurrent.status, 200) << concurrent.body << "\n" << server_->log();
  EXPECT_EQ(concurrent.body, R"({"doubled":[0,2,4,6,8,10,12,14,16,18],"backends":5})");
  std::string backends;
  EXPECT_TRUE(WaitFor([&] { return (backends = Backends()) == "0\n"; }, milliseconds(5000)))
      << backends << ": sql.end() in waitUntil closes all five";
}

TEST_F(PostgresJs, TypesRoundTrip) {
  // Numbers, int8 as a string (postgres.js's default), numeric as a string, json, a timestamptz as
  // a Date, int[] and text[] (fetch_types on: the array types are read first), null, UTF-8, bytea.
  HttpResponse types = App("/types");
  EXPECT_EQ(types.status, 200) << server_->log();
  EXPECT_EQ(types.body,
            R"({"int":42,"float":-1.5,"big":"9007199254740993","bigType":"string","num":"12.5","yes":true,)"
            R"("nothing":null,"doc":{"a":[1,"two",null],"b":{"c":true}},"at":"2024-02-29T12:34:56.789Z",)"
            R"("ints":[1,2,3],"texts":["x","y,z","é"],"unicode":"héllo ✓","bytes":"0001feff"})");
}

TEST_F(PostgresJs, AWrongPasswordFailsScramWithPostgresCode28P01) {
  HttpResponse wrong = GetFrom(server_->port(), "wrongpw.test", "/select");
  EXPECT_EQ(wrong.status, 500) << server_->log();
  EXPECT_EQ(wrong.body, R"({"name":"PostgresError","code":"28P01","message":"password authentication failed for user \"pgjs\""})");
}

TEST_F(PostgresJs, ATenantWithoutThePortInOutboundIsRefused) {
  HttpResponse refused = GetFrom(server_->port(), "closed.test", "/select");
  EXPECT_EQ(refused.status, 500) << server_->log();
  EXPECT_NE(refused.body.find("refused"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("outbound"), std::string::npos) << refused.body;
  // Its neighbour, with the port in outbound, reaches the same PostgreSQL.
  EXPECT_EQ(App("/setup").status, 200);
  EXPECT_EQ(App("/select").body, "[]");
}

// npm pg (node-postgres), the driver Cloudflare's Hyperdrive pages start with, in the same
// server: CommonJS bundled as wrangler does, on cloudflare:sockets through pg-cloudflare.
TEST_F(PostgresJs, NodePostgresQueriesThroughTheSameSockets) {
  HttpResponse ann = NodePg("/insert?name=ann");
  ASSERT_EQ(ann.status, 200) << ann.body << "\n" << server_->log();
  EXPECT_EQ(ann.body, R"({"id":1,"name":"ann"})");
  EXPECT_EQ(NodePg("/insert?name=o'neil").body, R"({"id":2,"name":"o'neil"})");
  EXPECT_EQ(NodePg("/select").body, R"([{"id":1,"name":"ann"},{"id":2,"name":"o'neil"}])");
  EXPECT_EQ(pg_.Psql("SELECT name FROM pg_people ORDER BY id"), "ann\no'neil\n");
  EXPECT_EQ(NodePg("/tx").body, R"({"count":0})");
  EXPECT_EQ(NodePg("/error").body, R"({"name":"error","code":"42601","message":"syntax error at or near \"selec\""})");
  // node-postgres's own parsing: int8 as a string, jsonb parsed, a Date, text[], bytea as a Buffer.
  EXPECT_EQ(NodePg("/types").body,
            R"({"int":42,"big":"9007199254740993","doc":{"a":[1,"two"]},"at":"2024-02-29T12:34:56.789Z",)"
            R"("texts":["x","y,z"],"bytes":[0,255]})");
  std::string backends;
  EXPECT_TRUE(WaitFor([&] { return (backends = Backends()) == "0\n"; }, milliseconds(5000)))
      << backends << ": client.end() in waitUntil closes the connection";
  HttpResponse wrong = GetFrom(server_->port(), "nodepgwrong.test", "/select");
  EXPECT_EQ(wrong.status, 500);
  EXPECT_EQ(wrong.body, R"({"name":"error","code":"28P01","message":"password authentication failed for user \"pgjs\""})");
}

}  // namespace
}  // namespace atl::testing
