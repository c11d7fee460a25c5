// Unit tests of the native half of URL (bindings/url.{h,cc}): ada's parser and setters as the JS
// half sees them (the serialization and its component offsets), and the form-urlencoded parser.
// The conformance data runs through the server in tests/wpt_test.cc.
#include "bindings/url.h"

#include <gtest/gtest.h>

namespace atl::bindings {
namespace {

TEST(UrlTest, ParsesIntoTheSerializationAndItsComponents) {
  std::optional<ParsedUrl> url = ParseUrl("HTTP://u:p@EXAMPLE.com:8080/a/../b?x=1#frag", nullptr);
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->href, "http://u:p@example.com:8080/b?x=1#frag");
  const uint32_t* c = url->components;
  EXPECT_EQ(url->href.substr(0, c[0]), "http:");                     // protocol_end
  EXPECT_EQ(url->href.substr(c[0] + 2, c[1] - c[0] - 2), "u");       // username_end
  EXPECT_EQ(url->href.substr(c[1] + 1, c[2] - c[1] - 1), "p");       // host_start ("@")
  EXPECT_EQ(url->href.substr(c[2] + 1, c[3] - c[2] - 1), "example.com");  // host_end
  EXPECT_EQ(c[4], 8080u);                                            // port
  EXPECT_EQ(url->href.substr(c[5], c[6] - c[5]), "/b");              // pathname_start
  EXPECT_EQ(url->href.substr(c[6], c[7] - c[6]), "?x=1");            // search_start
  EXPECT_EQ(url->href.substr(c[7]), "#frag");                        // hash_start
  EXPECT_EQ(c[8], 0u);                                               // ada::scheme::HTTP
}

TEST(UrlTest, AbsentPartsAreOmitted) {
  std::optional<ParsedUrl> url = ParseUrl("https://example.com/", nullptr);
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->components[4], ParsedUrl::kOmitted);
  EXPECT_EQ(url->components[6], ParsedUrl::kOmitted);
  EXPECT_EQ(url->components[7], ParsedUrl::kOmitted);
  EXPECT_EQ(url->components[8], 2u);  // HTTPS
}

TEST(UrlTest, ResolvesAgainstABaseAndFails) {
  std::string_view base = "http://h/a/b/c";
  std::optional<ParsedUrl> url = ParseUrl("../x?y", &base);
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->href, "http://h/a/x?y");
  EXPECT_FALSE(ParseUrl("no scheme", nullptr).has_value());
  EXPECT_FALSE(ParseUrl("http://[::1", nullptr).has_value());
  std::string_view bad_base = "not a base";
  EXPECT_FALSE(ParseUrl("/relative", &bad_base).has_value());
  EXPECT_EQ(ParseUrl("http://B\xC3\xBC" "cher.example/", nullptr)->href, "http://xn--bcher-kva.example/");
}

TEST(UrlTest, SettersRunOnTheSerialization) {
  EXPECT_EQ(UpdateUrl("http://a/p?q#h", UrlPart::kSearch, "k=v w")->href, "http://a/p?k=v%20w#h");
  EXPECT_EQ(UpdateUrl("http://a/p?q#h", UrlPart::kSearch, "")->href, "http://a/p#h");
  EXPECT_EQ(UpdateUrl("http://a/p", UrlPart::kPort, "80")->href, "http://a/p");
  EXPECT_EQ(UpdateUrl("http://a/p", UrlPart::kHost, "b:81")->href, "http://b:81/p");
  EXPECT_EQ(UpdateUrl("http://a/p", UrlPart::kHref, "https://z/")->href, "https://z/");
  EXPECT_FALSE(UpdateUrl("http://a/p", UrlPart::kHref, "not a url").has_value());
  EXPECT_EQ(UpdateUrl("http://a/p", UrlPart::kProtocol, "mailto")->href, "http://a/p") << "special to non-special: ignored";
  EXPECT_FALSE(UpdateUrl("http://a/p", UrlPart::kHost, "a b").has_value()) << "a forbidden host code point";
  EXPECT_FALSE(UpdateUrl("not a url", UrlPart::kSearch, "x").has_value());
}

TEST(UrlTest, ParsesFormUrlencoded) {
  std::vector<std::string> expected = {"a", "1", "b", "A c", "d", "", "", "e", "%zz", "%4"};
  EXPECT_EQ(ParseUrlencoded("a=1&&b=%41+c&d&=e&%zz=%4&"), expected);
  EXPECT_EQ(ParseUrlencoded("x=%C3%A9=%"), (std::vector<std::string>{"x", "\xC3\xA9=%"}));
  EXPECT_TRUE(ParseUrlencoded("").empty());
  EXPECT_TRUE(ParseUrlencoded("&&").empty());
}

}  // namespace
}  // namespace atl::bindings
