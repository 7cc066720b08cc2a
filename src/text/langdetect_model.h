/*
 * langdetect_model.h: the in-memory layout of a loaded langdetect model,
 * shared by langdetect_load.c (which builds it) and langdetect.c (which
 * reads it).  Nothing outside those two files should include this.
 *
 * The model is sparse: a gram maps to the languages whose profile holds it,
 * each with p = freq / n_words[len-1] as a double, in language order.
 */
#ifndef VF_LANGDETECT_MODEL_H
#define VF_LANGDETECT_MODEL_H

#include <stdint.h>

#include "text/langdetect.h"
#include "text/pyrandom.h"

#define VF_LD_MAX_LANGS 128 /* detection keeps 2 rows of this on the stack */
#define VF_LD_LANG_CAP 8    /* bytes of a language code, NUL included */
#define VF_LD_CJK_LO 0x4E00 /* the CJK Unified Ideographs block */
#define VF_LD_CJK_HI 0x9FFF
#define VF_LD_VI_ALPHA_MAX 32
#define VF_LD_VI_MARKS 5 /* U+0300, U+0301, U+0303, U+0309, U+0323 */
#define VF_LD_LATIN1_MAX 8
#define VF_LD_DENSE_MIN 12 /* languages a gram needs for a dense row */
#define VF_LD_DRAWS (16 * VF_PYRANDOM_N) /* outputs made at load time */

struct vf_langdetect {
  size_t nlangs;
  char langs[VF_LD_MAX_LANGS][VF_LD_LANG_CAP];

  /* Grams live in a power-of-two open-addressing table (linear probing,
   * key 0 = empty); a gram's id is its slot, so a lookup touches one
   * 8-byte word and needs no separate id. */
  uint64_t *keys;
  size_t mask;
  size_t ngrams;
  uint32_t *gram_first; /* mask + 2 offsets into the entry arrays */
  uint8_t *ent_lang;    /* ascending within a gram */
  double *ent_p;
  size_t nentries;
  /* The same p as dense rows for the grams most languages hold: row
   * dense_of[slot] - 1 (0: none) starts at dense + row * dense_width. */
  uint16_t *dense_of;
  double *dense;
  size_t ndense, dense_width;
  vf_pyrandom seeded; /* the generator right after random.seed(0) */
  /* Every detection replays the same seeded stream, so its first outputs
   * are made once at load time; after_draws is the generator that follows
   * them, for the rare detection that needs more. */
  uint32_t *draws;
  size_t ndraws;
  vf_pyrandom after_draws;

  /* normalisation tables from messages.properties */
  uint16_t cjk[VF_LD_CJK_HI - VF_LD_CJK_LO + 1]; /* 0: unchanged */
  int32_t latin1_excluded[VF_LD_LATIN1_MAX];
  size_t nlatin1_excluded;
  int32_t vi_alpha[VF_LD_VI_ALPHA_MAX];
  size_t nvi_alpha;
  int32_t vi_marks[VF_LD_VI_MARKS];
  int32_t vi_norm[VF_LD_VI_MARKS][VF_LD_VI_ALPHA_MAX];
};

/* A gram of one to three code points packed as sum (cp_j + 1) << 21j, j
 * counted from the first character; never 0. */
static inline uint64_t vf_langdetect_gram_key(const int32_t *cps, size_t n) {
  uint64_t key = 0;
  for (size_t j = 0; j < n; j++)
    key |= (uint64_t)(uint32_t)(cps[j] + 1) << (21 * j);
  return key;
}

static inline size_t vf_langdetect_gram_hash(uint64_t key, size_t mask) {
  uint64_t h = key; /* MurmurHash3's 64-bit finaliser */
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return (size_t)h & mask;
}

/* The gram's id (its slot), or UINT32_MAX when the model lacks it; the
 * probe starts at home, the key's hash slot. */
static inline uint32_t vf_langdetect_gram_probe(const struct vf_langdetect *ld,
                                                uint64_t key, size_t home) {
  for (size_t i = home;; i = (i + 1) & ld->mask) {
    if (ld->keys[i] == key)
      return (uint32_t)i;
    if (ld->keys[i] == 0)
      return UINT32_MAX;
  }
}

#endif /* VF_LANGDETECT_MODEL_H */
