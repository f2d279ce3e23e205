#include "yournet/node/memory_store.hpp"

#include <algorithm>

namespace yournet {

void MemoryStore::save_block(const std::shared_ptr<const Block>& block) {
  if (!block_keys_.insert(block->hash).second) return;  // as SQLite's INSERT OR IGNORE
  StoredRecord record;
  record.kind = StoredRecord::Kind::block;
  record.sequence = next_sequence_++;
  record.key = block->hash;
  record.block = block;
  state_.records.push_back(std::move(record));
}

void MemoryStore::save_post(const std::string& id, const Json& post) {
  StoredRecord record;
  record.kind = StoredRecord::Kind::post;
  record.sequence = next_sequence_++;
  record.key = id;
  record.body = post.dump();
  state_.records.push_back(std::move(record));
}

void MemoryStore::save_peer(const std::string& address) {
  auto& peers = state_.peers;
  if (std::find(peers.begin(), peers.end(), address) == peers.end()) peers.push_back(address);
}

void MemoryStore::remove_peer(const std::string& address) {
  auto& peers = state_.peers;
  peers.erase(std::remove(peers.begin(), peers.end(), address), peers.end());
}

}  // namespace yournet
