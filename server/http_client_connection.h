#pragma once
// The inside of HttpClient (http_client.h): one exchange (a request and its response, from
// Start to OnEnd/OnError) and one connection to an origin (socket, optional TLS session, response
// parser, idle timer), which carries one exchange at a time and waits in the client's pool
// between them. Only http_client.cc and http_client_connection.cc include this.

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "server/client_websocket.h"
#include "server/dns_lookup.h"
#include "server/http_client.h"
#include "server/http_parser.h"
#include "server/stream_socket.h"

namespace atl::server {

// One fetch, from Start to the sink's OnEnd or OnError: the request, and the connection that
// carries it once it has one.
struct HttpClient::Exchange {
  HttpClient* client = nullptr;
  OutboundRequest request;
  FetchSink* sink = nullptr;
  std::string origin;              // pool key: scheme://host:port
  DnsLookup* lookup = nullptr;     // DNS lookup running (dns_lookup.h)
  Connection* connection = nullptr;
  std::string pending_body;        // framed body chunks written before the head went out
  bool body_ended = false;         // streamed body: EndBody was called
  uint64_t body_written = 0;       // streamed body of known length: bytes taken by Write
  bool head_sent = false;
  bool paused = false;             // the sink answered false; reading stopped
  bool need_drain = false;
  std::string ws_key;              // websocket request: its Sec-WebSocket-Key
  bool done = false;
};

// One connection to an origin: carries one exchange at a time, waits in the pool between them.
// Deleted only from the libuv close callbacks (Close()), so callbacks already queued never see
// freed memory. 17 data members: the response's parse state (status_, keep_alive_,
// message_done_, unparsed_, eof_) is read across the socket and sink callbacks together.
// After a websocket request's 101 the connection carries that socket (ws_) until it closes.
class HttpClient::Connection : public HttpParser::Delegate, public StreamSocket::Owner, private ClientWebSocket::Wire {
 public:
  Connection(HttpClient* client, std::string origin, int rule);
  ~Connection() override;

  // Opens the socket to `address` for `exchange`; false if that failed at once (the exchange
  // failed too).
  bool Connect(Exchange* exchange, const struct sockaddr* address);
  // Carries `exchange` on this kept-alive connection: its head goes out now.
  void Reuse(Exchange* exchange);
  // Back in the pool: the parser is reset, the pool's idle timer runs and an idle connection the
  // peer closes is dropped at once.
  void Idle(uint32_t idle_ms);
  void Close();

  // Plain request bytes (a streamed body's chunks), encrypted for https.
  void Send(std::string_view data);
  // After the sink read again (HttpClient::Resume): parses what waited, reads on.
  void Resume();

  const std::string& origin() const { return origin_; }
  int rule() const { return rule_; }
  Exchange* exchange() const { return exchange_; }
  void set_exchange(Exchange* exchange) { exchange_ = exchange; }
  // Request bytes not yet taken by the kernel.
  size_t write_pending() const { return out_.size() + socket_.unsent(); }

 private:
  // HttpParser::Delegate
  HttpParser::Action OnHeadersComplete(const MessageHead& head) override;
  HttpParser::Action OnBody(std::string_view piece) override;
  HttpParser::Action OnMessageComplete(bool keep_alive) override;

  // StreamSocket::Owner
  void OnSocketConnected(int status) override;
  void OnSocketBytes() override;
  void OnSocketHandshake() override;
  void OnSocketData(std::string_view plain) override { Parse(plain); }
  void OnSocketEnd(int status) override;
  void OnSocketWritten(int status) override;
  void OnSocketClosed() override;

  void SendHead();
  // A websocket request's 101 checked: the exchange ends, the connection carries the socket.
  HttpParser::Action BecomeWebSocket(const MessageHead& head);
  // ClientWebSocket::Wire
  void WireSend(std::string_view bytes) override { Send(bytes); }
  size_t WirePending() const override { return write_pending(); }
  void WireClose() override { Close(); }
  void WireTimer(uint64_t at_ms) override;
  uint64_t WireNowMs() const override { return uv_now(client_->loop()); }
  // The exchange's streamed body waits for room (HttpClient::Write answered false) and there is
  // room now: tell its sink (OnDrain).
  void MaybeDrain();
  // Writes what out_ holds as far as the socket takes it now.
  void WriteOut();
  void Parse(std::string_view data, bool resumed = false);
  // The response ended: the sink hears it, the connection goes back to the pool (or closes).
  void Complete();
  // The peer closed (UV_EOF) or the socket failed.
  void HandleEof(int status);
  void StartReading();
  void StartIdleTimer();
  void OnTimer();
  static void OnTimerFired(uv_timer_t* timer) { static_cast<Connection*>(timer->data)->OnTimer(); }
  void ResetResponse();
  void FailExchange(std::string_view why);

  HttpClient* client_;
  std::string origin_;
  int rule_;                       // AddressRule of the peer
  StreamSocket socket_;
  uv_timer_t timer_;
  int handles_open_ = 0;
  Exchange* exchange_ = nullptr;     // null while idle in the pool
  HttpParser parser_;
  int status_ = 0;                 // of the response being parsed (0: no head yet)
  bool keep_alive_ = false;        // the response ended and the connection may carry another
  bool message_done_ = false;
  std::string unparsed_;           // response bytes read while the sink was not reading
  std::string out_;                // request bytes the socket did not take yet
  int write_error_ = 0;            // a write failed at once: the timer reports it on the next turn
  bool connected_ = false;
  bool eof_ = false;               // the peer closed while the sink was not reading
  std::unique_ptr<ClientWebSocket> ws_;  // after a websocket request's 101
};

}  // namespace atl::server
