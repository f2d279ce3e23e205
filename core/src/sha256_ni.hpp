#pragma once
// Private: SHA-256 compression driven by the x86 SHA extensions (SHA-NI). Every function here may
// only be called after the caller has checked at run time that the CPU supports SHA, SSSE3 and
// SSE4.1 (sha_ni_verified() in sha_ni_support.hpp). States are the eight standard words a..h in
// host order; blocks are 64 bytes of already padded message.
#include <cstddef>
#include <cstdint>

namespace yournet::detail {

inline constexpr std::uint32_t kSha256Iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

// The digest of a finished state: its words, big-endian.
inline void sha256_state_bytes(const std::uint32_t state[8], std::uint8_t out[32]) {
  for (std::size_t i = 0; i < 32; ++i)
    out[i] = static_cast<std::uint8_t>(state[i / 4] >> (24 - 8 * (i % 4)));
}

// True when this build contains the SHA-NI code (x86 with GCC or Clang).
bool sha_ni_compiled();

// state := compression of `blocks` consecutive 64-byte blocks starting from state.
void sha_ni_compress(std::uint32_t state[8], const std::uint8_t* data, std::size_t blocks);

// Message schedule of one block with the round constants added: wk[i] = W[i] + K[i], i < 64.
void sha_ni_schedule(const std::uint8_t* block, std::uint32_t wk[64]);

// Digest of a message whose padded form is: blocks already folded into `init`, then `var_blocks`
// blocks at `var`, then `wk_blocks` blocks given only as precomputed schedules (64 words each).
void sha_ni_hash1(const std::uint32_t init[8], const std::uint8_t* var, std::size_t var_blocks,
                  const std::uint32_t* wk, std::size_t wk_blocks, std::uint8_t out[32]);

// The same for two messages at once that differ only in their variable blocks.
void sha_ni_hash2(const std::uint32_t init[8], const std::uint8_t* var_a, const std::uint8_t* var_b,
                  std::size_t var_blocks, const std::uint32_t* wk, std::size_t wk_blocks,
                  std::uint8_t out_a[32], std::uint8_t out_b[32]);

// A message as padded blocks: `full` blocks at `data`, then `tail_blocks` blocks at `tail` (its
// last bytes with the padding and length).
struct PaddedMessage {
  const std::uint8_t* data;
  std::size_t full;
  const std::uint8_t* tail;
  std::size_t tail_blocks;
};

// The digests of two messages, their blocks compressed side by side while both have some: a
// round waits on the one before it of its own message only, so two messages keep the SHA unit
// busy where one leaves it idle half the time.
void sha_ni_digest2(const PaddedMessage& a, const PaddedMessage& b, std::uint8_t out_a[32],
                    std::uint8_t out_b[32]);

}  // namespace yournet::detail
