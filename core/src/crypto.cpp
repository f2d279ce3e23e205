#include "yournet/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

#include "sha256_ni.hpp"
#include "sha_ni_support.hpp"

namespace yournet {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

std::optional<std::vector<std::uint8_t>> key_bytes(std::string_view hex, std::size_t size) {
  auto bytes = from_hex(hex);
  if (!bytes || bytes->size() != size) return std::nullopt;
  return bytes;
}

std::string raw_public_key_hex(EVP_PKEY* key) {
  std::array<std::uint8_t, 32> pub{};
  std::size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key, pub.data(), &len) != 1) {
    throw std::runtime_error("OpenSSL could not export an Ed25519 public key");
  }
  return to_hex(pub.data(), len);
}

// SHA-256 fetched from OpenSSL's provider once: EVP_sha256() is looked up again on every use,
// which costs more than hashing a block's few hundred bytes.
const EVP_MD* sha256_md() {
  static const std::unique_ptr<EVP_MD, void (*)(EVP_MD*)> md(
      EVP_MD_fetch(nullptr, "SHA256", nullptr), EVP_MD_free);
  if (!md) throw std::runtime_error("OpenSSL has no SHA-256");
  return md.get();
}

}  // namespace

namespace {

constexpr std::size_t kShaBlock = 64;

// The last `rest` bytes of a `total`-byte message (fewer than a block) with the padding and the
// length after them, written to `tail`: one block or two, how many is returned.
std::size_t padded_tail(const std::uint8_t* rest, std::size_t rest_size, std::uint64_t total,
                        std::uint8_t (&tail)[2 * kShaBlock]) {
  const std::size_t length = rest_size + 9 <= kShaBlock ? kShaBlock : 2 * kShaBlock;
  std::memcpy(tail, rest, rest_size);
  tail[rest_size] = 0x80;
  std::memset(tail + rest_size + 1, 0, length - rest_size - 1 - 8);
  const std::uint64_t bits = total * 8;
  for (std::size_t i = 0; i < 8; ++i)
    tail[length - 1 - i] = static_cast<std::uint8_t>(bits >> (8 * i));
  return length / kShaBlock;
}

// SHA-256 by the SHA-NI compression (when sha_ni_verified()): OpenSSL's EVP layer costs more per
// call than hashing a block's few hundred bytes, and validation hashes every block and post.
class NiSha256 {
 public:
  NiSha256() { reset(); }
  void update(const std::uint8_t* data, std::size_t size) {
    total_ += size;
    if (buffered_ > 0) {
      const std::size_t take = std::min(kBlock - buffered_, size);
      std::memcpy(buffer_ + buffered_, data, take);
      buffered_ += take;
      data += take;
      size -= take;
      if (buffered_ < kBlock) return;
      detail::sha_ni_compress(state_, buffer_, 1);
      buffered_ = 0;
    }
    const std::size_t blocks = size / kBlock;
    if (blocks > 0) detail::sha_ni_compress(state_, data, blocks);
    data += blocks * kBlock;
    size -= blocks * kBlock;
    if (size > 0) std::memcpy(buffer_, data, size);
    buffered_ = size;
  }
  // The digest; then empty again.
  Digest finish() {
    std::uint8_t tail[2 * kBlock];
    detail::sha_ni_compress(state_, tail, padded_tail(buffer_, buffered_, total_, tail));
    Digest digest{};
    detail::sha256_state_bytes(state_, digest.data());
    reset();
    return digest;
  }

 private:
  static constexpr std::size_t kBlock = kShaBlock;
  void reset() {
    std::memcpy(state_, detail::kSha256Iv, sizeof state_);
    buffered_ = 0;
    total_ = 0;
  }
  std::uint32_t state_[8];
  std::uint8_t buffer_[kBlock];
  std::size_t buffered_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace

Digest sha256(std::string_view bytes) {
  if (detail::sha_ni_verified()) {
    NiSha256 ni;
    ni.update(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    return ni.finish();
  }
  // One context per thread, reused: making one per call is the other half of the cost.
  thread_local const MdCtxPtr ctx{EVP_MD_CTX_new()};
  Digest digest{};
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), &len) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 failed");
  }
  return digest;
}

std::pair<Digest, Digest> sha256_pair(std::string_view a, std::string_view b) {
  if (!detail::sha_ni_verified()) return {sha256(a), sha256(b)};
  std::uint8_t tail_a[2 * kShaBlock], tail_b[2 * kShaBlock];
  auto padded = [](std::string_view bytes, std::uint8_t(&tail)[2 * kShaBlock]) {
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    const std::size_t full = bytes.size() / kShaBlock;
    return detail::PaddedMessage{
        data, full, tail,
        padded_tail(data + full * kShaBlock, bytes.size() % kShaBlock, bytes.size(), tail)};
  };
  std::pair<Digest, Digest> digests;
  detail::sha_ni_digest2(padded(a, tail_a), padded(b, tail_b), digests.first.data(),
                         digests.second.data());
  return digests;
}

std::string sha256_hex(std::string_view bytes) {
  return to_hex(sha256(bytes));
}

// SHA-NI when verified, else OpenSSL's EVP.
struct Sha256Stream::Context {
  std::optional<NiSha256> ni;
  MdCtxPtr ctx;
};

Sha256Stream::Sha256Stream() : context_(new Context) {
  if (detail::sha_ni_verified()) {
    context_->ni.emplace();
    return;
  }
  context_->ctx.reset(EVP_MD_CTX_new());
  if (!context_->ctx || EVP_DigestInit_ex2(context_->ctx.get(), sha256_md(), nullptr) != 1) {
    delete context_;
    throw std::runtime_error("OpenSSL SHA-256 init failed");
  }
}

Sha256Stream::~Sha256Stream() {
  delete context_;
}

void Sha256Stream::update(std::string_view bytes) {
  if (context_->ni) {
    return context_->ni->update(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  if (EVP_DigestUpdate(context_->ctx.get(), bytes.data(), bytes.size()) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 update failed");
  }
}

Digest Sha256Stream::finish() {
  if (context_->ni) return context_->ni->finish();
  Digest digest{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(context_->ctx.get(), digest.data(), &len) != 1 ||
      EVP_DigestInit_ex2(context_->ctx.get(), sha256_md(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 final failed");
  }
  return digest;
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xF];
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<std::uint8_t> out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

Ed25519KeyPair ed25519_generate() {
  std::array<std::uint8_t, 32> seed{};
  if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1) {
    throw std::runtime_error("OpenSSL could not produce random bytes for a key");
  }
  return *ed25519_from_private(to_hex(seed.data(), seed.size()));
}

std::optional<Ed25519KeyPair> ed25519_from_private(std::string_view private_key_hex) {
  auto seed = key_bytes(private_key_hex, 32);
  if (!seed) return std::nullopt;
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed->data(), seed->size()));
  if (!key) return std::nullopt;
  return Ed25519KeyPair{to_hex(seed->data(), seed->size()), raw_public_key_hex(key.get())};
}

std::optional<std::string> ed25519_sign(std::string_view private_key_hex,
                                        std::string_view message) {
  auto seed = key_bytes(private_key_hex, 32);
  if (!seed) return std::nullopt;
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed->data(), seed->size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!key || !ctx) return std::nullopt;
  std::array<std::uint8_t, 64> signature{};
  std::size_t len = signature.size();
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature.data(), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return std::nullopt;
  }
  return to_hex(signature.data(), len);
}

bool ed25519_verify(std::string_view public_key_hex, std::string_view message,
                    std::string_view signature_hex) {
  auto pub = key_bytes(public_key_hex, 32);
  auto signature = key_bytes(signature_hex, 64);
  if (!pub || !signature) return false;
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub->data(), pub->size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!key || !ctx) return false;
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), signature->data(), signature->size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

}  // namespace yournet
