#pragma once
// Serializes HTTP/1.1 responses into a connection's output buffer: status line, the handler's
// headers minus the ones the server owns (framing and hop-by-hop), then `content-length` or
// chunked framing, `date` and `server: atoll`.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "bindings/worker_host.h"

namespace atl::server {

struct ResponseHead {
  int status = 200;
  std::string_view status_text;                     // empty: the standard reason phrase
  std::span<const bindings::HeaderView> headers;    // from the handler; lower-case names
  bool chunked = false;                             // else content-length: content_length
  bool no_body = false;                             // 1xx, 204, 304: no framing header at all
  uint64_t content_length = 0;
  bool close = false;                               // adds `connection: close`
  bool keep_alive_http10 = false;                   // adds `connection: keep-alive`
  // Cluster mode: adds `x-atoll-node: NODE` (the node that ran the handler) unless the headers
  // have one already (an answer forwarded from the node that ran it).
  std::string_view node;
};

// The standard reason phrase for `status`, or "Unknown".
std::string_view ReasonPhrase(int status);

// The current IMF-fixdate, recomputed at most once per second.
std::string_view HttpDate();

// True for headers the server sets itself and drops from a handler's response.
bool IsServerOwnedHeader(std::string_view lower_name);

void AppendResponseHead(const ResponseHead& head, std::string* out);

// One chunk of a chunked body (`size CRLF data CRLF`); an empty `data` writes nothing.
void AppendChunk(std::string_view data, std::string* out);
// The last chunk: `0 CRLF CRLF`.
void AppendLastChunk(std::string* out);

}  // namespace atl::server
