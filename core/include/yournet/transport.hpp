#pragma once
// How a node, or the web app, sends HTTP requests to another node: an interface implemented over
// HTTP by the live node (net/http_transport) and in memory by the simulator.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "yournet/block.hpp"
#include "yournet/http_message.hpp"

namespace yournet {

// Exactly one of response / error is set when the callback runs. An empty callback says nobody
// waits for the answer: the transport may then spare itself the bookkeeping of one.
using ResponseCallback =
    std::function<void(const std::optional<HttpResponse>& response, const std::string& error)>;

// A block on its way to peers: the shared immutable block, and its wire bytes, made at most once
// (by the first transport that needs them) however many peers it goes to.
class OutgoingBlock {
 public:
  explicit OutgoingBlock(std::shared_ptr<const Block> block) : block_(std::move(block)) {}
  const std::shared_ptr<const Block>& block() const { return block_; }
  const std::string& body() const {
    if (body_.empty()) body_ = block_to_json(*block_).dump();
    return body_;
  }

 private:
  std::shared_ptr<const Block> block_;
  mutable std::string body_;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends a request to a peer ("http://host:port/"); the callback runs later, on the node's thread.
  virtual void send(const std::string& peer, HttpRequest request, ResponseCallback done) = 0;
  // Sends POST /add_block with this block. An in-process transport (the simulator) may pass the
  // shared immutable block itself and never make its bytes.
  virtual void send_block(const std::string& peer, const OutgoingBlock& block,
                          ResponseCallback done) {
    send(peer, HttpRequest{"POST", "/add_block", block.body()}, std::move(done));
  }
};

}  // namespace yournet
