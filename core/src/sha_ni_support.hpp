#pragma once
// Private: when the SHA-NI code of sha256_ni.hpp may run, and what its users share.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace yournet::detail {

// True when the SHA-NI code is compiled in, the CPU has the extensions and every entry point
// below gave the known answers of a self-check (run once, on first use). Only then may they be
// called; else hashing goes through OpenSSL.
bool sha_ni_verified();

// The CPU has SHA, SSSE3 and SSE4.1 (false off x86).
bool cpu_has_sha_ni();

// A message of the self-check and its SHA-256, and that of the same message with its first byte
// flipped (sha_ni_test_message(length, true)).
struct ShaNiKnownAnswer {
  std::size_t length;
  std::string_view digest_hex;
  std::string_view flipped_digest_hex;
};
std::span<const ShaNiKnownAnswer> sha_ni_known_answers();
std::vector<std::uint8_t> sha_ni_test_message(std::size_t length, bool flip_first_byte);

// The padded form of a message of `len` bytes (SHA-256 padding and 64-bit bit length).
std::vector<std::uint8_t> sha256_padded(const std::uint8_t* data, std::size_t len);

}  // namespace yournet::detail
