#include "server/control_channel.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace atl::server {
namespace {

TEST(ControlChannel, FramesSurviveAnySplit) {
  std::string wire;
  EncodeControlMessage({"ask", 7, "metrics"}, &wire);
  EncodeControlMessage({"answers", 1ull << 40, std::string(100000, 'x')}, &wire);
  EncodeControlMessage({"ready", 0, ""}, &wire);
  for (size_t step : {size_t{1}, size_t{3}, size_t{4096}, wire.size()}) {
    std::string in;
    std::vector<ControlMessage> got;
    for (size_t at = 0; at < wire.size(); at += step) {
      in.append(wire, at, step);
      ASSERT_TRUE(DecodeControlMessages(&in, [&](ControlMessage m) { got.push_back(std::move(m)); }));
    }
    ASSERT_EQ(got.size(), 3u) << step;
    EXPECT_TRUE(in.empty());
    EXPECT_EQ(got[0].kind, "ask");
    EXPECT_EQ(got[0].id, 7u);
    EXPECT_EQ(got[0].body, "metrics");
    EXPECT_EQ(got[1].id, 1ull << 40);
    EXPECT_EQ(got[1].body.size(), 100000u);
    EXPECT_EQ(got[2].kind, "ready");
    EXPECT_EQ(got[2].body, "");
  }
}

TEST(ControlChannel, GarbageIsRefused) {
  std::string in(16, '\xff');  // a frame size far past the bound
  EXPECT_FALSE(DecodeControlMessages(&in, [](ControlMessage) { FAIL(); }));
  std::string short_frame("\x02\x00\x00\x00xx", 6);  // smaller than an id
  EXPECT_FALSE(DecodeControlMessages(&short_frame, [](ControlMessage) { FAIL(); }));
}

TEST(ControlChannel, Answers) {
  Answers answers{3, {"one", "", std::string(70000, 'z')}};
  std::optional<Answers> back = DecodeAnswers(EncodeAnswers(answers));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->workers, 3u);
  EXPECT_EQ(back->bodies, answers.bodies);
  std::string cut = EncodeAnswers(answers);
  cut.pop_back();
  EXPECT_FALSE(DecodeAnswers(cut).has_value());
}

TEST(ControlChannel, OverASocketPair) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::vector<ControlMessage> got;
  bool closed = false;
  {
    ControlChannel a(&loop, fds[0], [&](ControlMessage m) { got.push_back(std::move(m)); }, [&] { closed = true; });
    auto b = std::make_unique<ControlChannel>(&loop, fds[1], [](ControlMessage) {}, [] {});
    b->Send({"query", 5, "ping"});
    b->Send({"query", 6, std::string(200000, 'p')});
    while (got.size() < 2) uv_run(&loop, UV_RUN_ONCE);
    EXPECT_EQ(got[0].body, "ping");
    EXPECT_EQ(got[1].body.size(), 200000u);
    b.reset();  // the other end goes: a's on_close runs
    while (!closed) uv_run(&loop, UV_RUN_ONCE);
    EXPECT_FALSE(a.open());
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace atl::server
