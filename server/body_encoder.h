#pragma once
// Compresses a response body with the content coding its `Content-Encoding` header names, as
// Workers does for a Response whose `encodeBody` is "automatic" (the default): a handler that
// returns `new Response(text, {headers: {"content-encoding": "gzip"}})`, or a fetched response
// whose body it read (fetch() decodes), sends the client gzip. Codings: gzip (and x-gzip), deflate
// (the zlib format, RFC 9110 8.4.1.2) and br. The work happens here, on the server's side of
// TenantRuntime, outside every JS run: it is not billed to the tenant's CPU budget.
//
//   std::unique_ptr<BodyEncoder> encoder = BodyEncoder::For("gzip");   // null: not a coding we make
//   std::string out;
//   encoder->Write(chunk, /*flush=*/true, &out);   // a streamed chunk, flushed so it goes out now
//   encoder->Finish(&out);                         // the end of the coded stream

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "bindings/worker_host.h"

namespace atl::server {

class BodyEncoder {
 public:
  // An encoder for `content_encoding` (a header value: one coding, any case, spaces around it),
  // or null for anything else (identity, a list of codings, an unknown one).
  static std::unique_ptr<BodyEncoder> For(std::string_view content_encoding);
  // Whether For() makes an encoder for `content_encoding` (nothing is allocated).
  static bool Knows(std::string_view content_encoding);
  // The `content-encoding` header's value among `headers` (lower-case names), or empty.
  static std::string_view HeaderOf(std::span<const bindings::HeaderView> headers);
  virtual ~BodyEncoder() = default;

  // Appends the coded form of `bytes` to `out`; with `flush`, everything given so far is in `out`
  // (a streamed chunk reaches the client now, at a few bytes' cost in ratio).
  virtual void Write(std::string_view bytes, bool flush, std::string* out) = 0;
  // Appends the end of the coded stream; nothing is written after it.
  virtual void Finish(std::string* out) = 0;
};

// Encodes a whole body at once: `body` coded with `encoder`.
std::string EncodeWhole(BodyEncoder& encoder, std::string_view body);

}  // namespace atl::server
