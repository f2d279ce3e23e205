// The nonce searcher (whichever hashing path the CPU gets: SHA-NI or OpenSSL) against OpenSSL's
// one-shot SHA-256 of the same bytes, and search() against a brute-force loop over digest().
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "yournet/nonce_search.hpp"

namespace {

using yournet::NonceSearcher;

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

std::string reference_hex(const std::string& message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(message.data(), message.size(), out, &len, EVP_sha256(), nullptr), 1);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < len; ++i) {
    s += hex[out[i] >> 4];
    s += hex[out[i] & 15];
  }
  return s;
}

std::string searcher_hex(NonceSearcher& searcher, std::uint64_t nonce) {
  std::uint8_t out[32];
  searcher.digest(nonce, out);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (auto b : out) {
    s += hex[b >> 4];
    s += hex[b & 15];
  }
  return s;
}

std::string random_bytes(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

std::uint64_t pow10(unsigned k) {
  std::uint64_t p = 1;
  for (unsigned i = 0; i < k; ++i) p *= 10;
  return p;
}

// A nonce with exactly `width` decimal digits (1..20).
std::uint64_t random_nonce_of_width(std::mt19937_64& rng, unsigned width) {
  std::uint64_t lo = width == 1 ? 0 : pow10(width - 1);
  std::uint64_t hi = width == 20 ? kMax : pow10(width) - 1;
  return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
}

std::optional<std::uint64_t> brute_force(NonceSearcher& searcher, std::uint64_t begin,
                                         std::uint64_t end, unsigned zero_bits) {
  std::uint8_t out[32];
  for (std::uint64_t n = begin; n < end; ++n) {
    searcher.digest(n, out);
    if (yournet::has_leading_zero_bits(out, zero_bits)) return n;
  }
  return std::nullopt;
}

TEST(NonceSearchFast, ReportsImplementation) {
  std::string name = NonceSearcher::implementation();
  EXPECT_TRUE(name == "sha-ni-2way" || name == "openssl-evp") << name;
  std::cout << "nonce search implementation: " << name << "\n";
}

TEST(NonceSearchFast, EmptyMessageMatchesOpenSsl) {
  // The API always hashes at least one digit; the shortest message is one digit with no prefix or
  // suffix (the hashing path itself is self-checked from length 0 at start-up).
  NonceSearcher searcher("", "");
  for (std::uint64_t n = 0; n < 10; ++n) {
    EXPECT_EQ(searcher_hex(searcher, n), reference_hex(std::to_string(n)));
  }
}

TEST(NonceSearchFast, DigestMatchesOpenSslForEveryLength) {
  std::mt19937 rng(20240607);
  std::mt19937_64 rng64(7);
  for (std::size_t total = 1; total <= 2000; ++total) {
    unsigned width = static_cast<unsigned>(1 + total % 20);
    if (width > total) width = static_cast<unsigned>(total);
    std::uint64_t nonce = random_nonce_of_width(rng64, width);
    if (width == 20 && total % 3 == 0) nonce = kMax - 1;
    std::size_t room = total - width;
    std::size_t prefix_len = std::uniform_int_distribution<std::size_t>(0, room)(rng);
    std::string prefix = random_bytes(rng, prefix_len);
    std::string suffix = random_bytes(rng, room - prefix_len);
    NonceSearcher searcher(prefix, suffix);
    std::string message = prefix + std::to_string(nonce) + suffix;
    ASSERT_EQ(message.size(), total);
    ASSERT_EQ(searcher_hex(searcher, nonce), reference_hex(message))
        << "total " << total << " prefix " << prefix_len << " nonce " << nonce;
    // A second nonce of another width through the same searcher.
    std::uint64_t other = random_nonce_of_width(rng64, static_cast<unsigned>(1 + rng() % 20));
    ASSERT_EQ(searcher_hex(searcher, other), reference_hex(prefix + std::to_string(other) + suffix))
        << "total " << total << " prefix " << prefix_len << " nonce " << other;
  }
}

TEST(NonceSearchFast, DigestMatchesOpenSslForEveryWidth) {
  std::mt19937 rng(99);
  std::mt19937_64 rng64(1234);
  const std::string prefix = R"({"index": 1234, "nonce": )";
  for (std::size_t suffix_len : {0u, 1u, 20u, 29u, 30u, 38u, 39u, 100u, 1000u, 5000u, 19975u}) {
    std::string suffix = random_bytes(rng, suffix_len);
    for (const std::string& pre :
         {prefix, std::string(), std::string(60, 'p'), std::string(130, 'q')}) {
      NonceSearcher searcher(pre, suffix);
      std::vector<std::uint64_t> nonces = {0, kMax - 1, kMax};
      for (unsigned width = 1; width <= 20; ++width) {
        nonces.push_back(random_nonce_of_width(rng64, width));
        if (width < 20) {
          nonces.push_back(pow10(width) - 1);
          nonces.push_back(pow10(width));
        }
      }
      for (std::uint64_t n : nonces) {
        ASSERT_EQ(searcher_hex(searcher, n), reference_hex(pre + std::to_string(n) + suffix))
            << "prefix " << pre.size() << " suffix " << suffix_len << " nonce " << n;
      }
    }
  }
}

TEST(NonceSearchFast, SearchAgreesWithBruteForce) {
  std::mt19937 rng(4242);
  const std::string prefix = R"({"index": 1234, "nonce": )";
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges = {{0, 0},
                                                                 {5, 5},
                                                                 {0, 1},
                                                                 {0, 2},
                                                                 {0, 3},
                                                                 {0, 300},
                                                                 {1, 300},
                                                                 {8, 12},
                                                                 {9, 10},
                                                                 {9, 11},
                                                                 {97, 103},
                                                                 {98, 101},
                                                                 {99, 100},
                                                                 {99, 101},
                                                                 {990, 1010},
                                                                 {995, 1004},
                                                                 {9999, 10001},
                                                                 {pow10(19) - 7, pow10(19) + 6},
                                                                 {pow10(19) - 1, pow10(19) + 1},
                                                                 {kMax - 40, kMax},
                                                                 {kMax - 1, kMax}};
  for (std::size_t suffix_len : {10u, 39u, 75u, 700u}) {
    std::string suffix = random_bytes(rng, suffix_len);
    for (const std::string& pre : {prefix, std::string(61, 'p')}) {
      NonceSearcher searcher(pre, suffix);
      for (unsigned zero_bits : {4u, 8u}) {
        for (auto [begin, end] : ranges) {
          auto want = brute_force(searcher, begin, end, zero_bits);
          auto got = searcher.search(begin, end, zero_bits);
          ASSERT_EQ(got, want) << "[" << begin << ", " << end << ") zero_bits " << zero_bits
                               << " prefix " << pre.size() << " suffix " << suffix_len;
          // Restarting just after each hit must find the next one, so every hit in the range is
          // checked, not only the first.
          std::uint64_t from = begin;
          while (got && from < end) {
            from = *got + 1;
            want = brute_force(searcher, from, end, zero_bits);
            got = searcher.search(from, end, zero_bits);
            ASSERT_EQ(got, want) << "[" << from << ", " << end << ") zero_bits " << zero_bits;
          }
        }
      }
    }
  }
}

TEST(NonceSearchFast, ZeroBitsMatchesFirstNonce) {
  NonceSearcher searcher("abc", "def");
  EXPECT_EQ(searcher.search(7, 100, 0), std::optional<std::uint64_t>(7));
  EXPECT_EQ(searcher.search(99, 100, 0), std::optional<std::uint64_t>(99));
  EXPECT_EQ(searcher.search(100, 100, 0), std::nullopt);
  EXPECT_EQ(searcher.search(kMax - 1, kMax, 0), std::optional<std::uint64_t>(kMax - 1));
  EXPECT_EQ(searcher.search(5, 1000, 256), std::nullopt);
}

}  // namespace
