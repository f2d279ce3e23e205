#pragma once
// What a Node keeps durably: every block it accepted, every post it acknowledged, and its peers.
// The Node calls the store synchronously, before it acknowledges anything, so that whatever it
// answered 201 for survives a crash. Loading does not trust the store: Node::load re-validates
// every record through the block tree and the post rules.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "yournet/block.hpp"

namespace yournet {

// A record could not be made durable. Not an answer to a request: the node must stop rather than
// acknowledge what it cannot keep.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One accepted block or post, as recorded.
struct StoredRecord {
  enum class Kind { block, post };
  Kind kind = Kind::block;
  std::uint64_t sequence = 0;  // acceptance order, shared by blocks and posts
  std::string key;             // the block hash or post id recorded next to the body
  std::string body;            // the block's wire JSON, or the post's JSON
  // An in-memory store's block as it was saved (then `body` may be empty); still re-validated.
  std::shared_ptr<const Block> block;
};

struct StoredState {
  std::vector<StoredRecord> records;  // in acceptance order
  std::vector<std::string> peers;     // in the order they were added
};

class NodeStore {
 public:
  virtual ~NodeStore() = default;
  // Each call returns once its record is durable, or throws StoreError. A block saved again
  // (accepted again after the tree evicted it from a side branch) keeps its first record.
  virtual void save_block(const std::shared_ptr<const Block>& block) = 0;
  virtual void save_post(const std::string& id, const Json& post) = 0;
  virtual void save_peer(const std::string& address) = 0;
  virtual void remove_peer(const std::string& address) = 0;
};

}  // namespace yournet
