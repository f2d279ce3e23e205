#pragma once
// Canonical JSON: the one place where values become the bytes that get hashed. The output is
// byte-identical to Python's json.dumps(x, sort_keys=True), the reference node's hashing input.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace yournet {

// std::map-backed objects: keys iterate in byte order, which for UTF-8 is code-point order,
// exactly Python's sort_keys order.
using Json = nlohmann::json;

class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct JsonLimits {
  std::size_t max_depth = 64;  // nesting of arrays/objects; deeper input is refused, not recursed
};

// Parses JSON text. Throws JsonError naming the fault for malformed text, nesting deeper than the
// limit, non-finite numbers, and integers that cannot be kept exactly (beyond 64 bits): those are
// refused rather than rounded into a double, which would silently change a hash.
Json parse_json(std::string_view text, const JsonLimits& limits = {});

// Python json.dumps(value, sort_keys=True): separators ", " and ": ", ensure_ascii, repr floats.
std::string canonical(const Json& value);
void append_canonical(std::string& out, const Json& value);

// Python repr() of a float: shortest round-trip digits, "1e+16"/"1e-05" outside [1e-4, 1e16).
std::string python_float_repr(double value);
void append_python_float(std::string& out, double value);
// True when a JSON number's text is already what append_python_float writes for the double it
// reads as, so it may be copied as is: digits, a point, digits, with no exponent, a last digit
// that is not a zero unless it is the only one after the point, at most 15 significant digits
// (DBL_DIG: no other decimal that short reads as the same double, so it is the shortest
// round-trip) and a magnitude in [1e-4, 1e16) (written in fixed notation). A cheap test: false
// for some text that is canonical.
bool is_python_float_repr(std::string_view number);

// Python json.dumps of a str with ensure_ascii=True (including the quotes).
void append_python_string(std::string& out, std::string_view utf8);

}  // namespace yournet
