#pragma once
// The simulated world: messages travel through the Network's simulated links as events of the
// runner's queue, in virtual time; every node is a real Node in this process, keeping its state
// in memory. Same scenario and seed => byte-identical trace.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "yournet/node/memory_store.hpp"
#include "yournet/sim/network.hpp"
#include "yournet/sim/world.hpp"

namespace yournet::sim {

class SimWorld : public World {
 public:
  explicit SimWorld(const Scenario& scenario);
  ~SimWorld() override;

  const char* transport_name() const override { return "sim"; }
  void attach(Runner& runner) override;
  double unix_seconds(std::int64_t t_us) const override;
  Network& network() override { return network_; }
  std::string address_of(int node) const override;
  Transport& transport_of(int node) override;
  void run_step(const EventKey& step) override;
  void prefetch_step(const EventKey& step, std::size_t stage) override;
  std::int64_t block_window_us() const override { return network_.least_latency_us(); }
  NodeStore* open_store(int node, bool fresh) override;
  StoredState stored_state(int node) override;

  // What a node's transport does: `to` is `peer`'s index (index_of), -1 for an unknown host;
  // `block`, when set, is what the empty body of a POST /add_block stands for.
  void send(int from, const std::string& peer, int to, HttpRequest request, ResponseCallback done,
            const std::shared_ptr<const Block>& block);

 private:
  class SimTransport;
  // A request in flight, from its sending to its answer (or timeout); events refer to it by index.
  // One cache line: most of a large run's time goes to fetching these records.
  struct alignas(64) Message {
    int from;
    int to;
    std::uint32_t from_incarnation;
    bool chain_request;
    std::shared_ptr<const Block> block;  // the block an /add_block request carries, if passed as is
    ResponseCallback done;
  };
  // Every block passed as is, and the bytes it stands for (made once per block object, which is
  // kept alive here, so its address is never reused for another).
  struct SentBlock {
    std::shared_ptr<const Block> block;
    std::string body;
  };

  int index_of(const std::string& address) const;
  std::uint32_t store_message(Message message);
  void release(std::uint32_t id);
  const std::string& route_of(std::uint32_t id) const;
  void push_step(std::int64_t time_us, StepKind kind, std::uint32_t message);
  void hand_back(std::uint32_t id, const char* error);
  void deliver(std::uint32_t id);
  void deliver_block(const EventKey& step);
  void respond(std::uint32_t id, HttpResponse response);
  std::optional<std::int64_t> send_back(int from, int to, std::size_t bytes);
  void send_unawaited_back(int from, int to, std::size_t bytes);
  std::shared_ptr<const Block> parsed_block(const std::string& body);
  const std::string& wire_body(const std::shared_ptr<const Block>& block);
  std::uint32_t sent_block(const std::shared_ptr<const Block>& block);

  Runner* runner_ = nullptr;
  Network network_;
  std::vector<std::string> addresses_;  // each node's address, as its peers know it
  std::vector<std::unique_ptr<SimTransport>> transports_;
  std::vector<std::unique_ptr<MemoryStore>> stores_;  // only for nodes the timeline restarts
  std::vector<bool> restarts_;
  std::vector<Message> messages_;
  // The request and the answer of the message of the same index, kept apart from it: most
  // messages carry a block and their answers are only handed back.
  std::vector<HttpRequest> requests_;
  std::vector<std::optional<HttpResponse>> responses_;
  std::vector<std::uint32_t> free_messages_;
  std::unordered_map<std::string, std::shared_ptr<const Block>> parsed_blocks_;  // by body
  std::vector<SentBlock> sent_blocks_;
  std::unordered_map<const Block*, std::uint32_t> sent_block_index_;  // looked up, never iterated
};

}  // namespace yournet::sim
