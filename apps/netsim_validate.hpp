#pragma once
// `netsim validate`: the fidelity suite's command line (report/validation does the work).
namespace yournet::apps {
// argv[0] is "validate". Exit 0 when every point meets its band, 1 when one does not, 2 for bad
// usage or a bad scenario.
int netsim_validate(int argc, char** argv);
}  // namespace yournet::apps
