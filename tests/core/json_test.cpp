#include "yournet/json.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>

#include "test_util.hpp"
#include "yournet/crypto.hpp"
#include "yournet/printable.hpp"

namespace yournet {
namespace {

TEST(CanonicalJson, ReferenceVectors) {
  std::istringstream lines(test::read_text("canonical_json.jsonl"));
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    Json vector = Json::parse(line);
    const std::string input = vector["input"].get<std::string>();
    const std::string expected = vector["canonical"].get<std::string>();
    const std::string digest = vector["sha256"].get<std::string>();
    SCOPED_TRACE(input);
    std::string got = canonical(parse_json(input));
    EXPECT_EQ(got, expected);
    EXPECT_EQ(sha256_hex(got), digest);
    ++count;
  }
  EXPECT_GE(count, 20);
}

TEST(CanonicalJson, GenesisHash) {
  EXPECT_EQ(
      sha256_hex(canonical(parse_json(
          R"({"index": 0, "transactions": [], "timestamp": 0, "previous_hash": "0", "nonce": 0})"))),
      kGenesisHash);
}

TEST(ParseJson, RefusesIntegersBeyond64Bits) {
  EXPECT_THROW(parse_json("123456789012345678901234567890"), JsonError);
  EXPECT_THROW(parse_json("-99999999999999999999"), JsonError);
  EXPECT_THROW(parse_json(R"({"a": [1, 18446744073709551616]})"), JsonError);
  EXPECT_THROW(parse_json("-9223372036854775809"), JsonError);
}

TEST(ParseJson, Accepts64BitExtremes) {
  EXPECT_EQ(canonical(parse_json("18446744073709551615")), "18446744073709551615");
  EXPECT_EQ(canonical(parse_json("-9223372036854775808")), "-9223372036854775808");
}

TEST(ParseJson, RefusesMalformed) {
  for (const char* text : {"", "{", "[1,]", "{\"a\" 1}", "nul", "'x'", "[1] 2", "{\"a\":}",
                           "\"\\x\"", "NaN", "Infinity", "-Infinity", "[1e999]"}) {
    SCOPED_TRACE(text);
    EXPECT_THROW(parse_json(text), JsonError);
  }
}

TEST(ParseJson, DeepNestingThrowsWithoutCrash) {
  EXPECT_THROW(parse_json(std::string(100000, '[')), JsonError);
  std::string balanced = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_THROW(parse_json(balanced), JsonError);
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_THROW(parse_json(objects), JsonError);
}

TEST(ParseJson, NestingWithinLimitAccepted) {
  std::string ok = std::string(10, '[') + std::string(10, ']');
  EXPECT_EQ(canonical(parse_json(ok)), ok);
}

// Expected outputs measured with Python 3: json.dumps(json.loads(input), sort_keys=True).
TEST(CanonicalJson, PythonEdgeCases) {
  struct Case {
    const char* input;
    const char* expected;
  };
  const Case cases[] = {
      {"-0", "0"},
      {"1E2", "100.0"},
      {"1.0", "1.0"},
      {"0.1e1", "1.0"},
      {"-0.0", "-0.0"},
      {"12345678901234567890.0", "1.2345678901234567e+19"},
      {"[1e-7, 123456789.125, 1e22, -1.5e-310]", "[1e-07, 123456789.125, 1e+22, -1.5e-310]"},
      {R"("\ud83d\ude00\u0000\u007f\u00ff")", R"("\ud83d\ude00\u0000\u007f\u00ff")"},
      {R"({"\u00e9": 1, "z": 2, "A": 3, "\ud83d\ude00": 4, "\uffff": 5})",
       R"({"A": 3, "z": 2, "\u00e9": 1, "\uffff": 5, "\ud83d\ude00": 4})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    EXPECT_EQ(canonical(parse_json(c.input)), c.expected);
  }
}

// Python's json.loads keeps the last of two equal keys; a value whose meaning depends on which
// copy a reader keeps is refused instead, naming the key.
TEST(ParseJson, RefusesDuplicateKeysNamingThem) {
  try {
    parse_json(R"({"b": [{"a": 1, "a": 2}]})");
    FAIL() << "a duplicate key was accepted";
  } catch (const JsonError& e) {
    EXPECT_NE(std::string(e.what()).find("duplicate key \"a\""), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(parse_json(R"([{"a": 1}, {"a": 2}])"));  // equal keys of different objects
}

// A parse error quotes the bytes it stopped at; the message stays valid UTF-8 whatever they are,
// so that it can be written into JSON (a log line, an answer) without throwing.
TEST(ParseJson, ErrorMessagesAreValidUtf8WhateverTheInput) {
  const std::string inputs[] = {"{\"author\": \"\xff\xfe\"}",
                                "\xc3",
                                "[\"\xed\xa0\x80\"]",
                                "\"\\ud800\"",
                                "\"\\udc00x\"",
                                "{\"a\x01\": 1}",
                                "[\"\xf4\x90\x80\x80\"]",
                                "1" + std::string(400, '0')};
  for (const auto& input : inputs) {
    SCOPED_TRACE(printable(input));
    try {
      parse_json(input);
      FAIL() << "accepted";
    } catch (const JsonError& e) {
      EXPECT_NO_THROW(Json(std::string(e.what())).dump());
    }
  }
}

TEST(Printable, KeepsValidUtf8AndEscapesTheRest) {
  EXPECT_EQ(printable("caf\xc3\xa9 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(printable("a\xff"
                      "b\n"),
            "a\\xffb\\x0a");
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate's encoding
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");           // an overlong "/"
  EXPECT_EQ(printable("\xe2\x82"), "\\xe2\\x82");           // a truncated character
  // Cut at a character boundary, never inside one.
  EXPECT_EQ(printable("ab\xc3\xa9", 3), "ab...");
  EXPECT_EQ(printable(std::string(10, 'x'), 4), "xxxx...");
}

TEST(ParseJson, DepthLimitBoundary) {
  JsonLimits limits;
  const std::size_t depth = limits.max_depth;
  std::string at_limit = std::string(depth, '[') + std::string(depth, ']');
  EXPECT_NO_THROW(parse_json(at_limit, limits));
  std::string beyond = std::string(depth + 1, '[') + std::string(depth + 1, ']');
  EXPECT_THROW(parse_json(beyond, limits), JsonError);
}

TEST(PythonFloatRepr, Cases) {
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1e-5), "1e-05");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(-0.0), "-0.0");
  EXPECT_EQ(python_float_repr(100.0), "100.0");
  EXPECT_EQ(python_float_repr(5e-324), "5e-324");
  EXPECT_EQ(python_float_repr(0.0), "0.0");
  EXPECT_EQ(python_float_repr(0.1), "0.1");
  EXPECT_EQ(python_float_repr(9999999999999998.0), "9999999999999998.0");
  EXPECT_EQ(python_float_repr(1.5e300), "1.5e+300");
  EXPECT_EQ(python_float_repr(1700000000.3811135), "1700000000.3811135");
}

TEST(PythonFloatRepr, TextTakenAsCanonicalIsCanonical) {
  for (const char* text : {"1800000598.75", "0.0001", "0.000123", "5.0", "0.1", "-2.5",
                           "123456789012345.0", "99999999999999.9"}) {
    EXPECT_TRUE(is_python_float_repr(text)) << text;
  }
  for (const char* text : {"1e-05", "0.00001", "1.50", "0.0", "-0.0", "1234567890123456.0",
                           "0.1234567890123456", "1.", ".5", "01.5", "5", "1.5e3", "1.5E3"}) {
    EXPECT_FALSE(is_python_float_repr(text)) << text;
  }
  // Decimals of every shape near the rule's edges: each one taken is what repr writes.
  std::mt19937_64 random(20261201);
  auto digits = [&](std::size_t count, bool nonzero_first) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) {
      out += static_cast<char>('0' + (i == 0 && nonzero_first ? 1 + random() % 9 : random() % 10));
    }
    return out;
  };
  std::size_t taken = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string text = random() % 2 ? "-" : "";
    const std::size_t whole = random() % 18;
    text += whole == 0 ? "0" : digits(whole, true);
    text += '.';
    text += std::string(random() % 6, '0') + digits(1 + random() % 17, false);
    if (!is_python_float_repr(text)) continue;
    ++taken;
    double value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    ASSERT_EQ(python_float_repr(value), text);
  }
  EXPECT_GT(taken, 10000u);
}

TEST(CanonicalJson, StringEscapes) {
  std::string out;
  append_python_string(out, "a\"b\\c\n\t\x01\u00e9\U0001F600");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\t\\u0001\\u00e9\\ud83d\\ude00\"");
}

// ---- property test ----

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string random_string(std::mt19937_64& rng) {
  std::string out;
  const int length = static_cast<int>(rng() % 24);
  for (int i = 0; i < length; ++i) {
    char32_t cp = 0;
    switch (rng() % 6) {
      case 0:
        cp = static_cast<char32_t>(rng() % 0x20);
        break;  // control
      case 1:
        cp = U"\"\\/'"[rng() % 4];
        break;  // quotes and slashes
      case 2:
        cp = static_cast<char32_t>(0x20 + rng() % 0x5F);
        break;  // printable ASCII
      case 3:
        cp = static_cast<char32_t>(0x80 + rng() % (0xD800 - 0x80));
        break;  // BMP below surrogates
      case 4:
        cp = static_cast<char32_t>(0xE000 + rng() % (0x10000 - 0xE000));
        break;
      default:
        cp = static_cast<char32_t>(0x10000 + rng() % (0x110000 - 0x10000));
        break;  // astral
    }
    append_utf8(out, cp);
  }
  return out;
}

Json random_number(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0: {  // int64 of every magnitude
      const unsigned shift = static_cast<unsigned>(rng() % 64);
      auto value = static_cast<std::int64_t>(rng() >> shift);
      if (rng() % 2) value = -value;
      return value;
    }
    case 1: {  // uint64 of every magnitude
      const unsigned shift = static_cast<unsigned>(rng() % 64);
      std::uint64_t value = rng() >> shift;
      return value;
    }
    case 2: {  // extremes
      switch (rng() % 4) {
        case 0:
          return std::numeric_limits<std::int64_t>::min();
        case 1:
          return std::numeric_limits<std::int64_t>::max();
        case 2:
          return std::numeric_limits<std::uint64_t>::max();
        default:
          return 0;
      }
    }
    default: {  // doubles from bit patterns, finite only (subnormals included)
      while (true) {
        std::uint64_t bits = rng();
        if (rng() % 8 == 0) bits &= 0x800FFFFFFFFFFFFFull;  // subnormal (or zero)
        double value = std::bit_cast<double>(bits);
        if (std::isfinite(value)) return value;
      }
    }
  }
}

Json random_post(std::mt19937_64& rng) {
  Json post = Json::object();
  post["author"] = random_string(rng);
  post["content"] = random_string(rng);
  post["timestamp"] = random_number(rng);
  const int extras = static_cast<int>(rng() % 4);
  for (int i = 0; i < extras; ++i) {
    if (rng() % 2) {
      post[random_string(rng)] = random_number(rng);
    } else {
      Json list = Json::array();
      list.push_back(random_string(rng));
      list.push_back(random_number(rng));
      list.push_back(rng() % 2 == 0);
      list.push_back(nullptr);
      post[random_string(rng)] = list;
    }
  }
  return post;
}

TEST(CanonicalJsonProperty, RoundTripIsStableAndAscii) {
  std::mt19937_64 rng(0x5eed1234abcdULL);
  for (int i = 0; i < 2000; ++i) {
    Json post = random_post(rng);
    std::string first = canonical(post);
    SCOPED_TRACE(first);
    for (char c : first) {
      ASSERT_LT(static_cast<unsigned char>(c), 0x80u) << "non-ASCII in canonical output";
      ASSERT_GE(static_cast<unsigned char>(c), 0x20u) << "raw control char in canonical output";
    }
    Json parsed;
    ASSERT_NO_THROW(parsed = parse_json(first));
    EXPECT_EQ(canonical(parsed), first);
    EXPECT_EQ(parsed, post);
  }
}

}  // namespace
}  // namespace yournet
