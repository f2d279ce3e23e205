// The scenario loader on any bytes: a scenario file either loads or is refused with ScenarioError
// (netsim's exit 2) or JsonError, whose message is valid UTF-8; nothing else is thrown.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "yournet/json.hpp"
#include "yournet/sim/scenario.hpp"

using namespace yournet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    sim::load_scenario(parse_json(text));
  } catch (const sim::ScenarioError& e) {
    Json(std::string(e.what())).dump();  // throws (a crash) if the message is not UTF-8
  } catch (const JsonError& e) {
    Json(std::string(e.what())).dump();
  }
  return 0;
}
