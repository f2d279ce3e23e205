#pragma once
// Swarm scenarios: a fault parameter may be {"range": [a, b]} instead of a value, and every seed
// draws its own configuration (Groce et al., "Swarm testing", 2012). The draw comes from a stream
// of the seed and the field's JSON path alone, so a seed replays its configuration exactly and a
// range added elsewhere does not change the others' draws.
#include <cstdint>
#include <optional>

#include "yournet/json.hpp"
#include "yournet/sim/scenario.hpp"

namespace yournet::sim {

// A concrete scenario for one seed and what was drawn for it ({"$.link.loss": 0.031, ...}; empty
// when the file has no ranges).
struct DrawnScenario {
  Scenario scenario;
  Json drawn = Json::object();
};

// The seed `seed_override`, else the file's "seed" (default 1): its draw, loaded and validated.
// A bad range (not two numbers, a > b, a field that takes none, an end the field refuses) throws
// ScenarioError naming its JSON path.
DrawnScenario load_swarm_scenario(const Json& file, std::optional<std::uint64_t> seed_override);

// True when the file has at least one range (its runs differ by more than the seed).
bool has_ranges(const Json& file);

}  // namespace yournet::sim
