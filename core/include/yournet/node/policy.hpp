#pragma once
// A node's policy, as Bitcoin calls it: the local choices of what this node keeps, takes and mines,
// as against the consensus rules every node must apply (ChainParams and core/validation). Past a
// policy limit the node refuses with a policy reason or forgets the oldest entry (README,
// "Limits"); input is never called invalid for it. Every limit of the node is here, once.
#include <cstddef>

#include "yournet/block_tree.hpp"
#include "yournet/mempool.hpp"

namespace yournet {

struct NodePolicy {
  MempoolLimits mempool;  // pending posts: count, bytes, one post's bytes
  BlockTreeLimits tree;   // orphans and side-branch bytes
  std::size_t max_peers = 64;
  std::size_t max_posts_per_block = 1000;
  // Canonical bytes of the posts a mined block carries: peers refuse an /add_block body over
  // 1 MiB (413), and the block's other fields take well under the margin.
  std::size_t max_block_post_bytes = (1u << 20) - 1024;
  // The Retry-After (seconds) of the 503 that answers a post while the pool is full: about when a
  // block may have made room.
  unsigned pool_full_retry_after_s = 30;
  // Mine even with no pending post (simulated miners that keep the chain growing); the reference
  // answers "No transactions to mine".
  bool allow_empty_blocks = false;
  // A peer that has failed every contact for this many seconds is forgotten; 0 keeps peers
  // forever (the simulator's default: a partitioned peer must still be there when it heals).
  double drop_peer_after = 0;
};

}  // namespace yournet
