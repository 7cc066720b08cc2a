/*
 * pyrandom.c: CPython 3.11's Mersenne Twister (Modules/_randommodule.c and
 * Lib/random.py), reproduced output for output so that a seeded langdetect
 * run in C draws exactly the numbers Python draws.
 *
 * Called by langdetect.c, once per detection, with a caller-owned state.
 * The algorithm is Matsumoto and Nishimura's MT19937 (init_by_array).
 */
#include "text/pyrandom.h"

#include <math.h>

enum { MT_N = VF_PYRANDOM_N, MT_M = 397 };

#define MATRIX_A 0x9908b0dfU
#define UPPER_MASK 0x80000000U
#define LOWER_MASK 0x7fffffffU

/* Fills the state from a single word (MT19937's init_genrand). */
static void init_genrand(vf_pyrandom *r, uint32_t s) {
  r->mt[0] = s;
  for (unsigned i = 1; i < MT_N; i++) {
    uint32_t prev = r->mt[i - 1];
    r->mt[i] = 1812433253U * (prev ^ (prev >> 30)) + i;
  }
  r->index = MT_N;
}

void vf_pyrandom_seed_key(vf_pyrandom *r, const uint32_t *key, size_t key_len) {
  init_genrand(r, 19650218U);
  unsigned i = 1;
  size_t j = 0;
  for (size_t k = MT_N > key_len ? MT_N : key_len; k > 0; k--) {
    uint32_t prev = r->mt[i - 1];
    r->mt[i] =
        (r->mt[i] ^ ((prev ^ (prev >> 30)) * 1664525U)) + key[j] + (uint32_t)j;
    i++;
    j++;
    if (i >= MT_N) {
      r->mt[0] = r->mt[MT_N - 1];
      i = 1;
    }
    if (j >= key_len)
      j = 0;
  }
  for (unsigned k = MT_N - 1; k > 0; k--) {
    uint32_t prev = r->mt[i - 1];
    r->mt[i] = (r->mt[i] ^ ((prev ^ (prev >> 30)) * 1566083941U)) - i;
    i++;
    if (i >= MT_N) {
      r->mt[0] = r->mt[MT_N - 1];
      i = 1;
    }
  }
  r->mt[0] = 0x80000000U;
  r->has_gauss = false;
  r->gauss_next = 0.0;
}

void vf_pyrandom_seed_u64(vf_pyrandom *r, uint64_t abs_a) {
  uint32_t key[2] = {(uint32_t)abs_a, (uint32_t)(abs_a >> 32)};
  vf_pyrandom_seed_key(r, key, key[1] ? 2 : 1);
}

/* One twist step for word kk, whose partners are kk+1 and kk+M (mod N). */
static uint32_t twist(const uint32_t *mt, unsigned kk) {
  uint32_t y = (mt[kk] & UPPER_MASK) | (mt[(kk + 1) % MT_N] & LOWER_MASK);
  uint32_t mag = (y & 1U) ? MATRIX_A : 0U;
  return mt[(kk + MT_M) % MT_N] ^ (y >> 1) ^ mag;
}

/* Regenerates all N words in place, in the reference's order (each word
 * reads the already-updated words below it, as in the C original). */
static void regenerate(vf_pyrandom *r) {
  for (unsigned kk = 0; kk < MT_N; kk++)
    r->mt[kk] = twist(r->mt, kk);
  r->index = 0;
}

uint32_t vf_pyrandom_u32(vf_pyrandom *r) {
  if (r->index >= MT_N)
    regenerate(r);
  uint32_t y = r->mt[r->index++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= y >> 18;
  return y;
}

/* a * 2**26 + b is exact (below 2**53), so contracting it into an fma
 * cannot change the result. */
double vf_pyrandom_double(uint32_t a, uint32_t b) {
  return ((double)(a >> 5) * 67108864.0 + (double)(b >> 6)) *
         (1.0 / 9007199254740992.0);
}

double vf_pyrandom_random(vf_pyrandom *r) {
  uint32_t a = vf_pyrandom_u32(r);
  uint32_t b = vf_pyrandom_u32(r);
  return vf_pyrandom_double(a, b);
}

void vf_pyrandom_box_muller(double u1, double u2, double *now, double *next) {
  const double twopi = 2.0 * 3.141592653589793;
  double x2pi = u1 * twopi;
  double g2rad = sqrt(-2.0 * log(1.0 - u2));
  *now = cos(x2pi) * g2rad;
  *next = sin(x2pi) * g2rad;
}

double vf_pyrandom_gauss(vf_pyrandom *r) {
  double z;
  if (r->has_gauss) {
    z = r->gauss_next;
    r->has_gauss = false;
  } else {
    double u1 = vf_pyrandom_random(r);
    double u2 = vf_pyrandom_random(r);
    vf_pyrandom_box_muller(u1, u2, &z, &r->gauss_next);
    r->has_gauss = true;
  }
  return vf_pyrandom_gauss_unit(z);
}

uint32_t vf_pyrandom_below(vf_pyrandom *r, uint32_t n) {
  unsigned k = 0;
  for (uint32_t v = n; v; v >>= 1)
    k++;
  if (k == 0)
    return 0;
  uint32_t x = vf_pyrandom_u32(r) >> (32 - k);
  while (x >= n)
    x = vf_pyrandom_u32(r) >> (32 - k);
  return x;
}
