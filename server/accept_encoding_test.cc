#include "server/accept_encoding.h"

#include <gtest/gtest.h>

namespace atl::server {
namespace {

TEST(AcceptEncoding, ListedCodingsAboveQZero) {
  EXPECT_EQ(AcceptedCodings(""), 0);
  EXPECT_EQ(AcceptedCodings("identity"), 0);
  EXPECT_EQ(AcceptedCodings("gzip"), kAcceptsGzip);
  EXPECT_EQ(AcceptedCodings("gzip, deflate, br"), kAcceptsGzip | kAcceptsDeflate | kAcceptsBr);
  EXPECT_EQ(AcceptedCodings("GZIP;q=1.0 ,BR ; q=0.5"), kAcceptsGzip | kAcceptsBr);
  EXPECT_EQ(AcceptedCodings("x-gzip"), kAcceptsGzip);
  EXPECT_EQ(AcceptedCodings("gzip;q=0, br"), kAcceptsBr);
  EXPECT_EQ(AcceptedCodings("gzip;q=0.000"), 0);
  EXPECT_EQ(AcceptedCodings("gzip;q=0.001"), kAcceptsGzip);
  EXPECT_EQ(AcceptedCodings("zstd, br"), kAcceptsBr);
}

TEST(AcceptEncoding, StarTakesWhatIsNotRefused) {
  EXPECT_EQ(AcceptedCodings("*"), kAcceptsGzip | kAcceptsDeflate | kAcceptsBr);
  EXPECT_EQ(AcceptedCodings("br;q=0, *"), kAcceptsGzip | kAcceptsDeflate);
  EXPECT_EQ(AcceptedCodings("*;q=0, gzip"), kAcceptsGzip);
}

TEST(AcceptEncoding, ACodingIsTakenByItsBit) {
  uint8_t taken = AcceptedCodings("gzip, br");
  EXPECT_TRUE(AcceptsCoding(taken, "gzip"));
  EXPECT_TRUE(AcceptsCoding(taken, " X-Gzip "));
  EXPECT_TRUE(AcceptsCoding(taken, "br"));
  EXPECT_FALSE(AcceptsCoding(taken, "deflate"));
  EXPECT_FALSE(AcceptsCoding(taken, "zstd"));
  EXPECT_FALSE(AcceptsCoding(taken, "gzip, br")) << "a list of codings is not one we make";
}

}  // namespace
}  // namespace atl::server
