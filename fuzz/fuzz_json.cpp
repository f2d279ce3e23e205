// Canonical JSON: parsing any bytes either succeeds or throws JsonError with a message that is
// itself valid UTF-8; what parses writes as ASCII, and writing is a fixed point:
// canonical(parse(canonical(x))) == canonical(x).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "yournet/json.hpp"

using namespace yournet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Json value;
  try {
    value = parse_json(text);
  } catch (const JsonError& e) {
    Json(std::string(e.what())).dump();  // throws (a crash) if the message is not UTF-8
    return 0;
  }
  const std::string once = canonical(value);
  for (char c : once) {
    fuzz::check(static_cast<unsigned char>(c) < 0x80, "canonical output is not ASCII: " + once);
  }
  Json again;
  try {
    again = parse_json(once);
  } catch (const JsonError& e) {
    fuzz::fail("canonical output does not parse: " + std::string(e.what()) + " in " + once);
  }
  fuzz::check(canonical(again) == once, "canonical is not a fixed point: " + once);
  fuzz::check(again == value, "canonical output parses to another value: " + once);
  return 0;
}
