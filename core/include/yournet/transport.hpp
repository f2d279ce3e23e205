#pragma once
// How a node, or the web app, sends HTTP requests to another node: an interface implemented over
// HTTP by the live node (net/http_transport) and in memory by the simulator.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "yournet/block.hpp"
#include "yournet/http_message.hpp"

namespace yournet {

// The header our nodes add to the blocks they send (POST /add_block): the sender's own address,
// "http://host:port/", which the request does not otherwise carry (the tutorial's nodes just POST
// the block, and the server sees the peer's IP but not the port it listens on). The receiver
// fetches the sender's chain when it cannot connect the block, and learns the sender as a peer;
// the tutorial's nodes ignore it.
inline constexpr std::string_view kSenderHeader = "x-yournet-node";

// Exactly one of response / error is set when the callback runs. An empty callback says nobody
// waits for the answer: the transport may then spare itself the bookkeeping of one.
using ResponseCallback =
    std::function<void(const std::optional<HttpResponse>& response, const std::string& error)>;

// A block on its way to peers: the shared immutable block, and its wire bytes, made at most once
// (by the first transport that needs them) however many peers it goes to.
class OutgoingBlock {
 public:
  // `sender`: the sending node's own address, sent as kSenderHeader; empty sends none. A view of
  // both: made once per block per node in a simulated network, it outlives no send (transports
  // take what they need during send_block), and copies no pointer (the count of a block's
  // owners, which every node of a simulated network shares, is written by no send).
  explicit OutgoingBlock(const std::shared_ptr<const Block>& block, std::string_view sender = {})
      : block_(block), sender_(sender) {}
  const std::shared_ptr<const Block>& block() const { return block_; }
  std::string_view sender() const { return sender_; }
  const std::string& body() const {
    if (body_.empty()) body_ = block_to_json(*block_).dump();
    return body_;
  }
  // The POST /add_block request that carries it over HTTP.
  HttpRequest request() const {
    HttpRequest request{"POST", "/add_block", body()};
    if (!sender_.empty())
      request.headers.push_back({std::string(kSenderHeader), std::string(sender_)});
    return request;
  }

 private:
  const std::shared_ptr<const Block>& block_;
  std::string_view sender_;
  mutable std::string body_;
};

// A transport's own number for a peer address, when it has one: the simulator numbers its nodes,
// and a node that knows its peers' numbers finds a block's sender among them, and sends to them,
// without reading an address (a simulated network of 100,000 nodes spent a third of its time
// reading and comparing address text). One number per address and one address per number; a
// transport that goes by addresses only (HTTP) has none: kNoPeerId.
using PeerId = std::uint32_t;
inline constexpr PeerId kNoPeerId = UINT32_MAX;

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends a request to a peer ("http://host:port/"); the callback runs later, on the node's thread.
  virtual void send(const std::string& peer, HttpRequest request, ResponseCallback done) = 0;
  // The transport's number for this peer address, kNoPeerId when it has none.
  virtual PeerId peer_id(const std::string& /*peer*/) const { return kNoPeerId; }
  // Sends POST /add_block with this block to `peer`, whose number is `id` (peer_id(peer)). An
  // in-process transport (the simulator) may pass the shared immutable block itself and never
  // make its bytes, and tells the receiver the sender its own way.
  virtual void send_block(const std::string& peer, PeerId /*id*/, const OutgoingBlock& block,
                          ResponseCallback done) {
    send(peer, block.request(), std::move(done));
  }
};

}  // namespace yournet
