// Tests of the process's WebSocket table (websocket_hub.h), in process on a libuv loop: events go
// to the socket's owner (and to a new owner after Reassign), sends to its peer, a refused socket's
// close reaches the owner only on a later loop turn, and a dropped owner's sockets are closed.
#include "server/websocket_hub.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

namespace atl::server {
namespace {

struct Owner : WebSocketOwner {
  std::vector<std::string> events;
  void OnWebSocketEvent(uint64_t socket, const bindings::WebSocketEventView& e) override {
    events.push_back(std::to_string(socket) + ":" + std::to_string(static_cast<int>(e.kind)) + ":" +
                     std::string(e.data) + (e.kind == bindings::WebSocketEventKind::kClose ? ":" + std::to_string(e.code) : ""));
  }
};

struct Peer : WebSocketPeer {
  std::vector<std::string> sent;
  bool PeerSend(bool binary, std::string_view data) override {
    sent.push_back((binary ? "bin:" : "text:") + std::string(data));
    return true;
  }
  void PeerClose(uint16_t code, std::string_view reason) override {
    sent.push_back("close:" + std::to_string(code) + ":" + std::string(reason));
  }
};

bindings::WebSocketEventView Text(std::string_view data) {
  bindings::WebSocketEventView e;
  e.kind = bindings::WebSocketEventKind::kText;
  e.data = data;
  return e;
}

class Hub : public ::testing::Test {
 protected:
  Hub() {
    uv_loop_init(&loop_);
    hub_ = std::make_unique<WebSocketHub>(&loop_);
  }
  ~Hub() override {
    hub_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
  uv_loop_t loop_;
  std::unique_ptr<WebSocketHub> hub_;
};

TEST_F(Hub, EventsGoToTheOwnerAndSendsToThePeer) {
  Owner owner, other;
  Peer peer;
  hub_->Attach(7, &owner);
  ASSERT_TRUE(hub_->Connect(7, &peer));
  EXPECT_FALSE(hub_->Connect(8, &peer));  // nobody owns 8
  hub_->Deliver(7, Text("a"));
  EXPECT_TRUE(hub_->Send(7, false, "b"));
  EXPECT_FALSE(hub_->Send(8, false, "x"));
  hub_->Reassign(7, &other);  // e.g. a Durable Object takes the socket
  hub_->Deliver(7, Text("c"));
  hub_->Close(7, 1000, "bye");
  EXPECT_EQ(owner.events, std::vector<std::string>{"7:0:a"});
  EXPECT_EQ(other.events, std::vector<std::string>{"7:0:c"});
  EXPECT_EQ(peer.sent, (std::vector<std::string>{"text:b", "close:1000:bye"}));
  bindings::WebSocketEventView close;
  close.kind = bindings::WebSocketEventKind::kClose;
  close.code = 1000;
  hub_->Deliver(7, close);
  EXPECT_EQ(hub_->open(), 0u);
  EXPECT_FALSE(hub_->Send(7, false, "late"));
}

TEST_F(Hub, ARefusedSocketClosesOnALaterLoopTurn) {
  Owner owner;
  hub_->Attach(3, &owner);
  hub_->Refuse(3);
  EXPECT_TRUE(owner.events.empty());  // never from inside the JS that answered
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(owner.events, std::vector<std::string>{"3:2::1006"});
  EXPECT_EQ(hub_->open(), 0u);
}

TEST_F(Hub, ADroppedOwnersSocketsAreClosedAndTheirEventsGoNowhere) {
  Owner owner, keeper;
  Peer a, b;
  hub_->Attach(1, &owner);
  hub_->Attach(2, &keeper);
  hub_->Connect(1, &a);
  hub_->Connect(2, &b);
  hub_->DropOwner(&owner);
  EXPECT_EQ(a.sent, std::vector<std::string>{"close:1012:service restart"});
  EXPECT_TRUE(b.sent.empty());
  hub_->Deliver(1, Text("after"));
  EXPECT_TRUE(owner.events.empty());
  hub_->Deliver(2, Text("kept"));
  EXPECT_EQ(keeper.events, std::vector<std::string>{"2:0:kept"});
}

}  // namespace
}  // namespace atl::server
