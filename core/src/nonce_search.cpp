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
#include "sha_ni_support.hpp"

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
    auto pad = detail::sha256_padded(reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size());
    std::size_t blocks = pad.size() / 64;
    std::size_t first = prefix.size() / 64;
    std::size_t last = (prefix.size() + width - 1) / 64;
    p->var_blocks = last - first + 1;
    p->digit_off = prefix.size() - first * 64;
    std::memcpy(p->mid, detail::kSha256Iv, sizeof p->mid);
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
  impl_->fast = detail::sha_ni_verified();
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
  return detail::sha_ni_verified() ? "sha-ni-2way" : "openssl-evp";
}

}  // namespace yournet
