#pragma once
// The body of the request an HttpConnection is parsing, after the codec removed its framing
// (h2o's st_h2o_http1_req_entity_reader in spirit; the codec already reads Content-Length and
// chunked framing, so what is left to decide is where the bytes go):
//   - read whole and handed over with the request: a Content-Length up to
//     max_buffered_request_body, or any body that arrives whole with its head;
//   - streamed to the handler as it arrives: a larger or chunked body, once it outgrows that
//     bound or a read ends before it does. The handler's stream has flow control: reading pauses
//     while it is full (Push answers false) and the rest is dropped once it answered (Discard).

#include <cstdint>
#include <string>
#include <string_view>

#include "server/http_parser.h"

namespace atl::server {

// The request body reader of one HttpConnection (see above); reused from request to request.
class RequestBody {
 public:
  // The handler's end of a streamed body (the server's PushUpload / EndUpload).
  class Stream {
   public:
    virtual ~Stream() = default;
    // False: the handler's stream is full; more only after Resume().
    virtual bool PushUpload(uint64_t id, std::string_view bytes) = 0;
    virtual void EndUpload(uint64_t id, std::string_view error) = 0;
  };

  explicit RequestBody(Stream* stream) : stream_(stream) {}

  // A new request begins: nothing read yet.
  void Clear();
  // Its head: false if its Content-Length is over `max_bytes` (413).
  bool Begin(const MessageHead& head, uint64_t max_bytes, size_t max_buffered);
  bool present() const { return present_; }
  // The body may still go to the handler as a stream: it has not been read whole yet.
  bool may_stream() const { return may_stream_; }
  std::string_view buffered() const { return buffered_; }

  // `n` more bytes arrived: false once the body is over `max_bytes` (413).
  bool Count(size_t n);
  // Keeps a piece (not streaming); true if the body outgrew max_buffered and may stream: the
  // connection dispatches its request as streamed now (StartStreaming).
  bool Buffer(std::string_view piece);
  // The request goes to its handler as `id` with a streamed body (its RequestView still shows
  // buffered()); then what was buffered goes first (TakeBuffered, Push).
  void StartStreaming(uint64_t id);
  std::string TakeBuffered();
  bool streaming() const { return id_ != 0; }
  uint64_t stream_id() const { return id_; }
  bool paused() const { return paused_; }

  // A piece to the handler's stream; false if the stream is full (the connection pauses).
  bool Push(std::string_view piece);
  // The body ended (`error` empty) or failed; the handler hears it unless it answered first.
  void End(std::string_view error);
  // Request `id`'s handler answered or cancelled the stream: the rest is read and dropped. True
  // if reading was paused for it (the connection resumes parsing).
  bool Discard(uint64_t id);
  // Request `id`'s handler wants more. True if reading was paused for it.
  bool Resume(uint64_t id);

 private:
  Stream* stream_;
  std::string buffered_;
  uint64_t bytes_ = 0;       // read so far
  uint64_t max_bytes_ = 0;   // the route's max_request_body
  size_t max_buffered_ = 0;
  bool present_ = false;
  bool may_stream_ = false;
  uint64_t id_ = 0;          // the request whose body streams (0: none)
  bool paused_ = false;      // its stream is full: reading waits for it
  bool resumed_ = false;     // its handler asked for more during the last Push
  bool discard_ = false;     // its handler answered or cancelled: the rest is dropped
};

}  // namespace atl::server
