/*
 * ifbench_count.c: IFBench's counting and ratio checks (count:*, ratio:*,
 * count:words_japanese), each the check_following() of its class in
 * instructions.py at c94da02.
 */
#include <stdlib.h>
#include <string.h>

#include "checks/ifbench.h"

/* ---- words ------------------------------------------------------------------ */

IFB_CHECK(ifb_word_count_range) {
  long k = ifb_count_words(IFB(c), r, n);
  if (k < 0)
    return ifb_refail(err);
  v->pass = KW_INT(c, 0) <= k && k <= KW_INT(c, 1);
  if (!v->pass)
    vf_fail(v, "found %ld words, needs between %lld and %lld", k,
            KW_INT(c, 0), KW_INT(c, 1));
  return VF_OK;
}

/* value.lower().split(), each word .strip(punctuation + ' '): distinct. */
IFB_CHECK(ifb_unique_word_count) {
  vf_buf low = {0};
  ifb_words w = {0};
  vf_strtab *set = vf_strtab_new();
  vf_status st = VF_OK;
  if (!set || vf_py_lower(r, n, &low) || ifb_split(low.data, low.len, &w))
    st = ifb_nomem(err);
  for (size_t i = 0; !st && i < w.n; i++) {
    size_t b = w.w[i].b, e = w.w[i].e;
    ifb_strip_ps(low.data, &b, &e);
    if (vf_strtab_put(set, low.data + b, e - b, 0) < 0)
      st = ifb_nomem(err);
  }
  if (!st) {
    size_t k = vf_strtab_count(set);
    v->pass = (long long)k >= KW_INT(c, 0);
    if (!v->pass)
      vf_fail(v, "found %zu unique words, needs at least %lld", k,
              KW_INT(c, 0));
  }
  vf_strtab_free(set);
  vf_buf_free(&low);
  ifb_words_free(&w);
  return st;
}

/* instructions_util.count_stopwords: \w+ tokens whose lower() is one of
 * NLTK's English stop words. */
static long count_stopwords(const ifb_state *s, const char *r, size_t n,
                            vf_buf *low) {
  vf_re_iter it;
  if (vf_re_iter_init(&it, s->re[IFB_RE_WORDS], r, n))
    return -2;
  long k = 0;
  size_t b, e;
  int rc;
  while ((rc = vf_re_iter_next(&it, &b, &e)) == 1) {
    vf_buf_reset(low);
    if (vf_py_lower(r + b, e - b, low)) {
      rc = -2;
      break;
    }
    k += vf_strtab_get(s->stopwords, low->data, low->len, NULL);
  }
  vf_re_iter_done(&it);
  return rc < 0 ? rc : k;
}

static bool word_byte(unsigned char ch) {
  return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') ||
         ch == '_';
}

/* Both counts in one pass over ASCII text, where \w+ runs are runs of
 * [0-9A-Za-z_] and lower() is ASCII's; false (nothing counted) when the
 * text holds a non-ASCII byte.  No stop word is longer than 16 bytes. */
static bool ascii_stop_counts(const ifb_state *s, const char *r, size_t n,
                              long *words, long *stop) {
  *words = *stop = 0;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)r[i] >= 0x80)
      return false;
  for (size_t i = 0; i < n;) {
    if (!word_byte((unsigned char)r[i])) {
      i++;
      continue;
    }
    size_t b = i;
    while (i < n && word_byte((unsigned char)r[i]))
      i++;
    ++*words;
    char low[16];
    if (i - b > sizeof low)
      continue;
    for (size_t k = b; k < i; k++)
      low[k - b] = (char)((r[k] >= 'A' && r[k] <= 'Z') ? r[k] | 0x20 : r[k]);
    *stop += vf_strtab_get(s->stopwords, low, i - b, NULL);
  }
  return true;
}

IFB_CHECK(ifb_stop_words) {
  long words, stop;
  if (!ascii_stop_counts(IFB(c), r, n, &words, &stop)) {
    words = ifb_count_words(IFB(c), r, n);
    vf_buf low = {0};
    stop = words < 0 ? -1 : count_stopwords(IFB(c), r, n, &low);
    vf_buf_free(&low);
  }
  if (words < 0 || stop == -1)
    return ifb_refail(err);
  if (stop < 0)
    return ifb_nomem(err);
  if (words == 0) {
    ifb_raise(v, "ZeroDivisionError: no words");
    return VF_OK;
  }
  double pct = ((double)stop / (double)words) * 100.0;
  v->pass = pct <= (double)KW_INT(c, 0);
  if (!v->pass)
    vf_fail(v, "stop words are %.2f%% of %ld words, needs at most %lld%%",
            pct, words, KW_INT(c, 0));
  return VF_OK;
}

/* ---- sentences ----------------------------------------------------------------- */

/* Sentences of r ending in '.', '?' and '!'; -1 when out of memory. */
static int sentence_ends(const vf_checker *c, const char *r, size_t n,
                         long k[3]) {
  vf_sentences s = {0};
  k[0] = k[1] = k[2] = 0;
  int rc = vf_split_sentences(IFB(c)->ss, r, n, &s);
  for (size_t i = 0; !rc && i < s.n; i++) {
    if (s.e[i] == s.b[i])
      continue;
    const char *end = strchr(".?!", s.text.data[s.e[i] - 1]);
    if (end && *end)
      k[end - ".?!"]++;
  }
  vf_sentences_free(&s);
  return rc;
}

IFB_CHECK(ifb_sentence_type) {
  long k[3];
  if (sentence_ends(c, r, n, k))
    return ifb_nomem(err);
  v->pass = k[0] == 2 * k[1];
  if (!v->pass)
    vf_fail(v, "%ld declarative and %ld interrogative sentences, needs 2:1",
            k[0], k[1]);
  return VF_OK;
}

IFB_CHECK(ifb_sentence_balance) {
  long k[3];
  if (sentence_ends(c, r, n, k))
    return ifb_nomem(err);
  v->pass = k[0] == k[1] && k[1] == k[2];
  if (!v->pass)
    vf_fail(v, "%ld declarative, %ld interrogative, %ld exclamatory "
            "sentences, needs as many of each", k[0], k[1], k[2]);
  return VF_OK;
}

IFB_CHECK(ifb_sentence_words) {
  vf_sentences s = {0};
  if (vf_split_sentences(IFB(c)->ss, r, n, &s)) {
    vf_sentences_free(&s);
    return ifb_nomem(err);
  }
  size_t want = s.n ? ifb_ncp(s.text.data + s.b[0], s.e[0] - s.b[0]) : 0;
  v->pass = s.n == 3;
  for (size_t i = 0; v->pass && i < s.n; i++)
    v->pass = ifb_ncp(s.text.data + s.b[i], s.e[i] - s.b[i]) == want;
  if (!v->pass)
    vf_fail(v, s.n == 3 ? "the 3 sentences differ in length"
                        : "found %zu sentences, needs 3 of one length",
            s.n);
  vf_sentences_free(&s);
  return VF_OK;
}

/* ---- word lists ------------------------------------------------------------------ */

static bool conjunction(const char *w, size_t n) {
  static const char *const list[] = {"and", "but", "for", "nor",
                                     "or",  "so",  "yet"};
  for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
    if (strlen(list[i]) == n && !memcmp(list[i], w, n))
      return true;
  return false;
}

/* Words w of value.split() with w.strip(punctuation + ' ').lower() a
 * coordinating conjunction; the distinct w (as written) are counted. */
IFB_CHECK(ifb_conjunctions) {
  ifb_words w = {0};
  vf_buf low = {0};
  vf_strtab *set = vf_strtab_new();
  vf_status st = !set || ifb_split(r, n, &w) ? ifb_nomem(err) : VF_OK;
  for (size_t i = 0; !st && i < w.n; i++) {
    size_t b = w.w[i].b, e = w.w[i].e;
    ifb_strip_ps(r, &b, &e);
    vf_buf_reset(&low);
    if (vf_py_lower(r + b, e - b, &low))
      st = ifb_nomem(err);
    else if (conjunction(low.data ? low.data : "", low.len) &&
             vf_strtab_put(set, r + w.w[i].b, w.w[i].e - w.w[i].b, 0) < 0)
      st = ifb_nomem(err);
  }
  if (!st) {
    size_t k = vf_strtab_count(set);
    v->pass = (long long)k >= KW_INT(c, 0);
    if (!v->pass)
      vf_fail(v, "found %zu different coordinating conjunctions, needs at "
              "least %lld", k, KW_INT(c, 0));
  }
  vf_strtab_free(set);
  vf_buf_free(&low);
  ifb_words_free(&w);
  return st;
}

IFB_CHECK(ifb_person_names) {
  static const char *const names[] = {
      "Emma",     "Liam",      "Sophia",   "Jackson", "Olivia",  "Noah",
      "Ava",      "Lucas",     "Isabella", "Mason",   "Mia",     "Ethan",
      "Charlotte", "Alexander", "Amelia",  "Benjamin", "Harper", "Leo",
      "Zoe",      "Daniel",    "Chloe",    "Samuel",  "Lily",    "Matthew",
      "Grace",    "Owen",      "Abigail",  "Gabriel", "Ella",    "Jacob",
      "Scarlett", "Nathan",    "Victoria", "Elijah",  "Layla",   "Nicholas",
      "Audrey",   "David",     "Hannah",   "Christopher", "Penelope",
      "Thomas",   "Nora",      "Andrew",   "Aria",    "Joseph",  "Claire",
      "Ryan",     "Stella",    "Jonathan"};
  enum { NNAMES = sizeof names / sizeof names[0] };
  /* sum(name in value for name in names), in one pass: every name starts
   * with an ASCII capital, so only the places that hold one are tried */
  bool found[NNAMES] = {false};
  long long k = 0;
  for (size_t i = 0; i < n && k < NNAMES; i++) {
    if (r[i] < 'A' || r[i] > 'Z')
      continue;
    for (size_t j = 0; j < NNAMES; j++) {
      size_t len = strlen(names[j]);
      if (!found[j] && names[j][0] == r[i] && n - i >= len &&
          !memcmp(r + i, names[j], len))
        found[j] = true, k++;
    }
  }
  v->pass = k >= KW_INT(c, 0);
  if (!v->pass)
    vf_fail(v, "found %lld of the listed names, needs at least %lld", k,
            KW_INT(c, 0));
  return VF_OK;
}

/* ---- character trigrams ------------------------------------------------------------ */

/* A set of trigrams: open addressing over a power-of-two table; a slot
 * holds the trigram (three code points, 21 bits each) with bit 63 set, 0
 * when empty. */
typedef struct triset {
  uint64_t *slot;
  size_t mask, n;
} triset;

static size_t tri_hash(uint64_t k) {
  k ^= k >> 31;
  k *= 0x9E3779B97F4A7C15ULL;
  return (size_t)(k ^ (k >> 29));
}

/* Adds k; whether it was new. */
static bool tri_add(triset *t, uint64_t k) {
  uint64_t tagged = k | 1ULL << 63;
  for (size_t i = tri_hash(tagged) & t->mask;; i = (i + 1) & t->mask) {
    if (t->slot[i] == tagged)
      return false;
    if (!t->slot[i]) {
      t->slot[i] = tagged;
      t->n++;
      return true;
    }
  }
}

static bool tri_has(const triset *t, uint64_t k) {
  k |= 1ULL << 63;
  for (size_t i = tri_hash(k) & t->mask;; i = (i + 1) & t->mask) {
    if (t->slot[i] == k)
      return true;
    if (!t->slot[i])
      return false;
  }
}

/* The set of nltk.ngrams(s, 3): each window of three code points, in a
 * table of at least twice their number of slots.  With ref, *both counts
 * the distinct ones that ref holds too.  -1 on ENOMEM. */
static int tri_build(const char *s, size_t n, triset *t, const triset *ref,
                     size_t *both) {
  size_t cap = 16;
  while (cap < 2 * n + 2) /* n bytes bound the code points */
    cap *= 2;
  t->slot = calloc(cap, sizeof *t->slot);
  t->mask = cap - 1;
  t->n = 0;
  if (!t->slot)
    return -1;
  uint64_t window = 0;
  size_t seen = 0;
  for (size_t i = 0; i < n; seen++) {
    int32_t cp;
    unsigned char ch = (unsigned char)s[i];
    if (ch < 0x80)
      cp = ch, i++;
    else
      i += vf_utf8_decode(s, n, i, &cp);
    window = ((window << 21) | (uint64_t)cp) & ((1ULL << 63) - 1);
    if (seen >= 2 && tri_add(t, window) && ref)
      *both += tri_has(ref, window);
  }
  return 0;
}

int ifb_trigram_table(const char *s, size_t n, vf_buf *out) {
  triset t;
  if (tri_build(s, n, &t, NULL, NULL))
    return -1;
  int rc = vf_buf_append(out, (const char *)t.slot,
                         (t.mask + 1) * sizeof *t.slot);
  free(t.slot);
  return rc;
}

IFB_CHECK(ifb_overlap) {
  triset ref = {(uint64_t *)c->scratch.data, c->scratch.len / 8 - 1, 0};
  triset val;
  size_t both = 0;
  if (tri_build(r, n, &val, &ref, &both))
    return ifb_nomem(err);
  size_t nv = val.n;
  free(val.slot);
  if (nv == 0) {
    ifb_raise(v, "ZeroDivisionError: fewer than 3 characters");
    return VF_OK;
  }
  double pct = ((double)both / (double)nv) * 100.0;
  long long want = KW_INT(c, 1);
  v->pass = (double)(want - 2) <= pct && pct <= (double)(want + 2);
  if (!v->pass)
    vf_fail(v, "trigram overlap %.2f%%, needs %lld%% (+-2)", pct, want);
  return VF_OK;
}

/* ---- numbers, punctuation, pronouns, keywords ---------------------------------------- */

IFB_CHECK(ifb_numbers) {
  vf_buf t = {0};
  if (ifb_drop_punct(r, n, &t))
    return ifb_nomem(err);
  size_t k = ifb_digit_runs(t.data, t.len, NULL, NULL);
  vf_buf_free(&t);
  v->pass = (long long)k == KW_INT(c, 0);
  if (!v->pass)
    vf_fail(v, "found %zu numbers, needs exactly %lld", k, KW_INT(c, 0));
  return VF_OK;
}

/* value.replace(pat, '', 1): the span removed, or false. */
static bool first_of(const char *r, size_t n, const char *pat, size_t *at) {
  const char *p = memmem(r, n, pat, strlen(pat));
  if (p)
    *at = (size_t)(p - r);
  return p != NULL;
}

IFB_CHECK(ifb_punctuation) {
  size_t at = 0;
  bool cut = first_of(r, n, "?!", &at) || first_of(r, n, "!?", &at);
  if (!cut && !memmem(r, n, "\xe2\x80\xbd", 3)) {
    vf_fail(v, "no interrobang (?!, !? or \xe2\x80\xbd)");
    return VF_OK;
  }
  const char *need = ".,!?;:";
  v->pass = 1;
  for (const char *p = need; *p && v->pass; p++) {
    const char *a = memchr(r, *p, cut ? at : n);
    const char *b = cut ? memchr(r + at + 2, *p, n - at - 2) : NULL;
    v->pass = a || b;
    if (!v->pass)
      vf_fail(v, "'%c' is missing", *p);
  }
  return VF_OK;
}

static bool pronoun(const char *w, size_t n) {
  static const char *const list[] = {
      "i",       "me",       "my",     "mine",       "myself", "we",
      "us",      "our",      "ours",   "ourselves",  "you",    "your",
      "yours",   "yourself", "yourselves", "he",     "him",    "his",
      "himself", "she",      "her",    "hers",       "herself", "it",
      "its",     "itself",   "they",   "them",       "their",  "theirs",
      "themselves"};
  for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
    if (strlen(list[i]) == n && !memcmp(list[i], w, n))
      return true;
  return false;
}

IFB_CHECK(ifb_pronouns) {
  vf_buf a = {0}, low = {0}, t = {0};
  ifb_words w = {0};
  vf_status st = VF_OK;
  if (vf_buf_append(&a, r, n))
    return ifb_nomem(err);
  for (size_t i = 0; i < n; i++) /* value.replace('/', ' ') */
    if (a.data[i] == '/')
      a.data[i] = ' ';
  if (vf_py_lower(a.data ? a.data : "", n, &low) ||
      ifb_drop_punct(low.data ? low.data : "", low.len, &t) ||
      ifb_split(t.data ? t.data : "", t.len, &w))
    st = ifb_nomem(err);
  long long k = 0;
  for (size_t i = 0; !st && i < w.n; i++)
    k += pronoun(t.data + w.w[i].b, w.w[i].e - w.w[i].b);
  if (!st) {
    v->pass = k >= KW_INT(c, 0);
    if (!v->pass)
      vf_fail(v, "found %lld pronouns, needs at least %lld", k, KW_INT(c, 0));
  }
  vf_buf_free(&a);
  vf_buf_free(&low);
  vf_buf_free(&t);
  ifb_words_free(&w);
  return st;
}

IFB_CHECK(ifb_keywords_multiple) {
  static const size_t times[5] = {1, 2, 3, 5, 7};
  vf_buf low = {0};
  if (vf_py_lower(r, n, &low))
    return ifb_nomem(err);
  /* prepare left the five keywords, stripped and lowered, as a strlist */
  size_t pos = 0, klen;
  const char *kw;
  v->pass = 1;
  for (int i = 0; v->pass && ifb_strlist_next(&c->scratch, &pos, &kw, &klen);
       i++) {
    size_t k = vf_py_count(low.data ? low.data : "", low.len, kw, klen);
    v->pass = k == times[i];
    if (!v->pass)
      vf_fail(v, "keyword \"%.*s\" occurs %zu times, needs %zu",
              (int)(klen > 60 ? 60 : klen), kw, k, times[i]);
  }
  vf_buf_free(&low);
  return VF_OK;
}

/* ---- Japanese ---------------------------------------------------------------- */

static bool japanese(const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    int32_t cp;
    i += vf_utf8_decode(s, n, i, &cp);
    if ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x4E00 && cp <= 0x9FFF))
      return true;
  }
  return false;
}

static bool all_isdigit(const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    int32_t cp;
    i += vf_utf8_decode(s, n, i, &cp);
    if (!vf_py_isdigit_cp(cp))
      return false;
  }
  return n > 0;
}

IFB_CHECK(ifb_words_japanese) {
  ifb_words w = {0};
  if (ifb_split(r, n, &w))
    return ifb_nomem(err);
  long long every = KW_INT(c, 0);
  v->pass = 1;
  if (every == 0 && w.n) {
    ifb_raise(v, "ZeroDivisionError: N is 0");
    ifb_words_free(&w);
    return VF_OK;
  }
  for (size_t i = 0; i < w.n && v->pass; i++) {
    size_t b = w.w[i].b, e = w.w[i].e;
    ifb_strip_ps(r, &b, &e);
    if ((long long)(i + 1) % every == 0 && e > b && !all_isdigit(r + b, e - b) &&
        !japanese(r + b, e - b))
      vf_fail(v, "word %zu (\"%.*s\") is not Japanese", i + 1,
              (int)(e - b > 60 ? 60 : e - b), r + b);
  }
  ifb_words_free(&w);
  return VF_OK;
}
