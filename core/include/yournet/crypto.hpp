#pragma once
// Hashing, hex and Ed25519 signatures, all through OpenSSL 3.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace yournet {

using Digest = std::array<std::uint8_t, 32>;

Digest sha256(std::string_view bytes);
std::string sha256_hex(std::string_view bytes);
// The digests of two messages at once: with SHA-NI their rounds interleave, nearly twice as fast
// as two calls.
std::pair<Digest, Digest> sha256_pair(std::string_view a, std::string_view b);

std::string to_hex(const std::uint8_t* data, std::size_t size);
inline std::string to_hex(const Digest& digest) {
  return to_hex(digest.data(), digest.size());
}

// SHA-256 of a stream of pieces, for data too large to hold at once (a simulation's trace).
// finish() gives the same digest as sha256() of the concatenated pieces.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void update(std::string_view bytes);
  // The digest; the stream then starts over, empty.
  Digest finish();
  std::string finish_hex() { return to_hex(finish()); }

 private:
  struct Context;
  Context* context_;
};
// Lowercase or uppercase hex; nullopt when the text is not an even run of hex digits.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex);

struct Ed25519KeyPair {
  std::string private_key_hex;  // the 32-byte seed
  std::string public_key_hex;   // 32 bytes
};

// A fresh key pair from OpenSSL's CSPRNG (for users; simulations derive keys from a seed instead).
Ed25519KeyPair ed25519_generate();
// The key pair whose private key is this 32-byte seed; nullopt for a malformed seed.
std::optional<Ed25519KeyPair> ed25519_from_private(std::string_view private_key_hex);
// Signature (64 bytes, hex) of `message`; nullopt for a malformed private key.
std::optional<std::string> ed25519_sign(std::string_view private_key_hex, std::string_view message);
// False for any malformed key or signature as well as for a signature that does not verify.
bool ed25519_verify(std::string_view public_key_hex, std::string_view message,
                    std::string_view signature_hex);

}  // namespace yournet
