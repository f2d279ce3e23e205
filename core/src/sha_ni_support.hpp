#pragma once
// Private: when the SHA-NI code of sha256_ni.hpp may run, and what its users share.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace yournet::detail {

// True when the SHA-NI code is compiled in, the CPU has the extensions and every entry point
// below agreed with OpenSSL on a self-check (run once, on first use). Only then may they be called.
bool sha_ni_verified();

// The padded form of a message of `len` bytes (SHA-256 padding and 64-bit bit length).
std::vector<std::uint8_t> sha256_padded(const std::uint8_t* data, std::size_t len);

}  // namespace yournet::detail
