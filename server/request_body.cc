#include "server/request_body.h"

namespace atl::server {

void RequestBody::Clear() {
  buffered_.clear();
  bytes_ = 0;
  present_ = false;
  may_stream_ = false;
}

bool RequestBody::Begin(const MessageHead& head, uint64_t max_bytes, size_t max_buffered) {
  present_ = head.chunked || (head.has_content_length && head.content_length > 0);
  max_bytes_ = max_bytes;
  max_buffered_ = max_buffered;
  if (head.has_content_length && head.content_length > max_bytes) return false;
  may_stream_ = present_ && (head.chunked || head.content_length > max_buffered);
  return true;
}

bool RequestBody::Count(size_t n) {
  bytes_ += n;
  return bytes_ <= max_bytes_;
}

bool RequestBody::Buffer(std::string_view piece) {
  buffered_.append(piece);
  return may_stream_ && buffered_.size() > max_buffered_;
}

void RequestBody::StartStreaming(uint64_t id) {
  may_stream_ = false;
  id_ = id;
}

std::string RequestBody::TakeBuffered() {
  std::string first;
  first.swap(buffered_);
  return first;
}

bool RequestBody::Push(std::string_view piece) {
  if (discard_) return true;
  resumed_ = false;
  bool more = stream_->PushUpload(id_, piece);
  // The handler may have answered, asked for more or gone (End) during the call.
  if (more || resumed_ || discard_ || id_ == 0) return true;
  paused_ = true;
  return false;
}

void RequestBody::End(std::string_view error) {
  uint64_t id = id_;
  bool discard = discard_;
  id_ = 0;
  paused_ = resumed_ = discard_ = false;
  if (id != 0 && !discard) stream_->EndUpload(id, error);
}

bool RequestBody::Discard(uint64_t id) {
  if (id == 0 || id != id_) return false;
  discard_ = true;
  bool was_paused = paused_;
  paused_ = false;
  return was_paused;
}

bool RequestBody::Resume(uint64_t id) {
  if (id == 0 || id != id_) return false;
  resumed_ = true;
  bool was_paused = paused_;
  paused_ = false;
  return was_paused;
}

}  // namespace atl::server
