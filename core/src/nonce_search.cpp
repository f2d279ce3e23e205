#include "yournet/nonce_search.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "sha256_ni.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace yournet {

bool has_leading_zero_bits(const std::uint8_t* digest, unsigned zero_bits) {
  unsigned full_bytes = zero_bits / 8;
  for (unsigned i = 0; i < full_bytes && i < 32; ++i) {
    if (digest[i] != 0) return false;
  }
  unsigned rest = zero_bits % 8;
  if (rest == 0 || full_bytes >= 32) return true;
  return (digest[full_bytes] >> (8 - rest)) == 0;
}

namespace {

constexpr std::uint32_t kSha256Iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

constexpr std::uint64_t kPow10[20] = {1ULL,
                                      10ULL,
                                      100ULL,
                                      1000ULL,
                                      10000ULL,
                                      100000ULL,
                                      1000000ULL,
                                      10000000ULL,
                                      100000000ULL,
                                      1000000000ULL,
                                      10000000000ULL,
                                      100000000000ULL,
                                      1000000000000ULL,
                                      10000000000000ULL,
                                      100000000000000ULL,
                                      1000000000000000ULL,
                                      10000000000000000ULL,
                                      100000000000000000ULL,
                                      1000000000000000000ULL,
                                      10000000000000000000ULL};

constexpr unsigned kMaxDigits = 20;

unsigned decimal_width(std::uint64_t n) {
  unsigned w = 1;
  while (w < kMaxDigits && n >= kPow10[w]) ++w;
  return w;
}

// Writes the `width` decimal digits of n (width must be n's own width).
void write_digits(std::uint8_t* dst, std::uint64_t n, unsigned width) {
  char digits[24];
  std::to_chars(digits, digits + sizeof digits, n);
  std::memcpy(dst, digits, width);
}

// Adds 2 to the decimal number in p[0..width); the caller guarantees the width does not change.
void add_two(std::uint8_t* p, unsigned width) {
  unsigned i = width - 1;
  p[i] = static_cast<std::uint8_t>(p[i] + 2);
  if (p[i] <= '9') return;
  p[i] = static_cast<std::uint8_t>(p[i] - 10);
  while (i > 0) {
    --i;
    if (p[i] == '9') {
      p[i] = '0';
    } else {
      p[i] = static_cast<std::uint8_t>(p[i] + 1);
      return;
    }
  }
}

void openssl_sha256(const void* data, std::size_t len, std::uint8_t* out) {
  unsigned int out_len = 0;
  if (EVP_Digest(data, len, out, &out_len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 failed");
  }
}

// The padded form of a message of `len` bytes (SHA-256 padding and 64-bit bit length).
std::vector<std::uint8_t> padded(const std::uint8_t* data, std::size_t len) {
  std::size_t blocks = (len + 9 + 63) / 64;
  std::vector<std::uint8_t> out(blocks * 64, 0);
  if (len != 0) std::memcpy(out.data(), data, len);
  out[len] = 0x80;
  std::uint64_t bits = static_cast<std::uint64_t>(len) * 8;
  for (int i = 0; i < 8; ++i) out[out.size() - 1 - i] = static_cast<std::uint8_t>(bits >> (8 * i));
  return out;
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
    auto pa = padded(msg_a.data(), len);
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
        auto pb = padded(msg_b.data(), len);
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

bool use_sha_ni() {
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

// Everything that is fixed for one digit width: the state after the blocks before the digits, the
// (at most two) blocks holding the digits as a template, and the schedules of all later blocks.
struct WidthPlan {
  std::uint32_t mid[8] = {};
  alignas(16) std::uint8_t tmpl[128] = {};
  std::size_t var_blocks = 0;
  std::size_t digit_off = 0;
  std::size_t wk_blocks = 0;
  std::vector<std::uint32_t> wk;
};

}  // namespace

struct NonceSearcher::Impl {
  std::string prefix;
  std::string suffix;
  std::string message;
  std::size_t digits_len = 0;
  EVP_MD_CTX* ctx = nullptr;
  const EVP_MD* md = nullptr;
  bool fast = false;
  std::array<std::unique_ptr<WidthPlan>, kMaxDigits + 1> plans;

  // Portable path: one reused OpenSSL digest context; the message buffer holds prefix, room for the
  // nonce digits and suffix, and only the digits (and the suffix's position) move per nonce.
  void set_nonce(std::uint64_t nonce) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, nonce);
    auto len = static_cast<std::size_t>(end - digits);
    if (len != digits_len) {
      digits_len = len;
      message.resize(prefix.size() + len + suffix.size());
      message.replace(prefix.size() + len, suffix.size(), suffix);
    }
    message.replace(prefix.size(), len, digits, len);
  }
  void hash(std::uint8_t* out) {
    unsigned int out_len = 0;
    if (EVP_DigestInit_ex(ctx, md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx, message.data(), message.size()) != 1 ||
        EVP_DigestFinal_ex(ctx, out, &out_len) != 1) {
      throw std::runtime_error("OpenSSL SHA-256 failed");
    }
  }

  // SHA-NI path.
  const WidthPlan& plan(unsigned width) {
    auto& slot = plans[width];
    if (slot) return *slot;
    auto p = std::make_unique<WidthPlan>();
    std::string msg = prefix;
    msg.append(width, '0');
    msg += suffix;
    auto pad = padded(reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size());
    std::size_t blocks = pad.size() / 64;
    std::size_t first = prefix.size() / 64;
    std::size_t last = (prefix.size() + width - 1) / 64;
    p->var_blocks = last - first + 1;
    p->digit_off = prefix.size() - first * 64;
    std::memcpy(p->mid, kSha256Iv, sizeof p->mid);
    detail::sha_ni_compress(p->mid, pad.data(), first);
    std::memcpy(p->tmpl, pad.data() + first * 64, p->var_blocks * 64);
    p->wk_blocks = blocks - last - 1;
    p->wk.assign(64 * p->wk_blocks, 0);
    for (std::size_t i = 0; i < p->wk_blocks; ++i) {
      detail::sha_ni_schedule(pad.data() + 64 * (last + 1 + i), p->wk.data() + 64 * i);
    }
    slot = std::move(p);
    return *slot;
  }

  void fast_digest(std::uint64_t nonce, std::uint8_t* out) {
    unsigned width = decimal_width(nonce);
    const WidthPlan& p = plan(width);
    alignas(16) std::uint8_t buf[128];
    std::memcpy(buf, p.tmpl, sizeof buf);
    write_digits(buf + p.digit_off, nonce, width);
    detail::sha_ni_hash1(p.mid, buf, p.var_blocks, p.wk.data(), p.wk_blocks, out);
  }

  // Nonces [lo, hi), all of decimal width `width`, two at a time.
  std::optional<std::uint64_t> fast_search(std::uint64_t lo, std::uint64_t hi, unsigned width,
                                           unsigned zero_bits) {
    const WidthPlan& p = plan(width);
    alignas(16) std::uint8_t a[128];
    alignas(16) std::uint8_t b[128];
    std::memcpy(a, p.tmpl, sizeof a);
    std::memcpy(b, p.tmpl, sizeof b);
    std::uint8_t* da = a + p.digit_off;
    std::uint8_t* db = b + p.digit_off;
    std::uint8_t out_a[32];
    std::uint8_t out_b[32];
    std::uint64_t n = lo;
    write_digits(da, n, width);
    if (hi - n >= 2) {
      write_digits(db, n + 1, width);
      for (;;) {
        detail::sha_ni_hash2(p.mid, a, b, p.var_blocks, p.wk.data(), p.wk_blocks, out_a, out_b);
        if (has_leading_zero_bits(out_a, zero_bits)) return n;
        if (has_leading_zero_bits(out_b, zero_bits)) return n + 1;
        n += 2;
        if (hi - n < 2) break;
        add_two(da, width);
        add_two(db, width);
      }
      if (n == hi) return std::nullopt;
      write_digits(da, n, width);
    }
    detail::sha_ni_hash1(p.mid, a, p.var_blocks, p.wk.data(), p.wk_blocks, out_a);
    if (has_leading_zero_bits(out_a, zero_bits)) return n;
    return std::nullopt;
  }
};

NonceSearcher::NonceSearcher(std::string_view prefix, std::string_view suffix)
    : impl_(std::make_unique<Impl>()) {
  impl_->prefix = prefix;
  impl_->suffix = suffix;
  impl_->message = impl_->prefix + impl_->suffix;
  impl_->ctx = EVP_MD_CTX_new();
  impl_->md = EVP_sha256();
  if (!impl_->ctx) throw std::runtime_error("OpenSSL could not allocate a digest context");
  impl_->fast = use_sha_ni();
}

NonceSearcher::~NonceSearcher() {
  EVP_MD_CTX_free(impl_->ctx);
}

std::optional<std::uint64_t> NonceSearcher::search(std::uint64_t begin, std::uint64_t end,
                                                   unsigned zero_bits) {
  if (impl_->fast) {
    std::uint64_t n = begin;
    while (n < end) {
      unsigned width = decimal_width(n);
      std::uint64_t seg_end = width < kMaxDigits ? std::min(end, kPow10[width]) : end;
      if (auto found = impl_->fast_search(n, seg_end, width, zero_bits)) return found;
      n = seg_end;
    }
    return std::nullopt;
  }
  std::uint8_t digest[32];
  for (std::uint64_t nonce = begin; nonce < end; ++nonce) {
    impl_->set_nonce(nonce);
    impl_->hash(digest);
    if (has_leading_zero_bits(digest, zero_bits)) return nonce;
  }
  return std::nullopt;
}

void NonceSearcher::digest(std::uint64_t nonce, std::uint8_t* out) {
  if (impl_->fast) {
    impl_->fast_digest(nonce, out);
    return;
  }
  impl_->set_nonce(nonce);
  impl_->hash(out);
}

const char* NonceSearcher::implementation() {
  return use_sha_ni() ? "sha-ni-2way" : "openssl-evp";
}

}  // namespace yournet
