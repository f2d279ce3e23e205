// The protocol state machine: posts, blocks, chains, peers, consensus rounds and mining (node.hpp).
#include "yournet/node/node.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "yournet/assert.hpp"

namespace yournet {

std::optional<std::string> normalize_peer_address(const std::string& address) {
  const std::string scheme = "http://";
  if (address.compare(0, scheme.size(), scheme) != 0) return std::nullopt;
  std::string rest = address.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) return std::nullopt;
  std::string host = rest.substr(0, colon);
  std::string port = rest.substr(colon + 1);
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) ||
      std::stoi(port) == 0 || std::stoi(port) > 65535) {
    return std::nullopt;
  }
  auto host_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  };
  if (host.size() > 253 || !std::all_of(host.begin(), host.end(), host_char)) return std::nullopt;
  return scheme + host + ":" + port + "/";
}

Node::Node(NodeConfig config, Transport& transport, Clock& clock, MiningService& miner,
           NodeObserver* observer, NodeStore* store)
    : config_(std::move(config)),
      transport_(transport),
      clock_(clock),
      miner_(miner),
      observer_(observer),
      store_(store),
      tree_(config_.params, config_.policy.tree),
      mempool_(config_.policy.mempool),
      peers_(std::make_shared<const std::vector<std::string>>()) {}

void Node::emit(const NodeEvent& event) {
  if (observer_) observer_->on_event(event);
}

Json Node::status() const {
  return Json{{"height", tree_.height()},
              {"tip", tree_.tip().hash},
              {"work", tree_.tip_work()},
              {"blocks_known", tree_.size()},
              {"orphans", tree_.orphan_count()},
              {"pending", mempool_.size()},
              {"peers", *peers_},
              {"difficulty_bits", config_.params.difficulty.zero_bits},
              {"require_signatures", config_.params.require_signatures}};
}

PeerResult Node::add_peer(const std::string& address) {
  auto normalized = normalize_peer_address(address);
  if (!normalized) return unexpected(PeerRefusal::invalid_address);
  if (*normalized == config_.self_address) return unexpected(PeerRefusal::is_self);
  if (is_peer(*normalized)) return *normalized;
  if (peers_->size() >= config_.policy.max_peers) return unexpected(PeerRefusal::peers_full);
  if (store_) store_->save_peer(*normalized);
  auto grown = std::make_shared<std::vector<std::string>>(*peers_);
  grown->push_back(*normalized);
  set_peers(std::move(grown));
  emit(event::PeerAdded{*normalized});
  return *normalized;
}

bool Node::remove_peer(const std::string& address, const std::string& reason) {
  auto it = std::find(peers_->begin(), peers_->end(), address);
  if (it == peers_->end()) return false;
  if (store_) store_->remove_peer(address);
  auto shrunk = std::make_shared<std::vector<std::string>>(*peers_);
  shrunk->erase(shrunk->begin() + (it - peers_->begin()));
  set_peers(std::move(shrunk));
  failing_since_.erase(address);
  last_chain_answer_.erase(address);
  ++metrics_.peers_dropped;
  emit(event::PeerDropped{address, reason});
  return true;
}

void Node::note_peer_contact(const std::string& peer, bool answered) {
  if (answered) {
    if (!failing_since_.empty()) failing_since_.erase(peer);
    return;
  }
  // A sender fetched to catch up may be no peer: nothing to forget.
  if (config_.policy.drop_peer_after <= 0 || !is_peer(peer)) return;
  const double now = clock_.now();
  auto [since, first_failure] = failing_since_.emplace(peer, now);
  if (!first_failure && now - since->second >= config_.policy.drop_peer_after) {
    remove_peer(peer, "no answer for " +
                          std::to_string(static_cast<long long>(now - since->second)) + " s");
  }
}

Expected<std::string, PostRefused> Node::submit_post(Json post) {
  if (post.is_object() && !post.contains("timestamp")) {
    // A stamp added here would not be what the author signed.
    if (post.contains("signature")) {
      return unexpected(PostRefused{PostRefusal::signed_without_timestamp,
                                    "a signed post must carry its own \"timestamp\""});
    }
    post["timestamp"] = clock_.now();
  }
  if (auto verdict = check_post(post, config_.params)) {
    return unexpected(PostRefused{PostRefusal::invalid, verdict->message(), verdict->rule});
  }
  std::string id = post_id(post);
  if (tree_.main_chain_post_height(id)) {
    return unexpected(PostRefused{PostRefusal::already_in_chain,
                                  "post " + id.substr(0, 16) + " is already in the chain"});
  }
  auto added = mempool_.add(post);
  if (added) {
    if (store_) store_->save_post(id, post);
    ++metrics_.posts_accepted;
    emit(event::PostAccepted{id});
  }
  return added;
}

AddResult Node::accept_block(const Block& block, const std::string& from) {
  if (tree_.contains(block.hash)) return tree_.add(block);  // already known: nothing to copy
  return accept_block(std::make_shared<const Block>(block), from);
}

AddResult Node::accept_block(const std::shared_ptr<const Block>& shared, const std::string& from) {
  const Block& block = *shared;
  AddResult result = tree_.add(shared);  // `block` must outlive a refusal too
  switch (result.status) {
    case AddStatus::added:
      // Durable before anything is acknowledged; orphans this block connected count as accepted
      // too.
      if (store_) {
        for (const auto& hash : result.stored) store_->save_block(tree_.find_shared(hash));
      }
      metrics_.blocks_accepted += result.stored.size();
      if (!result.evicted.empty()) {
        metrics_.blocks_evicted += result.evicted.size();
        emit(event::BlocksEvicted{result.evicted});
      }
      if (result.tip_changed) {
        mempool_.apply(tree_, result);
        if (result.is_reorg()) {
          ++metrics_.reorgs;
          emit(event::Reorg{result.disconnected, result.connected});
        }
      }
      if (observer_)
        observer_->on_event(event::BlockAccepted{&block, &from, tree_.on_main_chain(block)});
      break;
    case AddStatus::invalid:
      ++metrics_.blocks_rejected;
      emit(event::BlockRejected{block.hash, from, result.error->message()});
      break;
    case AddStatus::orphan:
      ++metrics_.blocks_orphaned;
      emit(event::BlockOrphaned{block.hash, from});
      break;
    case AddStatus::already_known:
      break;
  }
  return result;
}

std::optional<ValidationError> Node::accept_chain(const ChainText& text, const std::string& from) {
  // A chain no longer than ours that ends in a block we hold adds nothing. That is the peers'
  // answer in every sync round once in step, so skip validating it: for a long chain that is a
  // stall of the node's only thread, once a peer a round.
  if (text.size() > 0 && text.size() - 1 <= tree_.height()) {
    if (auto tip = text.tip_hash(); tip && tree_.contains(*tip)) return std::nullopt;
  }
  auto chain = text.validate(config_.params);
  if (!chain) {
    emit(event::ChainRejected{from, chain.error().message()});
    return chain.error();
  }
  const std::string tip_before = tree_.tip().hash;
  std::optional<ValidationError> error;
  for (const auto& block : *chain) {
    if (block.index == 0 || tree_.contains(block.hash)) continue;
    AddResult result =
        accept_block(std::make_shared<const Block>(block_from_text(block.json)), from);
    if (result.status == AddStatus::invalid) {
      error = result.error;
      break;
    }
  }
  // Relay the new tip once, as for a block received by /add_block: peers that lack its parents
  // fetch them, so a network that is not a full mesh converges without waiting for sync timers.
  if (tree_.tip().hash != tip_before) announce(tree_.find_shared(tree_.tip().hash), from);
  return error;
}

void Node::announce(const std::shared_ptr<const Block>& block, const std::string& except,
                    PeerId except_id) {
  const OutgoingBlock outgoing(block, config_.self_address);
  auto targets = peers_;  // a failure may drop a peer meanwhile: the callbacks keep this list
  // The answers only serve to forget peers that stopped answering; when that is off (the
  // simulator), nobody waits for them, which halves a simulated network's events.
  const bool track_answers = config_.policy.drop_peer_after > 0;
  // Found first, by its transport number or the peers' hashes: no address is compared but the
  // matching peer's (a simulated network's nodes wait on memory more than on anything else).
  const std::size_t skipped = peer_index(except, except_id);
  for (std::size_t i = 0; i < targets->size(); ++i) {
    if (i == skipped) continue;
    const std::string& peer = (*targets)[i];
    ResponseCallback done;
    if (track_answers) {
      done = [this, targets, i](const std::optional<HttpResponse>& response, const std::string&) {
        note_peer_contact((*targets)[i], response.has_value());
      };
    }
    // peer_ids_ follows peers_, which an answer called back at once may have replaced.
    const PeerId id = peers_ == targets ? peer_ids_[i] : transport_.peer_id(peer);
    transport_.send_block(peer, id, outgoing, std::move(done));
  }
}

void Node::run_consensus(std::function<void()> done) {
  if (peers_->empty()) {
    done();
    return;
  }
  if (consensus_running_) {
    consensus_next_.push_back(std::move(done));
    return;
  }
  start_consensus_round({std::move(done)});
}

void Node::start_consensus_round(std::vector<std::function<void()>> waiters) {
  if (peers_->empty()) {  // all dropped during the round before
    for (const auto& waiter : waiters) waiter();
    return;
  }
  consensus_running_ = true;
  auto remaining = std::make_shared<std::size_t>(peers_->size());
  auto finish = std::make_shared<std::function<void()>>([this, waiters = std::move(waiters)] {
    consensus_running_ = false;
    if (!consensus_next_.empty()) start_consensus_round(std::exchange(consensus_next_, {}));
    for (const auto& waiter : waiters) waiter();
  });
  const auto targets = peers_;  // a failure may drop a peer meanwhile
  for (const auto& peer : *targets) {
    fetch_chain(peer, [remaining, finish](bool) {
      if (--*remaining == 0) (*finish)();
    });
  }
}

void Node::fetch_chain(const std::string& peer, std::function<void(bool)> done) {
  transport_.send(peer, HttpRequest{"GET", "/chain", ""},
                  [this, peer, done = std::move(done)](const std::optional<HttpResponse>& response,
                                                       const std::string& error) {
                    bool answered = false;
                    if (!response) {
                      emit(event::PeerUnreachable{peer, error});
                    } else if (response->status == 200 && brings_nothing(response->body)) {
                      // The usual answer to a miner's round or a sync: not read further.
                      answered = true;
                    } else if (response->status == 200) {
                      // Taking a chain is idempotent, so the answer a peer gave last time needs no
                      // second look (kept for peers only: a sender fetched to catch up may never
                      // come back).
                      const Digest digest = sha256(response->body);
                      auto last = last_chain_answer_.find(peer);
                      if (last != last_chain_answer_.end() && last->second.digest == digest) {
                        answered = last->second.good;
                      } else {
                        try {
                          answered = !accept_chain(ChainText(response->body), peer);
                        } catch (const JsonError& e) {
                          emit(event::ChainRejected{peer, e.what()});
                        }
                        if (is_peer(peer)) last_chain_answer_[peer] = ChainAnswer{digest, answered};
                      }
                    }
                    note_peer_contact(peer, response.has_value());
                    done(answered);
                  });
}

std::size_t Node::peer_index(const std::string& address, PeerId id) const {
  if (id != kNoPeerId) return peer_ids_.index_of(id);
  const auto hash = static_cast<std::uint32_t>(std::hash<std::string>{}(address));
  std::uint32_t begin = 0;
  for (std::size_t i = 0; i < peer_keys_.size(); begin = peer_keys_[i++].end) {
    const PeerKey& key = peer_keys_[i];
    if (key.hash == hash && key.end - begin == address.size() &&
        std::memcmp(peer_text_.data() + begin, address.data(), address.size()) == 0)
      return i;
  }
  return peer_keys_.size();
}

bool Node::is_peer(const std::string& address, PeerId id) const {
  // Against the count beside the numbers: a numbered peer is found in one cache line.
  return peer_index(address, id) < peer_ids_.count;
}

void Node::set_peers(std::shared_ptr<const std::vector<std::string>> peers) {
  peers_ = std::move(peers);
  peer_keys_.clear();
  peer_text_.clear();
  std::vector<PeerId> ids;
  ids.reserve(peers_->size());
  for (const auto& peer : *peers_) {
    ids.push_back(transport_.peer_id(peer));
    peer_text_ += peer;
    YOURNET_ASSERT(peer_text_.size() <= UINT32_MAX, "the peers' addresses fit PeerKey::end");
    peer_keys_.push_back(PeerKey{static_cast<std::uint32_t>(std::hash<std::string>{}(peer)),
                                 static_cast<std::uint32_t>(peer_text_.size())});
  }
  peer_ids_.assign(ids);
}

void Node::PeerIds::assign(std::span<const PeerId> ids) {
  YOURNET_ASSERT(ids.size() <= UINT32_MAX, "a peer count fits PeerIds::count");
  count = static_cast<std::uint32_t>(ids.size());
  const std::size_t inline_count = std::min(ids.size(), kInlinePeerIds);
  std::copy_n(ids.begin(), inline_count, head.begin());
  tail.assign(ids.begin() + static_cast<std::ptrdiff_t>(inline_count), ids.end());
}

std::size_t Node::PeerIds::index_of(PeerId id) const {
  const std::size_t inline_count = std::min<std::size_t>(count, kInlinePeerIds);
  for (std::size_t i = 0; i < inline_count; ++i) {
    if (head[i] == id) return i;
  }
  const auto found = std::find(tail.begin(), tail.end(), id);
  return found == tail.end() ? count
                             : kInlinePeerIds + static_cast<std::size_t>(found - tail.begin());
}

BlockVerdict Node::receive_block(const std::shared_ptr<const Block>& block, const std::string& from,
                                 PeerId from_id) {
  AddResult result = accept_block(block, from);
  switch (result.status) {
    case AddStatus::invalid:
      break;
    case AddStatus::orphan:
      // The parent is unknown. The sender has it (it sends blocks of its main chain): fetch its
      // chain; with no sender known, fetch every peer's.
      if (!catch_up(from, event::CatchUpReason::orphan)) run_consensus([] {});
      break;
    case AddStatus::already_known:
      learn_sender(from, from_id);
      break;
    case AddStatus::added:
      // Gossip once: new blocks only.
      if (tree_.on_main_chain(*block)) announce(block, from, from_id);
      learn_sender(from, from_id);
      break;
  }
  return BlockVerdict{result.status, std::move(result.error)};
}

void Node::mine(std::function<void(MineOutcome)> done) {
  if (mempool_.size() == 0 && !config_.policy.allow_empty_blocks) {
    return done(MineOutcome{MineStatus::nothing_to_mine, nullptr});
  }
  if (mining_) return done(MineOutcome{MineStatus::already_mining, nullptr});
  mining_ = true;
  const Block& tip = tree_.tip();
  Block block;
  block.index = tip.index + 1;
  block.previous_hash = tip.hash;
  block.timestamp = clock_.now();
  std::size_t post_bytes = 0;
  for (auto& post : mempool_.posts(config_.policy.max_posts_per_block)) {
    post_bytes += canonical(post).size() + 2;  // and its ", " in the list
    if (post_bytes > config_.policy.max_block_post_bytes) break;
    block.transactions.push_back(post);
  }
  MiningRequest request{block, config_.params.difficulty, config_.mining_threads};
  miner_.mine(request, [this, done = std::move(done)](MiningResult result) {
    mining_ = false;
    if (!result.found) return done(MineOutcome{MineStatus::stopped, nullptr});
    const auto mined = std::make_shared<const Block>(std::move(result.block));
    ++metrics_.blocks_mined;
    emit(event::Mined{mined->hash, mined->previous_hash, mined->index, result.attempts});
    accept_block(mined, config_.self_address);
    // As the reference: run consensus, then announce our block if it is still on the main chain.
    run_consensus([this, mined, done] {
      if (tree_.on_main_chain(*mined)) announce(mined, "");
      done(MineOutcome{MineStatus::mined, mined});
    });
  });
}

void Node::count_request(const std::string& route, int status) {
  ++metrics_.requests[{route, status}];
}

void Node::count_refused_request(const std::string& reason) {
  ++metrics_.requests_refused[reason];
}

const char* peer_refusal_name(PeerRefusal refusal) {
  switch (refusal) {
    case PeerRefusal::invalid_address:
      return "invalid_address";
    case PeerRefusal::is_self:
      return "is_self";
    case PeerRefusal::peers_full:
      return "peers_full";
  }
  return "?";
}

}  // namespace yournet
