#pragma once
// Decoding gzip, deflate (zlib) and br bodies in tests, to check what the server coded
// (body_encoder_test.cc, tests/content_encoding_test.cc). Test-only; link zlib and brotlidec.

#include <brotli/decode.h>
#include <zlib.h>

#include <cstdint>
#include <string>

namespace atl::server::testing {

// Decodes `coded` as far as it goes (`coding` "br", else gzip or zlib, told apart by zlib);
// `ended`: the coded stream ended, with nothing after it.
inline std::string DecodeBody(const std::string& coding, const std::string& coded, bool* ended) {
  std::string out;
  if (coding == "br") {
    BrotliDecoderState* state = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
    size_t avail_in = coded.size();
    const auto* next_in = reinterpret_cast<const uint8_t*>(coded.data());
    BrotliDecoderResult result = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT;
    while (result == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
      uint8_t buf[16384];
      size_t avail_out = sizeof buf;
      uint8_t* next_out = buf;
      result = BrotliDecoderDecompressStream(state, &avail_in, &next_in, &avail_out, &next_out, nullptr);
      out.append(reinterpret_cast<char*>(buf), sizeof buf - avail_out);
    }
    BrotliDecoderDestroyInstance(state);
    *ended = result == BROTLI_DECODER_RESULT_SUCCESS && avail_in == 0;
    return out;
  }
  z_stream z{};
  inflateInit2(&z, 15 + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(coded.data()));
  z.avail_in = static_cast<uInt>(coded.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    char buf[16384];
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_SYNC_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) break;  // all given so far is out
  }
  *ended = rc == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  return out;
}

// A whole coded body decoded, or "<not whole>" if it does not end where it should.
inline std::string DecodeWhole(const std::string& coding, const std::string& coded) {
  bool ended = false;
  std::string out = DecodeBody(coding, coded, &ended);
  return ended ? out : "<not whole>";
}

}  // namespace atl::server::testing
