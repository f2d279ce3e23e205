#pragma once
// The protocol core: a node's block tree, pending pool and peers, and its typed operations (submit
// a post, receive a block, take a chain, register a peer or with one, mine, run a consensus round,
// and views of its chain, pool and status). Each answers with a typed outcome (node/outcomes.hpp,
// PostRefused, ValidationError): a refusal is consensus (a Rule) or policy (NodePolicy's limits,
// its pool, its peers). No HTTP here: node/http_api is the one adapter from the tutorial's routes
// to these operations. It talks to the world only through Transport, Clock and MiningService, so
// the live node and the simulator run this very code. Not thread-safe: one thread drives a Node.
// Files: node.cpp (posts, blocks, chains, peers, consensus rounds, mining), node_chain_answer.cpp
// (the shared GET /chain body), node_catch_up.cpp (fetching a block's sender's chain),
// node_register.cpp (register_with and its retries), node_load.cpp (state from a store),
// metrics.cpp (the /metrics text).
#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "yournet/block_tree.hpp"
#include "yournet/chain_text.hpp"
#include "yournet/crypto.hpp"
#include "yournet/mempool.hpp"
#include "yournet/node/environment.hpp"
#include "yournet/node/metrics.hpp"
#include "yournet/node/node_event.hpp"
#include "yournet/node/outcomes.hpp"
#include "yournet/node/policy.hpp"
#include "yournet/node/store.hpp"

namespace yournet {

struct NodeConfig {
  std::string self_address;  // how peers reach this node: "http://127.0.0.1:8000/"
  ChainParams params;        // consensus: what every node must agree on
  NodePolicy policy;         // this node's own limits and choices
  unsigned mining_threads = 1;
};

// Catching up. A node that receives a block it cannot connect fetches the chain of the node that
// sent it (which had the block on its main chain, so holds its ancestors), and a node that
// receives a block from a node it does not know fetches that node's chain too, and takes it as a
// peer if it answers with a chain (within max_peers): a node whose registrations were all lost
// still hears from the peers that did add it, and learns them. The sender is the transport's (the
// simulator's) or the request's kSenderHeader; without one, a block that does not connect makes
// the node fetch all its peers' chains (run_consensus), as before.
// At most one GET /chain of a sender per this interval (clock seconds); a block that does not
// connect meanwhile brings one more fetch at the interval's end.
inline constexpr double kCatchUpMinIntervalS = 5;
// Catch-up fetches in flight at once, all senders together; past it, a block that does not
// connect falls back to a consensus round (one at a time).
inline constexpr std::size_t kMaxCatchUpFetches = 8;
// Senders remembered for the rate limit; those idle for the interval are forgotten first, and
// past it a sender is not fetched from (the fallback above).
inline constexpr std::size_t kCatchUpSendersTracked = 256;

// A /register_with whose /register_node call gets no answer (timeout, refused connection) or a
// 5xx is tried again on the node's clock after base * 2^(attempt - 1) seconds, at most the cap,
// up to this many attempts in all, unless the peer has become ours meanwhile; one retry at a time
// per peer, for at most max_peers peers at once.
inline constexpr double kRegisterRetryBaseS = 2;
inline constexpr double kRegisterRetryCapS = 60;
inline constexpr unsigned kRegisterMaxAttempts = 6;

// What a node reports as it works (accepted block, reorg, rejected request, peer added...), for
// logs, traces and tests. Core code never logs by itself.
class NodeObserver {
 public:
  virtual ~NodeObserver() = default;
  virtual void on_event(const NodeEvent& event) = 0;
};

// "http://host:port" or "http://host:port/" -> "http://host:port/"; nullopt for anything else.
std::optional<std::string> normalize_peer_address(const std::string& address);

class Node {
 public:
  Node(NodeConfig config, Transport& transport, Clock& clock, MiningService& miner,
       NodeObserver* observer = nullptr, NodeStore* store = nullptr);

  // Rebuilds a fresh node's state from a store's records, re-validating every one; on any record
  // that breaks a rule, returns what is wrong with it (the node is then unusable).
  std::optional<std::string> load(const StoredState& state);

  // Views.
  const BlockTree& tree() const { return tree_; }
  const Mempool& mempool() const { return mempool_; }
  const std::vector<std::string>& peers() const { return *peers_; }
  const NodeConfig& config() const { return config_; }
  const NodeMetrics& metrics() const { return metrics_; }
  // The GET /chain body as sent ({"length", "tip", "chain", "peers"}). Every peer's consensus round
  // asks for it, so it is kept and shared by the answers that carry it, and changed in place (when
  // no answer holds it still): blocks new on the main chain appended, the head and the peers
  // rewritten.
  std::shared_ptr<const std::string> chain_text();
  Json chain_body();  // the same, parsed
  Json status() const;
  // The GET /metrics body, Prometheus text format.
  std::string metrics_text() const;

  // Posts. Adds a post (stamping it with the clock if it carries no timestamp); returns its id or
  // why not.
  Expected<std::string, PostRefused> submit_post(Json post);

  // Blocks. A block from a peer (POST /add_block; the simulator parses each distinct body once):
  // accepted, relayed to every peer but `from` when new on the main chain, and when its parent is
  // unknown the node catches up. `from`: the sender's address when known (the simulator's
  // transport knows it; over HTTP our nodes say it in kSenderHeader), so the block is not sent
  // back to it, and for catching up (kCatchUpMinIntervalS above).
  BlockVerdict receive_block(const std::shared_ptr<const Block>& block,
                             const std::string& from = {}) {
    return receive_block(block, from, kNoPeerId);
  }
  // The same from a sender the transport numbers (`from_id`, the transport's peer_id(from)): the
  // node finds it among its peers by number, never reading an address (the simulator's way).
  BlockVerdict receive_block(const std::shared_ptr<const Block>& block, const std::string& from,
                             PeerId from_id);
  // Asks the CPU to fetch what receive_block reads of the node first: its tip and its peers'
  // numbers, all that a copy of the tip's own block (most blocks a node is handed) reads. A
  // simulated network hands blocks to nodes scattered over gigabytes, and calls this two events
  // ahead. A hint: changes nothing.
  [[gnu::always_inline]] void prefetch_receive() const {
    tree_.prefetch_tip();
    __builtin_prefetch(&peer_ids_);
  }
  // Once prefetch_receive's lines are in: asks for what accepting `block` on the tip reads next
  // (BlockTree::prefetch_connect, the node's counters, its observer and its peer list). Returns
  // false, fetching nothing, for a copy of the tip's own block, the usual duplicate. A hint:
  // changes nothing.
  [[gnu::always_inline]] bool prefetch_accept(const Block& block) const {
    if (!tree_.prefetch_connect(block)) return false;
    __builtin_prefetch(&metrics_);
    __builtin_prefetch(&observer_);
    __builtin_prefetch(&peers_);
    return true;
  }
  // Whether `block` is its tip's very object (BlockTree::tip_is).
  bool tip_is(const Block& block) const { return tree_.tip_is(block); }
  // Once prefetch_accept's lines are in: what they point to (the tree's, the observer, which
  // hears of the new block, and the peer list it is announced to).
  [[gnu::always_inline]] void prefetch_accept_targets(const Block& block) const {
    tree_.prefetch_connect_targets(block);
    if (observer_) __builtin_prefetch(observer_);
    __builtin_prefetch(peers_.get());
  }
  // Adds a block from a peer or the miner; on a change of main chain the pool follows it.
  AddResult accept_block(const std::shared_ptr<const Block>& block, const std::string& from);
  AddResult accept_block(const Block& block, const std::string& from);  // copies it if new
  // Adopts every block of a peer's chain dump (a GET /chain or /register_node body, read by
  // ChainText, which throws JsonError for one that is not JSON) that is valid; returns the first
  // error, if any.
  std::optional<ValidationError> accept_chain(const ChainText& chain, const std::string& from);
  // Sends a block to every peer except `except` (whose transport number is `except_id`, if any).
  void announce(const std::shared_ptr<const Block>& block, const std::string& except,
                PeerId except_id = kNoPeerId);

  // Peers. Takes an address as a peer (a peer already is fine); its normalized form or why not.
  PeerResult add_peer(const std::string& address);
  bool remove_peer(const std::string& address, const std::string& reason);
  // Asks `address` to take this node as a peer (its /register_node) and takes its chain and its
  // peers; `done` gets the outcome (now for a refusal, else once the peer answered). A peer that
  // does not answer, or fails (5xx), is asked again later (kRegisterRetryBaseS above).
  void register_with(const std::string& address, std::function<void(RegisterOutcome)> done);

  // Consensus. Fetches every peer's chain and adopts those with more work; `done` runs when all
  // answered. One round at a time: a call during a round waits for one more round after it,
  // shared by every such call, so a burst of orphan blocks cannot multiply the fetches of whole
  // chains.
  void run_consensus(std::function<void()> done);
  // Mines the pending posts, then runs a consensus round and announces the block if it is still
  // on the main chain, as the reference does; `done` gets the outcome.
  void mine(std::function<void(MineOutcome)> done);

  // The HTTP adapter's bookkeeping, kept with the node's counters so /metrics is one text: an
  // answer by route label and status (yournet_http_requests_total), a request the server refused
  // before the node saw it by reason (yournet_http_refused_total), and an event of its own
  // (RequestRejected) to the node's observer.
  void count_request(const std::string& route, int status);
  void count_refused_request(const std::string& reason);
  void report(const NodeEvent& event) { emit(event); }

 private:
  void emit(const NodeEvent& event);
  // One stored block replayed through the tree; what is wrong with it, if anything.
  std::optional<std::string> load_block(const Block& block, const StoredRecord& record,
                                        const std::string& where);
  // Keeps track of a peer's failures; drops it once it has failed for policy.drop_peer_after.
  void note_peer_contact(const std::string& peer, bool answered);
  void start_consensus_round(std::vector<std::function<void()>> waiters);
  // Fetches a peer's GET /chain and adopts what it brings; `done(answered)`: whether the peer
  // answered with a chain (one that brings nothing counts; a refused or unreadable one does not).
  void fetch_chain(const std::string& peer, std::function<void(bool answered)> done);
  bool is_peer(const std::string& address, PeerId id = kNoPeerId) const;
  // Where `address` is in peers_; peers_->size() when it is not a peer. By `id` when the
  // transport numbers the address (`id`, its peer_id), else by the text.
  std::size_t peer_index(const std::string& address, PeerId id = kNoPeerId) const;
  // And peer_keys_, peer_text_ and peer_ids_.
  void set_peers(std::shared_ptr<const std::vector<std::string>> peers);
  // A block from `sender` (empty: unknown) asks for its chain (kCatchUpMinIntervalS above);
  // false when the node cannot fetch it (no sender, too many fetches or senders): the caller
  // falls back.
  bool catch_up(const std::string& sender, event::CatchUpReason reason);
  void start_catch_up(const std::string& sender, event::CatchUpReason reason);
  void defer_catch_up(const std::string& sender, double wait_s);
  void forget_idle_senders();
  // Takes a block's sender as a peer if it answers with its chain, when there is room.
  void learn_sender(const std::string& sender, PeerId sender_id);
  // Whether a GET /chain body can be left unparsed: its head says it is shorter than our chain,
  // or as long and ending in a block we hold.
  bool brings_nothing(const std::string& body) const;
  // One /register_node call of a register_with; `done` (empty for a retry) gets the outcome.
  void attempt_registration(const std::string& peer, unsigned attempt,
                            std::function<void(RegisterOutcome)> done);
  // After a failed attempt: when the next one starts (and it is planned), nullopt for none.
  std::optional<double> plan_register_retry(const std::string& peer, unsigned attempt,
                                            const std::string& error);

  NodeConfig config_;
  Transport& transport_;
  Clock& clock_;
  MiningService& miner_;
  NodeObserver* observer_;
  NodeStore* store_;
  BlockTree tree_;
  Mempool mempool_;
  // Normalized, in the order they registered. Shared with the callbacks of messages in flight and
  // replaced, never changed, when a peer comes or goes: announcing a block copies no list.
  std::shared_ptr<const std::vector<std::string>> peers_;
  // Each peer's std::hash (its low 32 bits: a match is confirmed on the text) and where its
  // address ends in peer_text_ (it starts where the previous one ends), in peers_' order: is_peer
  // runs for every block a node receives (a 100,000-node simulation spent a quarter of its time
  // there): the hashes, then the matching text beside the other peers', are two cache misses
  // where peers_ (its list, then the string, then the string's own allocation) are three.
  struct PeerKey {
    std::uint32_t hash;
    std::uint32_t end;
  };
  std::vector<PeerKey> peer_keys_;
  std::string peer_text_;  // every peer's address, one after the other
  // Each peer's transport number (Transport::peer_id), in peers_' order: a sender the transport
  // numbers is found here with no address read at all. The first kInlinePeerIds are kept in the
  // node itself, in one cache line with their count: a simulated node takes each block about
  // once per peer, and finding the sender is then one miss, not a list's header and its items.
  static constexpr std::size_t kInlinePeerIds = 14;
  struct alignas(64) PeerIds {
    std::array<PeerId, kInlinePeerIds> head{};
    std::uint32_t count = 0;
    std::vector<PeerId> tail;  // beyond the first kInlinePeerIds
    PeerId operator[](std::size_t i) const {
      return i < kInlinePeerIds ? head[i] : tail[i - kInlinePeerIds];
    }
    std::size_t index_of(PeerId id) const;  // count when absent
    void assign(std::span<const PeerId> ids);
  };
  PeerIds peer_ids_;
  bool mining_ = false;
  bool consensus_running_ = false;
  std::vector<std::function<void()>> consensus_next_;  // waiting for the round after this one
  std::map<std::string, double> failing_since_;        // peer -> time of its first failure in a row
  // peer -> its last /chain body's SHA-256 and whether it was a chain we could take
  struct ChainAnswer {
    Digest digest;
    bool good = false;
  };
  std::map<std::string, ChainAnswer> last_chain_answer_;
  struct CatchUpState {
    std::optional<double> last_start;  // clock time of the last fetch started
    bool in_flight = false;
    bool deferred = false;  // a fetch is planned at the interval's end
    bool again = false;     // a block did not connect while one was in flight: fetch once more
  };
  std::map<std::string, CatchUpState> catch_up_;  // sender -> its catch-up fetches
  std::size_t catch_up_fetches_ = 0;              // in flight, all senders together
  std::set<std::string> register_retrying_;       // peers whose /register_with retry is planned
  NodeMetrics metrics_;
  std::shared_ptr<std::string> chain_answer_;  // the body: head, "[", blocks, "]", peers
  std::size_t chain_head_size_ = 0;            // its head: {"length":N,"tip":"...","chain":
  std::shared_ptr<const std::vector<std::string>> chain_peers_;  // the peers written there
  std::vector<const Block*> chain_blocks_;     // the blocks written there, by height
  std::vector<std::size_t> chain_block_ends_;  // where each one's text ends in it
};

}  // namespace yournet
