#pragma once
// Bitcoin's split of a refusal. Consensus: the input breaks a rule every node applies (a `Rule` of
// core/validation), so it is invalid anywhere and its sender is at fault. Policy: this node chose
// not to take it (its limits, its pool, its peers: NodePolicy); another node may, or this one
// later.
namespace yournet {

enum class RefusalKind { consensus, policy };

constexpr const char* refusal_kind_name(RefusalKind kind) {
  return kind == RefusalKind::consensus ? "consensus" : "policy";
}

}  // namespace yournet
