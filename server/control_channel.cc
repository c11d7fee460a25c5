#include "server/control_channel.h"

#include <cstring>

namespace atl::server {
namespace {

constexpr uint32_t kMaxFrame = 64u << 20;  // a metrics text of every tenant fits many times

struct WriteRequest {
  uv_write_t request;
  std::string bytes;
};

void ClosePipe(uv_pipe_t* pipe) {
  pipe->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(pipe), [](uv_handle_t* handle) { delete reinterpret_cast<uv_pipe_t*>(handle); });
}

}  // namespace

void EncodeControlMessage(const ControlMessage& message, std::string* out) {
  uint32_t size = static_cast<uint32_t>(sizeof(uint64_t) + 1 + message.kind.size() + message.body.size());
  uint8_t kind_size = static_cast<uint8_t>(message.kind.size());
  out->append(reinterpret_cast<const char*>(&size), sizeof(size));
  out->append(reinterpret_cast<const char*>(&message.id), sizeof(message.id));
  out->push_back(static_cast<char>(kind_size));
  out->append(message.kind, 0, kind_size);
  out->append(message.body);
}

bool DecodeControlMessages(std::string* in, const std::function<void(ControlMessage)>& each) {
  size_t offset = 0;
  while (in->size() - offset >= sizeof(uint32_t)) {
    uint32_t size;
    std::memcpy(&size, in->data() + offset, sizeof(size));
    if (size > kMaxFrame || size < sizeof(uint64_t) + 1) return false;
    if (in->size() - offset - sizeof(size) < size) break;
    const char* frame = in->data() + offset + sizeof(size);
    ControlMessage message;
    std::memcpy(&message.id, frame, sizeof(message.id));
    size_t kind_size = static_cast<uint8_t>(frame[sizeof(uint64_t)]);
    if (sizeof(uint64_t) + 1 + kind_size > size) return false;
    message.kind.assign(frame + sizeof(uint64_t) + 1, kind_size);
    message.body.assign(frame + sizeof(uint64_t) + 1 + kind_size, size - sizeof(uint64_t) - 1 - kind_size);
    offset += sizeof(size) + size;
    each(std::move(message));
  }
  in->erase(0, offset);
  return true;
}

std::string EncodeAnswers(const Answers& answers) {
  std::string out;
  auto put = [&](uint32_t n) { out.append(reinterpret_cast<const char*>(&n), sizeof(n)); };
  put(answers.workers);
  put(static_cast<uint32_t>(answers.bodies.size()));
  for (const std::string& body : answers.bodies) {
    put(static_cast<uint32_t>(body.size()));
    out.append(body);
  }
  return out;
}

std::optional<Answers> DecodeAnswers(std::string_view bytes) {
  auto take = [&](uint32_t* n) {
    if (bytes.size() < sizeof(*n)) return false;
    std::memcpy(n, bytes.data(), sizeof(*n));
    bytes.remove_prefix(sizeof(*n));
    return true;
  };
  Answers answers;
  uint32_t count;
  if (!take(&answers.workers) || !take(&count)) return std::nullopt;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t size;
    if (!take(&size) || bytes.size() < size) return std::nullopt;
    answers.bodies.emplace_back(bytes.substr(0, size));
    bytes.remove_prefix(size);
  }
  return answers;
}

ControlChannel::ControlChannel(uv_pipe_t* pipe, OnMessage on_message, OnClose on_close)
    : pipe_(pipe), on_message_(std::move(on_message)), on_close_(std::move(on_close)) {
  Start();
}

ControlChannel::ControlChannel(uv_loop_t* loop, int fd, OnMessage on_message, OnClose on_close)
    : pipe_(new uv_pipe_t), on_message_(std::move(on_message)), on_close_(std::move(on_close)) {
  uv_pipe_init(loop, pipe_, 0);
  if (uv_pipe_open(pipe_, fd) != 0) {
    ClosePipe(pipe_);
    pipe_ = nullptr;
    return;
  }
  Start();
}

void ControlChannel::Start() {
  pipe_->data = this;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(pipe_),
      [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
        static char buffer[64 << 10];
        *buf = uv_buf_init(buffer, sizeof(buffer));
      },
      [](uv_stream_t* stream, ssize_t n, const uv_buf_t* buf) {
        auto* self = static_cast<ControlChannel*>(stream->data);
        if (self == nullptr) return;
        if (n < 0) return self->Fail();
        self->in_.append(buf->base, static_cast<size_t>(n));
        // A handler may close (and destroy) the channel: nothing of `self` is used after it.
        std::vector<ControlMessage> messages;
        if (!DecodeControlMessages(&self->in_, [&](ControlMessage m) { messages.push_back(std::move(m)); })) {
          return self->Fail();
        }
        OnMessage on_message = self->on_message_;
        for (ControlMessage& message : messages) on_message(std::move(message));
      });
}

void ControlChannel::Send(const ControlMessage& message) {
  if (pipe_ == nullptr) return;
  auto* write = new WriteRequest;
  EncodeControlMessage(message, &write->bytes);
  uv_buf_t buf = uv_buf_init(write->bytes.data(), static_cast<unsigned>(write->bytes.size()));
  int rc = uv_write(&write->request, reinterpret_cast<uv_stream_t*>(pipe_), &buf, 1,
                    [](uv_write_t* request, int) { delete reinterpret_cast<WriteRequest*>(request); });
  if (rc != 0) delete write;
}

void ControlChannel::Close() {
  if (pipe_ == nullptr) return;
  ClosePipe(pipe_);
  pipe_ = nullptr;
}

void ControlChannel::Fail() {
  Close();
  if (on_close_) on_close_();
}

}  // namespace atl::server
