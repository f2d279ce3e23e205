// sha256(), sha256_pair() and Sha256Stream (SHA-NI where the CPU has it, else OpenSSL's EVP)
// against OpenSSL's one-shot EVP_Digest, on every length around the block and padding edges, fed
// whole and in pieces of every size.
#include <openssl/evp.h>

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "yournet/crypto.hpp"

namespace yournet {
namespace {

Digest openssl_digest(const std::string& bytes) {
  Digest digest{};
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), digest.data(), &len, EVP_sha256(), nullptr), 1);
  return digest;
}

std::string message(std::size_t length) {
  std::string out(length, '\0');
  std::uint32_t seed = static_cast<std::uint32_t>(length) * 2654435761u + 1;
  for (char& c : out) {
    seed = seed * 1664525u + 1013904223u;
    c = static_cast<char>(seed >> 24);
  }
  return out;
}

TEST(Sha256, OneShotMatchesOpenSsl) {
  for (std::size_t length = 0; length <= 1100; ++length) {
    const std::string bytes = message(length);
    ASSERT_EQ(sha256(bytes), openssl_digest(bytes)) << length << " bytes";
  }
}

TEST(Sha256, StreamInPiecesMatchesOpenSsl) {
  Sha256Stream stream;
  for (std::size_t length : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 119u, 120u, 128u, 200u, 1000u}) {
    const std::string bytes = message(length);
    for (std::size_t piece = 1; piece <= 130; piece += 3) {
      for (std::size_t at = 0; at < bytes.size(); at += piece) {
        stream.update(std::string_view(bytes).substr(at, piece));
      }
      ASSERT_EQ(stream.finish(), openssl_digest(bytes)) << length << " bytes, pieces of " << piece;
    }
  }
}

TEST(Sha256, PairsOfEveryLengthMatchOpenSsl) {
  // Lengths around the block and padding edges, paired with shorter, equal and longer ones (the
  // interleaved blocks end at different points).
  for (std::size_t a = 0; a <= 300; ++a) {
    for (std::size_t b : {std::size_t{0}, a / 2, a, a + 1, a + 9, a + 64, 2 * a + 70}) {
      const std::string first = message(a), second = message(b) + "x";
      const auto [digest_a, digest_b] = sha256_pair(first, second);
      ASSERT_EQ(digest_a, openssl_digest(first)) << a << " and " << second.size() << " bytes";
      ASSERT_EQ(digest_b, openssl_digest(second)) << a << " and " << second.size() << " bytes";
    }
  }
}

TEST(Sha256, KnownAnswer) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace yournet
