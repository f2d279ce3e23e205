#pragma once
// A node's behaviour: its block tree, pending pool and peers, and its reaction to every request of
// the tutorial's API. It talks to the world only through Transport, Clock and MiningService, so the
// live node and the simulator run this very code. Not thread-safe: one thread drives a Node.
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "yournet/block_tree.hpp"
#include "yournet/chain_text.hpp"
#include "yournet/crypto.hpp"
#include "yournet/mempool.hpp"
#include "yournet/node/environment.hpp"
#include "yournet/node/metrics.hpp"
#include "yournet/node/node_event.hpp"
#include "yournet/node/store.hpp"

namespace yournet {

struct NodeConfig {
  std::string self_address;  // how peers reach this node: "http://127.0.0.1:8000/"
  ChainParams params;
  MempoolLimits mempool;
  BlockTreeLimits tree;  // orphans and side-branch bytes
  std::size_t max_peers = 64;
  std::size_t max_posts_per_block = 1000;
  // The Retry-After (seconds) of the 503 that answers a post while the pool is full: about when a
  // block may have made room.
  unsigned pool_full_retry_after_s = 30;
  // Canonical bytes of the posts a mined block carries: peers refuse an /add_block body over
  // 1 MiB (413), and the block's other fields take well under the margin.
  std::size_t max_block_post_bytes = (1u << 20) - 1024;
  unsigned mining_threads = 1;
  // Mine even with no pending post (simulated miners that keep the chain growing); the reference
  // answers "No transactions to mine".
  bool allow_empty_blocks = false;
  // A peer that has failed every contact for this many seconds is forgotten; 0 keeps peers
  // forever (the simulator's default: a partitioned peer must still be there when it heals).
  double drop_peer_after = 0;
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
  using Respond = std::function<void(HttpResponse)>;

  Node(NodeConfig config, Transport& transport, Clock& clock, MiningService& miner,
       NodeObserver* observer = nullptr, NodeStore* store = nullptr);

  // Rebuilds a fresh node's state from a store's records, re-validating every one; on any record
  // that breaks a rule, returns what is wrong with it (the node is then unusable).
  std::optional<std::string> load(const StoredState& state);

  // Every route of the API; `respond` is called exactly once, maybe later (mine, register_with,
  // sync). POST /sync (ours) runs one consensus round, then answers {"height", "tip"}.
  void handle(const HttpRequest& request, Respond respond);

  const BlockTree& tree() const { return tree_; }
  const Mempool& mempool() const { return mempool_; }
  const std::vector<std::string>& peers() const { return *peers_; }
  const NodeConfig& config() const { return config_; }
  const NodeMetrics& metrics() const { return metrics_; }
  // Answers a request the server refused before the node saw it (CSRF, DNS rebinding...): counted
  // by route and status as any answer, and by `reason` in yournet_http_refused_total.
  void refuse(const HttpRequest& request, HttpResponse answer, const std::string& reason,
              const Respond& respond);
  // The GET /metrics body, Prometheus text format.
  std::string metrics_text() const;

  // The GET /chain body, parsed: {"length", "tip", "chain", "peers"}.
  Json chain_body();
  Json status() const;

  // Adds a post (stamping it with the clock if it carries no timestamp); returns its id or why not.
  Expected<std::string, PostRefused> submit_post(Json post);
  // Adds a block from a peer or the miner; on a change of main chain the pool follows it.
  AddResult accept_block(const std::shared_ptr<const Block>& block, const std::string& from);
  AddResult accept_block(const Block& block, const std::string& from);  // copies it if new
  // Adopts every block of a peer's chain dump (a GET /chain or /register_node body, read by
  // ChainText, which throws JsonError for one that is not JSON) that is valid; returns the first
  // error, if any.
  std::optional<ValidationError> accept_chain(const ChainText& chain, const std::string& from);
  bool add_peer(const std::string& address);
  bool remove_peer(const std::string& address, const std::string& reason);
  // Fetches every peer's chain and adopts those with more work; `done` runs when all answered.
  // One round at a time: a call during a round waits for one more round after it, shared by every
  // such call, so a burst of orphan blocks cannot multiply the fetches of whole chains.
  void run_consensus(std::function<void()> done);
  // Mines the pending posts; `done` gets the reference's message.
  void mine(std::function<void(std::string)> done);
  // POST /add_block once its body is parsed (the simulator parses each distinct body once).
  // `from`: the sender's address when known (the simulator's transport knows it; over HTTP our
  // nodes say it in kSenderHeader), so the block is not sent back to it, and for catching up
  // (kCatchUpMinIntervalS above).
  void receive_block(const std::shared_ptr<const Block>& block, const Respond& respond,
                     const std::string& from = {});
  // Sends a block to every peer except `except`.
  void announce(const std::shared_ptr<const Block>& block, const std::string& except);

 private:
  void emit(const NodeEvent& event);
  // One stored block replayed through the tree; what is wrong with it, if anything.
  std::optional<std::string> load_block(const Block& block, const StoredRecord& record,
                                        const std::string& where);
  // The GET /chain body as sent. Every peer's consensus round asks for it, so it is kept and
  // shared by the answers that carry it, and changed in place (when no answer holds it still):
  // blocks new on the main chain appended, the head and the peers rewritten.
  std::shared_ptr<const std::string> chain_text();
  // Keeps track of a peer's failures; drops it once it has failed for config.drop_peer_after.
  void note_peer_contact(const std::string& peer, bool answered);
  void start_consensus_round(std::vector<std::function<void()>> waiters);
  // Fetches a peer's GET /chain and adopts what it brings; `done(answered)`: whether the peer
  // answered with a chain (one that brings nothing counts; a refused or unreadable one does not).
  void fetch_chain(const std::string& peer, std::function<void(bool answered)> done);
  bool is_peer(const std::string& address) const;
  void set_peers(std::shared_ptr<const std::vector<std::string>> peers);  // and peer_hashes_
  // A block from `sender` (empty: unknown) asks for its chain (kCatchUpMinIntervalS above);
  // false when the node cannot fetch it (no sender, too many fetches or senders): the caller
  // falls back.
  bool catch_up(const std::string& sender, event::CatchUpReason reason);
  void start_catch_up(const std::string& sender, event::CatchUpReason reason);
  void defer_catch_up(const std::string& sender, double wait_s);
  void forget_idle_senders();
  // Takes a block's sender as a peer if it answers with its chain, when there is room.
  void learn_sender(const std::string& sender);
  // Whether a GET /chain body can be left unparsed: its head says it is shorter than our chain,
  // or as long and ending in a block we hold.
  bool brings_nothing(const std::string& body) const;
  void count_request(const std::string& route, const HttpResponse& response);
  // The route label of a request in metrics: a known route, "/block/" or "other".
  static std::string route_label(const HttpRequest& request);
  void handle_get_block(const std::string& hash, Respond& respond);
  void handle_new_transaction(const HttpRequest& request, Respond& respond);
  void handle_add_block(const HttpRequest& request, Respond& respond);
  // The normalized "node_address" of a register request, or the 400 saying what is wrong with it.
  Expected<std::string, HttpResponse> requested_peer(const HttpRequest& request) const;
  HttpResponse peers_full() const;
  void handle_register_node(const HttpRequest& request, Respond& respond);
  void handle_register_with(const HttpRequest& request, Respond respond);
  // One /register_node call of a /register_with; `respond` (empty for a retry) gets the outcome.
  void register_with(const std::string& peer, unsigned attempt, Respond respond);
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
  // std::hash of each peer, in the same order: is_peer runs for every block a node receives, and
  // comparing these first spares a cache miss per peer on its address's text (a 100,000-node
  // simulation spent a quarter of its time there).
  std::vector<std::size_t> peer_hashes_;
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
