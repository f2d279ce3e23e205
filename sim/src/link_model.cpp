#include "yournet/sim/link_model.hpp"

#include <algorithm>
#include <cmath>

namespace yournet::sim {
namespace {
constexpr double kMaxMs = 3.6e6;  // an hour
}  // namespace

double LatencyModel::sample_ms(Rng& rng) const {
  double x = a_ms;
  switch (kind) {
    case Kind::constant:
      break;
    case Kind::uniform:
      x = a_ms + (b_ms - a_ms) * rng.uniform();
      break;
    case Kind::normal:
      x = a_ms + b_ms * rng.normal();
      break;
    case Kind::exponential:
      x = rng.exponential(a_ms);
      break;
    case Kind::pareto:
      // Inverse of the survival function (min/x)^shape; exp and log cost a third of pow.
      x = a_ms * std::exp(-std::log(1.0 - rng.uniform()) / b_ms);
      break;
  }
  return std::clamp(x, 0.0, kMaxMs);
}

void LatencyModel::skip(Rng& rng) const {
  switch (kind) {
    case Kind::constant:
      return;
    case Kind::uniform:
    case Kind::exponential:
    case Kind::pareto:
      rng.next();  // one uniform
      return;
    case Kind::normal:
      rng.next();  // Box-Muller's two uniforms
      rng.next();
      return;
  }
}

std::int64_t LatencyModel::least_us() const {
  double least = 0;  // normal and exponential samples may come as low as 0
  switch (kind) {
    case Kind::constant:
      least = a_ms;
      break;
    case Kind::pareto:
      least = b_ms > 0 ? a_ms : 0;  // a positive shape never draws below the minimum
      break;
    case Kind::uniform:
      least = std::min(a_ms, b_ms);
      break;
    case Kind::normal:
    case Kind::exponential:
      break;
  }
  // Rounded down, and a microsecond less: a bound, whatever the rounding of a sample.
  return std::max<std::int64_t>(
      0, static_cast<std::int64_t>(std::clamp(least, 0.0, kMaxMs) * 1000.0) - 1);
}

LinkModel LinkPatch::apply(LinkModel model) const {
  if (latency) model.latency = *latency;
  if (bandwidth_mbps) model.bandwidth_mbps = *bandwidth_mbps;
  if (loss) model.loss = *loss;
  if (response_loss) model.response_loss = *response_loss;
  if (duplicate) model.duplicate = *duplicate;
  if (reorder) model.reorder = *reorder;
  if (reorder_ms) model.reorder_ms = *reorder_ms;
  if (up) model.up = *up;
  return model;
}

}  // namespace yournet::sim
