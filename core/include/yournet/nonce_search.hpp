#pragma once
// The proof-of-work inner loop: hash `prefix + decimal(nonce) + suffix` for a range of nonces and
// find the smallest nonce whose SHA-256 has enough leading zero bits. The canonical bytes of a
// block are written once by the caller; only the nonce digits change per attempt.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace yournet {

// True when the digest starts with at least `zero_bits` zero bits.
bool has_leading_zero_bits(const std::uint8_t* digest, unsigned zero_bits);

class NonceSearcher {
 public:
  NonceSearcher(std::string_view prefix, std::string_view suffix);
  ~NonceSearcher();
  NonceSearcher(const NonceSearcher&) = delete;
  NonceSearcher& operator=(const NonceSearcher&) = delete;

  // Smallest nonce in [begin, end) whose digest has >= zero_bits leading zero bits, if any.
  std::optional<std::uint64_t> search(std::uint64_t begin, std::uint64_t end, unsigned zero_bits);

  // Digest of the message for one nonce (32 bytes into `out`).
  void digest(std::uint64_t nonce, std::uint8_t* out);

  // Name of the hashing path picked at run time (e.g. "openssl-evp", "sha-ni").
  static const char* implementation();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace yournet
