// The WebSocket frame codec (RFC 6455 §5): see websocket_codec.h.
#include "server/websocket_codec.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

namespace atl::server {

bool IsValidWebSocketCloseCode(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

bool Utf8Validator::Feed(std::string_view bytes) {
  if (failed_) return false;
  for (unsigned char c : bytes) {
    if (need_ > 0) {
      if (c < lo_ || c > hi_) return !(failed_ = true);
      lo_ = 0x80;
      hi_ = 0xBF;
      --need_;
      continue;
    }
    if (c < 0x80) continue;
    lo_ = 0x80;
    hi_ = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      need_ = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need_ = 2;
      if (c == 0xE0) lo_ = 0xA0;   // overlong
      if (c == 0xED) hi_ = 0x9F;   // UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      need_ = 3;
      if (c == 0xF0) lo_ = 0x90;   // overlong
      if (c == 0xF4) hi_ = 0x8F;   // past U+10FFFF
    } else {
      return !(failed_ = true);
    }
  }
  return true;
}

WebSocketParser::WebSocketParser(WebSocketRole role, size_t max_message_bytes, Delegate* delegate)
    : role_(role), max_message_bytes_(max_message_bytes), delegate_(delegate) {}

bool WebSocketParser::Fail(uint16_t code, const char* reason) {
  if (failure_code_ == 0) {
    failure_code_ = code;
    failure_reason_ = reason;
  }
  message_.clear();
  message_.shrink_to_fit();
  return false;
}

bool WebSocketParser::Feed(std::string_view bytes) {
  if (failed()) return false;
  while (!bytes.empty() && !closed_) {
    if (!in_payload_) {
      size_t take = std::min(bytes.size(), header_need_ - header_have_);
      std::memcpy(header_ + header_have_, bytes.data(), take);
      header_have_ += take;
      bytes.remove_prefix(take);
      if (header_have_ < header_need_) return true;
      if (header_need_ == 2) {
        // The first two bytes say how long the rest of the header is.
        uint8_t len7 = header_[1] & 0x7F;
        header_need_ = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((header_[1] & 0x80) ? 4 : 0);
        if (header_have_ < header_need_) continue;
      }
      if (!OnHeader()) return false;
      if (payload_left_ == 0 && !OnFrameEnd()) return false;
      continue;
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(bytes.size(), payload_left_));
    if (!OnPayload(bytes.substr(0, take))) return false;
    bytes.remove_prefix(take);
    payload_left_ -= take;
    if (payload_left_ == 0 && !OnFrameEnd()) return false;
  }
  return !failed();
}

bool WebSocketParser::OnHeader() {
  uint8_t b0 = header_[0], b1 = header_[1];
  fin_ = (b0 & 0x80) != 0;
  if (b0 & 0x70) return Fail(ws_close::kProtocolError, "reserved bits set");
  uint8_t op = b0 & 0x0F;
  if (op > 0xA || (op > 0x2 && op < 0x8)) return Fail(ws_close::kProtocolError, "unknown opcode");
  opcode_ = static_cast<WebSocketOpcode>(op);
  masked_ = (b1 & 0x80) != 0;
  if (role_ == WebSocketRole::kServer && !masked_) return Fail(ws_close::kProtocolError, "client frame not masked");
  if (role_ == WebSocketRole::kClient && masked_) return Fail(ws_close::kProtocolError, "server frame masked");
  uint8_t len7 = b1 & 0x7F;
  size_t at = 2;
  uint64_t len = len7;
  if (len7 == 126) {
    len = (uint64_t{header_[2]} << 8) | header_[3];
    at = 4;
  } else if (len7 == 127) {
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | header_[2 + i];
    at = 10;
    if (len >> 63) return Fail(ws_close::kProtocolError, "frame length has its top bit set");
  }
  if (masked_) std::memcpy(mask_, header_ + at, 4);
  bool control = op >= 0x8;
  if (control) {
    if (!fin_) return Fail(ws_close::kProtocolError, "fragmented control frame");
    if (len > 125) return Fail(ws_close::kProtocolError, "control frame longer than 125 bytes");
    control_.clear();
  } else if (opcode_ == WebSocketOpcode::kContinuation) {
    if (!message_open_) return Fail(ws_close::kProtocolError, "continuation without a message");
  } else {
    if (message_open_) return Fail(ws_close::kProtocolError, "new message inside a fragmented one");
    message_open_ = true;
    message_binary_ = opcode_ == WebSocketOpcode::kBinary;
    message_.clear();
    utf8_.Reset();
  }
  // Decided on the header alone: nothing of an oversized message is stored.
  if (!control && (len > max_message_bytes_ || message_.size() + len > max_message_bytes_)) {
    return Fail(ws_close::kMessageTooBig, "message too big");
  }
  payload_left_ = len;
  payload_done_ = 0;
  in_payload_ = true;
  return true;
}

bool WebSocketParser::OnPayload(std::string_view piece) {
  bool control = static_cast<uint8_t>(opcode_) >= 0x8;
  std::string& into = control ? control_ : message_;
  size_t start = into.size();
  into.append(piece);
  if (masked_) {
    for (size_t i = start; i < into.size(); ++i) into[i] ^= static_cast<char>(mask_[payload_done_++ & 3]);
  } else {
    payload_done_ += piece.size();
  }
  if (!control && !message_binary_ && !utf8_.Feed(std::string_view(into).substr(start))) {
    return Fail(ws_close::kInvalidPayload, "text message is not UTF-8");
  }
  return true;
}

bool WebSocketParser::OnFrameEnd() {
  in_payload_ = false;
  header_have_ = 0;
  header_need_ = 2;
  switch (opcode_) {
    case WebSocketOpcode::kPing:
      delegate_->OnWebSocketPing(control_);
      return true;
    case WebSocketOpcode::kPong:
      delegate_->OnWebSocketPong(control_);
      return true;
    case WebSocketOpcode::kClose: {
      uint16_t code = ws_close::kNoStatus;
      std::string_view reason;
      if (control_.size() == 1) return Fail(ws_close::kProtocolError, "close payload of one byte");
      if (control_.size() >= 2) {
        code = static_cast<uint16_t>((static_cast<uint8_t>(control_[0]) << 8) | static_cast<uint8_t>(control_[1]));
        if (!IsValidWebSocketCloseCode(code)) return Fail(ws_close::kProtocolError, "invalid close code");
        reason = std::string_view(control_).substr(2);
        Utf8Validator v;
        if (!v.Feed(reason) || !v.complete()) return Fail(ws_close::kInvalidPayload, "close reason is not UTF-8");
      }
      closed_ = true;
      delegate_->OnWebSocketClose(code, reason);
      return true;
    }
    default:
      break;
  }
  if (!fin_) return true;
  if (!message_binary_ && !utf8_.complete()) return Fail(ws_close::kInvalidPayload, "text message is not UTF-8");
  message_open_ = false;
  delegate_->OnWebSocketMessage(message_binary_, message_);
  message_.clear();
  if (message_.capacity() > 64 * 1024) message_.shrink_to_fit();  // a big message's buffer is not kept
  return true;
}

std::string SerializeWebSocketFrame(WebSocketOpcode opcode, std::string_view payload, WebSocketRole sender, bool fin,
                                    uint32_t mask_key) {
  std::string out;
  bool mask = sender == WebSocketRole::kClient;
  out.reserve(payload.size() + 14);
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<uint8_t>(opcode)));
  uint8_t mask_bit = mask ? 0x80 : 0;
  uint64_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(mask_bit | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  }
  if (!mask) {
    out.append(payload);
    return out;
  }
  uint8_t key[4] = {static_cast<uint8_t>(mask_key >> 24), static_cast<uint8_t>(mask_key >> 16),
                    static_cast<uint8_t>(mask_key >> 8), static_cast<uint8_t>(mask_key)};
  out.append(reinterpret_cast<const char*>(key), 4);
  size_t start = out.size();
  out.append(payload);
  for (size_t i = 0; i < payload.size(); ++i) out[start + i] ^= static_cast<char>(key[i & 3]);
  return out;
}

std::string WebSocketClosePayload(uint16_t code, std::string_view reason) {
  if (code == ws_close::kNoStatus) return {};
  std::string out;
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  if (reason.size() > 123) {
    size_t cut = 123;
    while (cut > 0 && (static_cast<uint8_t>(reason[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    reason = reason.substr(0, cut);
  }
  out.append(reason);
  return out;
}

std::string WebSocketAcceptKey(std::string_view client_key) {
  std::string in(client_key);
  in += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest);
  unsigned char b64[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(b64, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(b64), n);
}

}  // namespace atl::server
