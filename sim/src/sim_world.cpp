#include "yournet/sim/sim_world.hpp"

#include <cstring>

#include "yournet/sim/runner.hpp"

namespace yournet::sim {
namespace {

constexpr double kEpochSeconds = 1'800'000'000.0;  // virtual wall clock at simulated time 0

// Of known size, so comparing against them compiles to a few loads (every message does it).
constexpr std::string_view kAddressPrefix = "http://node";
constexpr std::string_view kAddressSuffix = ":8000/";

}  // namespace

class SimWorld::SimTransport : public Transport {
 public:
  SimTransport(SimWorld& world, int self) : world_(world), self_(self) {}
  void send(const std::string& peer, HttpRequest request, ResponseCallback done) override {
    world_.send(self_, peer, world_.index_of(peer), std::move(request), std::move(done), nullptr);
  }
  // A node's number is its index (-1, an unknown host: none).
  PeerId peer_id(const std::string& peer) const override {
    const int index = world_.index_of(peer);
    return index < 0 ? kNoPeerId : static_cast<PeerId>(index);
  }
  // Honest nodes pass the shared immutable block: no bytes copied or parsed per message, and the
  // peer goes by its number.
  void send_block(const std::string& peer, PeerId id, const OutgoingBlock& block,
                  ResponseCallback done) override {
    const int to = id == kNoPeerId ? -1 : static_cast<int>(id);
    world_.send(self_, peer, to, HttpRequest{"POST", "/add_block", {}}, std::move(done),
                block.block());
  }

 private:
  SimWorld& world_;
  int self_;
};

SimWorld::SimWorld(const Scenario& scenario)
    : network_(scenario), stores_(scenario.nodes.size()), restarts_(scenario.nodes.size(), false) {
  for (std::size_t i = 0; i < scenario.nodes.size(); ++i) {
    addresses_.push_back(std::string(kAddressPrefix) + std::to_string(i) +
                         std::string(kAddressSuffix));
    transports_.push_back(std::make_unique<SimTransport>(*this, static_cast<int>(i)));
  }
  // Only a node the timeline restarts needs what it "wrote to disk".
  for (const auto& timed : scenario.timeline) {
    if (const auto* restart = std::get_if<action::Restart>(&timed.what))
      restarts_[static_cast<std::size_t>(restart->node)] = true;
  }
}

SimWorld::~SimWorld() = default;

void SimWorld::attach(Runner& runner) {
  runner_ = &runner;
}

double SimWorld::unix_seconds(std::int64_t t_us) const {
  return kEpochSeconds + static_cast<double>(t_us) / 1e6;
}

std::string SimWorld::address_of(int node) const {
  return addresses_[static_cast<std::size_t>(node)];
}

Transport& SimWorld::transport_of(int node) {
  return *transports_[static_cast<std::size_t>(node)];
}

NodeStore* SimWorld::open_store(int node, bool fresh) {
  const auto i = static_cast<std::size_t>(node);
  if (!restarts_[i]) return nullptr;
  if (fresh || !stores_[i]) stores_[i] = std::make_unique<MemoryStore>();
  return stores_[i].get();
}

StoredState SimWorld::stored_state(int node) {
  const auto& store = stores_[static_cast<std::size_t>(node)];
  return store ? store->state() : StoredState{};
}

// "http://node12:8000/" -> 12; -1 for any other address.
int SimWorld::index_of(const std::string& address) const {
  if (address.size() <= kAddressPrefix.size() + kAddressSuffix.size() ||
      std::memcmp(address.data(), kAddressPrefix.data(), kAddressPrefix.size()) != 0 ||
      std::memcmp(address.data() + address.size() - kAddressSuffix.size(), kAddressSuffix.data(),
                  kAddressSuffix.size()) != 0) {
    return -1;
  }
  std::int64_t index = 0;
  for (std::size_t i = kAddressPrefix.size(); i < address.size() - kAddressSuffix.size(); ++i) {
    char c = address[i];
    if (c < '0' || c > '9' || index > static_cast<std::int64_t>(addresses_.size())) return -1;
    index = index * 10 + (c - '0');
  }
  const bool leading_zero = address[kAddressPrefix.size()] == '0' &&
                            address.size() > kAddressPrefix.size() + kAddressSuffix.size() + 1;
  if (index >= static_cast<std::int64_t>(addresses_.size()) || leading_zero) return -1;
  return static_cast<int>(index);
}

void SimWorld::send(int from, const std::string& peer, int to, HttpRequest request,
                    ResponseCallback done, const std::shared_ptr<const Block>& block) {
  Runner& runner = *runner_;
  const std::int64_t now = runner.now_us();
  const std::uint32_t from_incarnation = runner.incarnation(from);
  auto fail_later = [&](const std::string& why) {
    if (!done) return;  // nobody waits for the answer
    runner.at_node(now + kRequestTimeoutUs, "timeout", from, from_incarnation,
                   [done, why] { done(std::nullopt, why); });
  };
  if (to < 0) return fail_later("unknown host " + peer);
  const std::size_t body_bytes = block ? wire_body(block).size() : request.body.size();
  runner.note_send(from, to, request.target, body_bytes);
  if (const char* why = network_.drops_request(from, to)) {
    runner.note_drop(from, to, request.target, why);
    return fail_later("timed out");
  }
  const std::size_t bytes = body_bytes + request.target.size();
  if (network_.duplicates(from, to)) {
    if (block) request.body = wire_body(block);
    runner.at(network_.arrival_us(from, to, bytes, now), "deliver", to, [this, from, to, request] {
      Runner& r = *runner_;
      if (!r.up(to)) return r.note_drop(from, to, request.target, "down");
      r.note_deliver(from, to, request.target, true);
      r.serve(to, request, [](HttpResponse) {});
    });
  }
  const std::int64_t arrival = std::max(network_.arrival_us(from, to, bytes, now), now);
  if (block && !done) {  // the step itself carries all there is: no record to keep
    runner.push_step(arrival, StepKind::deliver_block, sent_block(block), to, from);
    return;
  }
  // The message's record goes into tables every node shares: a step run on a lane leaves that to
  // the runner's walk (block_lanes.hpp).
  auto record = [this, from, to, from_incarnation, arrival, block, done = std::move(done),
                 request = std::move(request)]() mutable {
    const bool carries_block = block != nullptr;
    const std::uint32_t id = store_message(
        Message{from, to, from_incarnation, false, std::move(block), std::move(done)});
    if (!carries_block) requests_[id] = std::move(request);
    push_step(arrival, StepKind::deliver, id);
  };
  if (Lane* lane = BlockLanes::current()) return lane->add(effect::Later(std::move(record)));
  record();
}

void SimWorld::push_step(std::int64_t time_us, StepKind kind, std::uint32_t message) {
  const int node = kind == StepKind::deliver ? messages_[message].to : messages_[message].from;
  runner_->push_step(time_us, kind, message, node);
}

// A large run spends most of its time waiting for memory: the records of a message step are
// scattered over a working set far larger than the caches. They are fetched in stages
// (kPrefetchDistances), each through what the one before brought, and no more than the step
// reads: most block steps hand a node a copy of its tip's own block, which reads where the node
// is, its tip, its peers' numbers and the link its answer takes.
// Stage 0: the message, the node's slot (a block step: only where its Node is) and where its
// links are; 1: the links, the node's tip and peers' numbers; for a block new to the node (not
// its tip's) 2: what connecting and announcing it reads (the tree's fields, the tip's entry, the
// node's counters, observer and peer list, the checker's view, the slot), 3: what those point
// to. A block step needs no address: the sender goes by its number.
void SimWorld::prefetch_step(const EventKey& step, std::size_t stage) {
  if (step.kind == StepKind::closure) return;
  const bool block_step = step.kind == StepKind::deliver_block;
  switch (stage) {
    case 0:
      if (block_step) {
        runner_->prefetch_local(step.node);
      } else {
        __builtin_prefetch(&messages_[step.payload]);
        runner_->prefetch_node(step.node);
      }
      if (step.kind == StepKind::response) __builtin_prefetch(&responses_[step.payload]);
      network_.prefetch_list(step.node);
      return;
    case 1:
      network_.prefetch(step.node);
      if (!block_step) return;
      if (const Node* node = runner_->local(step.node)) node->prefetch_receive();
      return;
    case 2:
      if (!block_step) return;
      if (const Node* node = runner_->local(step.node);
          node && node->prefetch_accept(*sent_blocks_[step.payload].block))
        runner_->prefetch_new_tip(step.node);
      return;
    case 3:
      if (!block_step) return;
      if (const Node* node = runner_->local(step.node);
          node && !node->tip_is(*sent_blocks_[step.payload].block))
        node->prefetch_accept_targets(*sent_blocks_[step.payload].block);
      return;
    default:
      return;
  }
}

void SimWorld::run_step(const EventKey& step) {
  switch (step.kind) {
    case StepKind::deliver_block:
      return deliver_block(step);
    case StepKind::deliver:
      return deliver(step.payload);
    case StepKind::response:
      return hand_back(step.payload, nullptr);
    case StepKind::timeout:
      return hand_back(step.payload, "timed out");
    case StepKind::closure:
      return;
  }
}

std::uint32_t SimWorld::store_message(Message message) {
  if (free_messages_.empty()) {
    messages_.push_back(std::move(message));
    requests_.emplace_back();
    responses_.emplace_back();
    return static_cast<std::uint32_t>(messages_.size() - 1);
  }
  std::uint32_t id = free_messages_.back();
  free_messages_.pop_back();
  messages_[id] = std::move(message);
  return id;
}

// Frees the record of a message whose sender waits for no answer.
void SimWorld::release(std::uint32_t id) {
  messages_[id].block.reset();
  free_messages_.push_back(id);
}

// The route of a message: its request's, or /add_block for a block passed as is.
const std::string& SimWorld::route_of(std::uint32_t id) const {
  static const std::string kAddBlock = "/add_block";
  return messages_[id].block ? kAddBlock : requests_[id].target;
}

// The requester gets its answer, or `error` (then no answer), unless it crashed meanwhile.
void SimWorld::hand_back(std::uint32_t id, const char* error) {
  Message message = std::move(messages_[id]);
  free_messages_.push_back(id);
  if (!runner_->alive(message.from, message.from_incarnation)) return;
  if (error) return message.done(std::nullopt, error);
  static const std::string kNoError;
  const std::optional<HttpResponse> response = std::exchange(responses_[id], std::nullopt);
  message.done(response, kNoError);
}

void SimWorld::deliver(std::uint32_t id) {
  Runner& runner = *runner_;
  Message& message = messages_[id];
  const int from = message.from, to = message.to;
  Node* node = runner.local(to);
  if (!node) {
    runner.note_drop(from, to, route_of(id), "down");
    if (!message.done) return release(id);
    return push_step(runner.now_us() + kRequestTimeoutUs, StepKind::timeout, id);
  }
  runner.note_deliver(from, to, route_of(id), false);
  std::shared_ptr<const Block> block = std::move(message.block);
  auto reply = [this, id](HttpResponse response) { respond(id, std::move(response)); };
  const auto from_id = static_cast<PeerId>(from);
  if (block) return reply(block_answer(node->receive_block(block, addresses_[from], from_id)));
  message.chain_request = requests_[id].target == "/chain";
  // `message` and the request may move as others are sent.
  const HttpRequest request = std::move(requests_[id]);
  // The same block reaches every node about degree times: parse each distinct body once.
  if (request.target == "/add_block" && request.method == "POST") {
    if (auto parsed = parsed_block(request.body))
      return reply(block_answer(node->receive_block(parsed, addresses_[from], from_id)));
  }
  runner.serve(to, request, reply);
}

// The block a POST /add_block body holds, parsed as handle_request would; nullptr when it does
// not parse (handle_request then answers with the reason).
std::shared_ptr<const Block> SimWorld::parsed_block(const std::string& body) {
  auto it = parsed_blocks_.find(body);
  if (it == parsed_blocks_.end()) {
    std::shared_ptr<const Block> block;
    try {
      Json json = parse_json(body);
      if (json.is_object()) {
        if (auto parsed = block_from_json(json))
          block = std::make_shared<const Block>(std::move(*parsed));
      }
    } catch (const JsonError&) {
    }
    it = parsed_blocks_.emplace(body, std::move(block)).first;
  }
  return it->second;
}

const std::string& SimWorld::wire_body(const std::shared_ptr<const Block>& block) {
  return sent_blocks_[sent_block(block)].body;
}

std::uint32_t SimWorld::sent_block(const std::shared_ptr<const Block>& block) {
  if (BlockLanes::current()) {  // a node on a lane passes on a block it was sent: never a new one
    const auto it = sent_block_index_.find(block.get());
    YOURNET_ASSERT(it != sent_block_index_.end(), "a block first sent from a lane");
    return it->second;
  }
  auto [it, added] =
      sent_block_index_.try_emplace(block.get(), static_cast<std::uint32_t>(sent_blocks_.size()));
  if (added) sent_blocks_.push_back(SentBlock{block, block_to_json(*block).dump()});
  return it->second;
}

// A block nobody awaits an answer for: the node answers all the same, and the answer takes its
// time on the link back.
void SimWorld::deliver_block(const EventKey& step) {
  const int from = step.from, to = step.node;
  static const std::string kAddBlock = "/add_block";
  Runner& runner = *runner_;
  Node* node = runner.local(to);
  if (!node) return runner.note_drop(from, to, kAddBlock, "down");
  runner.note_deliver(from, to, kAddBlock, false);
  const BlockVerdict verdict =
      node->receive_block(sent_blocks_[step.payload].block,
                          addresses_[static_cast<std::size_t>(from)], static_cast<PeerId>(from));
  send_unawaited_back(from, to, block_answer_bytes(verdict));
}

// An answer's trip from `to` back to `from`: when it arrives, or nullopt when it is dropped.
std::optional<std::int64_t> SimWorld::send_back(int from, int to, std::size_t bytes) {
  const char* why = nullptr;
  auto arrival = network_.answer_arrival_us(to, from, bytes, runner_->now_us(), why);
  if (!arrival) runner_->note_drop(to, from, "response", why);
  return arrival;
}

// Unawaited, the answer still takes its time on the link, but needs no event of its own.
void SimWorld::send_unawaited_back(int from, int to, std::size_t bytes) {
  if (const char* why = network_.unawaited_answer(to, from, bytes, runner_->now_us()))
    runner_->note_drop(to, from, "response", why);
}

void SimWorld::respond(std::uint32_t id, HttpResponse response) {
  const int from = messages_[id].from, to = messages_[id].to;
  if (!messages_[id].done) {
    send_unawaited_back(from, to, response.body.size());
    return release(id);
  }
  const std::optional<std::int64_t> arrival = send_back(from, to, response.body.size());
  if (!arrival) return push_step(runner_->now_us() + kRequestTimeoutUs, StepKind::timeout, id);
  responses_[id] = std::move(response);
  push_step(*arrival, StepKind::response, id);
}

}  // namespace yournet::sim
