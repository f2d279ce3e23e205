#pragma once
// What the node's operations answer, as types: the HTTP adapter (node/http_api) writes them as the
// tutorial's statuses and texts, the simulator and tests read them directly. A refusal says whether
// it is consensus (the input is invalid: a `Rule`) or policy (this node's choice: the enums below,
// PostRefusal in mempool.hpp); see refusal.hpp.
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "yournet/block.hpp"
#include "yournet/block_tree.hpp"
#include "yournet/expected.hpp"
#include "yournet/refusal.hpp"
#include "yournet/validation.hpp"

namespace yournet {

// Why a node would not take an address as a peer: all policy.
enum class PeerRefusal {
  invalid_address,  // not http://host:port
  is_self,          // this node's own address
  peers_full,       // NodePolicy::max_peers reached
};
const char* peer_refusal_name(PeerRefusal refusal);
// The peer's normalized address ("http://host:port/"), or why not.
using PeerResult = Expected<std::string, PeerRefusal>;

// What became of a block handed to the node (receive_block). Every refusal of a block is
// consensus: `error` names the rule it breaks.
struct BlockVerdict {
  AddStatus status = AddStatus::invalid;  // added, already_known, orphan (kept), invalid
  std::optional<ValidationError> error;   // for invalid
  RefusalKind kind() const { return RefusalKind::consensus; }
};

// What a call to mine brought. nothing_to_mine and already_mining are this node's policy (it mines
// no empty block unless NodePolicy::allow_empty_blocks, one block at a time).
enum class MineStatus {
  mined,            // `block` is mined and accepted
  nothing_to_mine,  // no pending post
  already_mining,   // a mining call is under way
  stopped,          // the miner stopped before it found a nonce
};
struct MineOutcome {
  MineStatus status = MineStatus::stopped;
  std::shared_ptr<const Block> block;  // mined: the block
};

// A registration with a peer (register_with) failed after the node asked it. no_answer and
// peer_failing (a 5xx) may pass, so the node tries again later (retry_in_s, attempt + 1).
enum class RegisterFailure {
  no_answer,        // timeout, refused connection...: `error` says which
  peer_failing,     // the peer answered 5xx: `peer_status`
  peer_refused,     // the peer answered another status than 200: `peer_status`
  answer_not_json,  // its answer is not a chain dump
  invalid_chain,    // its chain breaks a rule: `chain_error`
};
struct RegisterFailed {
  RegisterFailure failure = RegisterFailure::no_answer;
  std::string error;                           // no_answer: the transport's words
  int peer_status = 0;                         // peer_failing, peer_refused
  std::optional<ValidationError> chain_error;  // invalid_chain
  unsigned attempt = 1;                        // this attempt, from 1
  std::optional<double> retry_in_s;            // when the next attempt starts, if one is planned
};
struct Registered {};  // the peer took us and we took its chain and its peers
using RegisterOutcome = std::variant<Registered, PeerRefusal, RegisterFailed>;

}  // namespace yournet
