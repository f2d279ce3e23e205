#pragma once
// Posts waiting to be mined: deduplicated by post id, bounded in count and bytes, kept in arrival
// order. A reorg puts the posts of abandoned blocks back, so no accepted post is ever lost.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "yournet/block_tree.hpp"
#include "yournet/crypto.hpp"
#include "yournet/expected.hpp"
#include "yournet/refusal.hpp"
#include "yournet/validation.hpp"

namespace yournet {

struct MempoolLimits {
  std::size_t max_posts = 10'000;
  std::size_t max_bytes = 8 << 20;        // sum of canonical sizes
  std::size_t max_post_bytes = 64 << 10;  // one post's canonical size
};

// Why a post was not taken: a typed reason, so that callers map it (a full pool is the server's
// 503, the rest the client's 400) without reading the message. Only `invalid` is a consensus
// refusal (the post breaks a rule, which `rule` names); the rest are this node's policy.
enum class PostRefusal {
  invalid,                   // breaks a rule (check_post)
  signed_without_timestamp,  // the node stamps unstamped posts, which would void a signature
  already_in_chain,          // the main chain holds it
  already_pending,           // the pool holds it
  too_large,                 // over MempoolLimits::max_post_bytes
  pool_full,                 // the pool is at max_posts or max_bytes: try again after a block
};
struct PostRefused {
  PostRefused(PostRefusal reason_, std::string message_, std::optional<Rule> rule_ = std::nullopt)
      : reason(reason_), message(std::move(message_)), rule(rule_) {}

  PostRefusal reason;
  std::string message;       // for people: names the post and the limit
  std::optional<Rule> rule;  // the consensus rule an `invalid` post breaks
  RefusalKind kind() const {
    return reason == PostRefusal::invalid ? RefusalKind::consensus : RefusalKind::policy;
  }
};

class Mempool {
 public:
  explicit Mempool(MempoolLimits limits = {}) : limits_(limits) {}

  // Adds a post that already passed check_post; returns its id or says why it was refused
  // (duplicate, too large, pool full). The pool is unchanged on refusal.
  Expected<std::string, PostRefused> add(const Json& post);
  // Puts back a post from a block that left the main chain. It bypasses the count and byte
  // bounds: losing an accepted post is worse than a pool briefly over its limit.
  void restore(const Json& post);
  bool remove(const std::string& id);
  bool contains(const std::string& id) const { return index_.count(id) != 0; }

  std::size_t size() const { return index_.size(); }
  std::size_t bytes() const { return bytes_; }
  // Posts in arrival order; `max` of them at most.
  std::vector<Json> posts(std::size_t max = SIZE_MAX) const;

  // After a change of the main chain: posts now mined leave, posts of abandoned blocks return
  // unless the new main chain holds them.
  void apply(const BlockTree& tree, const AddResult& change);
  // Asserts (YOURNET_ASSERT) that no pending post is on the tree's main chain: O(pool). apply runs
  // it after every reorg, and after every change in a YOURNET_FULL_CHECKS build.
  void check_consistent_with(const BlockTree& tree) const;

 private:
  struct Entry {
    std::string id;
    Json post;
    std::size_t bytes;
  };
  void insert(std::string id, const Json& post, std::size_t bytes);

  MempoolLimits limits_;
  std::map<std::uint64_t, Entry> by_arrival_;
  std::unordered_map<std::string, std::uint64_t> index_;  // id -> arrival; never iterated
  std::uint64_t next_arrival_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace yournet
