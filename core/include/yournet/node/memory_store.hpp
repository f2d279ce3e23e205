#pragma once
// NodeStore in memory: what a simulated node "wrote to disk", so a simulated restart goes through
// the same Node::load as a chainnode restarting from its SQLite file. Blocks are kept as the shared
// immutable objects (no text is made unless a restart reads them).
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "yournet/node/store.hpp"

namespace yournet {

class MemoryStore : public NodeStore {
 public:
  void save_block(const std::shared_ptr<const Block>& block) override;
  void save_post(const std::string& id, const Json& post) override;
  void save_peer(const std::string& address) override;
  void remove_peer(const std::string& address) override;

  // Every record in acceptance order and the peers, as a store on disk would load them.
  const StoredState& state() const { return state_; }

 private:
  StoredState state_;
  std::unordered_set<std::string> block_keys_;  // recorded blocks, looked up only
  std::uint64_t next_sequence_ = 1;
};

}  // namespace yournet
