// Conformance tests of the WebSocket codec, written after the Autobahn|Testsuite fuzzing-client
// cases (https://github.com/crossbario/autobahn-testsuite; its runner is Python 2 and is not
// packaged here, so its cases 1.* framing, 2.* ping/pong, 3.* reserved bits, 4.* opcodes,
// 5.* fragmentation, 6.* UTF-8 and 7.* close are restated by hand). Every case is fed whole, one
// byte at a time and in 7-byte pieces, and must give the same outcome each way.
#include "server/websocket_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace atl::server {
namespace {

using Op = WebSocketOpcode;

class Recorder : public WebSocketParser::Delegate {
 public:
  std::vector<std::string> events;
  void OnWebSocketMessage(bool binary, std::string_view data) override {
    events.push_back(std::string(binary ? "bin:" : "text:") + std::string(data));
  }
  void OnWebSocketPing(std::string_view p) override { events.push_back("ping:" + std::string(p)); }
  void OnWebSocketPong(std::string_view p) override { events.push_back("pong:" + std::string(p)); }
  void OnWebSocketClose(uint16_t code, std::string_view reason) override {
    events.push_back("close:" + std::to_string(code) + ":" + std::string(reason));
  }
};

// A frame as a client sends it (masked).
std::string C(Op op, std::string_view payload, bool fin = true) {
  return SerializeWebSocketFrame(op, payload, WebSocketRole::kClient, fin, 0x37fa213d);
}
std::string WithRsv(std::string frame, uint8_t rsv) {
  frame[0] = static_cast<char>(static_cast<uint8_t>(frame[0]) | (rsv << 4));
  return frame;
}
std::string CloseFrame(uint16_t code, std::string_view reason = "") { return C(Op::kClose, WebSocketClosePayload(code, reason)); }

struct Outcome {
  std::vector<std::string> events;
  uint16_t failure = 0;
};

// Feeds input to a server-side parser in pieces of `split` bytes (0: whole).
Outcome Run(const std::string& input, size_t split, size_t max_message = 16 << 20) {
  Recorder rec;
  WebSocketParser parser(WebSocketRole::kServer, max_message, &rec);
  if (split == 0) split = input.size() + 1;
  for (size_t at = 0; at < input.size(); at += split) {
    if (!parser.Feed(std::string_view(input).substr(at, split))) break;
  }
  return {rec.events, parser.failure_code()};
}

// The outcome, checked to be the same for every way of splitting the input.
Outcome Expect(const std::string& input, size_t max_message = 16 << 20) {
  Outcome whole = Run(input, 0, max_message);
  for (size_t split : {1, 7}) {
    Outcome o = Run(input, split, max_message);
    EXPECT_EQ(o.events, whole.events) << "split " << split;
    EXPECT_EQ(o.failure, whole.failure) << "split " << split;
  }
  return whole;
}

using Events = std::vector<std::string>;

// 1.1.* / 1.2.*: text and binary messages across the 7-bit, 16-bit and 64-bit length encodings.
TEST(WebSocketCodec, Case1_TextAndBinaryOfEveryLengthEncoding) {
  for (size_t n : {0, 125, 126, 127, 128, 65535, 65536, 1 << 20}) {
    std::string payload(n, '*');
    Outcome t = Expect(C(Op::kText, payload));
    ASSERT_EQ(t.events, Events{"text:" + payload}) << n;
    std::string bin(n, '\xfe');
    Outcome b = Expect(C(Op::kBinary, bin));
    ASSERT_EQ(b.events, Events{"bin:" + bin}) << n;
    EXPECT_EQ(b.failure, 0);
  }
}

// 2.*: pings and pongs, their payload limit and their order.
TEST(WebSocketCodec, Case2_PingPong) {
  EXPECT_EQ(Expect(C(Op::kPing, "")).events, Events{"ping:"});                                    // 2.1
  EXPECT_EQ(Expect(C(Op::kPing, "Hello, world!")).events, Events{"ping:Hello, world!"});          // 2.2
  EXPECT_EQ(Expect(C(Op::kPing, std::string("\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 8))).events.size(), 1u);  // 2.3
  std::string p125(125, 'x');
  EXPECT_EQ(Expect(C(Op::kPing, p125)).events, Events{"ping:" + p125});                           // 2.4, 2.6
  Outcome too_long = Expect(C(Op::kPing, std::string(126, 'x')));                                 // 2.5
  EXPECT_EQ(too_long.failure, ws_close::kProtocolError);
  EXPECT_TRUE(too_long.events.empty());
  EXPECT_EQ(Expect(C(Op::kPong, "unsolicited")).events, Events{"pong:unsolicited"});              // 2.7, 2.8
  EXPECT_EQ(Expect(C(Op::kPong, "a") + C(Op::kPing, "b")).events, (Events{"pong:a", "ping:b"}));  // 2.9
  std::string ten;
  for (int i = 0; i < 10; ++i) ten += C(Op::kPing, "payload");                                    // 2.10, 2.11
  EXPECT_EQ(Expect(ten).events.size(), 10u);
}

// 3.*: no extension is negotiated, so every RSV bit fails the connection, after what came before.
TEST(WebSocketCodec, Case3_ReservedBits) {
  for (uint8_t rsv : {1, 2, 3, 4, 5, 6, 7}) {
    Outcome o = Expect(C(Op::kText, "ok") + WithRsv(C(Op::kText, "bad"), rsv) + C(Op::kPing, ""));
    EXPECT_EQ(o.events, Events{"text:ok"}) << int(rsv);
    EXPECT_EQ(o.failure, ws_close::kProtocolError);
  }
  EXPECT_EQ(Expect(WithRsv(C(Op::kPing, ""), 4)).failure, ws_close::kProtocolError);
  EXPECT_EQ(Expect(WithRsv(C(Op::kBinary, "x"), 2)).failure, ws_close::kProtocolError);
}

// 4.*: reserved opcodes, data (3-7) and control (B-F).
TEST(WebSocketCodec, Case4_ReservedOpcodes) {
  for (uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    std::string f = C(Op::kText, "");
    f[0] = static_cast<char>(0x80 | op);
    Outcome o = Expect(C(Op::kText, "ok") + f);
    EXPECT_EQ(o.events, Events{"text:ok"});
    EXPECT_EQ(o.failure, ws_close::kProtocolError) << int(op);
  }
}

// 5.*: fragmentation.
TEST(WebSocketCodec, Case5_Fragmentation) {
  EXPECT_EQ(Expect(C(Op::kPing, "a", false) + C(Op::kContinuation, "b")).failure, ws_close::kProtocolError);  // 5.1
  EXPECT_EQ(Expect(C(Op::kPong, "a", false) + C(Op::kContinuation, "b")).failure, ws_close::kProtocolError);  // 5.2
  EXPECT_EQ(Expect(C(Op::kText, "frag", false) + C(Op::kContinuation, "ment")).events, Events{"text:fragment"});  // 5.3-5.5
  // 5.6-5.8: a ping between the fragments is answered on its own; the message still arrives whole.
  EXPECT_EQ(Expect(C(Op::kText, "frag", false) + C(Op::kPing, "p") + C(Op::kContinuation, "ment")).events,
            (Events{"ping:p", "text:fragment"}));
  // 5.9-5.13: continuation with nothing to continue.
  EXPECT_EQ(Expect(C(Op::kContinuation, "x")).failure, ws_close::kProtocolError);
  EXPECT_EQ(Expect(C(Op::kContinuation, "x", false) + C(Op::kText, "y")).failure, ws_close::kProtocolError);
  EXPECT_EQ(Expect(C(Op::kText, "a") + C(Op::kContinuation, "b")).events, Events{"text:a"});
  // 5.14-5.16: a new data frame inside an open message.
  EXPECT_EQ(Expect(C(Op::kText, "a", false) + C(Op::kText, "b")).failure, ws_close::kProtocolError);
  EXPECT_EQ(Expect(C(Op::kBinary, "a", false) + C(Op::kBinary, "b", false)).failure, ws_close::kProtocolError);
  // 5.19-5.20: many fragments, empty ones included, with pings in between.
  std::string many = C(Op::kBinary, "", false);
  for (int i = 0; i < 5; ++i) many += C(Op::kContinuation, std::string(1, char('0' + i)), false) + C(Op::kPing, "");
  many += C(Op::kContinuation, "");
  Outcome o = Expect(many);
  ASSERT_EQ(o.events.size(), 6u);
  EXPECT_EQ(o.events.back(), "bin:01234");
}

// 6.*: UTF-8 in text messages: valid text passes, anything invalid fails with 1007, also split
// across fragments, and fails fast (before the message ends).
TEST(WebSocketCodec, Case6_Utf8) {
  const char* valid[] = {"", "Hello-µ@ßöäüàá-UTF-8!!", "κόσμε", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
                         "\xef\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80", "\xc2\x80", "\x7f"};
  for (const char* s : valid) {
    EXPECT_EQ(Expect(C(Op::kText, s)).events, Events{std::string("text:") + s}) << s;
    std::string str(s);
    for (size_t cut = 0; cut <= str.size(); ++cut) {  // 6.2: fragmented at every byte
      Outcome o = Expect(C(Op::kText, str.substr(0, cut), false) + C(Op::kContinuation, str.substr(cut)));
      EXPECT_EQ(o.events, Events{"text:" + str});
    }
  }
  const char* invalid[] = {
      "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64",  // 6.3: surrogate
      "\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xe0\x9f\xbf", "\xf0\x80\x80\xaf",  // overlongs
      "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80",  // too big
      "\xed\xa0\x80", "\xed\xbf\xbf", "\xed\xad\xbf\xed\xb0\x80",                                   // surrogates
      "\xc2", "\xe0\xa0", "\xf0\x90\x80", "\xfe", "\xff", "a\xc0 b",                               // truncated
  };
  for (const char* s : invalid) {
    Outcome o = Expect(C(Op::kText, s));
    EXPECT_EQ(o.failure, ws_close::kInvalidPayload) << s;
    EXPECT_TRUE(o.events.empty());
    // Fragmented: still 1007.
    std::string str(s);
    EXPECT_EQ(Expect(C(Op::kText, str.substr(0, 1), false) + C(Op::kContinuation, str.substr(1))).failure,
              ws_close::kInvalidPayload);
  }
  // 6.4.*: fail fast: the bad byte fails the message though its last fragment never arrives.
  Outcome fast = Expect(C(Op::kText, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", false) +
                        C(Op::kContinuation, "\xf4\x90\x80\x80", false));
  EXPECT_EQ(fast.failure, ws_close::kInvalidPayload);
  // Binary messages are not text: any bytes pass.
  EXPECT_EQ(Expect(C(Op::kBinary, "\xff\xfe")).failure, 0);
}

// 7.*: the close frame.
TEST(WebSocketCodec, Case7_Close) {
  // 7.1.1-7.1.4: a message, then close; anything after the close is ignored.
  Outcome o = Expect(C(Op::kText, "hi") + CloseFrame(1000) + C(Op::kPing, "late") + C(Op::kText, "late") +
                     CloseFrame(1000));
  EXPECT_EQ(o.events, (Events{"text:hi", "close:1000:"}));
  EXPECT_EQ(o.failure, 0);
  // 7.1.6: a close frame in the middle of a fragmented message.
  EXPECT_EQ(Expect(C(Op::kText, "a", false) + CloseFrame(1000)).events, Events{"close:1000:"});
  EXPECT_EQ(Expect(C(Op::kClose, "")).events, Events{"close:1005:"});                          // 7.3.1
  EXPECT_EQ(Expect(C(Op::kClose, "\x03")).failure, ws_close::kProtocolError);                  // 7.3.2
  EXPECT_EQ(Expect(CloseFrame(1000, "Hello World!")).events, Events{"close:1000:Hello World!"});  // 7.3.4
  std::string r123(123, '*');
  EXPECT_EQ(Expect(CloseFrame(1000, r123)).events, Events{"close:1000:" + r123});               // 7.3.5
  std::string p124 = WebSocketClosePayload(1000, "") + std::string(124, '*');
  EXPECT_EQ(Expect(C(Op::kClose, p124)).failure, ws_close::kProtocolError);                     // 7.3.6
  EXPECT_EQ(Expect(CloseFrame(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80")).failure,
            ws_close::kInvalidPayload);                                                         // 7.5.1
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {  // 7.7.*
    EXPECT_EQ(Expect(CloseFrame(code)).events, Events{"close:" + std::to_string(code) + ":"}) << code;
  }
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {  // 7.9.*
    std::string payload = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    EXPECT_EQ(Expect(C(Op::kClose, payload)).failure, ws_close::kProtocolError) << code;
  }
}

// Masking per role: a server refuses unmasked frames, a client refuses masked ones.
TEST(WebSocketCodec, MaskingPerRole) {
  Outcome o = Expect(SerializeWebSocketFrame(Op::kText, "x", WebSocketRole::kServer));
  EXPECT_EQ(o.failure, ws_close::kProtocolError);
  Recorder rec;
  WebSocketParser client(WebSocketRole::kClient, 1024, &rec);
  EXPECT_TRUE(client.Feed(SerializeWebSocketFrame(Op::kText, "from server", WebSocketRole::kServer)));
  EXPECT_EQ(rec.events, Events{"text:from server"});
  EXPECT_FALSE(client.Feed(C(Op::kText, "masked")));
  EXPECT_EQ(client.failure_code(), ws_close::kProtocolError);
}

// The size limit is decided on the header: a frame announcing 1 GB fails before any payload, and
// fragments that add up past the limit fail too.
TEST(WebSocketCodec, MaxMessageSizeWithoutAllocating) {
  std::string header = "\x82\xff";  // binary, masked, 64-bit length
  for (int i = 7; i >= 0; --i) header.push_back(static_cast<char>((uint64_t{1} << 30) >> (8 * i)));
  header += "abcd";
  Recorder rec;
  WebSocketParser parser(WebSocketRole::kServer, 1 << 20, &rec);
  EXPECT_FALSE(parser.Feed(header));
  EXPECT_EQ(parser.failure_code(), ws_close::kMessageTooBig);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  EXPECT_EQ(Expect(C(Op::kText, std::string(100, 'a')), 100).failure, 0);
  EXPECT_EQ(Expect(C(Op::kText, std::string(101, 'a')), 100).failure, ws_close::kMessageTooBig);
  EXPECT_EQ(Expect(C(Op::kText, std::string(60, 'a'), false) + C(Op::kContinuation, std::string(41, 'a')), 100).failure,
            ws_close::kMessageTooBig);
  // Control frames are bounded by 125 bytes, not by the message limit.
  EXPECT_EQ(Expect(C(Op::kPing, std::string(100, 'a')), 10).failure, 0);
  // A length with the top bit set is a protocol error.
  std::string huge = "\x82\xff\x80";
  huge += std::string(7, '\0') + "abcd";
  EXPECT_EQ(Expect(huge).failure, ws_close::kProtocolError);
}

TEST(WebSocketCodec, SerializerAndHandshake) {
  // RFC 6455 §5.7 examples.
  EXPECT_EQ(SerializeWebSocketFrame(Op::kText, "Hello", WebSocketRole::kServer), "\x81\x05Hello");
  EXPECT_EQ(SerializeWebSocketFrame(Op::kText, "Hello", WebSocketRole::kClient, true, 0x37fa213d),
            "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
  EXPECT_EQ(SerializeWebSocketFrame(Op::kText, "Hel", WebSocketRole::kServer, false), "\x01\x03Hel");
  EXPECT_EQ(SerializeWebSocketFrame(Op::kBinary, std::string(256, 'x'), WebSocketRole::kServer).substr(0, 4),
            std::string("\x82\x7e\x01\x00", 4));
  EXPECT_EQ(SerializeWebSocketFrame(Op::kBinary, std::string(65536, 'x'), WebSocketRole::kServer).substr(0, 10),
            std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
  // RFC 6455 §1.3 example.
  EXPECT_EQ(WebSocketAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  // Close reasons are cut to fit a control frame, on a character boundary.
  std::string reason;
  for (int i = 0; i < 100; ++i) reason += "é";
  std::string payload = WebSocketClosePayload(1000, reason);
  EXPECT_LE(payload.size(), 125u);
  EXPECT_EQ(Expect(C(Op::kClose, payload)).failure, 0);
  EXPECT_EQ(WebSocketClosePayload(ws_close::kNoStatus, "x"), "");
}

}  // namespace
}  // namespace atl::server
