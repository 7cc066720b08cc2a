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

/* Detector._extract_ngrams: the ids of every 1-, 2- and 3-gram the model
 * holds, in text order, duplicates kept.  Returns the count. */
static size_t extract_ngrams(const vf_langdetect *ld, const int32_t *cps,
                             size_t n, uint32_t *ids) {
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
      uint32_t id = vf_langdetect_gram_find(ld, vf_langdetect_gram_key(w, k));
      if (id != UINT32_MAX)
        ids[count++] = id;
    }
  }
  return count;
}

/* ---- the trials --------------------------------------------------------- */

/* Rows of language probabilities are padded to a multiple of 4 so that the
 * element-wise loops below compile to vector code; the padding stays 0 and
 * is never summed.  Each element still gets exactly Python's operations. */
static size_t padded(size_t nl) { return (nl + 3) & ~(size_t)3; }

/* Detector._update_lang_prob: prob[l] *= weight + p[w][l], where p is 0
 * (so the factor is exactly weight) for languages without the gram. */
static void update_prob(const vf_langdetect *ld, double *restrict prob,
                        double *restrict held, uint32_t gram, double weight,
                        size_t npad) {
  uint32_t b = ld->gram_first[gram], e = ld->gram_first[gram + 1];
  for (uint32_t k = b; k < e; k++)
    held[k - b] = prob[ld->ent_lang[k]] * (weight + ld->ent_p[k]);
  for (size_t l = 0; l < npad; l += 4) {
    prob[l] *= weight;
    prob[l + 1] *= weight;
    prob[l + 2] *= weight;
    prob[l + 3] *= weight;
  }
  for (uint32_t k = b; k < e; k++)
    prob[ld->ent_lang[k]] = held[k - b];
}

/* Detector._normalize_prob: divides by the sum (added in language order)
 * and returns the largest probability. */
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
  for (size_t l = 0; l < nl; l++) {
    if (maxp < prob[l])
      maxp = prob[l];
  }
  return maxp;
}

/* One trial of Detector._detect_block, added into langprob. */
static void run_trial(const vf_langdetect *ld, vf_pyrandom *rng,
                      const uint32_t *ids, size_t nids, double *langprob) {
  double prob[VF_LD_MAX_LANGS] = {0}, held[VF_LD_MAX_LANGS];
  size_t nl = ld->nlangs, npad = padded(nl);
  for (size_t l = 0; l < nl; l++)
    prob[l] = 1.0 / (double)nl;
  /* alpha = ALPHA_DEFAULT + gauss * ALPHA_WIDTH with two roundings, as in
   * Python: the volatile keeps -ffp-contract=fast builds from fusing them
   * into one fma.  (No other expression here has a fusable a * b + c.) */
  volatile double spread = vf_pyrandom_gauss(rng) * ALPHA_WIDTH;
  double alpha = ALPHA_DEFAULT + spread;
  double weight = alpha / BASE_FREQ;
  for (unsigned i = 0;; i++) {
    uint32_t pick = vf_pyrandom_below(rng, (uint32_t)nids);
    update_prob(ld, prob, held, ids[pick], weight, npad);
    if (i % 5 == 0 && (normalize_prob(prob, nl, npad) > CONV_THRESHOLD ||
                       i >= ITERATION_LIMIT))
      break;
  }
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

static void detect_block(const vf_langdetect *ld, const uint32_t *ids,
                         size_t nids, char lang[8]) {
  double langprob[VF_LD_MAX_LANGS] = {0};
  vf_pyrandom rng = ld->seeded; /* Detector: self.random.seed(self.seed) */
  for (int t = 0; t < N_TRIAL; t++)
    run_trial(ld, &rng, ids, nids, langprob);
  pick_language(ld, langprob, lang);
}

/* ---- public -------------------------------------------------------------- */

int vf_langdetect_detect(const vf_langdetect *ld, const char *text, size_t len,
                         char lang[8]) {
  int rc = -1;
  char *copy = NULL;
  size_t cap = len < MAX_TEXT_LENGTH ? len : MAX_TEXT_LENGTH;
  /* cps (cap code points) then ids (3 per code point) */
  int32_t *cps = malloc((cap ? cap : 1) * 4 * sizeof *cps);
  if (!cps)
    goto done;
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
  size_t nids = extract_ngrams(ld, cps, n, ids);
  rc = 1;
  if (nids) {
    detect_block(ld, ids, nids, lang);
    rc = 0;
  }
done:
  free(copy);
  free(cps);
  return rc;
}
