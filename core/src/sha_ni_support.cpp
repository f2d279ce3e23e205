// Whether the SHA-NI code may run here: the CPU has the extensions (cpuid) and every entry point
// gives the known digests of a few messages, checked once per process. The answers are constants,
// not OpenSSL's: a process that hashes with SHA-NI never starts OpenSSL for it.
#include "sha_ni_support.hpp"

#include <array>
#include <cstring>
#include <vector>

#include "sha256_ni.hpp"
#include "yournet/crypto.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace yournet::detail {

namespace {

// SHA-256 of sha_ni_test_message(length, false) and (length, true), from Python's hashlib: every
// padding edge (the length field in the same block or the next, a block exactly full) and a
// message of 16 blocks.
constexpr std::array<ShaNiKnownAnswer, 9> kKnownAnswers{{
    {0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {1, "9d1e0e2d9459d06523ad13e28a4093c2316baafe7aec5b25f30eba2e113599c4",
     "fcb5f40df9be6bae66c1d77a6c15968866a9e6cbd7314ca432b019d17392f6f4"},
    {55, "b2ca0adc388a66d3a5a7f6541239331d5a867eede554e11262241271faaf36c5",
     "2268c17e286338ea1a5b7e341ae32bde74d1d3a2270f3b46604a022088942210"},
    {56, "3768eff44f1df02704a832cf708935fbed9bb74d0714fbe75454c266c4e12856",
     "c8d70765dd0b3e0f89eed5fe810b0a1bbb311a877cf25d0d76613faa215c2105"},
    {63, "dc06ea9e456da9f9fc2276564018231c36196ff7745bf505fd7f503aec5c67fd",
     "63bf1f5a82348b7b2e67d01be384531669688f2142417db086961d3fd7f21d28"},
    {64, "b68fe543b0b5a544e32eb08712e697bfcd3a3cb491563c3b1cba112d378f4bdb",
     "8c918fec001f98319ec35a004e3218443a85f860f1f9bd18679cc1139b8b9bb5"},
    {119, "b27b61037be684924f5497ee79c784f09c971d8c8c3136f6270e0fd34775aa1b",
     "438448382e8c671097bf3b51407443c679a3094385a618346a6f0060bb9a13c2"},
    {120, "00c666e960132985e9c99dc98bf25782df791138d0f1252b69781694ed97d693",
     "dc7656cf33de1c8787d8823d4589995f8434bbbebac337beb9c934b54f6c8bfc"},
    {1000, "fa10d4e76ab24b0ff9d6c596a00df178cd2a80a15c70770dee68d374ccb39bc6",
     "1603a1922a53acade1d6f2ad6b099acc4c613efd9faf5c7c9d965ecdf0911667"},
}};

bool digest_is(const std::uint8_t digest[32], std::string_view hex) {
  return to_hex(digest, 32) == hex;
}

// Every SHA-NI entry point against the known answers, each padded message split into folded-in,
// variable and precomputed-schedule blocks in several ways; hash2's second message differs from
// the first in its first byte, inside the variable blocks.
bool sha_ni_self_check() {
  std::vector<std::uint32_t> wk;
  for (const ShaNiKnownAnswer& answer : kKnownAnswers) {
    const auto msg_a = sha_ni_test_message(answer.length, false);
    const auto msg_b = sha_ni_test_message(answer.length, true);
    const auto pa = sha256_padded(msg_a.data(), msg_a.size());
    const auto pb = sha256_padded(msg_b.data(), msg_b.size());
    const std::size_t blocks = pa.size() / 64;

    std::uint32_t whole[8];
    std::memcpy(whole, kSha256Iv, sizeof whole);
    sha_ni_compress(whole, pa.data(), blocks);
    std::uint8_t whole_digest[32];
    sha256_state_bytes(whole, whole_digest);
    if (!digest_is(whole_digest, answer.digest_hex)) return false;

    for (std::size_t first = 0; first < blocks && first < 2; ++first) {
      for (std::size_t var = 0; first + var <= blocks && var <= 2; ++var) {
        const std::size_t first_byte = first * 64;
        const bool b_differs = first == 0 && var != 0;
        std::uint32_t mid[8];
        std::memcpy(mid, kSha256Iv, sizeof mid);
        sha_ni_compress(mid, pa.data(), first);
        const std::size_t rest = blocks - first - var;
        wk.assign(64 * rest, 0);
        for (std::size_t i = 0; i < rest; ++i)
          sha_ni_schedule(pa.data() + 64 * (first + var + i), wk.data() + 64 * i);
        std::uint8_t got1[32], got_a[32], got_b[32];
        sha_ni_hash1(mid, pa.data() + first_byte, var, wk.data(), rest, got1);
        sha_ni_hash2(mid, pa.data() + first_byte, (b_differs ? pb : pa).data() + first_byte, var,
                     wk.data(), rest, got_a, got_b);
        if (!digest_is(got1, answer.digest_hex) || !digest_is(got_a, answer.digest_hex) ||
            !digest_is(got_b, b_differs ? answer.flipped_digest_hex : answer.digest_hex))
          return false;
      }
    }
  }
  return true;
}

}  // namespace

#if defined(__x86_64__) || defined(__i386__)
// What the SHA-NI code needs, read with cpuid (GCC and Clang's <cpuid.h>; Clang 14 does not know
// the "sha" feature name of __builtin_cpu_supports). Leaf 1 ECX: bit 9 SSSE3, bit 19 SSE4.1;
// leaf 7 subleaf 0 EBX: bit 29 SHA. __get_cpuid* fail when the CPU lacks the leaf.
bool cpu_has_sha_ni() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool ssse3 = (ecx & (1u << 9)) != 0;
  const bool sse41 = (ecx & (1u << 19)) != 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const bool sha = (ebx & (1u << 29)) != 0;
  return ssse3 && sse41 && sha;
}
#else
bool cpu_has_sha_ni() {
  return false;
}
#endif

std::span<const ShaNiKnownAnswer> sha_ni_known_answers() {
  return kKnownAnswers;
}

std::vector<std::uint8_t> sha_ni_test_message(std::size_t length, bool flip_first_byte) {
  std::vector<std::uint8_t> message(length);
  for (std::size_t i = 0; i < length; ++i) message[i] = static_cast<std::uint8_t>(i * 167 + 13);
  if (flip_first_byte && length > 0) message[0] ^= 0x5a;
  return message;
}

// The padded form of a message of `len` bytes (SHA-256 padding and 64-bit bit length).
std::vector<std::uint8_t> sha256_padded(const std::uint8_t* data, std::size_t len) {
  std::size_t blocks = (len + 9 + 63) / 64;
  std::vector<std::uint8_t> out(blocks * 64, 0);
  if (len != 0) std::memcpy(out.data(), data, len);
  out[len] = 0x80;
  std::uint64_t bits = static_cast<std::uint64_t>(len) * 8;
  for (int i = 0; i < 8; ++i) out[out.size() - 1 - i] = static_cast<std::uint8_t>(bits >> (8 * i));
  return out;
}

bool sha_ni_verified() {
  static const bool ok = sha_ni_compiled() && cpu_has_sha_ni() && sha_ni_self_check();
  return ok;
}

}  // namespace yournet::detail
