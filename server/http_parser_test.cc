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
  HttpParser::Action OnMessageBegin() override { events.push_back("begin"); url.clear(); body.clear(); return kGo; }
  HttpParser::Action OnUrl(std::string_view p) override { url.append(p); return kGo; }
  HttpParser::Action OnHeaderField(std::string_view p) override { events.push_back("field:" + std::string(p)); return kGo; }
  HttpParser::Action OnHeaderValue(std::string_view p) override { events.push_back("value:" + std::string(p)); return kGo; }
  HttpParser::Action OnHeadersComplete(const RequestHead& h) override {
    events.push_back("head:" + std::string(h.method) + " " + url + (h.chunked ? " chunked" : "") +
                     (h.has_content_length ? " cl=" + std::to_string(h.content_length) : ""));
    return kGo;
  }
  HttpParser::Action OnBody(std::string_view p) override { body.append(p); return kGo; }
  HttpParser::Action OnMessageComplete(bool keep_alive) override {
    events.push_back("done:" + body + (keep_alive ? "" : " close"));
    return pause_at_end ? HttpParser::Action::kPause : kGo;
  }
  bool pause_at_end = false;
  static constexpr HttpParser::Action kGo = HttpParser::Action::kContinue;
};

TEST(HttpParser, ParsesPipelinedRequestsWithBodies) {
  Recorder rec;
  HttpParser parser(&rec);
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
  HttpParser parser(&rec);
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
           "NOT A REQUEST\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
       }) {
    Recorder rec;
    HttpParser parser(&rec);
    size_t consumed;
    EXPECT_EQ(parser.Execute(bad, &consumed), HttpParser::Result::kError) << bad;
    EXPECT_NE(std::string(parser.error_reason()), "") << bad;
  }
}

TEST(HttpParser, DelegateErrorStopsParsing) {
  struct Refuser : Recorder {
    HttpParser::Action OnHeaderField(std::string_view) override { return HttpParser::Action::kError; }
  } rec;
  HttpParser parser(&rec);
  size_t consumed;
  EXPECT_EQ(parser.Execute("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &consumed), HttpParser::Result::kError);
}

}  // namespace
}  // namespace atl::server
