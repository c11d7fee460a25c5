#pragma once
// The link between the supervisor and one worker process: framed messages over the socketpair
// uv_spawn made (fd 3 in the worker). Both sides use it; what the messages mean is theirs.
//
//   ControlChannel channel(loop, fd, [](ControlMessage m) { ... }, [] { /* the other side left */ });
//   channel.Send({"ready", 0, ""});
//
// A frame is `u32 size | u64 id | u8 kind size | kind | body` (host byte order: both ends are
// the same binary on the same machine).

#include <uv.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atl::server {

struct ControlMessage {
  std::string kind;
  uint64_t id = 0;
  std::string body;
};

// Appends `message`'s frame to `out`; Decode takes whole frames off the front of `in`
// (false: `in` holds a frame too large or malformed). Exposed for tests.
void EncodeControlMessage(const ControlMessage& message, std::string* out);
bool DecodeControlMessages(std::string* in, const std::function<void(ControlMessage)>& each);

// The supervisor's reply to a worker's question ("ask"): the answers of every other worker that
// answered in time, and how many workers serve (the asker included).
struct Answers {
  uint32_t workers = 0;
  std::vector<std::string> bodies;
};
std::string EncodeAnswers(const Answers& answers);
std::optional<Answers> DecodeAnswers(std::string_view bytes);

class ControlChannel {
 public:
  using OnMessage = std::function<void(ControlMessage)>;
  using OnClose = std::function<void()>;

  // A channel over `pipe`, a uv_pipe_t already initialized and connected (the supervisor's end
  // from uv_spawn); the channel owns it from now on and starts reading.
  ControlChannel(uv_pipe_t* pipe, OnMessage on_message, OnClose on_close);
  // A channel over the open descriptor `fd` (the worker's end).
  ControlChannel(uv_loop_t* loop, int fd, OnMessage on_message, OnClose on_close);
  ~ControlChannel() { Close(); }
  ControlChannel(const ControlChannel&) = delete;
  ControlChannel& operator=(const ControlChannel&) = delete;

  // Queued on the pipe; dropped once the channel is closed.
  void Send(const ControlMessage& message);
  // Stops reading and closes the pipe; on_close is not called.
  void Close();
  bool open() const { return pipe_ != nullptr; }

 private:
  void Start();
  void Fail();  // the other end left, or sent garbage: close, then on_close

  uv_pipe_t* pipe_;
  OnMessage on_message_;
  OnClose on_close_;
  std::string in_;
};

}  // namespace atl::server
