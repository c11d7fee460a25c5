#pragma once
// HTTP/1.1 request parsing behind a small interface: the only file that includes llhttp.
// The delegate receives the pieces of each request; any callback may stop parsing by returning
// a non-OK Action. Strict mode (llhttp built with LLHTTP_STRICT_MODE): Content-Length together
// with Transfer-Encoding, duplicate Content-Length, a Transfer-Encoding not ending in chunked,
// invalid header characters, bare LF or CR line ends, obsolete line folding and bad chunk framing
// (the CRLF after chunk data included) are errors (SPEC §4: 400).

#include <cstdint>
#include <memory>
#include <string_view>

namespace atl::server {

struct RequestHead {
  std::string_view method;
  int http_major = 1;
  int http_minor = 1;
  bool keep_alive = true;
  bool upgrade = false;
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool chunked = false;
};

class HttpParser {
 public:
  // What a delegate callback tells the parser.
  enum class Action { kContinue, kPause, kError };

  class Delegate {
   public:
    virtual ~Delegate() = default;
    virtual Action OnMessageBegin() = 0;
    virtual Action OnUrl(std::string_view piece) = 0;
    virtual Action OnHeaderField(std::string_view piece) = 0;
    virtual Action OnHeaderValue(std::string_view piece) = 0;
    virtual Action OnHeadersComplete(const RequestHead& head) = 0;
    virtual Action OnBody(std::string_view piece) = 0;
    virtual Action OnMessageComplete(bool keep_alive) = 0;
  };

  enum class Result {
    kOk,          // all input consumed
    kPaused,      // a delegate paused; `consumed` bytes were used, call Resume() then Execute the rest
    kUpgrade,     // an upgrade request (e.g. WebSocket) ended; the bytes after it are not HTTP
    kError,       // malformed input or a delegate error; see error_reason()
  };

  explicit HttpParser(Delegate* delegate);
  ~HttpParser();
  HttpParser(const HttpParser&) = delete;
  HttpParser& operator=(const HttpParser&) = delete;

  Result Execute(std::string_view data, size_t* consumed);
  void Resume();
  const char* error_reason() const;

  struct Impl;  // llhttp's state; opaque outside http_parser.cc

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace atl::server
