// Drawing a swarm scenario's ranges for one seed.
#include "yournet/sim/swarm.hpp"

#include <cmath>
#include <set>
#include <string>

#include "yournet/sim/rng.hpp"

namespace yournet::sim {
namespace {

// The fields a range may stand for: link faults (in "link", "links" and "set_link"), latency and
// its distribution's parameters, bandwidth, action times, hash rates and node counts.
const std::set<std::string> kRangeFields = {
    "loss", "response_loss", "duplicate", "reorder", "reorder_ms", "latency_ms",
    "ms",   "min_ms",        "max_ms",    "mean_ms", "sd_ms",      "bandwidth_mbps",
    "at_s", "hash_rate",     "count",     "nodes"};
const std::set<std::string> kWholeFields = {"count", "nodes"};

bool is_range(const Json& value) {
  return value.is_object() && value.contains("range");
}

// FNV-1a of the path: the same number on every platform, so it can name a stream.
std::uint64_t path_key(const std::string& path) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : path) hash = (hash ^ c) * 0x100000001b3ULL;
  return hash;
}

enum class End { drawn, low, high };

Json resolve_range(const Json& value, const std::string& key, const std::string& path,
                   std::uint64_t seed, End end) {
  const std::string where = path + ".range";
  if (value.size() != 1) throw ScenarioError(path + ": a range object has only \"range\"");
  if (!kRangeFields.count(key)) {
    throw ScenarioError(where +
                        ": only loss, response_loss, duplicate, reorder, reorder_ms, latency_ms "
                        "(and its ms fields), bandwidth_mbps, at_s, hash_rate, count and nodes "
                        "take a range");
  }
  const Json& range = value["range"];
  if (!range.is_array() || range.size() != 2 || !range[0].is_number() || !range[1].is_number())
    throw ScenarioError(where + ": must be [a, b], two numbers");
  const bool whole = kWholeFields.count(key) != 0;
  if (whole && !(range[0].is_number_integer() && range[1].is_number_integer()))
    throw ScenarioError(where + ": must be two whole numbers for \"" + key + "\"");
  const double a = range[0].get<double>(), b = range[1].get<double>();
  if (a > b) throw ScenarioError(where + ": the low end must not be above the high end");
  if (end == End::low) return range[0];
  if (end == End::high) return range[1];
  Rng rng = Rng::derive(seed, kSwarmStream, path_key(path));
  if (whole) {
    const auto low = range[0].get<std::int64_t>(), high = range[1].get<std::int64_t>();
    return low + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(high - low) + 1));
  }
  // Four decimals keep a drawn scenario readable; the draw stays within [a, b].
  double x = std::round((a + (b - a) * rng.uniform()) * 1e4) / 1e4;
  x = std::min(std::max(x, a), b);
  return x;
}

// Every range in `json` replaced: drawn for the seed, or one of its ends; drawn values recorded.
Json resolve(const Json& json, const std::string& key, const std::string& path, std::uint64_t seed,
             End end, Json& drawn) {
  if (is_range(json)) {
    Json value = resolve_range(json, key, path, seed, end);
    if (end == End::drawn) drawn[path] = value;
    return value;
  }
  if (json.is_object()) {
    Json out = Json::object();
    for (const auto& [k, v] : json.items())
      out[k] = resolve(v, k, path + "." + k, seed, end, drawn);
    return out;
  }
  if (json.is_array()) {
    Json out = Json::array();
    for (std::size_t i = 0; i < json.size(); ++i)
      out.push_back(resolve(json[i], key, path + "[" + std::to_string(i) + "]", seed, end, drawn));
    return out;
  }
  return json;
}

bool any_range(const Json& json) {
  if (is_range(json)) return true;
  if (json.is_structured()) {
    for (const auto& item : json) {
      if (any_range(item)) return true;
    }
  }
  return false;
}

}  // namespace

bool has_ranges(const Json& file) {
  return any_range(file);
}

DrawnScenario load_swarm_scenario(const Json& file, std::optional<std::uint64_t> seed_override) {
  DrawnScenario out;
  if (!has_ranges(file)) {
    out.scenario = load_scenario(file);
    if (seed_override) out.scenario.seed = *seed_override;
    return out;
  }
  if (file.is_object() && file.contains("seed") && is_range(file["seed"]))
    throw ScenarioError("$.seed.range: the seed takes no range (it draws the others)");
  // Both ends must be values the field accepts; checked once, whatever is drawn later.
  Json ignored = Json::object();
  load_scenario(resolve(file, "", "$", 0, End::low, ignored));
  load_scenario(resolve(file, "", "$", 0, End::high, ignored));
  std::uint64_t seed =
      seed_override.value_or(load_scenario(resolve(file, "", "$", 0, End::low, ignored)).seed);
  out.scenario = load_scenario(resolve(file, "", "$", seed, End::drawn, out.drawn));
  out.scenario.seed = seed;
  return out;
}

}  // namespace yournet::sim
