#include "server/http_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace atl::server {
namespace {

// Records what the parser reports, flattened into strings.
class Recorder : public HttpParser::Delegate {
 public:
  std::vector<std::string> events;
  std::string url, body;
  HttpParser::Action OnMessageBegin() override { events.push_back("begin"); body.clear(); return kGo; }
  HttpParser::Action OnHeadersComplete(const MessageHead& h) override {
    for (const auto& [name, value] : h.headers) events.push_back(name + ": " + value);
    url = std::string(h.target);
    events.push_back("head:" + std::string(h.method) + (h.status ? std::to_string(h.status) + " " + std::string(h.status_text) : "") + " " + url + (h.chunked ? " chunked" : "") +
                     (h.has_content_length ? " cl=" + std::to_string(h.content_length) : ""));
    return skip_body ? HttpParser::Action::kSkipBody : kGo;
  }
  HttpParser::Action OnBody(std::string_view p) override { body.append(p); return kGo; }
  HttpParser::Action OnMessageComplete(bool keep_alive) override {
    events.push_back("done:" + body + (keep_alive ? "" : " close"));
    return pause_at_end ? HttpParser::Action::kPause : kGo;
  }
  bool pause_at_end = false;
  bool skip_body = false;
  static constexpr HttpParser::Action kGo = HttpParser::Action::kContinue;
};

TEST(HttpParser, ParsesPipelinedRequestsWithBodies) {
  Recorder rec;
  HttpParser parser(HttpParser::Type::kRequest, &rec);
  std::string input =
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n1\r\n!\r\n0\r\n\r\n";
  size_t consumed;
  ASSERT_EQ(parser.Execute(input, &consumed), HttpParser::Result::kOk);
  EXPECT_EQ(consumed, input.size());
  std::vector<std::string> heads, dones;
  for (auto& e : rec.events) {
    if (e.rfind("head:", 0) == 0) heads.push_back(e);
    if (e.rfind("done:", 0) == 0) dones.push_back(e);
  }
  EXPECT_EQ(heads, (std::vector<std::string>{"head:GET /a", "head:POST /b cl=3", "head:POST /c chunked"}));
  EXPECT_EQ(dones, (std::vector<std::string>{"done:", "done:abc", "done:hi!"}));
}

TEST(HttpParser, PauseStopsAfterMessageAndResumeContinues) {
  Recorder rec;
  rec.pause_at_end = true;
  HttpParser parser(HttpParser::Type::kRequest, &rec);
  std::string input = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n";
  size_t consumed;
  ASSERT_EQ(parser.Execute(input, &consumed), HttpParser::Result::kPaused);
  EXPECT_EQ(consumed, input.size() / 2);
  parser.Resume();
  ASSERT_EQ(parser.Execute(std::string_view(input).substr(consumed), &consumed), HttpParser::Result::kPaused);
}

TEST(HttpParser, RejectsSmugglingAndGarbage) {
  for (const char* bad : {
           "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: x\r\nX(y): 1\r\n\r\n",          // not a token character
           "GET / HTTP/1.1\r\nHost: x\r\nX-\xC3\xA9t\xC3\xA9: 1\r\n\r\n",  // nor a byte past 0x7F
           "NOT A REQUEST\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
       }) {
    Recorder rec;
    HttpParser parser(HttpParser::Type::kRequest, &rec);
    size_t consumed;
    EXPECT_EQ(parser.Execute(bad, &consumed), HttpParser::Result::kError) << testing::PrintToString(std::string(bad));
    EXPECT_NE(std::string(parser.error_reason()), "") << bad;
  }
}

// Issue 12 item 14: framing that two parsers could read differently (a proxy in front and us).
// Each must be an error, never a second request.
TEST(HttpParser, RejectsAmbiguousFraming) {
  for (const char* bad : {
           // Chunk data not followed by CRLF: the bytes after it would be read as a new request.
           "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX0\r\n\r\n"
           "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\n0\r\n\r\n",
           // Duplicate Content-Length, equal or not.
           "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab",
           "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\nab",
           // Transfer-Encoding whose last coding is not chunked, or with chunked twice.
           "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
           // Obsolete line folding (RFC 9112 §5.2: a server rejects it or replaces it; we reject).
           "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n",
           // Bare LF as a line end, and bare CR (after a chunk size, a last chunk, the head).
           "GET / HTTP/1.1\nHost: x\n\n",
           "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\rXab\r\n0\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\rX",
           "GET / HTTP/1.1\r\nHost: x\r\n\rX",
           "GET / HTTP/1.1\r\nHost: x\n\r\n",
           "GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n",
           // Bytes a request target may not hold raw (percent-encoded they are fine).
           "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n",
           "GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n",
           // Whitespace before the colon, and a chunk size with junk.
           "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2 ;x\r\nab\r\n0\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\nab\r\n0\r\n\r\n",
       }) {
    Recorder rec;
    HttpParser parser(HttpParser::Type::kRequest, &rec);
    size_t consumed;
    EXPECT_EQ(parser.Execute(bad, &consumed), HttpParser::Result::kError) << testing::PrintToString(std::string(bad));
    int dones = 0;
    for (auto& e : rec.events) dones += e.rfind("done:", 0) == 0;
    EXPECT_EQ(dones, 0) << testing::PrintToString(std::string(bad));

    // The same bytes one read at a time.
    Recorder bytewise;
    HttpParser byte_parser(HttpParser::Type::kRequest, &bytewise);
    bool failed = false;
    for (std::string_view rest = bad; !rest.empty() && !failed; rest.remove_prefix(1)) {
      failed = byte_parser.Execute(rest.substr(0, 1), &consumed) == HttpParser::Result::kError;
    }
    EXPECT_TRUE(failed) << "bytewise " << testing::PrintToString(std::string(bad));
    dones = 0;
    for (auto& e : bytewise.events) dones += e.rfind("done:", 0) == 0;
    EXPECT_EQ(dones, 0) << "bytewise " << testing::PrintToString(std::string(bad));
  }
}

// What strictness must not lose: chunk extensions, trailers, an empty value, a tab in a value.
TEST(HttpParser, StrictModeStillAcceptsValidFraming) {
  Recorder rec;
  HttpParser parser(HttpParser::Type::kRequest, &rec);
  std::string input =
      "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-E:\r\nX-T: a\tb\r\n\r\n"
      "2;name=value\r\nhi\r\n0\r\nTrailer-A: 1\r\n\r\n"
      "POST /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
      "GET /e?q=%20 HTTP/1.1\r\nHost: x\r\n\r\n";
  size_t consumed;
  ASSERT_EQ(parser.Execute(input, &consumed), HttpParser::Result::kOk) << parser.error_reason();
  std::vector<std::string> dones;
  for (auto& e : rec.events) {
    if (e.rfind("done:", 0) == 0) dones.push_back(e);
  }
  EXPECT_EQ(dones, (std::vector<std::string>{"done:hi", "done:", "done:"}));

  // Cut at every byte, as reads may: the same requests, no folding seen where there is none.
  input += "GET /f HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, upgrade-not\r\nX-Long: a b c d\r\n\r\n";
  Recorder bytewise;
  HttpParser byte_parser(HttpParser::Type::kRequest, &bytewise);
  for (char c : input) {
    ASSERT_EQ(byte_parser.Execute(std::string_view(&c, 1), &consumed), HttpParser::Result::kOk)
        << byte_parser.error_reason();
  }
  int count = 0;
  for (auto& e : bytewise.events) count += e.rfind("done:", 0) == 0;
  EXPECT_EQ(count, 4);
}

TEST(HttpParser, DelegateErrorStopsParsing) {
  struct Refuser : Recorder {
    HttpParser::Action OnHeadersComplete(const MessageHead&) override { return HttpParser::Action::kError; }
  } rec;
  HttpParser parser(HttpParser::Type::kRequest, &rec);
  size_t consumed;
  EXPECT_EQ(parser.Execute("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &consumed), HttpParser::Result::kError);
}

// The codec keeps the head: names lower-case, values without trailing whitespace, a value cut by
// a read joined again.
TEST(HttpParser, AccumulatesHeaders) {
  Recorder rec;
  HttpParser parser(HttpParser::Type::kRequest, &rec);
  std::string input = "GET /x?y HTTP/1.1\r\nHost: a.example\r\nX-Long-Name: one two  \r\n\r\n";
  size_t consumed;
  for (size_t i = 0; i < input.size(); i += 7) {
    ASSERT_EQ(parser.Execute(std::string_view(input).substr(i, 7), &consumed), HttpParser::Result::kOk);
  }
  EXPECT_EQ(rec.events, (std::vector<std::string>{"begin", "host: a.example", "x-long-name: one two",
                                                  "head:GET /x?y", "done:"}));
}

TEST(HttpParser, HeadOverTheBoundIsAnError) {
  Recorder rec;
  HttpParser parser(HttpParser::Type::kRequest, &rec);
  parser.set_max_head_bytes(32);
  size_t consumed;
  EXPECT_EQ(parser.Execute("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &consumed), HttpParser::Result::kOk);
  EXPECT_FALSE(parser.head_too_large());
  EXPECT_EQ(parser.Execute("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(40, 'a') + "\r\n\r\n", &consumed),
            HttpParser::Result::kError);
  EXPECT_TRUE(parser.head_too_large());
}

TEST(HttpParser, ParsesResponses) {
  Recorder rec;
  HttpParser parser(HttpParser::Type::kResponse, &rec);
  std::string input =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-A: b \r\n\r\nabc"
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
  size_t consumed;
  ASSERT_EQ(parser.Execute(input, &consumed), HttpParser::Result::kOk) << parser.error_reason();
  EXPECT_EQ(rec.events, (std::vector<std::string>{"begin", "head:100 Continue ", "done:",
                                                  "begin", "content-length: 3", "x-a: b", "head:200 OK  cl=3", "done:abc",
                                                  "begin", "transfer-encoding: chunked", "head:201 Created  chunked",
                                                  "done:hi"}));
}

TEST(HttpParser, ResponseBodyToTheEndOfTheConnection) {
  Recorder rec;
  HttpParser parser(HttpParser::Type::kResponse, &rec);
  size_t consumed;
  ASSERT_EQ(parser.Execute("HTTP/1.0 200 OK\r\n\r\nall of it", &consumed), HttpParser::Result::kOk);
  EXPECT_EQ(rec.events.back(), "head:200 OK ");
  EXPECT_TRUE(parser.Finish());
  EXPECT_EQ(rec.events.back(), "done:all of it close");
}

TEST(HttpParser, ResponseToHeadSkipsTheBodyAndResetStartsOver) {
  Recorder rec;
  rec.skip_body = true;
  HttpParser parser(HttpParser::Type::kResponse, &rec);
  size_t consumed;
  ASSERT_EQ(parser.Execute("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", &consumed), HttpParser::Result::kOk);
  EXPECT_EQ(rec.events.back(), "done:");
  // Half a response, then a reset: the next bytes are a new response.
  rec.skip_body = false;
  ASSERT_EQ(parser.Execute("HTTP/1.1 200 OK\r\nContent-Le", &consumed), HttpParser::Result::kOk);
  parser.Reset();
  ASSERT_EQ(parser.Execute("HTTP/1.1 204 No Content\r\n\r\n", &consumed), HttpParser::Result::kOk)
      << parser.error_reason();
  EXPECT_EQ(rec.events.back(), "done:");
}

TEST(HttpParser, RejectsMalformedResponses) {
  for (const char* bad : {
           "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
           "NOPE 200 OK\r\n\r\n",
           "HTTP/1.1 2000 OK\r\n\r\n",
       }) {
    Recorder rec;
    HttpParser parser(HttpParser::Type::kResponse, &rec);
    size_t consumed;
    EXPECT_EQ(parser.Execute(bad, &consumed), HttpParser::Result::kError) << testing::PrintToString(std::string(bad));
  }
}

}  // namespace
}  // namespace atl::server
