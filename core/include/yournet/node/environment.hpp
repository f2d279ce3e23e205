#pragma once
// What a Node may use of the world: a transport to peers, a clock with timers, and a miner. The
// live node implements them with HTTP, the system clock and worker threads; the simulator with its
// in-memory network, virtual clock and deterministic mining.
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "yournet/pow.hpp"

namespace yournet {

// The header our nodes add to the blocks they send (POST /add_block): the sender's own address,
// "http://host:port/", which the request does not otherwise carry (the tutorial's nodes just POST
// the block, and the server sees the peer's IP but not the port it listens on). The receiver
// fetches the sender's chain when it cannot connect the block, and learns the sender as a peer;
// the tutorial's nodes ignore it.
inline constexpr std::string_view kSenderHeader = "x-yournet-node";

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // "/chain", "/add_block?x=1"
  std::string body;
  // Names in lower case (HTTP names are case-insensitive), in the order received.
  std::vector<std::pair<std::string, std::string>> headers = {};

  // The value of the first header of that name (lower case); nullopt when absent.
  std::optional<std::string_view> header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return std::string_view(value);
    }
    return std::nullopt;
  }
};

// A response body: text of its own, or text shared, unchanged, by every answer that carries it
// (a node's GET /chain body: the same for every peer that asks until its chain moves, so an answer
// costs no copy of the chain). Read it as a string.
class Body {
 public:
  Body() = default;
  Body(std::string text) : own_(std::move(text)) {}
  Body(const char* text) : own_(text) {}
  Body(std::shared_ptr<const std::string> shared) : shared_(std::move(shared)) {}

  const std::string& str() const { return shared_ ? *shared_ : own_; }
  operator const std::string&() const { return str(); }
  operator std::string_view() const { return str(); }
  std::size_t size() const { return str().size(); }
  bool empty() const { return str().empty(); }
  std::size_t find(std::string_view text, std::size_t from = 0) const {
    return str().find(text, from);
  }
  std::string substr(std::size_t from, std::size_t count = std::string::npos) const {
    return str().substr(from, count);
  }
  friend bool operator==(const Body& a, const Body& b) { return a.str() == b.str(); }
  // One for each kind of text, so a comparison never has to choose between conversions.
  friend bool operator==(const Body& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const Body& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const Body& a, const char* b) { return a.str() == b; }
  friend std::ostream& operator<<(std::ostream& out, const Body& body) { return out << body.str(); }

 private:
  std::string own_;
  std::shared_ptr<const std::string> shared_;
};

struct HttpResponse {
  int status = 200;
  Body body;
  std::string content_type = "text/html; charset=utf-8";  // the reference's default for text
};

// Exactly one of response / error is set when the callback runs. An empty callback says nobody
// waits for the answer: the transport may then spare itself the bookkeeping of one.
using ResponseCallback =
    std::function<void(const std::optional<HttpResponse>& response, const std::string& error)>;

// A block on its way to peers: the shared immutable block, and its wire bytes, made at most once
// (by the first transport that needs them) however many peers it goes to.
class OutgoingBlock {
 public:
  // `sender`: the sending node's own address, sent as kSenderHeader; empty sends none.
  explicit OutgoingBlock(std::shared_ptr<const Block> block, std::string sender = {})
      : block_(std::move(block)), sender_(std::move(sender)) {}
  const std::shared_ptr<const Block>& block() const { return block_; }
  const std::string& sender() const { return sender_; }
  const std::string& body() const {
    if (body_.empty()) body_ = block_to_json(*block_).dump();
    return body_;
  }
  // The POST /add_block request that carries it over HTTP.
  HttpRequest request() const {
    HttpRequest request{"POST", "/add_block", body()};
    if (!sender_.empty()) request.headers.emplace_back(kSenderHeader, sender_);
    return request;
  }

 private:
  std::shared_ptr<const Block> block_;
  std::string sender_;
  mutable std::string body_;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends a request to a peer ("http://host:port/"); the callback runs later, on the node's thread.
  virtual void send(const std::string& peer, HttpRequest request, ResponseCallback done) = 0;
  // Sends POST /add_block with this block. An in-process transport (the simulator) may pass the
  // shared immutable block itself and never make its bytes, and tells the receiver the sender
  // its own way.
  virtual void send_block(const std::string& peer, const OutgoingBlock& block,
                          ResponseCallback done) {
    send(peer, block.request(), std::move(done));
  }
};

class Clock {
 public:
  virtual ~Clock() = default;
  // Unix seconds, as Python's time.time() (the reference stamps posts and blocks with it).
  virtual double now() const = 0;
  // Runs `fn` on the node's thread after `delay_seconds`.
  virtual void after(double delay_seconds, std::function<void()> fn) = 0;
};

class MiningService {
 public:
  virtual ~MiningService() = default;
  // Mines and calls back on the node's thread; the live node mines on a worker, never blocking.
  virtual void mine(MiningRequest request, std::function<void(MiningResult)> done) = 0;
};

}  // namespace yournet
