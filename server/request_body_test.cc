#include "server/request_body.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace atl::server {
namespace {

struct FakeStream : RequestBody::Stream {
  std::string pushed;
  std::vector<std::string> ends;
  bool more = true;
  RequestBody* body = nullptr;
  bool resume_inside = false;  // the handler asks for more from inside PushUpload
  bool PushUpload(uint64_t id, std::string_view bytes) override {
    pushed.append(bytes);
    if (resume_inside) body->Resume(id);
    return more;
  }
  void EndUpload(uint64_t id, std::string_view error) override {
    ends.push_back(std::to_string(id) + ":" + std::string(error));
  }
};

MessageHead Head(bool chunked, uint64_t length) {
  MessageHead head;
  head.chunked = chunked;
  head.has_content_length = !chunked;
  head.content_length = length;
  return head;
}

TEST(RequestBody, SmallBodyIsReadWhole) {
  FakeStream stream;
  RequestBody body(&stream);
  body.Clear();
  ASSERT_TRUE(body.Begin(Head(false, 5), 100, 16));
  EXPECT_TRUE(body.present());
  EXPECT_FALSE(body.may_stream());
  ASSERT_TRUE(body.Count(5));
  EXPECT_FALSE(body.Buffer("hello"));
  EXPECT_EQ(body.buffered(), "hello");
  EXPECT_FALSE(body.streaming());

  body.Clear();
  ASSERT_TRUE(body.Begin(Head(false, 0), 100, 16));
  EXPECT_FALSE(body.present());
}

TEST(RequestBody, OverTheRouteLimitIsRefused) {
  FakeStream stream;
  RequestBody body(&stream);
  EXPECT_FALSE(body.Begin(Head(false, 101), 100, 16));
  body.Clear();
  ASSERT_TRUE(body.Begin(Head(true, 0), 10, 16));
  EXPECT_TRUE(body.Count(10));
  EXPECT_FALSE(body.Count(1));
}

TEST(RequestBody, ChunkedBodyStreamsOnceItOutgrowsTheBuffer) {
  FakeStream stream;
  RequestBody body(&stream);
  ASSERT_TRUE(body.Begin(Head(true, 0), 1000, 4));
  EXPECT_TRUE(body.may_stream());
  EXPECT_FALSE(body.Buffer("abc"));
  EXPECT_TRUE(body.Buffer("de"));  // over 4: dispatch as a stream
  body.StartStreaming(7);
  EXPECT_EQ(body.buffered(), "abcde");  // what the request view shows
  EXPECT_FALSE(body.may_stream());
  std::string first = body.TakeBuffered();
  EXPECT_TRUE(body.Push(first));
  EXPECT_TRUE(body.Push("fg"));
  EXPECT_EQ(stream.pushed, "abcdefg");
  body.End("");
  EXPECT_EQ(stream.ends, (std::vector<std::string>{"7:"}));
  EXPECT_FALSE(body.streaming());
}

TEST(RequestBody, FullStreamPausesUntilResumedAndAnAnswerDropsTheRest) {
  FakeStream stream;
  RequestBody body(&stream);
  stream.body = &body;
  ASSERT_TRUE(body.Begin(Head(true, 0), 1000, 4));
  body.StartStreaming(3);
  stream.more = false;
  EXPECT_FALSE(body.Push("x"));
  EXPECT_TRUE(body.paused());
  EXPECT_FALSE(body.Resume(4));  // another request's
  EXPECT_TRUE(body.Resume(3));
  EXPECT_FALSE(body.paused());
  stream.resume_inside = true;  // full, but it asked for more during the call: no pause
  EXPECT_TRUE(body.Push("y"));
  stream.resume_inside = false;
  EXPECT_FALSE(body.Push("z"));
  EXPECT_TRUE(body.Discard(3));  // answered while paused: parsing resumes, the rest is dropped
  EXPECT_TRUE(body.Push("dropped"));
  EXPECT_EQ(stream.pushed, "xyz");
  body.End("");
  EXPECT_TRUE(stream.ends.empty());  // an answered request's stream hears no end
}

}  // namespace
}  // namespace atl::server
