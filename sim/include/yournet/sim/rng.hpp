#pragma once
// The simulator's only source of randomness: seeded, split into independent streams.
#include <cstdint>

namespace yournet::sim {

// SplitMix64: small, fast, and the same sequence on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  double uniform();                          // [0, 1)
  double exponential(double mean);           // >= 0
  double normal();                           // mean 0, standard deviation 1
  std::uint64_t below(std::uint64_t bound);  // [0, bound), bound > 0
  // A child generator whose stream does not overlap this one's in practice.
  Rng fork(std::uint64_t stream) { return Rng(next() ^ (stream * 0x9E3779B97F4A7C15ULL)); }
  // The stream for (seed, purpose, a, b), independent of how many others were derived before:
  // a link's or a node's randomness does not shift when another link or node is added.
  static Rng derive(std::uint64_t seed, std::uint64_t purpose, std::uint64_t a = 0,
                    std::uint64_t b = 0);

 private:
  std::uint64_t state_;
};

// Purposes of the derived random streams (Rng::derive).
enum Stream : std::uint64_t {
  kLinkStream = 1,
  kNodeStream,
  kTopologyStream,
  kMiningStream,
  kSwarmStream,  // a swarm scenario's draw of its ranges
};

}  // namespace yournet::sim
