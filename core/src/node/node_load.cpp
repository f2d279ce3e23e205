// Node::load: a node's state rebuilt from its store by replaying every record, in the order the
// node accepted them, through the same block tree and post rules as live input. Replaying in order
// reproduces the tie-breaks (first seen wins) and the pending pool, reorgs included.
#include <algorithm>
#include <cstdint>
#include <memory>

#include "yournet/node/node.hpp"

namespace yournet {

std::optional<std::string> Node::load_block(const Block& block, const StoredRecord& record,
                                            const std::string& where) {
  if (block.hash != record.key) {
    return where + ": recorded as " + record.key + " but its body says " + block.hash;
  }
  AddResult result = tree_.add(block);
  switch (result.status) {
    case AddStatus::invalid:
      return where + ": " + result.error->message();
    case AddStatus::orphan:
      return where + ": its parent " + block.previous_hash + " is not among the earlier records";
    case AddStatus::already_known:
      return where + ": block " + block.hash + " is recorded twice";
    case AddStatus::added:
      break;
  }
  if (result.tip_changed) mempool_.apply(tree_, result);
  return std::nullopt;
}

std::optional<std::string> Node::load(const StoredState& state) {
  if (tree_.size() != 1 || mempool_.size() != 0 || !peers_->empty()) {
    return std::string("a node loads its store only when fresh");
  }
  // Replayed without the side-branch bound, then bounded: the store keeps blocks the live tree
  // has since evicted, and a child of one recorded after its parent came back (the parent's first
  // record stands) would otherwise find its parent gone.
  BlockTreeLimits unbounded = config_.policy.tree;
  unbounded.max_side_branch_bytes = SIZE_MAX;
  tree_.set_limits(unbounded);
  std::size_t blocks = 0, posts = 0;
  for (const auto& record : state.records) {
    const bool is_block = record.kind == StoredRecord::Kind::block;
    const std::string where =
        std::string(is_block ? "block" : "post") + " record #" + std::to_string(record.sequence);
    if (is_block && record.block) {  // kept in memory: no text to parse, the rules all the same
      if (auto error = load_block(*record.block, record, where)) return error;
      ++blocks;
      continue;
    }
    Json body;
    try {
      body = parse_json(record.body);
    } catch (const JsonError& e) {
      return where + ": " + e.what();
    }
    if (is_block) {
      auto block = block_from_json(body);
      if (!block) return where + ": " + block.error().message();
      if (auto error = load_block(*block, record, where)) return error;
      ++blocks;
    } else {
      if (auto verdict = check_post(body, config_.params)) return where + ": " + verdict->message();
      const std::string id = post_id(body);
      if (id != record.key)
        return where + ": recorded as " + record.key + " but its body's id is " + id;
      // Acknowledged once, so it bypasses the pool's bounds as a post back from a reorg does.
      if (!tree_.main_chain_post_height(id)) mempool_.restore(body);
      ++posts;
    }
  }
  auto peers = std::make_shared<std::vector<std::string>>();
  for (const auto& address : state.peers) {
    auto normalized = normalize_peer_address(address);
    if (!normalized || *normalized != address)
      return "peer record " + address + " is not http://host:port/";
    // A node started under another address may find itself in its old peer list; skip that one.
    if (address == config_.self_address || peers->size() >= config_.policy.max_peers) continue;
    if (std::find(peers->begin(), peers->end(), address) == peers->end()) peers->push_back(address);
  }
  set_peers(std::move(peers));
  if (auto evicted = tree_.set_limits(config_.policy.tree); !evicted.empty()) {
    metrics_.blocks_evicted += evicted.size();
    emit(event::BlocksEvicted{std::move(evicted)});
  }
  emit(event::Loaded{blocks, posts, tree_.height(), mempool_.size(), peers_->size()});
  return std::nullopt;
}

}  // namespace yournet
