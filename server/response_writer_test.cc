#include "server/response_writer.h"

#include <gtest/gtest.h>

#include "server/error_response.h"

namespace atl::server {
namespace {

TEST(ResponseWriter, WritesHeadDroppingServerOwnedHeaders) {
  bindings::HeaderView headers[] = {{"content-type", "text/plain"}, {"content-length", "999"},
                                    {"x-a", "1"}, {"server", "evil"}, {"connection", "upgrade"}};
  ResponseHead head;
  head.status = 201;
  head.headers = headers;
  head.content_length = 5;
  std::string out;
  AppendResponseHead(head, &out);
  EXPECT_EQ(out.rfind("HTTP/1.1 201 Created\r\ncontent-type: text/plain\r\nx-a: 1\r\ncontent-length: 5\r\ndate: ", 0), 0u) << out;
  EXPECT_NE(out.find("\r\nserver: atoll\r\n\r\n"), std::string::npos);
  EXPECT_EQ(out.find("999"), std::string::npos);
  EXPECT_EQ(out.find("evil"), std::string::npos);
  EXPECT_EQ(out.find("upgrade"), std::string::npos);
}

TEST(ResponseWriter, NodeHeaderInClusterMode) {
  ResponseHead head;
  std::string out;
  AppendResponseHead(head, &out);
  EXPECT_EQ(out.find("x-atoll-node"), std::string::npos) << "not in cluster mode";
  head.node = "a";
  out.clear();
  AppendResponseHead(head, &out);
  EXPECT_NE(out.find("\r\nx-atoll-node: a\r\n"), std::string::npos) << out;
  // An answer forwarded from node b keeps b's.
  bindings::HeaderView forwarded[] = {{"x-atoll-node", "b"}};
  head.headers = forwarded;
  out.clear();
  AppendResponseHead(head, &out);
  EXPECT_NE(out.find("\r\nx-atoll-node: b\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("x-atoll-node: a"), std::string::npos) << out;
}

TEST(ResponseWriter, ChunkedCloseAndCustomReason) {
  ResponseHead head;
  head.status = 299;
  head.status_text = "Fine";
  head.chunked = true;
  head.close = true;
  std::string out;
  AppendResponseHead(head, &out);
  EXPECT_EQ(out.rfind("HTTP/1.1 299 Fine\r\ntransfer-encoding: chunked\r\nconnection: close\r\n", 0), 0u) << out;
  std::string body;
  AppendChunk("hello", &body);
  AppendChunk("", &body);
  AppendChunk(std::string(26, 'x'), &body);
  AppendLastChunk(&body);
  EXPECT_EQ(body, "5\r\nhello\r\n1a\r\n" + std::string(26, 'x') + "\r\n0\r\n\r\n");
}

TEST(ResponseWriter, DateIsImfFixdate) {
  std::string_view date = HttpDate();
  ASSERT_EQ(date.size(), 29u);
  EXPECT_EQ(date.substr(25), " GMT");
  EXPECT_EQ(date[3], ',');
}

TEST(ErrorResponse, CodesAndBodiesMatchSpec) {
  EXPECT_EQ(StatusOf(ServerError::kBadRequest), 400);
  EXPECT_EQ(BodyOf(ServerError::kBadRequest), R"({"error":"bad_request"})");
  EXPECT_EQ(StatusOf(ServerError::kHeadersTooLarge), 431);
  EXPECT_EQ(CodeOf(ServerError::kHeadersTooLarge), "headers_too_large");
  EXPECT_EQ(StatusOf(ServerError::kOverloaded), 503);
  EXPECT_EQ(BodyOf(ServerError::kOverloaded), R"({"error":"overloaded"})");
  EXPECT_EQ(StatusOf(ServerError::kWallLimit), 503);
  EXPECT_EQ(CodeOf(ServerError::kScriptError), "script_error");
}

}  // namespace
}  // namespace atl::server
