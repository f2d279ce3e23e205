// Catching up from a block's sender (node.hpp, "Catching up"): at most one fetch of a sender's
// chain per kCatchUpMinIntervalS, kMaxCatchUpFetches at once, kCatchUpSendersTracked senders.
#include <utility>

#include "yournet/node/node.hpp"

namespace yournet {

bool Node::catch_up(const std::string& sender, event::CatchUpReason reason) {
  if (sender.empty() || sender == config_.self_address) return false;
  auto it = catch_up_.find(sender);
  if (it == catch_up_.end()) {
    if (catch_up_.size() >= kCatchUpSendersTracked) forget_idle_senders();
    if (catch_up_.size() >= kCatchUpSendersTracked) return false;
    it = catch_up_.emplace(sender, CatchUpState{}).first;
  }
  CatchUpState& state = it->second;
  const bool orphan = reason == event::CatchUpReason::orphan;
  if (state.in_flight || state.deferred) {
    // The answer on its way (or the chain fetched at the interval's end) may predate this block:
    // one more fetch after it.
    if (orphan && state.in_flight) state.again = true;
    return true;
  }
  // A clock that went back (a wall clock stepped) counts as the interval passed.
  const double since = state.last_start ? clock_.now() - *state.last_start : kCatchUpMinIntervalS;
  if (since >= 0 && since < kCatchUpMinIntervalS) {
    if (orphan) defer_catch_up(sender, kCatchUpMinIntervalS - since);
    return true;
  }
  if (catch_up_fetches_ >= kMaxCatchUpFetches) return false;
  start_catch_up(sender, reason);
  return true;
}

void Node::start_catch_up(const std::string& sender, event::CatchUpReason reason) {
  CatchUpState& state = catch_up_[sender];
  state.in_flight = true;
  state.last_start = clock_.now();
  ++catch_up_fetches_;
  emit(event::CatchUp{sender, reason});
  fetch_chain(sender, [this, sender, reason](bool answered) {
    --catch_up_fetches_;
    CatchUpState& done = catch_up_[sender];  // kept while in flight
    done.in_flight = false;
    if (answered) {
      add_peer(sender);  // a node that answers with its chain: a peer, if there is room
    } else if (reason == event::CatchUpReason::orphan) {
      run_consensus([] {});  // the sender did not help: ask every peer
    }
    if (std::exchange(done.again, false)) {
      const double since = clock_.now() - *done.last_start;
      if (since >= 0 && since < kCatchUpMinIntervalS) {
        defer_catch_up(sender, kCatchUpMinIntervalS - since);
      } else if (catch_up_fetches_ < kMaxCatchUpFetches) {
        start_catch_up(sender, event::CatchUpReason::orphan);
      } else {
        run_consensus([] {});
      }
    }
  });
}

void Node::defer_catch_up(const std::string& sender, double wait_s) {
  catch_up_[sender].deferred = true;
  clock_.after(wait_s, [this, sender] {
    catch_up_[sender].deferred = false;
    if (catch_up_fetches_ < kMaxCatchUpFetches) {
      start_catch_up(sender, event::CatchUpReason::orphan);
    } else {
      run_consensus([] {});
    }
  });
}

void Node::forget_idle_senders() {
  const double now = clock_.now();
  std::erase_if(catch_up_, [now](const auto& entry) {
    const CatchUpState& state = entry.second;
    return !state.in_flight && !state.deferred &&
           (!state.last_start || now - *state.last_start >= kCatchUpMinIntervalS ||
            now < *state.last_start);
  });
}

void Node::learn_sender(const std::string& sender, PeerId sender_id) {
  // A numbered sender has an address: its text is not read (the simulator's nodes are
  // scattered over gigabytes). Asked first: the usual sender is a peer, found in the node's own
  // cache line, and the policy's is then not read.
  if (sender_id != kNoPeerId ? is_peer(sender, sender_id) : sender.empty() || is_peer(sender))
    return;
  if (peer_keys_.size() >= config_.policy.max_peers) return;
  catch_up(sender, event::CatchUpReason::new_sender);
}

}  // namespace yournet
