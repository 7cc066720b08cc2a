/*
 * pyrandom.h: CPython 3.11's random.Random (Mersenne Twister MT19937), bit
 * for bit, for the parts langdetect uses: seed(int), random(), gauss() and
 * choice() via _randbelow_with_getrandbits.
 *
 * The state is a plain value owned by the caller (one per detection), so
 * there is no shared or global random state.
 */
#ifndef VF_PYRANDOM_H
#define VF_PYRANDOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VF_PYRANDOM_N 624

typedef struct vf_pyrandom {
  uint32_t mt[VF_PYRANDOM_N];
  unsigned index;    /* next word of mt to temper; N means "regenerate" */
  bool has_gauss;    /* Random.gauss_next is not None */
  double gauss_next; /* the cached second Box-Muller value */
} vf_pyrandom;

/* random.seed(a) for an int a: key = the 32-bit words of |a|, least
 * significant first (a = 0 gives the key [0]).  Clears the gauss cache. */
void vf_pyrandom_seed_u64(vf_pyrandom *r, uint64_t abs_a);

/* The same with an explicit key (key_len >= 1 words). */
void vf_pyrandom_seed_key(vf_pyrandom *r, const uint32_t *key, size_t key_len);

/* One tempered 32-bit output (getrandbits(32)). */
uint32_t vf_pyrandom_u32(vf_pyrandom *r);

/* random.random(): 53 bits from two 32-bit outputs, in [0, 1). */
double vf_pyrandom_random(vf_pyrandom *r);

/* random.gauss(0.0, 1.0), with CPython's cached second value. */
double vf_pyrandom_gauss(vf_pyrandom *r);

/* random.random() from two consecutive outputs a then b (what
 * vf_pyrandom_random() draws), for callers that read outputs by position. */
double vf_pyrandom_double(uint32_t a, uint32_t b);

/* gauss()'s Box-Muller step from two consecutive random() values u1 then
 * u2: *now is the value gauss() returns, *next the one it caches. */
void vf_pyrandom_box_muller(double u1, double u2, double *now, double *next);

/* gauss(0.0, 1.0)'s mu + z * sigma, kept literal (it turns -0.0 into 0.0). */
static inline double vf_pyrandom_gauss_unit(double z) {
  double scaled = z * 1.0;
  return 0.0 + scaled;
}

/* random._randbelow(n) for 1 <= n < 2**32: getrandbits(n.bit_length()),
 * drawn again while >= n.  This is what random.choice(seq) indexes with. */
uint32_t vf_pyrandom_below(vf_pyrandom *r, uint32_t n);

#endif /* VF_PYRANDOM_H */
