#include "yournet/mempool.hpp"

#include "yournet/assert.hpp"

namespace yournet {

Expected<std::string, PostRefused> Mempool::add(const Json& post) {
  std::string bytes = canonical(post);
  std::string id = sha256_hex(bytes);
  if (contains(id)) {
    return unexpected(PostRefused{PostRefusal::already_pending,
                                  "post " + id.substr(0, 16) + " is already pending"});
  }
  if (bytes.size() > limits_.max_post_bytes) {
    return unexpected(
        PostRefused{PostRefusal::too_large, "post is " + std::to_string(bytes.size()) +
                                                " bytes; the limit is " +
                                                std::to_string(limits_.max_post_bytes)});
  }
  if (size() + 1 > limits_.max_posts || bytes_ + bytes.size() > limits_.max_bytes) {
    return unexpected(PostRefused{
        PostRefusal::pool_full, "the pending pool is full (" + std::to_string(size()) + " posts, " +
                                    std::to_string(bytes_) + " bytes; the limits are " +
                                    std::to_string(limits_.max_posts) + " posts, " +
                                    std::to_string(limits_.max_bytes) +
                                    " bytes); try again after the next block"});
  }
  insert(id, post, bytes.size());
  return id;
}

void Mempool::restore(const Json& post) {
  std::string bytes = canonical(post);
  std::string id = sha256_hex(bytes);
  if (!contains(id)) insert(std::move(id), post, bytes.size());
}

void Mempool::insert(std::string id, const Json& post, std::size_t bytes) {
  std::uint64_t arrival = next_arrival_++;
  index_.emplace(id, arrival);
  by_arrival_.emplace(arrival, Entry{std::move(id), post, bytes});
  bytes_ += bytes;
}

bool Mempool::remove(const std::string& id) {
  auto it = index_.find(id);
  if (it == index_.end()) return false;
  auto entry = by_arrival_.find(it->second);
  bytes_ -= entry->second.bytes;
  by_arrival_.erase(entry);
  index_.erase(it);
  return true;
}

std::vector<Json> Mempool::posts(std::size_t max) const {
  std::vector<Json> out;
  for (const auto& [arrival, entry] : by_arrival_) {
    if (out.size() >= max) break;
    out.push_back(entry.post);
  }
  return out;
}

void Mempool::apply(const BlockTree& tree, const AddResult& change) {
  if (change.disconnected.empty() && index_.empty()) return;  // nothing to take out or put back
  for (const auto& hash : change.disconnected) {
    const Block* block = tree.find(hash);
    if (!block) continue;
    for (const auto& post : block->transactions) {
      if (!tree.main_chain_post_height(post_id(post))) restore(post);
    }
  }
  for (const auto& hash : change.connected) {
    const Block* block = tree.find(hash);
    if (!block) continue;
    for (const auto& post : block->transactions) remove(post_id(post));
  }
  if (change.is_reorg() || kFullChecks) check_consistent_with(tree);
}

void Mempool::check_consistent_with(const BlockTree& tree) const {
  for (const auto& [arrival, entry] : by_arrival_) {
    YOURNET_ASSERT(!tree.main_chain_post_height(entry.id),
                   "no pending post is in the main chain (pool consistent with the chain)");
  }
}

}  // namespace yournet
