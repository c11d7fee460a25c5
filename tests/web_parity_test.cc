// Web-platform parity with Deno on requests, end to end: the real binary on 127.0.0.1 reads what a
// client sent the way a handler would (body.blob()'s type, an LF-only multipart form, a
// multi-byte legacy encoding, a cloned streamed body) and answers what it saw.
#include <gtest/gtest.h>

#include <string>

#include "tests/test_server.h"

namespace atl::testing {
namespace {

HttpResponse Post(int port, const std::string& path, const std::string& headers, const std::string& body) {
  RawClient client(port);
  client.Send("POST " + path + " HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
              headers + "\r\n" + body);
  return client.ReadResponse();
}

class WebParity : public ::testing::Test {
 protected:
  TestServer server_{SourcePath("tests/scripts/web_parity.js")};
};

TEST_F(WebParity, BlobTypeIsTheSerializedContentType) {
  HttpResponse r = Post(server_.port(), "/blob-type", "Content-Type: Text/HTML ; Charset=UTF-8\r\n", "<p>");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "text/html;charset=utf-8|3");
  r = Post(server_.port(), "/blob-type", "Content-Type: not a type\r\n", "x");
  EXPECT_EQ(r.body, "|1");
}

TEST_F(WebParity, MultipartWithLfOnlyLineBreaksParses) {
  std::string body =
      "--b0\nContent-Disposition: form-data; name=\"a\"\n\none\n"
      "--b0\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\nContent-Type: text/plain\n\nfile\n"
      "--b0--\n";
  HttpResponse r = Post(server_.port(), "/form", "Content-Type: multipart/form-data; boundary=b0\r\n", body);
  EXPECT_EQ(r.status, 200) << server_.log();
  EXPECT_EQ(r.body, "a=one\nf:x.txt:text/plain:file");
}

TEST_F(WebParity, MultiByteLegacyEncodingsDecode) {
  HttpResponse r = Post(server_.port(), "/decode", "X-Encoding: shift_jis\r\n", "\x93\xfa\x96\x7b");
  EXPECT_EQ(r.status, 200) << server_.log();
  EXPECT_EQ(r.body, "\xe6\x97\xa5\xe6\x9c\xac");  // 日本 in UTF-8
  r = Post(server_.port(), "/decode", "X-Encoding: big5\r\n", "\xa4\xa4\xa4\xe5");
  EXPECT_EQ(r.body, "\xe4\xb8\xad\xe6\x96\x87");  // 中文
}

TEST_F(WebParity, ACloneOfAStreamedBodyKeepsItsOwnBytes) {
  RawClient client(server_.port());
  client.Send("POST /clone HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
  client.Send("6\r\n world\r\n0\r\n\r\n");
  HttpResponse r = client.ReadResponse();
  EXPECT_EQ(r.status, 200) << server_.log();
  EXPECT_EQ(r.body, "11|hello world");
}

}  // namespace
}  // namespace atl::testing
