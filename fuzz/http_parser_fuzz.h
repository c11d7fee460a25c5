#pragma once
// Shared by http_request_fuzz.cc and http_response_fuzz.cc: feeds one input to HttpParser in
// pieces (the first byte picks the cut points, as a socket might split it), through pauses and
// resets between messages the way the connections drive it, and checks the invariants a caller
// relies on (`consumed` within the input, heads with sane fields).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/http_parser.h"

namespace atl::fuzz {

class CheckingDelegate : public server::HttpParser::Delegate {
 public:
  explicit CheckingDelegate(uint8_t mode) : mode_(mode) {}
  server::HttpParser::Action OnHeadersComplete(const server::MessageHead& head) override {
    for (const auto& [name, value] : head.headers) {
      for (char c : name) {
        if (c >= 'A' && c <= 'Z') abort();  // names are lower-case
      }
    }
    if (head.status < 0 || head.status > 999) abort();
    // Sometimes skip the body, as for a response to HEAD.
    return (mode_ & 1) ? server::HttpParser::Action::kSkipBody : server::HttpParser::Action::kContinue;
  }
  server::HttpParser::Action OnBody(std::string_view piece) override {
    body_ += piece.size();
    // Sometimes pause on a body piece, as a full sink does.
    return (mode_ & 2) ? server::HttpParser::Action::kPause : server::HttpParser::Action::kContinue;
  }
  server::HttpParser::Action OnMessageComplete(bool keep_alive) override {
    ++messages_;
    return (mode_ & 4) ? server::HttpParser::Action::kPause : server::HttpParser::Action::kContinue;
  }

 private:
  uint8_t mode_;
  size_t body_ = 0;
  size_t messages_ = 0;
};

inline void FeedHttp(server::HttpParser::Type type, const uint8_t* data, size_t size) {
  if (size < 2) return;
  uint8_t mode = data[0];
  size_t step = 1 + data[1] % 64;  // the size of each piece
  std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
  CheckingDelegate delegate(mode);
  server::HttpParser parser(type, &delegate);
  parser.set_max_head_bytes(1 + (mode >> 3) * 512);
  size_t guard = 0;
  while (!input.empty() && ++guard < 100000) {
    std::string_view piece = input.substr(0, step);
    size_t consumed = 0;
    server::HttpParser::Result result = parser.Execute(piece, &consumed);
    if (consumed > piece.size()) abort();
    if (result == server::HttpParser::Result::kError || result == server::HttpParser::Result::kUpgrade) return;
    if (result == server::HttpParser::Result::kPaused) {
      parser.Resume();
      if (consumed == 0 && (mode & 4)) parser.Reset();  // a connection starting the next message
    }
    input.remove_prefix(result == server::HttpParser::Result::kOk ? piece.size() : consumed);
  }
  parser.Finish();
}

}  // namespace atl::fuzz
