#pragma once
// The HTTP/1.1 codec of both sides: parses requests (the server's connections) and responses
// (the fetch client) behind one small interface; the only file that includes llhttp. The codec
// accumulates the start line and the headers itself (names lower-case, values without trailing
// whitespace, strings reused from message to message) and hands the delegate a MessageHead, then
// the body in pieces. Any callback may stop parsing by returning a non-OK Action.
//
// Strict mode (llhttp built with LLHTTP_STRICT_MODE): Content-Length together with
// Transfer-Encoding, duplicate Content-Length, a Transfer-Encoding not ending in chunked, invalid
// header characters, bare LF or CR line ends and bad chunk framing (the CRLF after chunk data
// included) are errors. For requests also a space inside a header name and obsolete line folding
// (SPEC §4: 400).
//
//   HttpParser parser(HttpParser::Type::kRequest, &delegate);
//   parser.set_max_head_bytes(limit);
//   HttpParser::Result r = parser.Execute(bytes, &consumed);

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atl::server {

// One parsed message head. Views are valid until the next message begins.
struct MessageHead {
  std::string_view method;       // requests: "GET"
  std::string_view target;       // requests: the request target as sent
  int status = 0;                // responses
  std::string_view status_text;  // responses: the reason phrase
  int http_major = 1;
  int http_minor = 1;
  bool keep_alive = true;
  bool upgrade = false;
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool chunked = false;
  std::span<const std::pair<std::string, std::string>> headers;  // lower-case names
};
using RequestHead = MessageHead;

class HttpParser {
 public:
  enum class Type { kRequest, kResponse };
  // What a delegate callback tells the parser. kSkipBody only from OnHeadersComplete: the
  // message has no body whatever its headers say (the response to HEAD).
  enum class Action { kContinue, kPause, kError, kSkipBody };

  class Delegate {
   public:
    virtual ~Delegate() = default;
    virtual Action OnMessageBegin() { return Action::kContinue; }
    // Pausing here is not supported by llhttp (kPause is taken as kContinue).
    virtual Action OnHeadersComplete(const MessageHead& head) = 0;
    virtual Action OnBody(std::string_view piece) = 0;
    virtual Action OnMessageComplete(bool keep_alive) = 0;
  };

  enum class Result {
    kOk,          // all input consumed
    kPaused,      // a delegate paused; `consumed` bytes were used, call Resume() then Execute the rest
    kUpgrade,     // an upgrade request (e.g. WebSocket) ended; the bytes after it are not HTTP
    kError,       // malformed input or a delegate error; see error_reason()
  };

  HttpParser(Type type, Delegate* delegate);
  ~HttpParser();
  HttpParser(const HttpParser&) = delete;
  HttpParser& operator=(const HttpParser&) = delete;

  // Target, status text, header names and values together over it: an error, head_too_large().
  void set_max_head_bytes(size_t bytes);

  Result Execute(std::string_view data, size_t* consumed);
  void Resume();
  // The input ended (the peer closed): a body delimited by the connection's end completes
  // (OnMessageComplete); false if the message was cut short.
  bool Finish();
  // Forgets the message in progress; the next byte starts a new message.
  void Reset();
  const char* error_reason() const;
  // The last error came from the head growing over set_max_head_bytes.
  bool head_too_large() const;

  // "llhttp major.minor.patch", the parser inside (`atoll version`).
  static std::string LibraryVersion();

  struct Impl;  // llhttp's state; opaque outside http_parser.cc

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace atl::server
