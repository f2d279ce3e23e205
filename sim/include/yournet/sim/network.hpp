#pragma once
// The links between nodes and the faults on them: latency, bandwidth, loss, duplication,
// reordering, one-way cuts, per-link overrides and partitions. Pure and deterministic: it says what
// happens to a message sent now (dropped, and why, or when it arrives), drawing from each link's
// own random stream. The simulated network and the live fault proxies ask the same object.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "yournet/sim/scenario.hpp"

namespace yournet::sim {

class Network {
 public:
  explicit Network(const Scenario& scenario);

  // Why a request from `from` to `to` sent now is dropped ("partition", "link down", "loss"), or
  // nullptr when it goes.
  const char* drops_request(int from, int to);
  // Whether this request is delivered twice (draw it after drops_request said it goes).
  bool duplicates(int from, int to);
  // When a message of `bytes` sent now on from -> to arrives: queued behind earlier messages on a
  // link with a bandwidth, then the link's latency, sometimes held back (reordering).
  std::int64_t arrival_us(int from, int to, std::size_t bytes, std::int64_t now_us);
  // An answer's trip from `server` back to `client`: dropped (`why` set) or its arrival time.
  std::optional<std::int64_t> answer_arrival_us(int server, int client, std::size_t bytes,
                                                std::int64_t now_us, const char*& why);
  // An answer nobody waits for: it still takes its time on the link and the same draws from the
  // link's stream as answer_arrival_us (so what follows on the link is unchanged), but its arrival
  // time is not worked out. Returns why it was dropped, or nullptr.
  const char* unawaited_answer(int server, int client, std::size_t bytes, std::int64_t now_us);
  // No message arrives sooner than this after it is sent, on any link (the least latency of every
  // link model; bandwidth and reordering only add).
  std::int64_t least_latency_us() const { return least_latency_us_; }

  void partition(const std::vector<std::vector<int>>& groups);  // unnamed nodes each alone
  void isolate(int node);
  void heal();
  void set_link(int from, int to, const LinkPatch& patch, bool one_way);
  // Every message asks: with no partition in force the groups are not read (a large run's are
  // scattered over a table larger than the caches).
  bool partitioned(int a, int b) const {
    return any_partition_ && group_[idx(a)] != group_[idx(b)];
  }

  // The next step's links are fetched while the current one runs (a large run waits on memory):
  // first where the node's list is, then the list.
  [[gnu::always_inline]] void prefetch_list(int node) const {
    __builtin_prefetch(&links_[idx(node)]);
  }
  [[gnu::always_inline]] void prefetch(int node) const {
    const auto& links = links_[idx(node)];
    const char* begin = reinterpret_cast<const char*>(links.data());
    const std::size_t bytes = links.size() * sizeof(Link);
    for (std::size_t at = 0; at < std::min(bytes, kPrefetchedLinkBytes); at += 64)
      __builtin_prefetch(begin + at);
  }

 private:
  // One direction of a link, owned by its sending node.
  struct Link {
    int peer;
    std::uint32_t model;  // index into models_
    std::int64_t busy_until_us = 0;
    Rng rng;
  };
  static std::size_t idx(int node) { return static_cast<std::size_t>(node); }
  // A message step searches its node's links and uses one or several: the whole list is fetched
  // ahead, up to this much (a dozen peers' links).
  static constexpr std::size_t kPrefetchedLinkBytes = 640;
  // The link from -> to, made on first use: reads and writes `from`'s links only (a step run on
  // a lane, block_lanes.hpp, sends over its own node's links only).
  Link& link(int from, int to);
  const char* drops_on(Link& l, int from, int to);
  const char* drops_answer(int server, int client);
  const char* drops_answer_on(Link& back, int server, int client);
  // The link is busy sending `bytes` after what it already had to send: when they have left.
  static std::int64_t occupy(Link& l, const LinkModel& model, std::size_t bytes,
                             std::int64_t now_us);
  void patch(int from, int to, const LinkPatch& patch);

  std::uint64_t seed_;
  std::vector<LinkModel> models_;         // [0] the default; overrides appended
  std::vector<std::vector<Link>> links_;  // outgoing, sorted by peer
  std::vector<int> group_;                // partition group of each node; equal groups can talk
  bool any_partition_ = false;            // a partition or isolation since the last heal
  std::int64_t least_latency_us_ = 0;
};

}  // namespace yournet::sim
