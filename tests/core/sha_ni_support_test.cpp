// The SHA-NI self-check's known answers against OpenSSL, and the self-check passing wherever the
// CPU has SHA-NI (a wrong answer would silently send every hash through OpenSSL instead).
#include "sha_ni_support.hpp"

#include <openssl/evp.h>

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "sha256_ni.hpp"
#include "yournet/crypto.hpp"

namespace yournet::detail {
namespace {

std::string openssl_hex(const std::vector<std::uint8_t>& bytes) {
  Digest digest{};
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), digest.data(), &len, EVP_sha256(), nullptr), 1);
  return to_hex(digest);
}

TEST(ShaNiSupport, KnownAnswersAreOpenSsls) {
  ASSERT_FALSE(sha_ni_known_answers().empty());
  for (const ShaNiKnownAnswer& answer : sha_ni_known_answers()) {
    EXPECT_EQ(openssl_hex(sha_ni_test_message(answer.length, false)), answer.digest_hex)
        << answer.length << " bytes";
    EXPECT_EQ(openssl_hex(sha_ni_test_message(answer.length, true)), answer.flipped_digest_hex)
        << answer.length << " bytes, first byte flipped";
  }
}

TEST(ShaNiSupport, VerifiedWhereTheCpuHasIt) {
  if (!sha_ni_compiled() || !cpu_has_sha_ni()) GTEST_SKIP() << "no SHA-NI on this CPU or build";
  EXPECT_TRUE(sha_ni_verified());
}

}  // namespace
}  // namespace yournet::detail
