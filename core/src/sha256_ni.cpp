// SHA-256 with the x86 SHA extensions. Each function carries its own target attribute, so the rest
// of the library is built for the baseline ISA and this code only runs after a run-time CPU check.
// The file deliberately includes no standard-library templates: nothing here can be merged with
// (and leak SHA instructions into) inline functions used elsewhere.
#include "sha256_ni.hpp"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define YOURNET_HAVE_SHA_NI 1
#include <immintrin.h>
#endif

namespace yournet::detail {

#ifndef YOURNET_HAVE_SHA_NI

bool sha_ni_compiled() {
  return false;
}
void sha_ni_compress(std::uint32_t*, const std::uint8_t*, std::size_t) {}
void sha_ni_schedule(const std::uint8_t*, std::uint32_t*) {}
void sha_ni_hash1(const std::uint32_t*, const std::uint8_t*, std::size_t, const std::uint32_t*,
                  std::size_t, std::uint8_t*) {}
void sha_ni_hash2(const std::uint32_t*, const std::uint8_t*, const std::uint8_t*, std::size_t,
                  const std::uint32_t*, std::size_t, std::uint8_t*, std::uint8_t*) {}
void sha_ni_digest2(const PaddedMessage&, const PaddedMessage&, std::uint8_t*, std::uint8_t*) {}

#else

#define YN_SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

namespace {

alignas(16) constexpr std::uint32_t kK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

// Working state in the layout sha256rnds2 wants: lanes (3..0) = A,B,E,F and C,D,G,H.
struct State {
  __m128i abef;
  __m128i cdgh;
};

YN_SHA_TARGET inline __m128i byte_swap_mask() {
  return _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
}

YN_SHA_TARGET inline __m128i load_words(const std::uint8_t* p, __m128i mask) {
  return _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), mask);
}

YN_SHA_TARGET inline __m128i load_wk(const std::uint32_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

YN_SHA_TARGET inline State load_state(const std::uint32_t* h) {
  __m128i abcd = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h));      // lanes d c b a
  __m128i efgh = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + 4));  // lanes h g f e
  __m128i cdab = _mm_shuffle_epi32(abcd, 0xB1);                             // lanes c d a b
  __m128i hgfe = _mm_shuffle_epi32(efgh, 0x1B);                             // lanes e f g h
  State s;
  s.abef = _mm_alignr_epi8(cdab, hgfe, 8);     // lanes a b e f
  s.cdgh = _mm_blend_epi16(hgfe, cdab, 0xF0);  // lanes c d g h
  return s;
}

// The eight words a..h (host order) as two vectors: lanes (3..0) d c b a and h g f e.
YN_SHA_TARGET inline void unpack_state(State s, __m128i& abcd, __m128i& efgh) {
  __m128i feba = _mm_shuffle_epi32(s.abef, 0x1B);  // lanes f e b a
  __m128i dchg = _mm_shuffle_epi32(s.cdgh, 0xB1);  // lanes d c h g
  abcd = _mm_blend_epi16(feba, dchg, 0xF0);        // lanes d c b a
  efgh = _mm_alignr_epi8(dchg, feba, 8);           // lanes h g f e
}

YN_SHA_TARGET inline void store_state(State s, std::uint32_t* h) {
  __m128i abcd;
  __m128i efgh;
  unpack_state(s, abcd, efgh);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h), abcd);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h + 4), efgh);
}

YN_SHA_TARGET inline void store_digest(State s, std::uint8_t* out) {
  __m128i abcd;
  __m128i efgh;
  unpack_state(s, abcd, efgh);
  __m128i mask = byte_swap_mask();
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_shuffle_epi8(abcd, mask));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), _mm_shuffle_epi8(efgh, mask));
}

// W[i..i+3] from W[i-16..i-13], W[i-12..i-9], W[i-8..i-5], W[i-4..i-1].
YN_SHA_TARGET inline __m128i next_words(__m128i w0, __m128i w1, __m128i w2, __m128i w3) {
  __m128i t = _mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8(w3, w2, 4));
  return _mm_sha256msg2_epu32(t, w3);
}

// Four rounds with wk = W + K for those rounds.
YN_SHA_TARGET inline void four_rounds(State& s, __m128i wk) {
  s.cdgh = _mm_sha256rnds2_epu32(s.cdgh, s.abef, wk);
  s.abef = _mm_sha256rnds2_epu32(s.abef, s.cdgh, _mm_shuffle_epi32(wk, 0x0E));
}

YN_SHA_TARGET inline void four_rounds2(State& a, State& b, __m128i wka, __m128i wkb) {
  a.cdgh = _mm_sha256rnds2_epu32(a.cdgh, a.abef, wka);
  b.cdgh = _mm_sha256rnds2_epu32(b.cdgh, b.abef, wkb);
  a.abef = _mm_sha256rnds2_epu32(a.abef, a.cdgh, _mm_shuffle_epi32(wka, 0x0E));
  b.abef = _mm_sha256rnds2_epu32(b.abef, b.cdgh, _mm_shuffle_epi32(wkb, 0x0E));
}

YN_SHA_TARGET inline void add_state(State& s, State saved) {
  s.abef = _mm_add_epi32(s.abef, saved.abef);
  s.cdgh = _mm_add_epi32(s.cdgh, saved.cdgh);
}

// One block, computing the schedule on the fly.
YN_SHA_TARGET inline void block1(State& s, const std::uint8_t* p, __m128i mask) {
  State saved = s;
  __m128i w0 = load_words(p, mask);
  __m128i w1 = load_words(p + 16, mask);
  __m128i w2 = load_words(p + 32, mask);
  __m128i w3 = load_words(p + 48, mask);
  four_rounds(s, _mm_add_epi32(w0, load_wk(kK + 0)));
  four_rounds(s, _mm_add_epi32(w1, load_wk(kK + 4)));
  four_rounds(s, _mm_add_epi32(w2, load_wk(kK + 8)));
  four_rounds(s, _mm_add_epi32(w3, load_wk(kK + 12)));
  for (int g = 4; g < 16; g += 4) {
    w0 = next_words(w0, w1, w2, w3);
    four_rounds(s, _mm_add_epi32(w0, load_wk(kK + 4 * g)));
    w1 = next_words(w1, w2, w3, w0);
    four_rounds(s, _mm_add_epi32(w1, load_wk(kK + 4 * g + 4)));
    w2 = next_words(w2, w3, w0, w1);
    four_rounds(s, _mm_add_epi32(w2, load_wk(kK + 4 * g + 8)));
    w3 = next_words(w3, w0, w1, w2);
    four_rounds(s, _mm_add_epi32(w3, load_wk(kK + 4 * g + 12)));
  }
  add_state(s, saved);
}

// One block for each of two independent states, rounds interleaved.
YN_SHA_TARGET inline void block2(State& a, State& b, const std::uint8_t* pa, const std::uint8_t* pb,
                                 __m128i mask) {
  State saved_a = a;
  State saved_b = b;
  __m128i a0 = load_words(pa, mask);
  __m128i a1 = load_words(pa + 16, mask);
  __m128i a2 = load_words(pa + 32, mask);
  __m128i a3 = load_words(pa + 48, mask);
  __m128i b0 = load_words(pb, mask);
  __m128i b1 = load_words(pb + 16, mask);
  __m128i b2 = load_words(pb + 32, mask);
  __m128i b3 = load_words(pb + 48, mask);
  __m128i k = load_wk(kK + 0);
  four_rounds2(a, b, _mm_add_epi32(a0, k), _mm_add_epi32(b0, k));
  k = load_wk(kK + 4);
  four_rounds2(a, b, _mm_add_epi32(a1, k), _mm_add_epi32(b1, k));
  k = load_wk(kK + 8);
  four_rounds2(a, b, _mm_add_epi32(a2, k), _mm_add_epi32(b2, k));
  k = load_wk(kK + 12);
  four_rounds2(a, b, _mm_add_epi32(a3, k), _mm_add_epi32(b3, k));
  for (int g = 4; g < 16; g += 4) {
    a0 = next_words(a0, a1, a2, a3);
    b0 = next_words(b0, b1, b2, b3);
    k = load_wk(kK + 4 * g);
    four_rounds2(a, b, _mm_add_epi32(a0, k), _mm_add_epi32(b0, k));
    a1 = next_words(a1, a2, a3, a0);
    b1 = next_words(b1, b2, b3, b0);
    k = load_wk(kK + 4 * g + 4);
    four_rounds2(a, b, _mm_add_epi32(a1, k), _mm_add_epi32(b1, k));
    a2 = next_words(a2, a3, a0, a1);
    b2 = next_words(b2, b3, b0, b1);
    k = load_wk(kK + 4 * g + 8);
    four_rounds2(a, b, _mm_add_epi32(a2, k), _mm_add_epi32(b2, k));
    a3 = next_words(a3, a0, a1, a2);
    b3 = next_words(b3, b0, b1, b2);
    k = load_wk(kK + 4 * g + 12);
    four_rounds2(a, b, _mm_add_epi32(a3, k), _mm_add_epi32(b3, k));
  }
  add_state(a, saved_a);
  add_state(b, saved_b);
}

// One block whose schedule (with constants) is precomputed.
YN_SHA_TARGET inline void block1_wk(State& s, const std::uint32_t* wk) {
  State saved = s;
  for (int g = 0; g < 16; ++g) four_rounds(s, load_wk(wk + 4 * g));
  add_state(s, saved);
}

YN_SHA_TARGET inline void block2_wk(State& a, State& b, const std::uint32_t* wk) {
  State saved_a = a;
  State saved_b = b;
  for (int g = 0; g < 16; ++g) {
    __m128i k = load_wk(wk + 4 * g);
    four_rounds2(a, b, k, k);
  }
  add_state(a, saved_a);
  add_state(b, saved_b);
}

}  // namespace

bool sha_ni_compiled() {
  return true;
}

YN_SHA_TARGET void sha_ni_compress(std::uint32_t state[8], const std::uint8_t* data,
                                   std::size_t blocks) {
  if (blocks == 0) return;
  __m128i mask = byte_swap_mask();
  State s = load_state(state);
  for (std::size_t i = 0; i < blocks; ++i) block1(s, data + 64 * i, mask);
  store_state(s, state);
}

YN_SHA_TARGET void sha_ni_schedule(const std::uint8_t* block, std::uint32_t wk[64]) {
  __m128i mask = byte_swap_mask();
  __m128i w[4] = {load_words(block, mask), load_words(block + 16, mask),
                  load_words(block + 32, mask), load_words(block + 48, mask)};
  for (int g = 0; g < 16; ++g) {
    __m128i cur;
    if (g < 4) {
      cur = w[g];
    } else {
      cur = next_words(w[g & 3], w[(g + 1) & 3], w[(g + 2) & 3], w[(g + 3) & 3]);
      w[g & 3] = cur;
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(wk + 4 * g),
                     _mm_add_epi32(cur, load_wk(kK + 4 * g)));
  }
}

YN_SHA_TARGET void sha_ni_hash1(const std::uint32_t init[8], const std::uint8_t* var,
                                std::size_t var_blocks, const std::uint32_t* wk,
                                std::size_t wk_blocks, std::uint8_t out[32]) {
  __m128i mask = byte_swap_mask();
  State s = load_state(init);
  for (std::size_t i = 0; i < var_blocks; ++i) block1(s, var + 64 * i, mask);
  for (std::size_t i = 0; i < wk_blocks; ++i) block1_wk(s, wk + 64 * i);
  store_digest(s, out);
}

YN_SHA_TARGET void sha_ni_hash2(const std::uint32_t init[8], const std::uint8_t* var_a,
                                const std::uint8_t* var_b, std::size_t var_blocks,
                                const std::uint32_t* wk, std::size_t wk_blocks,
                                std::uint8_t out_a[32], std::uint8_t out_b[32]) {
  __m128i mask = byte_swap_mask();
  State a = load_state(init);
  State b = a;
  for (std::size_t i = 0; i < var_blocks; ++i) block2(a, b, var_a + 64 * i, var_b + 64 * i, mask);
  for (std::size_t i = 0; i < wk_blocks; ++i) block2_wk(a, b, wk + 64 * i);
  store_digest(a, out_a);
  store_digest(b, out_b);
}

YN_SHA_TARGET void sha_ni_digest2(const PaddedMessage& a, const PaddedMessage& b,
                                  std::uint8_t out_a[32], std::uint8_t out_b[32]) {
  auto block_at = [](const PaddedMessage& m, std::size_t i) {
    return i < m.full ? m.data + 64 * i : m.tail + 64 * (i - m.full);
  };
  const std::size_t blocks_a = a.full + a.tail_blocks, blocks_b = b.full + b.tail_blocks;
  __m128i mask = byte_swap_mask();
  State sa = load_state(kSha256Iv);
  State sb = sa;
  std::size_t i = 0;
  for (; i < blocks_a && i < blocks_b; ++i) block2(sa, sb, block_at(a, i), block_at(b, i), mask);
  for (std::size_t j = i; j < blocks_a; ++j) block1(sa, block_at(a, j), mask);
  for (std::size_t j = i; j < blocks_b; ++j) block1(sb, block_at(b, j), mask);
  store_digest(sa, out_a);
  store_digest(sb, out_b);
}

#endif

}  // namespace yournet::detail
