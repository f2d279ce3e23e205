#pragma once
// Adversarial node behaviours behind one interface: the node runs the honest code, and its
// adversary rewrites or holds back what it sends and reacts to what it sees. The same objects run
// in every world: simulated, in-process over HTTP, beside chainnode processes.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "yournet/node/node.hpp"
#include "yournet/sim/rng.hpp"
#include "yournet/sim/scenario.hpp"
#include "yournet/sim/trace.hpp"

namespace yournet::sim {

// What an adversary may use of the run: its own node, the trace, timers, its random stream.
class AdversaryHost {
 public:
  virtual ~AdversaryHost() = default;
  virtual Node& node() = 0;
  virtual void trace(TraceEvent kind, Json detail) = 0;
  // Runs `fn` after `delay_us` unless the node crashed or left meanwhile.
  virtual void after_us(std::int64_t delay_us, std::function<void()> fn) = 0;
  virtual Rng& rng() = 0;
  virtual int self() const = 0;
  virtual Transport& transport() = 0;  // the node's own, below any adversary
};

// A selfish miner's races (Eyal and Sirer's state 0'): its branch published to tie the honest one,
// and who found the next block. honest_on_pool / (honest_on_pool + honest_on_other) measures
// gamma, the share of honest power that mined on the pool's block.
struct SelfishRaces {
  std::uint64_t races = 0;
  std::uint64_t won_by_pool = 0;      // the pool found the next block and published it at once
  std::uint64_t honest_on_pool = 0;   // an honest node found it, on the pool's block
  std::uint64_t honest_on_other = 0;  // an honest node found it, on the honest block
};

class Adversary {
 public:
  virtual ~Adversary() = default;
  // The body of a POST /add_block it is about to send: what to send instead, or nullopt to hold
  // it back.
  virtual std::optional<std::string> outgoing_block(const std::string& body) { return body; }
  // Its answer to GET /chain, rewritten in place.
  virtual void rewrite_chain_answer(HttpResponse& /*response*/) {}
  virtual void on_mined(const std::string& /*hash*/, std::uint64_t /*index*/) {}
  virtual void on_block_accepted(const Block& /*block*/, bool /*mined_here*/) {}
  // Automatic mining stopped for good (auto_mine off, or max_blocks reached).
  virtual void on_mining_stopped() {}
  // The node is up (at the start, a join or a restart).
  virtual void on_started() {}
  // A selfish miner's races so far; nullopt for other behaviours.
  virtual std::optional<SelfishRaces> races() const { return std::nullopt; }
};

// nullptr for an honest node.
std::unique_ptr<Adversary> make_adversary(const NodeSpec& spec, const Scenario& scenario,
                                          AdversaryHost& host);

// The node's transport as its adversary sends: /add_block bodies pass through the adversary.
class AdversaryTransport : public Transport {
 public:
  AdversaryTransport(Transport& inner, Adversary& adversary, AdversaryHost& host)
      : inner_(inner), adversary_(adversary), host_(host) {}
  void send(const std::string& peer, HttpRequest request, ResponseCallback done) override;
  PeerId peer_id(const std::string& peer) const override { return inner_.peer_id(peer); }
  // The adversary works on bytes: the shared block is not passed as is.
  void send_block(const std::string& peer, PeerId, const OutgoingBlock& block,
                  ResponseCallback done) override {
    send(peer, block.request(), std::move(done));
  }

 private:
  Transport& inner_;
  Adversary& adversary_;
  AdversaryHost& host_;
};

}  // namespace yournet::sim
