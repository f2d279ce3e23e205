#pragma once
// report.html for a netsim run: self-contained (inline SVG and CSS), for a person who would rather
// look than read the trace.
#include <string>

#include "yournet/json.hpp"

namespace yournet::sim {

std::string html_report(const Json& summary, const std::string& trace_jsonl);

}  // namespace yournet::sim
