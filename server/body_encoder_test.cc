#include "server/body_encoder.h"

#include <gtest/gtest.h>

#include <string>

#include "server/test_codings.h"

namespace atl::server {
namespace {

std::string Decode(const std::string& coding, const std::string& coded, bool* ended) {
  return testing::DecodeBody(coding, coded, ended);
}

std::string Text() {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "line " + std::to_string(i % 37) + " of a body that repeats\n";
  return text;
}

TEST(BodyEncoder, KnowsGzipDeflateAndBrInAnyCaseAndNothingElse) {
  for (const char* coding : {"gzip", "GZip", " x-gzip ", "deflate", "br", "BR\t"}) {
    EXPECT_NE(BodyEncoder::For(coding), nullptr) << coding;
    EXPECT_TRUE(BodyEncoder::Knows(coding)) << coding;
  }
  for (const char* coding : {"", "identity", "gzip, br", "zstd", "compress", "brr"}) {
    EXPECT_EQ(BodyEncoder::For(coding), nullptr) << coding;
    EXPECT_FALSE(BodyEncoder::Knows(coding)) << coding;
  }
}

TEST(BodyEncoder, AWholeBodyRoundTripsSmaller) {
  std::string text = Text();
  for (std::string coding : {"gzip", "deflate", "br"}) {
    std::string coded = EncodeWhole(*BodyEncoder::For(coding), text);
    bool ended = false;
    EXPECT_EQ(Decode(coding, coded, &ended), text) << coding;
    EXPECT_TRUE(ended) << coding;
    EXPECT_LT(coded.size(), text.size() / 10) << coding;
  }
  bool ended = false;
  EXPECT_EQ(Decode("gzip", EncodeWhole(*BodyEncoder::For("gzip"), ""), &ended), "");
  EXPECT_TRUE(ended) << "an empty body is still a whole gzip stream";
}

TEST(BodyEncoder, EachFlushedChunkDecodesBeforeTheEnd) {
  // What a streamed response relies on: the client can decode every chunk as it arrives.
  for (std::string coding : {"gzip", "deflate", "br"}) {
    std::unique_ptr<BodyEncoder> encoder = BodyEncoder::For(coding);
    std::string coded;
    std::string sent;
    for (int i = 0; i < 3; ++i) {
      std::string chunk = "event " + std::to_string(i) + "\n";
      sent += chunk;
      encoder->Write(chunk, /*flush=*/true, &coded);
      bool ended = true;
      EXPECT_EQ(Decode(coding, coded, &ended), sent) << coding << " chunk " << i;
      EXPECT_FALSE(ended) << coding;
    }
    encoder->Finish(&coded);
    bool ended = false;
    EXPECT_EQ(Decode(coding, coded, &ended), sent) << coding;
    EXPECT_TRUE(ended) << coding;
  }
}

}  // namespace
}  // namespace atl::server
