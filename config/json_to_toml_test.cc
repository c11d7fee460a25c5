#include "config/json_to_toml.h"

#include <gtest/gtest.h>

namespace atl::config {
namespace {

TEST(TenantJsonToToml, KeysBecomeTomlAndTheScriptIsTakenOut) {
  std::string script;
  std::vector<std::string> services;
  absl::StatusOr<std::string> toml = TenantJsonToToml(
      R"({"script": "export default {}\n// \u00e9 \"q\" \/", "routes": ["a.com/*"], "memory_mb": 32,
          "vars": {"K": "v\tw"}, "services": {"AUTH": "auth"}, "per": true})",
      &script, &services);
  ASSERT_TRUE(toml.ok()) << toml.status();
  EXPECT_EQ(script, "export default {}\n// \xc3\xa9 \"q\" /");
  EXPECT_EQ(*toml, "\"routes\" = [\"a.com/*\"]\n\"memory_mb\" = 32\n\"vars\" = { \"K\" = \"v\\tw\" }\n"
                   "\"services\" = { \"AUTH\" = \"auth\" }\n\"per\" = true\n");
  EXPECT_EQ(services, std::vector<std::string>{"auth"});
}

TEST(TenantJsonToToml, RejectsMalformedBodies) {
  std::string script;
  for (const char* bad : {"", "[]", "{\"script\": 1}", "{\"routes\": []}", "{\"script\": \"x\", \"a\": null}",
                          "{\"script\": \"x\"} x", "{\"script\": \"x\",}", "{\"script\": \"\\q\"}"}) {
    EXPECT_FALSE(TenantJsonToToml(bad, &script, nullptr).ok()) << bad;
  }
  // A D1 database's migrations folder would be read from the server's disk.
  absl::StatusOr<std::string> d1 =
      TenantJsonToToml(R"({"script": "x", "d1": {"DB": {"database": "d", "migrations": "/etc"}}})", &script, nullptr);
  ASSERT_FALSE(d1.ok());
  EXPECT_NE(d1.status().message().find("body: d1.DB.migrations: not accepted in a deploy"), std::string_view::npos);
  EXPECT_TRUE(TenantJsonToToml(R"({"script": "x", "d1": {"DB": "d", "E": {"database": "e"}}})", &script, nullptr).ok());
  // So would a static assets folder (any, by an absolute path).
  absl::StatusOr<std::string> assets = TenantJsonToToml(R"({"script": "x", "assets": {"directory": "/etc"}})", &script, nullptr);
  ASSERT_FALSE(assets.ok());
  EXPECT_NE(assets.status().message().find("body: assets: not accepted in a deploy"), std::string_view::npos);
}

TEST(TenantJsonToToml, DecodesEscapesToUtf8) {
  std::string script;
  // One, two, three and four UTF-8 bytes; a lone surrogate becomes U+FFFD.
  absl::StatusOr<std::string> toml = TenantJsonToToml(
      R"({"script": "\u0041\u00e9\u20ac\ud83d\ude00\udc00", "k": "\u0001"})", &script, nullptr);
  ASSERT_TRUE(toml.ok()) << toml.status();
  EXPECT_EQ(script, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbd");
  EXPECT_EQ(*toml, "\"k\" = \"\\u0001\"\n");
  EXPECT_FALSE(TenantJsonToToml(R"({"script": "\ud83dx\u"})", &script, nullptr).ok());
}

TEST(TenantJsonToToml, WasmIsTakenOutAsPathsOrBytes) {
  std::string script;
  std::vector<DeployWasm> wasm;
  absl::StatusOr<std::string> toml =
      TenantJsonToToml(R"({"script": "1", "wasm": {"A": "a.wasm", "B": {"base64": "AGFzbQ=="}}})", &script, nullptr, &wasm);
  ASSERT_TRUE(toml.ok()) << toml.status();
  EXPECT_EQ(*toml, "");
  ASSERT_EQ(wasm.size(), 2u);
  EXPECT_EQ(wasm[0].path, "a.wasm");
  EXPECT_FALSE(wasm[0].inline_bytes);
  EXPECT_EQ(wasm[1].bytes, std::string("\0asm", 4));
  EXPECT_TRUE(wasm[1].inline_bytes);
}

TEST(AppendTomlString, EscapesQuotesAndControls) {
  std::string out;
  AppendTomlString("a\"b\\c\n\x7f", &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u007f\"");
}

}  // namespace
}  // namespace atl::config
