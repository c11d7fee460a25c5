#include "base/json_writer.h"

#include <gtest/gtest.h>

namespace atl::base {
namespace {

std::string Escape(std::string_view s) {
  std::string out;
  AppendJsonEscaped(s, &out);
  return out;
}

TEST(JsonEscape, QuotesBackslashesAndControls) {
  EXPECT_EQ(Escape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(Escape("line\nnext\ttab\r"), "line\\nnext\\ttab\\r");
  EXPECT_EQ(Escape(std::string_view("\x01\x1f\x7f", 3)), "\\u0001\\u001f\\u007f");
}

TEST(JsonEscape, KeepsValidUtf8AndReplacesInvalid) {
  EXPECT_EQ(Escape("h\xC3\xA9llo \xF0\x9F\x98\x80"), "h\xC3\xA9llo \xF0\x9F\x98\x80");
  EXPECT_EQ(Escape("bad \xC3 end"), "bad \xEF\xBF\xBD end");
  EXPECT_EQ(Escape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(Escape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");              // overlong
}

TEST(JsonWriter, WritesNestedObjectsWithCommas) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("error");
  w.String("bad_request");
  w.Key("n");
  w.Int(-3);
  w.Key("inner");
  w.BeginObject();
  w.Key("ok");
  w.Bool(true);
  w.EndObject();
  w.Key("ms");
  w.Double(1.5);
  w.EndObject();
  EXPECT_EQ(out, R"({"error":"bad_request","n":-3,"inner":{"ok":true},"ms":1.500})");
}

}  // namespace
}  // namespace atl::base
