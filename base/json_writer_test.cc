#include "base/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>

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

// Double() writes what printf's "%.3f" writes (access log lines, metrics), for values short and
// long enough to leave its fast path.
TEST(JsonWriter, DoubleMatchesPrintfWithThreeDecimals) {
  for (double value : {0.0, -0.0, 0.0005, 0.0015, 0.1049, 1.5, 2.675, 123.4565, -7.25, 1e15 + 0.3, 1e25, -3e40,
                       1.7976931348623157e308, 4.9e-324, 0.0625, 0.0005000000000000001, -0.0004, 1.0005,
                       999999999999999.9, 1e15, 1e15 - 0.125, 18446744073709.551, 0.9995, 9.9995}) {
    std::string out;
    JsonWriter w(&out);
    w.Double(value);
    char expected[400];
    std::snprintf(expected, sizeof(expected), "%.3f", value);
    EXPECT_EQ(out, expected) << value;
  }
  // Many more: durations in ms as the access log writes them, exact ties (k/8), and any bits.
  std::mt19937_64 random(18);
  for (int i = 0; i < 200000; ++i) {
    double value;
    switch (i % 3) {
      case 0: value = std::uniform_real_distribution<double>(0, 100000)(random); break;
      case 1: value = static_cast<double>(random() % 100000000) / 8 * (random() % 2 ? 1 : -1); break;
      default: {
        uint64_t bits = random();
        std::memcpy(&value, &bits, sizeof value);
        if (!std::isfinite(value)) continue;
      }
    }
    std::string out;
    JsonWriter w(&out);
    w.Double(value);
    char expected[400];
    std::snprintf(expected, sizeof(expected), "%.3f", value);
    ASSERT_EQ(out, expected) << std::hexfloat << value;
  }
  std::string out;
  JsonWriter w(&out);
  w.Double(std::numeric_limits<double>::infinity());
  EXPECT_EQ(out, "null");
}

}  // namespace
}  // namespace atl::base
