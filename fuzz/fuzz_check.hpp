#pragma once
// What a fuzz target asserts: a broken property aborts with a message, which libFuzzer reports as
// a crash with the input that caused it (and the replay binary as a failed test). Kept on in
// every build type, unlike assert().
#include <cstdio>
#include <cstdlib>
#include <string>

#include "yournet/printable.hpp"

namespace yournet::fuzz {

[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz property broken: %s\n", printable(what, 2000).c_str());
  std::abort();
}

inline void check(bool holds, const std::string& what) {
  if (!holds) fail(what);
}

}  // namespace yournet::fuzz
