#include "server/body_encoder.h"

#include <brotli/encode.h>
#include <zlib.h>

#include "server/accept_encoding.h"

namespace atl::server {
namespace {

// zlib level 5 and brotli quality 4: the usual choice for bodies made per request (nginx's
// gzip_comp_level is 1-6 in practice; brotli 4 is what CDNs use on the fly): most of the ratio of
// the higher levels at a fraction of their CPU.
constexpr int kZlibLevel = 5;
constexpr uint32_t kBrotliQuality = 4;
// A 1 MB window (brotli's default is 4 MB): what a long streamed response holds per connection.
constexpr uint32_t kBrotliWindowBits = 20;
constexpr size_t kOutStep = 16 * 1024;

// gzip or deflate (the zlib format) through zlib's deflate.
class ZlibEncoder final : public BodyEncoder {
 public:
  explicit ZlibEncoder(bool gzip) {
    ok_ = deflateInit2(&z_, kZlibLevel, Z_DEFLATED, gzip ? 15 + 16 : 15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~ZlibEncoder() override {
    if (ok_) deflateEnd(&z_);
  }
  bool ok() const { return ok_; }

  void Write(std::string_view bytes, bool flush, std::string* out) override {
    if (!bytes.empty() || flush) Run(bytes, flush ? Z_SYNC_FLUSH : Z_NO_FLUSH, out);
  }
  void Finish(std::string* out) override { Run({}, Z_FINISH, out); }

 private:
  void Run(std::string_view bytes, int mode, std::string* out) {
    if (!ok_ || done_) return;
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z_.avail_in = static_cast<uInt>(bytes.size());
    for (;;) {
      size_t start = out->size();
      out->resize(start + kOutStep);
      z_.next_out = reinterpret_cast<Bytef*>(out->data() + start);
      z_.avail_out = static_cast<uInt>(kOutStep);
      int rc = deflate(&z_, mode);
      out->resize(out->size() - z_.avail_out);
      if (rc == Z_STREAM_END) {
        done_ = true;
        return;
      }
      // Done with this call once zlib took everything and left room: it has nothing more to give.
      if (rc != Z_OK && rc != Z_BUF_ERROR) return;
      if (z_.avail_in == 0 && z_.avail_out != 0) return;
    }
  }

  z_stream z_{};
  bool ok_ = false;
  bool done_ = false;
};

class BrotliEncoder final : public BodyEncoder {
 public:
  BrotliEncoder() : state_(BrotliEncoderCreateInstance(nullptr, nullptr, nullptr)) {
    if (state_ == nullptr) return;
    BrotliEncoderSetParameter(state_, BROTLI_PARAM_QUALITY, kBrotliQuality);
    BrotliEncoderSetParameter(state_, BROTLI_PARAM_LGWIN, kBrotliWindowBits);
  }
  ~BrotliEncoder() override {
    if (state_ != nullptr) BrotliEncoderDestroyInstance(state_);
  }
  bool ok() const { return state_ != nullptr; }

  void Write(std::string_view bytes, bool flush, std::string* out) override {
    if (!bytes.empty() || flush) Run(bytes, flush ? BROTLI_OPERATION_FLUSH : BROTLI_OPERATION_PROCESS, out);
  }
  void Finish(std::string* out) override { Run({}, BROTLI_OPERATION_FINISH, out); }

 private:
  void Run(std::string_view bytes, BrotliEncoderOperation op, std::string* out) {
    if (state_ == nullptr || BrotliEncoderIsFinished(state_)) return;
    size_t available_in = bytes.size();
    const uint8_t* next_in = reinterpret_cast<const uint8_t*>(bytes.data());
    for (;;) {
      size_t available_out = 0;
      if (!BrotliEncoderCompressStream(state_, op, &available_in, &next_in, &available_out, nullptr, nullptr)) return;
      size_t size = 0;
      const uint8_t* produced = BrotliEncoderTakeOutput(state_, &size);
      if (size > 0) out->append(reinterpret_cast<const char*>(produced), size);
      if (available_in == 0 && !BrotliEncoderHasMoreOutput(state_)) {
        if (op == BROTLI_OPERATION_FINISH ? BrotliEncoderIsFinished(state_) : true) return;
      }
    }
  }

  BrotliEncoderState* state_;
};

}  // namespace

std::unique_ptr<BodyEncoder> BodyEncoder::For(std::string_view content_encoding) {
  uint8_t bit = CodingBit(content_encoding);
  if (bit == kAcceptsGzip || bit == kAcceptsDeflate) {
    auto encoder = std::make_unique<ZlibEncoder>(bit == kAcceptsGzip);
    if (encoder->ok()) return encoder;
  } else if (bit == kAcceptsBr) {
    auto encoder = std::make_unique<BrotliEncoder>();
    if (encoder->ok()) return encoder;
  }
  return nullptr;
}

bool BodyEncoder::Knows(std::string_view content_encoding) { return CodingBit(content_encoding) != 0; }

std::string_view BodyEncoder::HeaderOf(std::span<const bindings::HeaderView> headers) {
  for (const auto& [name, value] : headers) {
    if (name == "content-encoding") return value;
  }
  return {};
}

std::string EncodeWhole(BodyEncoder& encoder, std::string_view body) {
  std::string out;
  encoder.Write(body, false, &out);
  encoder.Finish(&out);
  return out;
}

}  // namespace atl::server
