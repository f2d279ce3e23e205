#pragma once
// What a node reports as it works, one type per kind of event: observers (logs, traces, the
// scenario runner's checks) switch on the type, never on a string. `event_name` and
// `event_detail` give the trace's schema: {"event": name, "detail": detail}.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "yournet/block.hpp"
#include "yournet/json.hpp"

namespace yournet {
namespace event {
struct PeerAdded {
  std::string peer;
};
struct PeerDropped {
  std::string peer, reason;
};
struct PeerUnreachable {
  std::string peer, error;
};
struct PostAccepted {
  std::string id;
};
// Happens once per block per node: carries pointers, so reporting it costs nothing unless an
// observer reads it. Valid during the call only.
struct BlockAccepted {
  const Block* block;
  const std::string* from;
  bool main;  // on the main chain
};
struct BlockRejected {
  std::string hash, from, error;
};
struct BlockOrphaned {
  std::string hash, from;
};
// Side-branch blocks the tree forgot to stay within its byte bound (BlockTreeLimits).
struct BlocksEvicted {
  std::vector<std::string> hashes;  // in the order they went
};
struct ChainRejected {
  std::string from, error;
};
struct Reorg {
  std::vector<std::string> left, joined;  // blocks that left and joined the main chain
};
struct Mined {
  std::string hash, previous_hash;
  std::uint64_t index = 0, attempts = 0;
};
struct RequestRejected {
  std::string route;
  int status = 400;
  std::string error;
};
struct Loaded {
  std::uint64_t blocks = 0, posts = 0, height = 0, pending = 0, peers = 0;
};
// Why a node fetches one sender's chain (catch-up), apart from its consensus rounds.
enum class CatchUpReason : std::uint8_t {
  orphan,      // the sender's block does not connect to anything we hold
  new_sender,  // a node we do not know sent a block: learned as a peer if it answers
};
const char* catch_up_reason_name(CatchUpReason reason);
struct CatchUp {
  std::string peer;
  CatchUpReason reason = CatchUpReason::orphan;
};
// A /register_with call to `peer` failed (no answer, or a 5xx); `retry_in_s`: when the node tries
// again, nullopt when it gives up (attempts spent, or a failure no retry can mend).
struct RegisterFailed {
  std::string peer, error;
  unsigned attempt = 1;
  std::optional<double> retry_in_s;
};
}  // namespace event

using NodeEvent =
    std::variant<event::PeerAdded, event::PeerDropped, event::PeerUnreachable, event::PostAccepted,
                 event::BlockAccepted, event::BlockRejected, event::BlockOrphaned,
                 event::BlocksEvicted, event::ChainRejected, event::Reorg, event::Mined,
                 event::RequestRejected, event::Loaded, event::CatchUp, event::RegisterFailed>;

// "block_accepted", "reorg"...: the event's name in traces and logs.
const char* event_name(const NodeEvent& event);
// The event's fields as the trace writes them.
Json event_detail(const NodeEvent& event);

}  // namespace yournet
