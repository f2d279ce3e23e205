#include "yournet/json.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <system_error>
#include <vector>

#include "yournet/printable.hpp"

namespace yournet {
namespace {

// Builds the DOM as nlohmann's own parser does, but sees each number's source text, so an integer
// literal too large for 64 bits is refused instead of being turned into a double, and sees each
// key as it is inserted, so a duplicate key is refused rather than silently overwriting.
class CheckedDomBuilder {
 public:
  CheckedDomBuilder(Json& result, const JsonLimits& limits) : root_(result), limits_(limits) {}

  bool null() { return add(nullptr); }
  bool boolean(bool value) { return add(value); }
  bool number_integer(Json::number_integer_t value) { return add(value); }
  bool number_unsigned(Json::number_unsigned_t value) { return add(value); }
  bool number_float(Json::number_float_t value, const std::string& text) {
    if (text.find_first_of(".eE") == std::string::npos) {
      throw JsonError("integer " + printable(text, 40) +
                      " does not fit in 64 bits and cannot be kept exactly");
    }
    if (!std::isfinite(value))
      throw JsonError("number " + printable(text, 40) + " is out of range");
    return add(value);
  }
  bool string(std::string& value) { return add(std::move(value)); }
  bool binary(Json::binary_t&) { throw JsonError("binary values have no JSON form"); }
  bool start_object(std::size_t) {
    enter(Json::object());
    return true;
  }
  bool key(std::string& value) {
    auto& object = open_.back()->get_ref<Json::object_t&>();
    auto [slot, inserted] = object.emplace(value, nullptr);
    if (!inserted) throw JsonError("duplicate key \"" + printable(value, 40) + "\" in an object");
    slot_ = &slot->second;
    return true;
  }
  bool end_object() {
    open_.pop_back();
    return true;
  }
  bool start_array(std::size_t) {
    enter(Json::array());
    return true;
  }
  bool end_array() {
    open_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) {
    std::string what = ex.what();
    // nlohmann prefixes "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
    // and quotes the bytes it last read, which may be anything: printable() keeps the message
    // valid UTF-8.
    if (auto colon = what.find("parse error"); colon != std::string::npos)
      what = what.substr(colon);
    throw JsonError("malformed JSON at byte " + std::to_string(position) + ": " +
                    printable(what, 300));
  }

 private:
  // Places a value where the text is: the root, the next element of the open array, or the
  // value of the key just read.
  Json* place(Json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *open_.back();
    if (parent.is_array()) {
      parent.get_ref<Json::array_t&>().push_back(std::move(value));
      return &parent.get_ref<Json::array_t&>().back();
    }
    *slot_ = std::move(value);
    return slot_;
  }
  bool add(Json value) {
    place(std::move(value));
    return true;
  }
  void enter(Json container) {
    if (open_.size() + 1 > limits_.max_depth) {
      throw JsonError("JSON nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    open_.push_back(place(std::move(container)));
  }

  Json& root_;
  const JsonLimits& limits_;
  std::vector<Json*> open_;  // the arrays and objects being read, innermost last
  Json* slot_ = nullptr;     // the value of the key just read
};

constexpr char kHexDigits[] = "0123456789abcdef";

void append_u_escape(std::string& out, unsigned unit) {
  out += "\\u";
  out += kHexDigits[(unit >> 12) & 0xF];
  out += kHexDigits[(unit >> 8) & 0xF];
  out += kHexDigits[(unit >> 4) & 0xF];
  out += kHexDigits[unit & 0xF];
}

}  // namespace

Json parse_json(std::string_view text, const JsonLimits& limits) {
  Json result;
  CheckedDomBuilder builder(result, limits);
  try {
    Json::sax_parse(text.begin(), text.end(), &builder);
  } catch (const JsonError&) {
    throw;
  } catch (const nlohmann::json::exception& ex) {
    throw JsonError("malformed JSON: " + printable(ex.what(), 300));
  }
  return result;
}

void append_python_float(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "Infinity" : "-Infinity";
    return;
  }
  // Shortest round-trip digits in scientific form: "-d.ddde+XX". Laid out from fixed buffers:
  // every block's timestamp comes through here.
  std::array<char, 64> buf{};
  auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific);
  std::string_view sci(buf.data(), static_cast<std::size_t>(end - buf.data()));
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  auto e_pos = sci.find('e');
  std::array<char, 32> digit_buf{};
  std::size_t digit_count = 0;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digit_buf[digit_count++] = c;
  }
  const std::string_view digits(digit_buf.data(), digit_count);
  int exponent = 0;
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);

  if (exponent >= -4 && exponent < 16) {
    if (exponent >= 0) {
      auto int_len = static_cast<std::size_t>(exponent) + 1;
      if (digits.size() <= int_len) {
        out += digits;
        out.append(int_len - digits.size(), '0');
        out += ".0";
      } else {
        out += digits.substr(0, int_len);
        out += '.';
        out += digits.substr(int_len);
      }
    } else {
      out += "0.";
      out.append(static_cast<std::size_t>(-exponent - 1), '0');
      out += digits;
    }
    return;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) {
    out += '.';
    out += digits.substr(1);
  }
  out += 'e';
  out += exponent < 0 ? '-' : '+';
  int magnitude = exponent < 0 ? -exponent : exponent;
  if (magnitude < 10) out += '0';
  std::array<char, 8> magnitude_buf{};
  auto magnitude_end =
      std::to_chars(magnitude_buf.data(), magnitude_buf.data() + magnitude_buf.size(), magnitude)
          .ptr;
  out.append(magnitude_buf.data(), magnitude_end);
}

bool is_python_float_repr(std::string_view number) {
  constexpr std::size_t kMaxSignificant = 15;  // DBL_DIG
  constexpr std::size_t kMaxLeadingZeros = 3;  // 0.000d is 1e-4 at least
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!number.empty() && number.front() == '-') number.remove_prefix(1);
  const std::size_t point = number.find('.');
  if (point == std::string_view::npos || point == 0 || point + 1 == number.size()) return false;
  const std::string_view whole = number.substr(0, point), fraction = number.substr(point + 1);
  if (!std::all_of(whole.begin(), whole.end(), is_digit) ||
      !std::all_of(fraction.begin(), fraction.end(), is_digit))
    return false;
  if (whole == "0") {
    // 0.000ddd: the zeros after the point are not significant; zero itself is left to the
    // exact writer.
    const std::size_t zeros = fraction.find_first_not_of('0');
    return zeros != std::string_view::npos && zeros <= kMaxLeadingZeros && fraction.back() != '0' &&
           fraction.size() - zeros <= kMaxSignificant;
  }
  if (whole.front() == '0') return false;
  if (fraction == "0") return whole.size() <= kMaxSignificant;  // an integral value: "5.0"
  return fraction.back() != '0' && whole.size() + fraction.size() <= kMaxSignificant;
}

std::string python_float_repr(double value) {
  std::string out;
  append_python_float(out, value);
  return out;
}

void append_python_string(std::string& out, std::string_view utf8) {
  out += '"';
  std::size_t i = 0;
  while (i < utf8.size()) {
    // A run of bytes written as they are goes in at once: every node serialises every block it
    // takes, and a hash or a post is mostly such a run.
    std::size_t run = i;
    while (run < utf8.size() && utf8[run] >= 0x20 && utf8[run] < 0x7F && utf8[run] != '"' &&
           utf8[run] != '\\')
      ++run;
    out.append(utf8.data() + i, run - i);
    i = run;
    if (i == utf8.size()) break;
    auto byte = static_cast<unsigned char>(utf8[i]);
    if (byte < 0x80) {
      switch (byte) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (byte < 0x20 || byte == 0x7F) {
            append_u_escape(out, byte);
          } else {
            out += static_cast<char>(byte);
          }
      }
      ++i;
      continue;
    }
    // Decode one UTF-8 sequence. Strings reach us from nlohmann's parser, which validates UTF-8;
    // a truncated sequence from elsewhere is escaped as U+FFFD rather than read past the end.
    unsigned length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2;
    unsigned code_point = byte & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F);
    if (i + length > utf8.size()) {
      append_u_escape(out, 0xFFFD);
      break;
    }
    for (unsigned k = 1; k < length; ++k) {
      code_point = (code_point << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    }
    i += length;
    if (code_point >= 0x10000) {
      code_point -= 0x10000;
      append_u_escape(out, 0xD800 + (code_point >> 10));
      append_u_escape(out, 0xDC00 + (code_point & 0x3FF));
    } else {
      append_u_escape(out, code_point);
    }
  }
  out += '"';
}

void append_canonical(std::string& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      out += "null";
      break;
    case Json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      break;
    case Json::value_t::number_integer:
      out += std::to_string(value.get<std::int64_t>());
      break;
    case Json::value_t::number_unsigned:
      out += std::to_string(value.get<std::uint64_t>());
      break;
    case Json::value_t::number_float:
      append_python_float(out, value.get<double>());
      break;
    case Json::value_t::string:
      append_python_string(out, value.get_ref<const std::string&>());
      break;
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : value) {
        if (!first) out += ", ";
        first = false;
        append_canonical(out, item);
      }
      out += ']';
      break;
    }
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out += ", ";
        first = false;
        append_python_string(out, key);
        out += ": ";
        append_canonical(out, item);
      }
      out += '}';
      break;
    }
    case Json::value_t::binary:
    case Json::value_t::discarded:
      throw JsonError("value has no JSON form");
  }
}

std::string canonical(const Json& value) {
  std::string out;
  append_canonical(out, value);
  return out;
}

}  // namespace yournet
