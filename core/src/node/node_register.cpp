// register_with: asking a node to take this one as a peer (its /register_node), taking its chain
// and its peers, and trying again (kRegisterRetryBaseS) when it does not answer or fails.
#include <algorithm>
#include <utility>

#include "yournet/node/node.hpp"

namespace yournet {

void Node::register_with(const std::string& address, std::function<void(RegisterOutcome)> done) {
  auto peer = normalize_peer_address(address);
  if (!peer) return done(PeerRefusal::invalid_address);
  if (*peer == config_.self_address) return done(PeerRefusal::is_self);
  if (peers_->size() >= config_.policy.max_peers && !is_peer(*peer)) {
    return done(PeerRefusal::peers_full);
  }
  attempt_registration(*peer, 1, std::move(done));
}

void Node::attempt_registration(const std::string& peer, unsigned attempt,
                                std::function<void(RegisterOutcome)> done) {
  Json body{{"node_address", config_.self_address}};
  transport_.send(peer, HttpRequest{"POST", "/register_node", body.dump()},
                  [this, peer, attempt, done = std::move(done)](
                      const std::optional<HttpResponse>& response, const std::string& failure) {
                    auto finish = [&done](RegisterOutcome outcome) {
                      if (done) done(std::move(outcome));
                    };
                    RegisterFailed failed;
                    failed.attempt = attempt;
                    constexpr int kOk = 200, kFirstServerError = 500;
                    if (!response || response->status >= kFirstServerError) {
                      // No answer, or the peer (or a proxy on the way) failing for now: may pass,
                      // so try again later.
                      if (response) {
                        failed.failure = RegisterFailure::peer_failing;
                        failed.peer_status = response->status;
                      } else {
                        failed.failure = RegisterFailure::no_answer;
                        failed.error = failure;
                      }
                      const std::string error =
                          response ? "peer answered " + std::to_string(response->status) : failure;
                      failed.retry_in_s = plan_register_retry(peer, attempt, error);
                      return finish(std::move(failed));
                    }
                    if (response->status != kOk) {
                      failed.failure = RegisterFailure::peer_refused;
                      failed.peer_status = response->status;
                      return finish(std::move(failed));
                    }
                    std::optional<ValidationError> bad;
                    Json peers;
                    try {
                      const ChainText remote(response->body);
                      bad = accept_chain(remote, peer);
                      if (!bad) peers = parse_json(remote.peers().value_or("[]"));
                    } catch (const JsonError&) {
                      failed.failure = RegisterFailure::answer_not_json;
                      return finish(std::move(failed));
                    }
                    if (bad) {
                      failed.failure = RegisterFailure::invalid_chain;
                      failed.chain_error = std::move(bad);
                      return finish(std::move(failed));
                    }
                    add_peer(peer);
                    // As the reference (peers.update(response.json()['peers'])): learn the peer's
                    // peers too, within max_peers; add_peer refuses our own address and bad ones.
                    if (peers.is_array()) {
                      for (const auto& other : peers) {
                        if (other.is_string()) add_peer(other.get<std::string>());
                      }
                    }
                    finish(Registered{});
                  });
}

std::optional<double> Node::plan_register_retry(const std::string& peer, unsigned attempt,
                                                const std::string& error) {
  // One retry planned per peer (an operator's second call while one is planned leaves it be),
  // for at most max_peers peers.
  const bool planned = register_retrying_.count(peer) > 0;
  if (attempt >= kRegisterMaxAttempts || planned ||
      register_retrying_.size() >= config_.policy.max_peers) {
    emit(event::RegisterFailed{peer, error, attempt, std::nullopt});
    return std::nullopt;
  }
  const double delay = std::min(kRegisterRetryCapS, kRegisterRetryBaseS * (1u << (attempt - 1)));
  register_retrying_.insert(peer);
  emit(event::RegisterFailed{peer, error, attempt, delay});
  clock_.after(delay, [this, peer, attempt] {
    register_retrying_.erase(peer);
    // A peer already (it sent us a block and answered for its chain), or no room left: done.
    if (is_peer(peer) || peers_->size() >= config_.policy.max_peers) return;
    attempt_registration(peer, attempt + 1, nullptr);
  });
  return delay;
}

}  // namespace yournet
