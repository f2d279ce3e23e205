#pragma once
// What a finished run reports, computed one way for every world: the summary with its
// expectations.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "yournet/block_tree.hpp"
#include "yournet/crypto.hpp"
#include "yournet/json.hpp"
#include "yournet/mempool.hpp"
#include "yournet/sim/scenario.hpp"

namespace yournet::sim {

// The figures counted while the run went on.
struct RunFigures {
  std::int64_t simulated_us = 0;  // how long the run lasted
  std::uint64_t events = 0, blocks_mined = 0, blocks_rejected = 0, max_reorg_depth = 0,
                posts_submitted = 0;
  std::uint64_t messages_sent = 0, messages_delivered = 0, messages_dropped = 0;
  bool converged = false;                       // the honest running nodes share one tip at the end
  std::size_t distinct_tips = 0;                // among the honest running nodes at the end
  std::int64_t last_heal_us = 0;                // convergence is timed from here (0: the start)
  std::optional<std::int64_t> converged_at_us;  // first moment they shared one tip since then
  std::vector<std::string> failures;            // broken invariants
  Json propagation;  // PropagationTracker::summary(); null when not followed
  Json selfish;      // by selfish node: its races (SelfishRaces); null when there is none
};

// The nodes' final state the summary reads; it is only looked at, never changed.
struct FinalState {
  const BlockTree& reference;                    // the chain reported: an honest running node's
  std::vector<const BlockTree*> trees;           // every node's, for the blocks known in all
  std::unordered_set<std::string> pending;       // ids of posts honest running nodes hold pending
  const std::set<std::string>& accepted_posts;   // ids honest nodes accepted
  const std::unordered_set<std::string>& wiped;  // posts that were only in a crashed node's pool
  const std::unordered_map<std::string, int>& miner_of;  // block hash -> node that mined it
};

// The run's summary JSON and its verdict ("expectations", "passed") against scenario.expect.
Json summarize_run(const Scenario& scenario, const RunFigures& figures, const FinalState& state);

}  // namespace yournet::sim
