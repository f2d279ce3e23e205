#include "yournet/sim/adversary.hpp"

#include <cmath>
#include <set>
#include <vector>

namespace yournet::sim {
namespace {

// Sends blocks and chains made invalid after mining: alternately a changed nonce (the hash no
// longer matches) and a forged post with the hash recomputed but no proof of work behind it.
class Tamperer : public Adversary {
 public:
  explicit Tamperer(Difficulty difficulty) : difficulty_(difficulty) {}

  std::optional<std::string> outgoing_block(const std::string& body) override {
    Json json = parse_json(body);
    auto block = block_from_json(json);
    if (!block) return body;
    Block forged = *block;
    if (tampered_++ % 2 == 0) {
      forged.nonce += 1;  // hash field kept: bad_hash
    } else {
      forged.transactions.push_back(Json{{"author", "mallory"},
                                         {"content", "forged " + std::to_string(tampered_)},
                                         {"timestamp", forged.timestamp}});
      do {
        forged.nonce += 1;
        forged.hash = compute_block_hash(forged);
      } while (meets_difficulty(forged.hash, difficulty_));
    }
    return block_to_json(forged).dump();
  }

  void rewrite_chain_answer(HttpResponse& response) override {
    Json json = parse_json(response.body);
    Json& chain = json["chain"];
    if (chain.size() < 2) return;
    Json& last = chain.back();
    last["nonce"] = last["nonce"].get<std::uint64_t>() + 1;
    ++tampered_;
    response.body = json.dump();
  }

 private:
  Difficulty difficulty_;
  std::uint64_t tampered_ = 0;
};

// Eyal and Sirer's strategy: keep its blocks; when honest work reaches height h, release just
// enough to match it while the private lead is two or more, and everything when the lead shrinks
// to one (the private branch wins) or to none (a race). In a race, a block it finds is published
// at once (their state 0': the pool wins the race with two blocks).
class SelfishMiner : public Adversary {
 public:
  explicit SelfishMiner(AdversaryHost& host) : host_(host) {}

  std::optional<std::string> outgoing_block(const std::string& body) override {
    if (withheld_.empty()) return body;
    Json json = parse_json(body);
    auto hash = json.find("hash");
    if (hash != json.end() && hash->is_string() && withheld_.count(hash->get<std::string>()))
      return std::nullopt;
    return body;
  }

  // Its public chain: the main chain up to its first withheld block.
  void rewrite_chain_answer(HttpResponse& response) override {
    Json chain = Json::array();
    const Node& node = host_.node();
    const BlockTree& tree = node.tree();
    for (std::uint64_t h = 0; h <= tree.height(); ++h) {
      const Block* block = tree.at_height(h);
      if (withheld_.count(block->hash)) break;
      chain.push_back(block_to_json(*block));
    }
    response.body =
        Json{{"length", chain.size()}, {"chain", std::move(chain)}, {"peers", node.peers()}}.dump();
  }

  void on_mined(const std::string& hash, std::uint64_t index) override {
    if (race_ && index == race_->height + 1) {
      ++races_.won_by_pool;  // not withheld: the node announces it as any block it mines
      race_.reset();
      return;
    }
    withheld_.insert(hash);
    host_.trace(TraceEvent::withheld, Json{{"hash", hash}, {"index", index}});
  }

  void on_block_accepted(const Block& block, bool mined_here) override {
    if (mined_here) return;
    if (race_ && block.index == race_->height + 1) {
      // The race is decided by the honest block that extends one side of it.
      ++(block.previous_hash == race_->pool_tip ? races_.honest_on_pool : races_.honest_on_other);
      race_.reset();
    }
    react(block.index);
  }

  // A selfish miner that stops mining can no longer extend its lead: it publishes what it holds.
  void on_mining_stopped() override {
    race_.reset();
    if (!withheld_.empty()) react(host_.node().tree().height());
  }

  std::optional<SelfishRaces> races() const override { return races_; }

 private:
  struct Race {
    std::uint64_t height;  // where the pool's published branch ties the honest one
    std::string pool_tip;
  };

  void react(std::uint64_t honest_height) {
    Node& node = host_.node();
    const BlockTree& tree = node.tree();
    for (auto it = withheld_.begin(); it != withheld_.end();) {
      it = tree.on_main_chain(*it) ? std::next(it) : withheld_.erase(it);  // lost the race
    }
    if (withheld_.empty()) return;
    const bool release_all = tree.height() <= honest_height + 1;
    std::vector<const Block*> release;
    for (std::uint64_t h = 1; h <= tree.height(); ++h) {
      const Block* block = tree.at_height(h);
      if (withheld_.count(block->hash) && (release_all || block->index <= honest_height))
        release.push_back(block);
    }
    if (release_all && tree.height() == honest_height) {
      ++races_.races;
      race_ = Race{honest_height, tree.tip().hash};
    }
    for (const Block* block : release) {
      withheld_.erase(block->hash);
      host_.trace(TraceEvent::released, Json{{"hash", block->hash}, {"index", block->index}});
      node.announce(tree.find_shared(block->hash), "");
    }
  }

  AdversaryHost& host_;
  std::set<std::string> withheld_;  // its own blocks not yet released
  std::optional<Race> race_;        // the race under way, if any
  SelfishRaces races_;
};

// Sends posts to a random peer at a fixed rate.
class Flooder : public Adversary {
 public:
  Flooder(AdversaryHost& host, double posts_per_s) : host_(host), posts_per_s_(posts_per_s) {}

  void on_started() override { schedule(); }

 private:
  void schedule() {
    auto interval_us = static_cast<std::int64_t>(std::llround(1e6 / posts_per_s_));
    host_.after_us(interval_us, [this] {
      Node& node = host_.node();
      const auto& peers = node.peers();
      if (!peers.empty()) {
        const std::string peer = peers[host_.rng().below(peers.size())];
        Json post{{"author", "flooder" + std::to_string(host_.self())},
                  {"content", "spam " + std::to_string(flooded_++)}};
        host_.transport().send(peer, HttpRequest{"POST", "/new_transaction", post.dump()},
                               [](const std::optional<HttpResponse>&, const std::string&) {});
      }
      schedule();
    });
  }

  AdversaryHost& host_;
  double posts_per_s_;
  std::uint64_t flooded_ = 0;
};

}  // namespace

std::unique_ptr<Adversary> make_adversary(const NodeSpec& spec, const Scenario& scenario,
                                          AdversaryHost& host) {
  switch (spec.behaviour) {
    case Behaviour::honest:
      return nullptr;
    case Behaviour::tamper:
      return std::make_unique<Tamperer>(scenario.difficulty);
    case Behaviour::selfish:
      return std::make_unique<SelfishMiner>(host);
    case Behaviour::flooder:
      return std::make_unique<Flooder>(host, spec.flood_posts_per_s);
  }
  return nullptr;
}

void AdversaryTransport::send(const std::string& peer, HttpRequest request, ResponseCallback done) {
  if (request.target == "/add_block") {
    auto body = adversary_.outgoing_block(request.body);
    if (!body) {
      // Held back: the node hears "withheld" as it would a failed send, but not from within
      // its own call.
      if (done) host_.after_us(0, [done] { done(std::nullopt, "withheld"); });
      return;
    }
    request.body = std::move(*body);
  }
  inner_.send(peer, std::move(request), std::move(done));
}

}  // namespace yournet::sim
