#include "base/json_reader.h"

#include <gtest/gtest.h>

namespace atl::base {
namespace {

TEST(JsonReaderTest, ReadsEtcdShapes) {
  absl::StatusOr<JsonValue> doc = ParseJson(
      R"({"header":{"revision":"42"},"kvs":[{"key":"Zm9v","mod_revision":"7","value":"YmFy"}],"count":"1","more":false})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->Get("header")->Get("revision")->Int(), 42);
  ASSERT_EQ(doc->Get("kvs")->items.size(), 1u);
  EXPECT_EQ(doc->Get("kvs")->items[0].Get("key")->Str(), "Zm9v");
  EXPECT_EQ(doc->Get("kvs")->items[0].Get("mod_revision")->Int(), 7);
  EXPECT_FALSE(doc->Get("more")->boolean);
  EXPECT_EQ(doc->Get("absent"), nullptr);
}

TEST(JsonReaderTest, DecodesStringsAndKeepsRawSpans) {
  std::string text = R"( {"script":"a\"b\n\u00e9\ud83d\ude00","routes":["x/*", 1.5e3],"n":-3} )";
  absl::StatusOr<JsonValue> doc = ParseJson(text);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->Get("script")->Str(), "a\"b\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(doc->Get("routes")->raw, R"(["x/*", 1.5e3])");
  EXPECT_EQ(doc->Get("n")->Int(), -3);
  // Lone surrogates are not UTF-8: U+FFFD, as TextDecoder does.
  EXPECT_EQ(ParseJson(R"("\ud800x\udc00")")->Str(), "\xef\xbf\xbdx\xef\xbf\xbd");
}

TEST(JsonReaderTest, ErrorsNameTheLabelAndOffset) {
  absl::StatusOr<JsonValue> doc = ParseJson("[1, x]", "body");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message(), "body: unexpected character at offset 4");
}

TEST(JsonReaderTest, RefusesMalformed) {
  for (const char* bad : {"", "{", "{\"a\"}", "[1,]", "{\"a\":1} x", "\"\x01\"", "tru", "{\"a\":\"\\q\"}"}) {
    EXPECT_FALSE(ParseJson(bad).ok()) << bad;
  }
  std::string deep(100, '[');
  EXPECT_FALSE(ParseJson(deep + std::string(100, ']')).ok());
}

}  // namespace
}  // namespace atl::base
