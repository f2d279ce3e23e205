#include "yournet/node/node.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <memory>
#include <utility>

#include "yournet/printable.hpp"

namespace yournet {
namespace {

HttpResponse text(int status, std::string body) {
  return HttpResponse{status, std::move(body)};
}
HttpResponse json_response(int status, const Json& body) {
  return HttpResponse{status, body.dump(), "application/json"};
}

std::string route_of(const std::string& target) {
  return target.substr(0, target.find('?'));
}

bool is_block_hash(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// What a GET /chain body declares before its blocks: its "length", when that is the first key (as
// in the reference's bodies and ours), and its "tip" hash, when that follows (ours). Read without
// parsing the chain, which is what a consensus round costs.
struct ChainHead {
  std::uint64_t length = 0;
  std::optional<std::string> tip;
};
std::optional<ChainHead> read_chain_head(std::string_view body) {
  auto skip_space = [&] {
    while (!body.empty() && (body.front() == ' ' || body.front() == '\n' || body.front() == '\r' ||
                             body.front() == '\t'))
      body.remove_prefix(1);
  };
  auto take = [&](std::string_view token) {
    skip_space();
    if (!body.starts_with(token)) return false;
    body.remove_prefix(token.size());
    return true;
  };
  if (!take("{") || !take("\"length\"") || !take(":")) return std::nullopt;
  skip_space();
  ChainHead head;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), head.length);
  if (ec != std::errc() || end == body.data()) return std::nullopt;
  body.remove_prefix(static_cast<std::size_t>(end - body.data()));
  constexpr std::size_t kHashSize = 64;
  if (take(",") && take("\"tip\"") && take(":") && take("\"") && body.size() > kHashSize &&
      body[kHashSize] == '"') {
    head.tip = std::string(body.substr(0, kHashSize));
  }
  return head;
}

// The JSON object of a request body, or a 400 naming what is wrong with it.
std::optional<Json> parse_object(const std::string& body, HttpResponse& error) {
  try {
    Json value = parse_json(body);
    if (value.is_object()) return value;
    error = text(400, "request body must be a JSON object");
  } catch (const JsonError& e) {
    error = text(400, std::string("request body: ") + e.what());
  }
  return std::nullopt;
}

}  // namespace

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
      tree_(config_.params, config_.tree),
      mempool_(config_.mempool),
      peers_(std::make_shared<const std::vector<std::string>>()) {}

void Node::emit(const NodeEvent& event) {
  if (observer_) observer_->on_event(event);
}

Json Node::chain_body() {
  return parse_json(*chain_text());
}

std::shared_ptr<const std::string> Node::chain_text() {
  // Blocks written before and still on the main chain are kept: only blocks new on it since the
  // last call are written (after a reorg, those above the fork).
  const std::size_t length = tree_.height() + 1;
  std::size_t kept = std::min<std::size_t>(chain_blocks_.size(), length);
  while (kept > 0 && tree_.at_height(kept - 1) != chain_blocks_[kept - 1]) --kept;
  if (chain_answer_ && kept == length && chain_blocks_.size() == length && chain_peers_ == peers_)
    return chain_answer_;
  // The reference's keys ("length", "chain", "peers"), "length" first and then the tip's hash (an
  // addition the reference ignores), so that a peer can tell a chain that brings nothing from
  // its first bytes (see start_consensus_round).
  const std::string head =
      "{\"length\":" + std::to_string(length) + ",\"tip\":\"" + tree_.tip().hash + "\",\"chain\":";
  const std::size_t kept_end = kept == 0 ? chain_head_size_ : chain_block_ends_[kept - 1];
  if (!chain_answer_ || chain_answer_.use_count() > 1 || head.size() != chain_head_size_) {
    // An answer still on its way holds the text (or the head grows a digit): a new copy.
    auto fresh = std::make_shared<std::string>();
    fresh->reserve(head.size() + (kept_end - chain_head_size_) + 4096);
    *fresh += head;
    if (chain_answer_) fresh->append(*chain_answer_, chain_head_size_, kept_end - chain_head_size_);
    for (auto& end : chain_block_ends_) end = end - chain_head_size_ + head.size();
    chain_answer_ = std::move(fresh);
    chain_head_size_ = head.size();
  } else {
    chain_answer_->replace(0, head.size(), head);
  }
  chain_blocks_.resize(kept);
  chain_block_ends_.resize(kept);
  std::string& answer = *chain_answer_;
  answer.resize(kept == 0 ? chain_head_size_ : chain_block_ends_.back());
  for (std::uint64_t height = kept; height < length; ++height) {
    const Block* block = tree_.at_height(height);
    answer += height == 0 ? '[' : ',';
    answer += block_to_json(*block).dump();
    chain_blocks_.push_back(block);
    chain_block_ends_.push_back(answer.size());
  }
  answer += "],\"peers\":";
  answer += Json(*peers_).dump();
  answer += '}';
  chain_peers_ = peers_;
  return chain_answer_;
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

bool Node::add_peer(const std::string& address) {
  auto normalized = normalize_peer_address(address);
  if (!normalized || *normalized == config_.self_address) return false;
  if (std::find(peers_->begin(), peers_->end(), *normalized) != peers_->end()) return true;
  if (peers_->size() >= config_.max_peers) return false;
  if (store_) store_->save_peer(*normalized);
  auto grown = std::make_shared<std::vector<std::string>>(*peers_);
  grown->push_back(*normalized);
  set_peers(std::move(grown));
  emit(event::PeerAdded{*normalized});
  return true;
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
  if (config_.drop_peer_after <= 0 || !is_peer(peer)) return;
  const double now = clock_.now();
  auto [since, first_failure] = failing_since_.emplace(peer, now);
  if (!first_failure && now - since->second >= config_.drop_peer_after) {
    remove_peer(peer, "no answer for " +
                          std::to_string(static_cast<long long>(now - since->second)) + " s");
  }
}

Expected<std::string, PostRefused> Node::submit_post(Json post) {
  if (post.is_object() && !post.contains("timestamp")) {
    // A stamp added here would not be what the author signed.
    if (post.contains("signature")) {
      return unexpected(
          PostRefused{PostRefusal::invalid, "a signed post must carry its own \"timestamp\""});
    }
    post["timestamp"] = clock_.now();
  }
  if (auto verdict = check_post(post, config_.params)) {
    return unexpected(PostRefused{PostRefusal::invalid, verdict->message()});
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

void Node::announce(const std::shared_ptr<const Block>& block, const std::string& except) {
  const OutgoingBlock outgoing(block, config_.self_address);
  auto targets = peers_;  // a failure may drop a peer meanwhile: the callbacks keep this list
  // The answers only serve to forget peers that stopped answering; when that is off (the
  // simulator), nobody waits for them, which halves a simulated network's events.
  const bool track_answers = config_.drop_peer_after > 0;
  // Found first, in a loop of its own: the addresses' bytes are then fetched side by side (a
  // simulated network's nodes wait on memory more than on anything else).
  const auto skipped = std::find(targets->begin(), targets->end(), except) - targets->begin();
  for (std::size_t i = 0; i < targets->size(); ++i) {
    if (static_cast<std::ptrdiff_t>(i) == skipped) continue;
    const std::string& peer = (*targets)[i];
    ResponseCallback done;
    if (track_answers) {
      done = [this, targets, i](const std::optional<HttpResponse>& response, const std::string&) {
        note_peer_contact((*targets)[i], response.has_value());
      };
    }
    transport_.send_block(peer, outgoing, std::move(done));
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

bool Node::is_peer(const std::string& address) const {
  const std::size_t hash = std::hash<std::string>{}(address);
  for (std::size_t i = 0; i < peer_hashes_.size(); ++i) {
    if (peer_hashes_[i] == hash && (*peers_)[i] == address) return true;
  }
  return false;
}

void Node::set_peers(std::shared_ptr<const std::vector<std::string>> peers) {
  peers_ = std::move(peers);
  peer_hashes_.clear();
  for (const auto& peer : *peers_) peer_hashes_.push_back(std::hash<std::string>{}(peer));
}

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

void Node::learn_sender(const std::string& sender) {
  if (sender.empty() || peers_->size() >= config_.max_peers || is_peer(sender)) return;
  catch_up(sender, event::CatchUpReason::new_sender);
}

bool Node::brings_nothing(const std::string& body) const {
  auto head = read_chain_head(body);
  if (!head) return false;
  // Shorter than ours: it cannot become our main chain, and should it ever grow past ours, its
  // new tip's announcement brings us back for it.
  if (head->length <= tree_.height()) return true;
  // As long as ours and ending in a block we hold (accept_chain's own shortcut, taken before
  // parsing).
  return head->length == tree_.height() + 1 && head->tip && tree_.contains(*head->tip);
}

void Node::mine(std::function<void(std::string)> done) {
  if (mempool_.size() == 0 && !config_.allow_empty_blocks) {
    done("No transactions to mine");
    return;
  }
  if (mining_) {
    done("Mining is already in progress");
    return;
  }
  mining_ = true;
  const Block& tip = tree_.tip();
  Block block;
  block.index = tip.index + 1;
  block.previous_hash = tip.hash;
  block.timestamp = clock_.now();
  std::size_t post_bytes = 0;
  for (auto& post : mempool_.posts(config_.max_posts_per_block)) {
    post_bytes += canonical(post).size() + 2;  // and its ", " in the list
    if (post_bytes > config_.max_block_post_bytes) break;
    block.transactions.push_back(post);
  }
  MiningRequest request{block, config_.params.difficulty, config_.mining_threads};
  miner_.mine(request, [this, done = std::move(done)](MiningResult result) {
    mining_ = false;
    if (!result.found) {
      done("Mining was stopped");
      return;
    }
    const auto mined = std::make_shared<const Block>(std::move(result.block));
    ++metrics_.blocks_mined;
    emit(event::Mined{mined->hash, mined->previous_hash, mined->index, result.attempts});
    accept_block(mined, config_.self_address);
    // As the reference: run consensus, then announce our block if it is still on the main chain.
    run_consensus([this, mined, done] {
      if (tree_.on_main_chain(*mined)) announce(mined, "");
      done("Block #" + std::to_string(mined->index) + " is mined.");
    });
  });
}

void Node::count_request(const std::string& route, const HttpResponse& response) {
  ++metrics_.requests[{route, response.status}];
  if (response.status >= 400) {
    emit(event::RequestRejected{route, response.status, printable(response.body, 300)});
  }
}

namespace {

struct Route {
  const char* path;
  const char* method;
};
constexpr Route kRoutes[] = {
    {"/new_transaction", "POST"}, {"/chain", "GET"},          {"/mine", "GET"},
    {"/pending_tx", "GET"},       {"/register_node", "POST"}, {"/register_with", "POST"},
    {"/add_block", "POST"},       {"/status", "GET"},         {"/block/", "GET"},
    {"/metrics", "GET"},          {"/sync", "POST"}};
constexpr std::string_view kBlockPrefix = "/block/";

// "/block/<hash>" is one route; its hash is the rest of the path.
std::string route_key(const std::string& path) {
  return path.rfind(kBlockPrefix, 0) == 0 ? std::string(kBlockPrefix) : path;
}

const Route* find_route(const std::string& route) {
  auto known = std::find_if(std::begin(kRoutes), std::end(kRoutes),
                            [&](const Route& r) { return route == r.path; });
  return known == std::end(kRoutes) ? nullptr : known;
}

}  // namespace

std::string Node::route_label(const HttpRequest& request) {
  const Route* known = find_route(route_key(route_of(request.target)));
  return known ? std::string(known->path) : std::string("other");
}

void Node::refuse(const HttpRequest& request, HttpResponse answer, const std::string& reason,
                  const Respond& respond) {
  ++metrics_.requests_refused[reason];
  count_request(route_label(request), answer);
  respond(std::move(answer));
}

void Node::handle(const HttpRequest& request, Respond respond) {
  const std::string path = route_of(request.target);
  const std::string block_prefix(kBlockPrefix);
  const std::string route = route_key(path);
  const Route* known = find_route(route);
  // Every answer is counted by route and status, and every refusal reported.
  respond = [this, label = known ? std::string(known->path) : std::string("other"),
             inner = std::move(respond)](HttpResponse response) {
    count_request(label, response);
    inner(std::move(response));
  };
  if (!known) {
    respond(text(404, "Not found: " + printable(route)));
    return;
  }
  if (request.method != known->method) {
    respond(text(405, "Method " + printable(request.method, 40) + " not allowed on " + route +
                          "; use " + known->method));
    return;
  }
  if (route == "/new_transaction") return handle_new_transaction(request, respond);
  if (route == "/chain") return respond(HttpResponse{200, chain_text(), "application/json"});
  if (route == "/pending_tx") return respond(json_response(200, Json(mempool_.posts())));
  if (route == "/status") return respond(json_response(200, status()));
  if (route == "/metrics") {
    return respond(HttpResponse{200, metrics_text(), "text/plain; version=0.0.4; charset=utf-8"});
  }
  if (route == block_prefix) return handle_get_block(path.substr(block_prefix.size()), respond);
  if (route == "/mine") {
    return mine([respond](std::string message) { respond(text(200, std::move(message))); });
  }
  if (route == "/sync") {
    // Ours: an orchestrator's way to make a node catch up now rather than at its next sync.
    return run_consensus([this, respond] {
      respond(json_response(200, Json{{"height", tree_.height()}, {"tip", tree_.tip().hash}}));
    });
  }
  if (route == "/register_node") return handle_register_node(request, respond);
  if (route == "/register_with") return handle_register_with(request, respond);
  handle_add_block(request, respond);
}

void Node::handle_new_transaction(const HttpRequest& request, Respond& respond) {
  HttpResponse error;
  auto post = parse_object(request.body, error);
  if (!post) return respond(error);
  auto added = submit_post(std::move(*post));
  if (!added && added.error().reason == PostRefusal::pool_full) {
    // The client did nothing wrong: the server is busy, and says when to come back.
    HttpResponse busy = text(503, "Pending pool full: " + added.error().message);
    busy.headers.push_back({"retry-after", std::to_string(config_.pool_full_retry_after_s)});
    return respond(std::move(busy));
  }
  if (!added) return respond(text(400, "Invalid transaction data: " + added.error().message));
  respond(text(201, "Success"));
}

void Node::handle_get_block(const std::string& hash, Respond& respond) {
  if (!is_block_hash(hash)) return respond(text(400, "a block hash is 64 lowercase hex digits"));
  const Block* block = tree_.find(hash);
  if (!block) return respond(text(404, "Unknown block " + hash));
  respond(json_response(200, block_to_json(*block)));
}

void Node::handle_add_block(const HttpRequest& request, Respond& respond) {
  // Who sent it, when the request says (our nodes do): the address that node is reached at.
  std::string sender;
  if (auto claimed = request.header(kSenderHeader)) {
    auto address = normalize_peer_address(std::string(*claimed));
    if (!address) {
      return respond(text(400,
                          "The block was discarded by the node: header X-Yournet-Node must "
                          "be http://host:port/, not " +
                              printable(*claimed, 100)));
    }
    if (*address != config_.self_address) sender = std::move(*address);
  }
  HttpResponse error;
  auto json = parse_object(request.body, error);
  if (!json) return respond(text(400, "The block was discarded by the node: " + error.body.str()));
  auto block = block_from_json(*json);
  if (!block) {
    return respond(text(400, "The block was discarded by the node: " + block.error().message()));
  }
  receive_block(std::make_shared<const Block>(std::move(*block)), respond, sender);
}

void Node::receive_block(const std::shared_ptr<const Block>& block, const Respond& respond,
                         const std::string& from) {
  AddResult result = accept_block(block, from);
  switch (result.status) {
    case AddStatus::invalid:
      return respond(text(400, "The block was discarded by the node: " + result.error->message()));
    case AddStatus::orphan:
      // The parent is unknown. The sender has it (it sends blocks of its main chain): fetch its
      // chain; with no sender known, fetch every peer's.
      if (!catch_up(from, event::CatchUpReason::orphan)) run_consensus([] {});
      return respond(text(202, "Block kept until its parent arrives"));
    case AddStatus::already_known:
      learn_sender(from);
      return respond(text(201, "Block added to the chain"));
    case AddStatus::added:
      if (tree_.on_main_chain(*block)) announce(block, from);  // gossip once: new blocks only
      learn_sender(from);
      return respond(text(201, "Block added to the chain"));
  }
}

HttpResponse Node::peers_full() const {
  return text(
      400, "this node has as many peers as it takes (" + std::to_string(config_.max_peers) + ")");
}

Expected<std::string, HttpResponse> Node::requested_peer(const HttpRequest& request) const {
  HttpResponse error;
  auto json = parse_object(request.body, error);
  if (!json) return unexpected(error);
  auto address = json->find("node_address");
  std::optional<std::string> peer;
  if (address != json->end() && address->is_string()) {
    peer = normalize_peer_address(address->get<std::string>());
  }
  if (!peer) return unexpected(text(400, "\"node_address\" must be http://host:port"));
  if (*peer == config_.self_address) {
    return unexpected(text(400, "\"node_address\" is this node's own address"));
  }
  return *peer;
}

void Node::handle_register_node(const HttpRequest& request, Respond& respond) {
  auto peer = requested_peer(request);
  if (!peer) return respond(peer.error());
  if (!add_peer(*peer)) return respond(peers_full());
  respond(HttpResponse{200, chain_text(), "application/json"});
}

void Node::handle_register_with(const HttpRequest& request, Respond respond) {
  auto peer = requested_peer(request);
  if (!peer) return respond(peer.error());
  if (peers_->size() >= config_.max_peers && !is_peer(*peer)) return respond(peers_full());
  register_with(*peer, 1, std::move(respond));
}

void Node::register_with(const std::string& peer, unsigned attempt, Respond respond) {
  Json body{{"node_address", config_.self_address}};
  transport_.send(
      peer, HttpRequest{"POST", "/register_node", body.dump()},
      [this, peer, attempt, respond = std::move(respond)](
          const std::optional<HttpResponse>& response, const std::string& failure) {
        auto finish = [&respond](HttpResponse answer) {
          if (respond) respond(std::move(answer));
        };
        if (!response || response->status >= 500) {
          // No answer, or the peer (or a proxy on the way) failing for now: may pass, so try
          // again later.
          const std::string error =
              response ? "peer answered " + std::to_string(response->status) : failure;
          std::string message = "Registration failed: " + error;
          if (auto retry_in = plan_register_retry(peer, attempt, error)) {
            message += "; trying again in " + canonical(*retry_in) + " s (attempt " +
                       std::to_string(attempt + 1) + " of " + std::to_string(kRegisterMaxAttempts) +
                       ")";
          }
          return finish(text(502, std::move(message)));
        }
        if (response->status != 200) {
          // Its status only: echoing its body would let a caller read what any
          // host the node can reach answers (the reference's open-proxy bug).
          return finish(
              text(502, "Registration failed: peer answered " + std::to_string(response->status)));
        }
        std::optional<ValidationError> bad;
        Json peers;
        try {
          const ChainText remote(response->body);
          bad = accept_chain(remote, peer);
          if (!bad) peers = parse_json(remote.peers().value_or("[]"));
        } catch (const JsonError&) {  // not e.what(): it quotes the body
          return finish(text(502, "Registration failed: the peer's answer is not JSON"));
        }
        if (bad) {
          return finish(
              text(502, "Registration failed: peer's chain is invalid: " + bad->message()));
        }
        add_peer(peer);
        // As the reference (peers.update(response.json()['peers'])): learn the peer's
        // peers too, within max_peers; add_peer refuses our own address and bad ones.
        if (peers.is_array()) {
          for (const auto& other : peers) {
            if (other.is_string()) add_peer(other.get<std::string>());
          }
        }
        finish(text(200, "Registration successful"));
      });
}

std::optional<double> Node::plan_register_retry(const std::string& peer, unsigned attempt,
                                                const std::string& error) {
  // One retry planned per peer (an operator's second call while one is planned leaves it be),
  // for at most max_peers peers.
  const bool planned = register_retrying_.count(peer) > 0;
  if (attempt >= kRegisterMaxAttempts || planned ||
      register_retrying_.size() >= config_.max_peers) {
    emit(event::RegisterFailed{peer, error, attempt, std::nullopt});
    return std::nullopt;
  }
  const double delay = std::min(kRegisterRetryCapS, kRegisterRetryBaseS * (1u << (attempt - 1)));
  register_retrying_.insert(peer);
  emit(event::RegisterFailed{peer, error, attempt, delay});
  clock_.after(delay, [this, peer, attempt] {
    register_retrying_.erase(peer);
    // A peer already (it sent us a block and answered for its chain), or no room left: done.
    if (is_peer(peer) || peers_->size() >= config_.max_peers) return;
    register_with(peer, attempt + 1, nullptr);
  });
  return delay;
}

}  // namespace yournet
