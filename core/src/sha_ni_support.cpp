// Whether the SHA-NI code may run here: the CPU has the extensions (cpuid) and every entry point
// agrees with OpenSSL on messages of many lengths, checked once per process.
#include "sha_ni_support.hpp"

#include <openssl/evp.h>

#include <cstring>
#include <stdexcept>
#include <vector>

#include "sha256_ni.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace yournet::detail {

namespace {

void openssl_sha256(const void* data, std::size_t len, std::uint8_t* out) {
  unsigned int out_len = 0;
  if (EVP_Digest(data, len, out, &out_len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 failed");
  }
}

// Compares every SHA-NI entry point with OpenSSL on messages of many lengths, splitting each padded
// message into folded-in, variable and precomputed-schedule blocks in several ways.
bool sha_ni_self_check() {
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 300; ++n) lengths.push_back(n);
  for (std::size_t n : {447u, 448u, 503u, 504u, 511u, 512u, 1000u, 4095u, 4096u})
    lengths.push_back(n);
  std::uint32_t seed = 0x12345678u;
  std::vector<std::uint8_t> msg_a;
  std::vector<std::uint8_t> msg_b;
  std::vector<std::uint32_t> wk;
  for (std::size_t len : lengths) {
    msg_a.resize(len);
    for (auto& byte : msg_a) {
      seed = seed * 1664525u + 1013904223u;
      byte = static_cast<std::uint8_t>(seed >> 24);
    }
    std::uint8_t want_a[32];
    openssl_sha256(msg_a.data(), len, want_a);
    auto pa = sha256_padded(msg_a.data(), len);
    std::size_t blocks = pa.size() / 64;
    for (std::size_t first = 0; first < blocks && first < 3; ++first) {
      for (std::size_t var = 0; first + var <= blocks && var <= 2; ++var) {
        std::size_t first_byte = first * 64;
        // Message b differs from a only inside the variable blocks (when there are any).
        msg_b = msg_a;
        bool differs = false;
        if (var != 0 && first_byte < len) {
          msg_b[first_byte] = static_cast<std::uint8_t>(msg_b[first_byte] ^ 0x5a);
          differs = true;
        }
        std::uint8_t want_b[32];
        openssl_sha256(msg_b.data(), len, want_b);
        auto pb = sha256_padded(msg_b.data(), len);
        std::uint32_t mid[8];
        std::memcpy(mid, kSha256Iv, sizeof mid);
        detail::sha_ni_compress(mid, pa.data(), first);
        std::size_t rest = blocks - first - var;
        wk.assign(64 * rest, 0);
        for (std::size_t i = 0; i < rest; ++i) {
          detail::sha_ni_schedule(pa.data() + 64 * (first + var + i), wk.data() + 64 * i);
        }
        std::uint8_t got1[32];
        std::uint8_t got_a[32];
        std::uint8_t got_b[32];
        detail::sha_ni_hash1(mid, pa.data() + first_byte, var, wk.data(), rest, got1);
        detail::sha_ni_hash2(mid, pa.data() + first_byte, pb.data() + first_byte, var, wk.data(),
                             rest, got_a, got_b);
        if (std::memcmp(got1, want_a, 32) != 0 || std::memcmp(got_a, want_a, 32) != 0 ||
            std::memcmp(got_b, differs ? want_b : want_a, 32) != 0) {
          return false;
        }
      }
    }
  }
  return true;
}

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
#endif

}  // namespace

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
  static const bool ok = [] {
#if defined(__x86_64__) || defined(__i386__)
    if (!detail::sha_ni_compiled() || !cpu_has_sha_ni()) return false;
    return sha_ni_self_check();
#else
    return false;
#endif
  }();
  return ok;
}

}  // namespace yournet::detail
