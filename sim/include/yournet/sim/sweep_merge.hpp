#pragma once
// Combining the sweep.json files of a sharded sweep (--shard I/N, one per machine) into the
// sweep.json the unsplit sweep would have written: same counts, same failing seeds in seed order.
#include <stdexcept>
#include <string>
#include <vector>

#include "yournet/json.hpp"

namespace yournet::sim {

enum class MergeRefusal {
  not_a_shard,         // not a sweep.json, or one written without --shard
  different_scenario,  // another scenario file, ranges or --check-determinism
  different_seeds,     // another A..B
  different_split,     // another shard count N
  overlapping,         // one shard given twice
  missing,             // a shard of 0..N-1 not given
};

class MergeError : public std::runtime_error {
 public:
  MergeError(MergeRefusal refusal, const std::string& what)
      : std::runtime_error(what), refusal_(refusal) {}
  MergeRefusal refusal() const { return refusal_; }

 private:
  MergeRefusal refusal_;
};

// `names[i]` names shards[i] in messages (its file). Throws MergeError.
Json merge_sweeps(const std::vector<Json>& shards, const std::vector<std::string>& names);

}  // namespace yournet::sim
