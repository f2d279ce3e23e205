#pragma once
// Everything a caller of the simulator needs: scenarios, topologies, the runner and its
// simulated world (run_scenario).
#include "yournet/sim/rng.hpp"
#include "yournet/sim/runner.hpp"
#include "yournet/sim/scenario.hpp"
#include "yournet/sim/topology.hpp"
