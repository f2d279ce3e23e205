// SplitMix64 streams: the same numbers on every platform and compiler.
#include "yournet/sim/rng.hpp"

#include <cmath>

namespace yournet::sim {

std::uint64_t Rng::next() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double Rng::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double Rng::exponential(double mean) {
  return -mean * std::log(1.0 - uniform());
}

double Rng::normal() {  // Box-Muller; one of the pair is enough
  double u1 = 1.0 - uniform();
  double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
}

std::uint64_t Rng::below(std::uint64_t bound) {
  return next() % bound;  // the bias (bound / 2^64) is irrelevant here and the same everywhere
}

Rng Rng::derive(std::uint64_t seed, std::uint64_t purpose, std::uint64_t a, std::uint64_t b) {
  Rng mixer(seed ^ (purpose * 0xD1B54A32D192ED03ULL));
  std::uint64_t state = mixer.next() ^ (a * 0x9E3779B97F4A7C15ULL);
  state = Rng(state).next() ^ (b * 0xC2B2AE3D27D4EB4FULL);
  return Rng(Rng(state).next());
}

}  // namespace yournet::sim
