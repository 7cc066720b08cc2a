/*
 * langdetect.c: langdetect 1.0.9's Detector.detect() with seed 0: the text
 * preparation (URL and e-mail removal, Vietnamese normalisation, the
 * 10,000-character cap, Latin clean-up), n-gram extraction and the seven
 * randomised trials, with the same doubles and random draws as Python.
 *
 * Called by IFEval's language checkers through vf_langdetect_detect(); all
 * state lives on the stack or in one scratch allocation per call, so the
 * loaded model can be shared by threads.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "text/langdetect_model.h"
#include "text/pyrandom.h"
#include "text/text.h"

#define MAX_TEXT_LENGTH 10000 /* Detector.max_text_length */
#define N_TRIAL 7
#define ALPHA_DEFAULT 0.5
#define ALPHA_WIDTH 0.05
#define BASE_FREQ 10000
#define ITERATION_LIMIT 1000
#define CONV_THRESHOLD 0.99999
#define PROB_THRESHOLD 0.1

/* ---- URL and e-mail removal (Detector.URL_RE, MAIL_RE), on bytes ---------
 * Every character the patterns can match is ASCII and UTF-8 never uses ASCII
 * bytes inside a multi-byte character, so matching bytes equals matching
 * code points.  Both rewrite a buffer in place: output never outgrows
 * input. */

static bool is_alnum_ascii(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
         (c >= 'a' && c <= 'z');
}

/* [-_.?&~;+=/#0-9A-Za-z] */
static bool url_char(unsigned char c) {
  return is_alnum_ascii(c) || (c != 0 && strchr("-_.?&~;+=/#", c) != NULL);
}

/* [-_.0-9A-Za-z] and [-_0-9A-Za-z] */
static bool mail_a(unsigned char c) {
  return is_alnum_ascii(c) || c == '-' || c == '_' || c == '.';
}
static bool mail_b(unsigned char c) {
  return is_alnum_ascii(c) || c == '-' || c == '_';
}

/* Length of a match of https?://[-_.?&~;+=/#0-9A-Za-z]{1,2076} at s[i], or
 * 0.  The pattern has no ambiguity: the repetition simply takes the most. */
static size_t url_match(const char *s, size_t len, size_t i) {
  size_t j = i + 4;
  if (len - i < 8 || memcmp(s + i, "http", 4) != 0)
    return 0;
  if (s[j] == 's' && len - j >= 4 && memcmp(s + j + 1, "://", 3) == 0)
    j += 4;
  else if (memcmp(s + j, "://", 3) == 0)
    j += 3;
  else
    return 0;
  size_t k = j;
  while (k < len && k - j < 2076 && url_char((unsigned char)s[k]))
    k++;
  return k > j ? k - i : 0;
}

static size_t remove_urls(char *s, size_t len) {
  size_t r = 0, w = 0;
  while (r < len) {
    size_t m = s[r] == 'h' ? url_match(s, len, r) : 0;
    if (m) {
      s[w++] = ' ';
      r += m;
    } else {
      s[w++] = s[r++];
    }
  }
  return w;
}

/* End of "@B{1,255}A{1,255}" for the '@' at s[at], or 0.  B is A without
 * '.', so after B's greedy run A either continues (and takes its greedy
 * run) or B gives back one character to A. */
static size_t mail_tail(const char *s, size_t len, size_t at) {
  size_t p = at + 1, q = p;
  while (q < len && q - p < 255 && mail_b((unsigned char)s[q]))
    q++;
  if (q == p)
    return 0;
  if (q < len && mail_a((unsigned char)s[q])) {
    size_t e = q;
    while (e < len && e - q < 255 && mail_a((unsigned char)s[e]))
      e++;
    return e;
  }
  return q - p >= 2 ? q : 0;
}

/* re.sub of [-_.0-9A-Za-z]{1,64}@... with ' ': the leftmost start that can
 * match is the earliest of the (at most 64) A characters just before an
 * '@', since A{1,64} must end exactly at the '@'. */
static size_t remove_mails(char *s, size_t len) {
  size_t r = 0, w = 0;
  for (;;) {
    const char *hit = memchr(s + r, '@', len - r);
    if (!hit)
      break;
    size_t at = (size_t)(hit - s), i = at;
    while (i > r && at - i < 64 && mail_a((unsigned char)s[i - 1]))
      i--;
    size_t end = i < at ? mail_tail(s, len, at) : 0;
    size_t keep = end ? i : at + 1;
    memmove(s + w, s + r, keep - r);
    w += keep - r;
    r = keep;
    if (end) {
      s[w++] = ' ';
      r = end;
    }
  }
  memmove(s + w, s + r, len - r);
  return w + (len - r);
}

static bool needs_removal(const char *s, size_t len) {
  return memchr(s, '@', len) != NULL || memmem(s, len, "http", 4) != NULL;
}

/* ---- code points: Vietnamese marks, the cap, space squeezing ------------ */

/* The index of cp in a small set, or -1. */
static int index_of(const int32_t *set, size_t n, int32_t cp) {
  for (size_t i = 0; i < n; i++) {
    if (set[i] == cp)
      return (int)i;
  }
  return -1;
}

/* NGram.normalize_vi at s[i]: a base letter followed by a combining mark
 * becomes one precomposed letter; *used receives the bytes consumed. */
static int32_t next_vi_char(const vf_langdetect *ld, const char *s, size_t len,
                            size_t i, size_t *used) {
  int32_t cp, mark;
  size_t n = vf_utf8_decode(s, len, i, &cp);
  *used = n;
  /* the marks are U+0300..U+0323, all encoded as 0xCC 0x80..0xA3 */
  if (i + n + 1 >= len || (unsigned char)s[i + n] != 0xCC)
    return cp;
  int a = index_of(ld->vi_alpha, ld->nvi_alpha, cp);
  if (a < 0)
    return cp;
  size_t m = vf_utf8_decode(s, len, i + n, &mark);
  int d = index_of(ld->vi_marks, VF_LD_VI_MARKS, mark);
  if (d < 0)
    return cp;
  *used = n + m;
  return ld->vi_norm[d][a];
}

/* Detector.append: the first 10,000 characters (after the substitutions),
 * dropping an ASCII space that follows another.  Returns the count. */
static size_t append_text(const vf_langdetect *ld, const char *s, size_t len,
                          int32_t *out) {
  size_t i = 0, w = 0;
  int32_t pre = -1;
  for (size_t taken = 0; i < len && taken < MAX_TEXT_LENGTH; taken++) {
    size_t used;
    int32_t cp = next_vi_char(ld, s, len, i, &used);
    i += used;
    if (cp != ' ' || pre != ' ')
      out[w++] = cp;
    pre = cp;
  }
  return w;
}

static bool in_latin_range(int32_t cp) { return cp >= 'A' && cp <= 'z'; }

/* Detector.cleaning_text: drops A..z when the text is mostly non-Latin,
 * i.e. code points >= U+0300.  Python's test meant to spare Latin Extended
 * Additional compares a block number with a block name, so it spares
 * nothing; neither do we. */
static size_t clean_text(int32_t *cps, size_t n) {
  size_t latin = 0, non_latin = 0;
  for (size_t i = 0; i < n; i++) {
    if (in_latin_range(cps[i]))
      latin++;
    else if (cps[i] >= 0x300)
      non_latin++;
  }
  if (latin * 2 >= non_latin)
    return n;
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    if (!in_latin_range(cps[i]))
      cps[w++] = cps[i];
  }
  return w;
}

/* ---- n-grams ------------------------------------------------------------ */

/* NGram.normalize: one character by its Unicode block (the ranges are
 * unicode_block.py's, which do not overlap). */
static int32_t normalize_char(const vf_langdetect *ld, int32_t ch) {
  if (ch < 0x80)
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ? ch : ' ';
  if (ch <= 0xFF)
    return index_of(ld->latin1_excluded, ld->nlatin1_excluded, ch) >= 0 ? ' '
                                                                        : ch;
  if (ch == 0x219)
    return 0x15F; /* Romanian s and t with comma below => cedilla */
  if (ch == 0x21B)
    return 0x163;
  if (ch == 0x6CC)
    return 0x64A; /* Farsi yeh => Arabic yeh */
  if (ch >= 0x1EA0 && ch <= 0x1EFF)
    return 0x1EC3;
  if (ch >= 0x2000 && ch <= 0x206F)
    return ' ';
  if (ch >= 0x3040 && ch <= 0x309F)
    return 0x3042;
  if (ch >= 0x30A0 && ch <= 0x30FF)
    return 0x30A2;
  if ((ch >= 0x3100 && ch <= 0x312F) || (ch >= 0x31A0 && ch <= 0x31BF))
    return 0x3105;
  if (ch >= VF_LD_CJK_LO && ch <= VF_LD_CJK_HI && ld->cjk[ch - VF_LD_CJK_LO])
    return ld->cjk[ch - VF_LD_CJK_LO];
  if (ch >= 0xAC00 && ch <= 0xD7AF)
    return 0xAC00;
  return ch;
}

/* NGram's rolling buffer of the last (up to) three normalised characters. */
typedef struct ngram_state {
  int32_t grams[3];
  size_t n;
  bool capitalword;
} ngram_state;

/* NGram.add_char. */
static void add_char(ngram_state *g, int32_t ch) {
  int32_t last = g->grams[g->n - 1];
  if (last == ' ') {
    g->grams[0] = ' ';
    g->n = 1;
    g->capitalword = false;
    if (ch == ' ')
      return;
  } else if (g->n >= 3) {
    g->grams[0] = g->grams[1];
    g->grams[1] = g->grams[2];
    g->n = 2;
  }
  g->grams[g->n++] = ch;
  if (!vf_py_isupper_cp(ch))
    g->capitalword = false;
  else if (vf_py_isupper_cp(last))
    g->capitalword = true;
}

/* Detector._extract_ngrams, first half: the key of every 1-, 2- and
 * 3-gram in text order, duplicates kept.  Returns the count. */
static size_t gram_keys(const vf_langdetect *ld, const int32_t *cps, size_t n,
                        uint64_t *keys) {
  ngram_state g = {{' ', 0, 0}, 1, false};
  size_t count = 0;
  for (size_t i = 0; i < n; i++) {
    add_char(&g, normalize_char(ld, cps[i]));
    if (g.capitalword)
      continue;
    for (size_t k = 1; k <= g.n; k++) {
      const int32_t *w = g.grams + g.n - k;
      if (k == 1 && w[0] == ' ')
        continue;
      keys[count++] = vf_langdetect_gram_key(w, k);
    }
  }
  return count;
}

enum { AHEAD = 16 }; /* lookups in flight: the table is far bigger than L2 */

/* Second half: the ids of the keys the model holds, in order.  Each key's
 * home slot is prefetched AHEAD keys before it is probed. */
static size_t find_grams(const vf_langdetect *ld, const uint64_t *keys,
                         size_t n, uint32_t *ids) {
  size_t home[AHEAD], count = 0;
  for (size_t j = 0; j < n + AHEAD; j++) {
    if (j >= AHEAD) { /* key j - AHEAD, whose slot in home j reuses */
      uint32_t id = vf_langdetect_gram_probe(ld, keys[j - AHEAD], home[j % AHEAD]);
      if (id != UINT32_MAX)
        ids[count++] = id;
    }
    if (j < n) {
      home[j % AHEAD] = vf_langdetect_gram_hash(keys[j], ld->mask);
      __builtin_prefetch(&ld->keys[home[j % AHEAD]]);
    }
  }
  return count;
}

/* ---- the trials --------------------------------------------------------- */

/* ---- the random stream -------------------------------------------------
 * Each detection replays the seeded generator from its start, so outputs
 * are read by position: the model's precomputed ones, then more made here
 * on demand.  Positions let a trial look ahead at its next picks (to
 * prefetch their model entries) without consuming them. */

typedef struct draws {
  const vf_langdetect *ld;
  uint32_t *more; /* outputs ld->ndraws, ld->ndraws + 1, ... */
  size_t nmore, cap;
  vf_pyrandom rng; /* makes more; copied from ld->after_draws when needed */
  size_t pos;      /* the next output the detection consumes */
  bool has_gauss, oom;
  double gauss_next;
} draws;

/* Makes outputs up to position k; on ENOMEM sets oom (and draws 0s). */
static bool extend(draws *d, size_t k) {
  size_t need = k - d->ld->ndraws + 1;
  if (need > d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 4 * VF_PYRANDOM_N;
    cap = cap < need ? need : cap;
    uint32_t *more = realloc(d->more, cap * sizeof *more);
    if (!more) {
      d->oom = true;
      return false;
    }
    if (!d->more)
      d->rng = d->ld->after_draws;
    d->more = more, d->cap = cap;
  }
  while (d->nmore < need)
    d->more[d->nmore++] = vf_pyrandom_u32(&d->rng);
  return true;
}

static inline uint32_t draw_at(draws *d, size_t k) {
  if (k < d->ld->ndraws)
    return d->ld->draws[k];
  if (k - d->ld->ndraws >= d->nmore && !extend(d, k))
    return 0;
  return d->more[k - d->ld->ndraws];
}

/* random.choice's index: _randbelow(n) read from position pos (n >= 1);
 * *pos moves past the outputs it used. */
static uint32_t below_at(draws *d, size_t *pos, uint32_t n) {
  int shift = __builtin_clz(n); /* 32 - n.bit_length() */
  uint32_t x = draw_at(d, (*pos)++) >> shift;
  while (x >= n)
    x = draw_at(d, (*pos)++) >> shift;
  return x;
}

static double random_at(draws *d) {
  uint32_t a = draw_at(d, d->pos++);
  uint32_t b = draw_at(d, d->pos++);
  return vf_pyrandom_double(a, b);
}

/* random.gauss(0.0, 1.0), consuming from d->pos. */
static double gauss(draws *d) {
  double z;
  if (d->has_gauss) {
    z = d->gauss_next;
    d->has_gauss = false;
  } else {
    double u1 = random_at(d);
    double u2 = random_at(d);
    vf_pyrandom_box_muller(u1, u2, &z, &d->gauss_next);
    d->has_gauss = true;
  }
  return vf_pyrandom_gauss_unit(z);
}

/* ---- the trials --------------------------------------------------------- */

/* The element-wise loops get AVX2 copies where the compiler and the CPU
 * have them: the same IEEE operations per element (no fma: -std=c17 keeps
 * contraction off, and avx2 alone does not enable fma), four at a time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/* Rows of language probabilities are padded to a multiple of 4 so that the
 * element-wise loops below compile to vector code; the padding stays 0 and
 * is never summed.  Each element still gets exactly Python's operations. */
static size_t padded(size_t nl) { return (nl + 3) & ~(size_t)3; }

/* Detector._update_lang_prob into a second row: next[l] = prob[l] *
 * (weight + p[w][l]), where p is 0 (so the factor is exactly weight) for
 * languages without the gram. */
VECTOR_CLONES
static void update_sparse(const vf_langdetect *ld, const double *restrict prob,
                          double *restrict next, uint32_t gram, double weight,
                          size_t npad) {
  const uint8_t *restrict lang = ld->ent_lang;
  const double *restrict p = ld->ent_p;
  uint32_t b = ld->gram_first[gram], e = ld->gram_first[gram + 1];
  for (size_t l = 0; l < npad; l += 4) {
    next[l] = prob[l] * weight;
    next[l + 1] = prob[l + 1] * weight;
    next[l + 2] = prob[l + 2] * weight;
    next[l + 3] = prob[l + 3] * weight;
  }
  for (uint32_t k = b; k < e; k++)
    next[lang[k]] = prob[lang[k]] * (weight + p[k]);
}

/* The same from a dense row, where weight + 0.0 is exactly weight. */
VECTOR_CLONES
static void update_dense(const double *restrict row, const double *restrict prob,
                         double *restrict next, double weight, size_t npad) {
  for (size_t l = 0; l < npad; l += 4) {
    next[l] = prob[l] * (weight + row[l]);
    next[l + 1] = prob[l + 1] * (weight + row[l + 1]);
    next[l + 2] = prob[l + 2] * (weight + row[l + 2]);
    next[l + 3] = prob[l + 3] * (weight + row[l + 3]);
  }
}

static void update_prob(const vf_langdetect *ld, const double *restrict prob,
                        double *restrict next, uint32_t gram, double weight,
                        size_t npad) {
  uint16_t row = ld->dense_of[gram];
  if (row)
    update_dense(ld->dense + (row - 1) * ld->dense_width, prob, next, weight,
                 npad);
  else
    update_sparse(ld, prob, next, gram, weight, npad);
}

/* Detector._normalize_prob: divides by the sum (added in language order)
 * and returns the largest probability. */
VECTOR_CLONES
static double normalize_prob(double *restrict prob, size_t nl, size_t npad) {
  double sum = 0.0, maxp = 0.0;
  for (size_t l = 0; l < nl; l++)
    sum += prob[l];
  for (size_t l = 0; l < npad; l += 4) {
    prob[l] = prob[l] / sum;
    prob[l + 1] = prob[l + 1] / sum;
    prob[l + 2] = prob[l + 2] / sum;
    prob[l + 3] = prob[l + 3] / sum;
  }
  /* the largest in any order (no NaN, no -0.0 here): four lanes */
  double m[4] = {0.0, 0.0, 0.0, 0.0};
  for (size_t l = 0; l < npad; l += 4) {
    for (int q = 0; q < 4; q++)
      m[q] = m[q] < prob[l + q] ? prob[l + q] : m[q];
  }
  for (int q = 0; q < 4; q++)
    maxp = maxp < m[q] ? m[q] : maxp;
  return maxp;
}

static void prefetch_first(const vf_langdetect *ld, uint32_t gram) {
  __builtin_prefetch(&ld->gram_first[gram]);
  __builtin_prefetch(&ld->dense_of[gram]);
}

/* The gram's dense row or entries: at most 8 lines of p, one or two of
 * languages. */
static void prefetch_entries(const vf_langdetect *ld, uint32_t gram) {
  uint16_t row = ld->dense_of[gram];
  if (row) {
    const double *d = ld->dense + (row - 1) * ld->dense_width;
    for (size_t l = 0; l < ld->dense_width; l += 8)
      __builtin_prefetch(&d[l]);
    return;
  }
  uint32_t b = ld->gram_first[gram], e = ld->gram_first[gram + 1];
  for (uint32_t k = b; k < e; k += 8)
    __builtin_prefetch(&ld->ent_p[k]);
  __builtin_prefetch(&ld->ent_lang[b]);
  __builtin_prefetch(&ld->ent_lang[e - 1]);
}

/* One pick ahead: the gram chosen and the stream position after it. */
typedef struct pick {
  uint32_t gram;
  size_t end;
} pick;

static pick pick_at(draws *d, size_t pos, const uint32_t *ids, uint32_t n) {
  uint32_t i = below_at(d, &pos, n);
  return (pick){ids[i], pos};
}

/* One trial of Detector._detect_block, added into langprob.  The picks
 * of the next two iterations are read ahead (their outputs are consumed
 * only when their iteration comes) so their entries arrive in time. */
static void run_trial(const vf_langdetect *ld, draws *d, const uint32_t *ids,
                      size_t nids, double *langprob) {
  double rows[2][VF_LD_MAX_LANGS] = {{0}};
  double *prob = rows[0], *next = rows[1];
  size_t nl = ld->nlangs, npad = padded(nl);
  for (size_t l = 0; l < nl; l++)
    prob[l] = 1.0 / (double)nl;
  /* alpha = ALPHA_DEFAULT + gauss * ALPHA_WIDTH with two roundings, as in
   * Python: the volatile keeps -ffp-contract=fast builds from fusing them
   * into one fma.  (No other expression here has a fusable a * b + c.) */
  volatile double spread = gauss(d) * ALPHA_WIDTH;
  double alpha = ALPHA_DEFAULT + spread;
  double weight = alpha / BASE_FREQ;
  uint32_t n = (uint32_t)nids;
  pick p0 = pick_at(d, d->pos, ids, n), p1 = pick_at(d, p0.end, ids, n);
  prefetch_entries(ld, p0.gram);
  prefetch_first(ld, p1.gram);
  for (unsigned i = 0;; i++) {
    pick p2 = pick_at(d, p1.end, ids, n);
    prefetch_first(ld, p2.gram);
    prefetch_entries(ld, p1.gram);
    update_prob(ld, prob, next, p0.gram, weight, npad);
    double *t = prob;
    prob = next, next = t;
    if (i % 5 == 0 && (normalize_prob(prob, nl, npad) > CONV_THRESHOLD ||
                       i >= ITERATION_LIMIT))
      break;
    p0 = p1, p1 = p2;
  }
  d->pos = p0.end;
  for (size_t l = 0; l < nl; l++)
    langprob[l] += prob[l] / N_TRIAL;
}

/* The language with the highest total above PROB_THRESHOLD (the first one
 * on ties, as Python's stable sort keeps), or "unknown". */
static void pick_language(const vf_langdetect *ld, const double *langprob,
                          char lang[8]) {
  size_t best = ld->nlangs;
  for (size_t l = 0; l < ld->nlangs; l++) {
    if (langprob[l] > PROB_THRESHOLD &&
        (best == ld->nlangs || langprob[l] > langprob[best]))
      best = l;
  }
  const char *code = best < ld->nlangs ? ld->langs[best] : "unknown";
  memcpy(lang, code, strlen(code) + 1);
}

/* Detector._detect_block after the n-grams; -1 on ENOMEM. */
static int detect_block(const vf_langdetect *ld, const uint32_t *ids,
                        size_t nids, char lang[8]) {
  double langprob[VF_LD_MAX_LANGS] = {0};
  /* Detector: self.random.seed(self.seed), i.e. the stream from its start */
  draws d = {.ld = ld};
  for (int t = 0; t < N_TRIAL; t++)
    run_trial(ld, &d, ids, nids, langprob);
  free(d.more);
  if (d.oom)
    return -1;
  pick_language(ld, langprob, lang);
  return 0;
}

/* ---- public -------------------------------------------------------------- */

int vf_langdetect_detect(const vf_langdetect *ld, const char *text, size_t len,
                         char lang[8]) {
  int rc = -1;
  char *copy = NULL;
  size_t cap = len < MAX_TEXT_LENGTH ? len : MAX_TEXT_LENGTH;
  /* keys (3 per code point), then cps (cap) then ids (3 per code point) */
  size_t per = sizeof(uint64_t) * 3 + sizeof(int32_t) + sizeof(uint32_t) * 3;
  uint64_t *keys = malloc((cap ? cap : 1) * per);
  if (!keys)
    goto done;
  int32_t *cps = (int32_t *)(keys + 3 * cap);
  uint32_t *ids = (uint32_t *)(cps + cap);
  if (len && needs_removal(text, len)) {
    copy = malloc(len);
    if (!copy)
      goto done;
    memcpy(copy, text, len);
    len = remove_urls(copy, len);
    len = remove_mails(copy, len);
    text = copy;
  }
  size_t n = clean_text(cps, append_text(ld, text, len, cps));
  size_t nids = find_grams(ld, keys, gram_keys(ld, cps, n, keys), ids);
  rc = 1;
  if (nids)
    rc = detect_block(ld, ids, nids, lang);
done:
  free(copy);
  free(keys);
  return rc;
}
