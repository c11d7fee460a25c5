#include "server/body_encoder.h"

#include <brotli/decode.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <string>

namespace atl::server {
namespace {

// Decodes gzip or zlib (auto-detected) as far as it goes; `ended` says whether the stream ended.
std::string Inflate(const std::string& coded, bool* ended) {
  z_stream z{};
  inflateInit2(&z, 15 + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(coded.data()));
  z.avail_in = static_cast<uInt>(coded.size());
  std::string out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    char buf[4096];
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_SYNC_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // all given so far is out
  }
  *ended = rc == Z_STREAM_END;
  inflateEnd(&z);
  return out;
}

std::string Unbrotli(const std::string& coded, bool* ended) {
  BrotliDecoderState* state = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
  size_t avail_in = coded.size();
  const auto* next_in = reinterpret_cast<const uint8_t*>(coded.data());
  std::string out;
  BrotliDecoderResult result = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT;
  while (result == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
    uint8_t buf[4096];
    size_t avail_out = sizeof buf;
    uint8_t* next_out = buf;
    result = BrotliDecoderDecompressStream(state, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    out.append(reinterpret_cast<char*>(buf), sizeof buf - avail_out);
  }
  *ended = result == BROTLI_DECODER_RESULT_SUCCESS;
  BrotliDecoderDestroyInstance(state);
  return out;
}

std::string Decode(const std::string& coding, const std::string& coded, bool* ended) {
  return coding == "br" ? Unbrotli(coded, ended) : Inflate(coded, ended);
}

std::string Text() {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "line " + std::to_string(i % 37) + " of a body that repeats\n";
  return text;
}

TEST(BodyEncoder, KnowsGzipDeflateAndBrInAnyCaseAndNothingElse) {
  for (const char* coding : {"gzip", "GZip", " x-gzip ", "deflate", "br", "BR\t"}) {
    EXPECT_NE(BodyEncoder::For(coding), nullptr) << coding;
  }
  for (const char* coding : {"", "identity", "gzip, br", "zstd", "compress", "brr"}) {
    EXPECT_EQ(BodyEncoder::For(coding), nullptr) << coding;
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
  EXPECT_EQ(Inflate(EncodeWhole(*BodyEncoder::For("gzip"), ""), &ended), "");
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
