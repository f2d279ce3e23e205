#pragma once
// A scenario back to the JSON file format the loader reads: load_scenario(write_scenario(s)) == s.
// Fields at their default are left out, nodes of one kind in a row are one group, and whole
// numbers are written as integers, so the output reads like the shipped scenarios.
#include "yournet/json.hpp"
#include "yournet/sim/scenario.hpp"

namespace yournet::sim {

Json write_scenario(const Scenario& scenario);

// The file's text (indented, newline-terminated), fields in the order scenario files use: name,
// description, seed, nodes... timeline, expect; in an action, at_s and do first.
std::string scenario_file_text(const Scenario& scenario);

}  // namespace yournet::sim
