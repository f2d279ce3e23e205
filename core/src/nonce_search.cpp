#include "yournet/nonce_search.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

#include <openssl/evp.h>

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

// Portable path: one reused OpenSSL digest context; the message buffer holds prefix, room for the
// nonce digits and suffix, and only the digits (and the suffix's position) move per nonce.
struct NonceSearcher::Impl {
  std::string prefix;
  std::string suffix;
  std::string message;
  std::size_t digits_len = 0;
  EVP_MD_CTX* ctx = nullptr;
  const EVP_MD* md = nullptr;

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
};

NonceSearcher::NonceSearcher(std::string_view prefix, std::string_view suffix)
    : impl_(std::make_unique<Impl>()) {
  impl_->prefix = prefix;
  impl_->suffix = suffix;
  impl_->message = impl_->prefix + impl_->suffix;
  impl_->ctx = EVP_MD_CTX_new();
  impl_->md = EVP_sha256();
  if (!impl_->ctx) throw std::runtime_error("OpenSSL could not allocate a digest context");
}

NonceSearcher::~NonceSearcher() { EVP_MD_CTX_free(impl_->ctx); }

std::optional<std::uint64_t> NonceSearcher::search(std::uint64_t begin, std::uint64_t end,
                                                   unsigned zero_bits) {
  std::uint8_t digest[32];
  for (std::uint64_t nonce = begin; nonce < end; ++nonce) {
    impl_->set_nonce(nonce);
    impl_->hash(digest);
    if (has_leading_zero_bits(digest, zero_bits)) return nonce;
  }
  return std::nullopt;
}

void NonceSearcher::digest(std::uint64_t nonce, std::uint8_t* out) {
  impl_->set_nonce(nonce);
  impl_->hash(out);
}

const char* NonceSearcher::implementation() { return "openssl-evp"; }

}  // namespace yournet
