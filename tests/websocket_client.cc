#include "tests/websocket_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>

namespace atl::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string Base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(written));
  return out;
}

std::string AcceptFor(const std::string& key) {
  std::string text = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return Base64(digest, sizeof digest);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

WebSocketClient::WebSocketClient(int port, const std::string& path, const std::string& host) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  unsigned char nonce[16];
  RAND_bytes(nonce, sizeof nonce);
  std::string key = Base64(nonce, sizeof nonce);
  SendRaw("GET " + path + " HTTP/1.1\r\nHost: " + host +
          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key +
          "\r\n\r\n");
  auto deadline = Clock::now() + std::chrono::seconds(10);
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill(deadline)) return;
  }
  handshake_ = buffer_.substr(0, end + 4);
  buffer_.erase(0, end + 4);
  std::string lower = Lower(handshake_);
  if (!handshake_.starts_with("HTTP/1.1 101")) {
    // A refusal: keep its body (Content-Length) for the test's messages.
    size_t at = lower.find("\r\ncontent-length: ");
    if (at != std::string::npos) {
      size_t length = std::stoul(lower.substr(at + 18));
      while (buffer_.size() < length && Fill(deadline)) {}
      handshake_ += buffer_.substr(0, length);
      buffer_.erase(0, std::min(length, buffer_.size()));
    }
    return;
  }
  open_ = lower.find("\r\nsec-websocket-accept: " + Lower(AcceptFor(key)) + "\r\n") != std::string::npos;
}

WebSocketClient::~WebSocketClient() {
  if (fd_ >= 0) close(fd_);
}

WebSocketClient::WebSocketClient(WebSocketClient&& other) noexcept
    : fd_(other.fd_), open_(other.open_), handshake_(std::move(other.handshake_)), buffer_(std::move(other.buffer_)) {
  other.fd_ = -1;
}

bool WebSocketClient::SendRaw(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool WebSocketClient::SendFrame(uint8_t opcode, const std::string& payload, bool fin, bool mask) {
  std::string frame;
  frame.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  uint8_t mask_bit = mask ? 0x80 : 0;
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(mask_bit | payload.size()));
  } else if (payload.size() < 65536) {
    frame.push_back(static_cast<char>(mask_bit | 126));
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xff));
  } else {
    frame.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>((payload.size() >> shift) & 0xff));
  }
  if (!mask) return SendRaw(frame + payload);
  unsigned char key[4];
  RAND_bytes(key, sizeof key);
  frame.append(reinterpret_cast<const char*>(key), 4);
  size_t start = frame.size();
  frame += payload;
  for (size_t i = 0; i < payload.size(); ++i) frame[start + i] = static_cast<char>(frame[start + i] ^ key[i % 4]);
  return SendRaw(frame);
}

bool WebSocketClient::Close(uint16_t code, const std::string& reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xff));
  return SendFrame(8, payload + reason);
}

bool WebSocketClient::Fill(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0 || fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(left)) <= 0) return false;
  char buf[65536];
  ssize_t n = recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

std::optional<WebSocketMessage> WebSocketClient::Read(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  WebSocketMessage message;
  bool in_message = false;
  for (;;) {
    // One whole frame in buffer_?
    if (buffer_.size() >= 2) {
      auto byte = [&](size_t i) { return static_cast<uint8_t>(buffer_[i]); };
      bool fin = byte(0) & 0x80;
      uint8_t opcode = byte(0) & 0x0f;
      bool masked = byte(1) & 0x80;
      uint64_t length = byte(1) & 0x7f;
      size_t header = 2;
      if (length == 126 && buffer_.size() >= 4) {
        length = (uint64_t{byte(2)} << 8) | byte(3);
        header = 4;
      } else if (length == 127 && buffer_.size() >= 10) {
        length = 0;
        for (size_t i = 2; i < 10; ++i) length = (length << 8) | byte(i);
        header = 10;
      } else if (length >= 126) {
        header = 0;  // the length is not all here yet
      }
      if (masked) header += 4;
      if (header != 0 && buffer_.size() >= header + length) {
        std::string payload = buffer_.substr(header, length);
        if (masked) {
          for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ buffer_[header - 4 + i % 4]);
        }
        buffer_.erase(0, header + length);
        if (opcode >= 8) return WebSocketMessage{opcode, payload};  // control frames come whole
        if (!in_message) {
          message.opcode = opcode;
          in_message = true;
        }
        message.payload += payload;
        if (fin) return message;
        continue;
      }
    }
    if (!Fill(deadline)) return std::nullopt;
  }
}

bool WebSocketClient::WaitForEof(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
  return false;
}

uint16_t CloseCode(const WebSocketMessage& message) {
  if (message.opcode != 8 || message.payload.size() < 2) return 0;
  return static_cast<uint16_t>((static_cast<uint8_t>(message.payload[0]) << 8) | static_cast<uint8_t>(message.payload[1]));
}

}  // namespace atl::testing
