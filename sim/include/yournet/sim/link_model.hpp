#pragma once
// What a link does to a message: latency drawn from a distribution, bandwidth, loss, duplication,
// reordering, and whether the direction is up at all.
#include <optional>

#include "yournet/sim/rng.hpp"

namespace yournet::sim {

struct LatencyModel {
  enum class Kind { constant, uniform, normal, exponential, pareto } kind = Kind::constant;
  double a_ms = 50;  // constant value, uniform min, normal mean, exponential mean, Pareto minimum
  double b_ms = 50;  // uniform max, normal standard deviation, Pareto shape (alpha)
  double sample_ms(Rng& rng) const;  // never negative, at most an hour
  void skip(Rng& rng) const;         // draws what sample_ms draws, and no more
  // No sample is less (in whole microseconds, as a message's arrival rounds it).
  std::int64_t least_us() const;
  bool operator==(const LatencyModel&) const = default;
};

struct LinkModel {
  LatencyModel latency;
  double bandwidth_mbps = 0;  // 0 = unlimited; else a message takes bytes*8/bandwidth, queued
  double loss = 0;            // probability that a request, or its response, is dropped
  double response_loss = 0;  // probability that a response is dropped after the request was handled
  double duplicate = 0;      // probability that a request is delivered twice
  double reorder = 0;        // probability that a message is held back by up to reorder_ms
  double reorder_ms = 1000;
  bool up = true;  // false: this direction of the link drops everything (a one-way cut)
  bool operator==(const LinkModel&) const = default;
};

// Fields of a link override or set_link action; unset fields keep their value.
struct LinkPatch {
  std::optional<LatencyModel> latency;
  std::optional<double> bandwidth_mbps, loss, response_loss, duplicate, reorder, reorder_ms;
  std::optional<bool> up;
  LinkModel apply(LinkModel model) const;
  bool operator==(const LinkPatch&) const = default;
};

}  // namespace yournet::sim
