/*
 * wordtok.c: nltk.word_tokenize = NLTKWordTokenizer (the improved Treebank
 * tokenizer of NLTK 3.8/3.9) over each Punkt sentence.  NLTK rewrites the
 * sentence with some thirty regex substitutions and splits on whitespace;
 * each substitution here is a hand-written scanner with the same
 * leftmost-first semantics, run only when its trigger characters occur, and
 * leaving the text untouched (no copy) when nothing matches.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/punkt.h"
#include "text/punkt_int.h"
#include "text/text.h"

/* A pass reads s[0, n) and, when something matched, writes the whole new
 * text to o and returns 1; 0 means no match (o untouched); -1 ENOMEM. */
typedef struct pass_out {
  vf_buf *o;
  const char *s;
  size_t last; /* s[last, ...) is not yet copied */
  bool hit;
} pass_out;

/* Copies the unmatched text up to mb, then appends the replacement pieces. */
static int emit(pass_out *po, size_t mb, size_t me, const char *r, size_t rn) {
  po->hit = true;
  if (vf_buf_append(po->o, po->s + po->last, mb - po->last) ||
      vf_buf_append(po->o, r, rn))
    return -1;
  po->last = me;
  return 0;
}

static int add(pass_out *po, const char *r, size_t rn) {
  return vf_buf_append(po->o, r, rn);
}

static int finish(pass_out *po, size_t n) {
  if (!po->hit)
    return 0;
  if (vf_buf_append(po->o, po->s + po->last, n - po->last))
    return -1;
  return 1;
}

static bool has_any(const char *s, size_t n, const char *set) {
  for (; *set; set++)
    if (memchr(s, *set, n))
      return true;
  return false;
}

/* A set of ASCII characters as a bitmap, for byte-at-a-time scans. */
typedef struct charset {
  uint64_t w[2];
} charset;

static charset make_set(const char *chars) {
  charset cs = {{0, 0}};
  for (; *chars; chars++)
    cs.w[(unsigned char)*chars >> 6] |= 1ULL << (*chars & 63);
  return cs;
}

static inline bool in_set(const charset *cs, char ch) {
  unsigned char c = (unsigned char)ch;
  return c < 128 && (cs->w[c >> 6] >> (c & 63)) & 1;
}

static bool is_ascii_in(char c, const char *set) {
  return c && strchr(set, c) != NULL;
}

/* First occurrence of lit (ln >= 1 bytes) in s[from, n), or NULL. */
static const char *find_lit(const char *s, size_t n, size_t from,
                            const char *lit, size_t ln) {
  while (from + ln <= n) {
    const char *hit = memchr(s + from, lit[0], n - from - ln + 1);
    if (!hit || ln == 1 || (hit[1] == lit[1] && (ln == 2 ||
                            memcmp(hit + 2, lit + 2, ln - 2) == 0)))
      return hit;
    from = (size_t)(hit - s) + 1;
  }
  return NULL;
}

/* Pads every character of the ASCII set with a space on each side. */
static int pad_ascii(const char *s, size_t n, vf_buf *o, const char *set) {
  if (!has_any(s, n, set))
    return 0;
  charset cs = make_set(set);
  pass_out po = {o, s, 0, false};
  for (size_t i = 0; i < n; i++) {
    if (!in_set(&cs, s[i]))
      continue;
    char r[3] = {' ', s[i], ' '};
    if (emit(&po, i, i + 1, r, 3))
      return -1;
  }
  return finish(&po, n);
}

/* Pads every code point for which want(cp) holds (lead bytes 0xC2/0xE2). */
static int pad_cps(const char *s, size_t n, vf_buf *o, bool (*want)(int32_t)) {
  if (!memchr(s, 0xC2, n) && !memchr(s, 0xE2, n))
    return 0;
  pass_out po = {o, s, 0, false};
  for (size_t i = 0; i < n;) {
    int32_t c;
    size_t l = uc_decode(s, n, i, &c);
    if (l > 1 && want(c)) {
      if (emit(&po, i, i, " ", 1) || add(&po, s + i, l) || add(&po, " ", 1))
        return -1;
      po.last = i + l;
    }
    i += l;
  }
  return finish(&po, n);
}

/* Replaces every non-overlapping occurrence of lit (left to right). */
static int replace_lit(const char *s, size_t n, vf_buf *o, const char *lit,
                       const char *rep) {
  size_t ln = strlen(lit), rn = strlen(rep);
  pass_out po = {o, s, 0, false};
  const char *hit = find_lit(s, n, 0, lit, ln);
  while (hit) {
    size_t at = (size_t)(hit - s);
    if (emit(&po, at, at + ln, rep, rn))
      return -1;
    hit = find_lit(s, n, at + ln, lit, ln);
  }
  return finish(&po, n);
}

/* ---- STARTING_QUOTES ----------------------------------------------------- */

static bool open_quote_cp(int32_t c) { /* « “ ‘ „ */
  return c == 0xAB || c == 0x201C || c == 0x2018 || c == 0x201E;
}

/* ([«“‘„]|[`]+) -> " \1 " */
static int sq_pad_quotes(const char *s, size_t n, vf_buf *o) {
  if (!memchr(s, '`', n) && !memchr(s, 0xC2, n) && !memchr(s, 0xE2, n))
    return 0;
  pass_out po = {o, s, 0, false};
  for (size_t i = 0; i < n;) {
    int32_t c;
    size_t l = uc_decode(s, n, i, &c);
    if (c == '`')
      while (i + l < n && s[i + l] == '`')
        l++;
    if (c == '`' || open_quote_cp(c)) {
      if (emit(&po, i, i, " ", 1) || add(&po, s + i, l) || add(&po, " ", 1))
        return -1;
      po.last = i + l;
    }
    i += l;
  }
  return finish(&po, n);
}

/* ^\" -> `` */
static int sq_leading_dquote(const char *s, size_t n, vf_buf *o) {
  if (n == 0 || s[0] != '"')
    return 0;
  pass_out po = {o, s, 0, false};
  if (emit(&po, 0, 1, "``", 2))
    return -1;
  return finish(&po, n);
}

/* (``) -> " \1 " */
static int sq_pad_backquotes(const char *s, size_t n, vf_buf *o) {
  return replace_lit(s, n, o, "``", " `` ");
}

/* ([ \(\[{<])(\"|\'{2}) -> "\1 `` " */
static int sq_open_dquote(const char *s, size_t n, vf_buf *o) {
  if (!memchr(s, '"', n) && !find_lit(s, n, 0, "''", 2))
    return 0;
  charset cs = make_set(" ([{<");
  pass_out po = {o, s, 0, false};
  for (size_t i = 0; i + 1 < n; i++) {
    if (!in_set(&cs, s[i]))
      continue;
    size_t e = 0;
    if (s[i + 1] == '"')
      e = i + 2;
    else if (s[i + 1] == '\'' && i + 2 < n && s[i + 2] == '\'')
      e = i + 3;
    if (!e)
      continue;
    char r[4] = {s[i], ' ', '`', '`'};
    if (emit(&po, i, e, r, 4) || add(&po, " ", 1))
      return -1;
    i = e - 1;
  }
  return finish(&po, n);
}

/* Does code point c match the pattern letter L under (?i)?  Python's sre
 * also folds U+0130/U+0131 with i and U+017F with s. */
static bool ci_letter(int32_t c, char L) {
  if (c == L || c == (L ^ 0x20))
    return true;
  return (L == 'i' && (c == 0x130 || c == 0x131)) || (L == 's' && c == 0x17F);
}

/* Matches lit case-insensitively at s[i]; returns the end, or 0. */
static size_t ci_lit(const char *s, size_t n, size_t i, const char *lit) {
  for (; *lit; lit++) {
    if (i >= n)
      return 0;
    int32_t c;
    size_t l = uc_decode(s, n, i, &c);
    bool letter = (*lit | 0x20) >= 'a' && (*lit | 0x20) <= 'z';
    if (letter ? !ci_letter(c, *lit) : c != (unsigned char)*lit)
      return 0;
    i += l;
  }
  return i;
}

static bool word_at(const char *s, size_t n, size_t i) {
  int32_t c;
  if (i >= n)
    return false;
  uc_decode(s, n, i, &c);
  return uc_isword(c);
}

/* (?i)(\')(?!re|ve|ll|m|t|s|d|n)(\w)\b -> "\1 \2" */
static int sq_quote_letter(const char *s, size_t n, vf_buf *o) {
  static const char *const clitics[] = {"re", "ve", "ll", "m", "t",
                                        "s",  "d",  "n"};
  if (!memchr(s, '\'', n))
    return 0;
  pass_out po = {o, s, 0, false};
  for (size_t i = 0; i + 1 < n; i++) {
    if (s[i] != '\'')
      continue;
    bool clitic = false;
    for (size_t k = 0; k < sizeof clitics / sizeof *clitics && !clitic; k++)
      clitic = ci_lit(s, n, i + 1, clitics[k]) != 0;
    int32_t c;
    size_t l = uc_decode(s, n, i + 1, &c);
    if (clitic || !uc_isword(c) || word_at(s, n, i + 1 + l))
      continue;
    if (emit(&po, i, i + 1, "' ", 2))
      return -1;
  }
  return finish(&po, n);
}

/* ---- PUNCTUATION ----------------------------------------------------------- */

static bool closing_wide(int32_t c) { /* [\]\)}>"\'»”’ ] */
  return (c < 0x80 && is_ascii_in((char)c, "])}>\"' ")) || c == 0xBB ||
         c == 0x201D || c == 0x2019;
}

static bool closing_narrow(int32_t c) { /* [\]\)}>"\'] */
  return c < 0x80 && is_ascii_in((char)c, "])}>\"'");
}

/* ([^\.])(\.)([closing]*)\s*$ -> "\1 \2 \3 " (wide) or "\1 \2\3 " (narrow):
 * only the last '.' can match, since the tail holds no period. */
static int final_period(const char *s, size_t n, vf_buf *o, bool wide) {
  const char *d = memrchr(s, '.', n);
  if (!d || d == s || d[-1] == '.')
    return 0;
  size_t dp = (size_t)(d - s), a = dp + 1, r, w;
  int32_t c;
  while (a < n) {
    w = uc_decode(s, n, a, &c);
    if (!(wide ? closing_wide(c) : closing_narrow(c)))
      break;
    a += w;
  }
  for (r = a; r < n && uc_space_at(s, n, r, &w);)
    r += w;
  if (r != n)
    return 0;
  pass_out po = {o, s, 0, false};
  if (emit(&po, dp, n, wide ? " . " : " .", wide ? 3 : 2) ||
      add(&po, s + dp + 1, a - dp - 1) || add(&po, " ", 1))
    return -1;
  return finish(&po, n);
}

static int p_final_period_wide(const char *s, size_t n, vf_buf *o) {
  return final_period(s, n, o, true);
}

static int p_final_period_narrow(const char *s, size_t n, vf_buf *o) {
  return final_period(s, n, o, false);
}

/* ([:,])([^\d]) -> " \1 \2" */
static int p_comma_colon(const char *s, size_t n, vf_buf *o) {
  if (!memchr(s, ',', n) && !memchr(s, ':', n))
    return 0;
  pass_out po = {o, s, 0, false};
  for (size_t i = 0; i + 1 < n; i++) {
    if (s[i] != ',' && s[i] != ':')
      continue;
    int32_t c;
    size_t l = uc_decode(s, n, i + 1, &c);
    if (uc_isdecimal(c))
      continue;
    char r[4] = {' ', s[i], ' '};
    if (emit(&po, i, i + 1 + l, r, 3) || add(&po, s + i + 1, l))
      return -1;
    i += l;
  }
  return finish(&po, n);
}

/* ([:,])$ -> " \1 "  ($ also matches before a final newline) */
static int p_final_comma_colon(const char *s, size_t n, vf_buf *o) {
  size_t at = n;
  if (n >= 1 && (s[n - 1] == ',' || s[n - 1] == ':'))
    at = n - 1;
  else if (n >= 2 && s[n - 1] == '\n' && (s[n - 2] == ',' || s[n - 2] == ':'))
    at = n - 2;
  if (at == n)
    return 0;
  pass_out po = {o, s, 0, false};
  char r[3] = {' ', s[at], ' '};
  if (emit(&po, at, at + 1, r, 3))
    return -1;
  return finish(&po, n);
}

/* \.{2,} -> " \g<0> " */
static int p_dots(const char *s, size_t n, vf_buf *o) {
  if (!find_lit(s, n, 0, "..", 2))
    return 0;
  pass_out po = {o, s, 0, false};
  for (size_t i = 0; i + 1 < n; i++) {
    if (s[i] != '.' || s[i + 1] != '.')
      continue;
    size_t e = i + 2;
    while (e < n && s[e] == '.')
      e++;
    if (emit(&po, i, i, " ", 1) || add(&po, s + i, e - i) || add(&po, " ", 1))
      return -1;
    po.last = e;
    i = e - 1;
  }
  return finish(&po, n);
}

static int p_symbols(const char *s, size_t n, vf_buf *o) {
  return pad_ascii(s, n, o, ";@#$%&");
}

static int p_question_bang(const char *s, size_t n, vf_buf *o) {
  return pad_ascii(s, n, o, "?!");
}

/* ([^'])' -> "\1 ' " */
static int p_quote_space(const char *s, size_t n, vf_buf *o) {
  if (!find_lit(s, n, 0, "' ", 2))
    return 0;
  pass_out po = {o, s, 0, false};
  for (size_t i = 0; i < n;) {
    int32_t c;
    size_t l = uc_decode(s, n, i, &c);
    if (c != '\'' && i + l + 1 < n && s[i + l] == '\'' && s[i + l + 1] == ' ') {
      if (emit(&po, i + l, i + l + 2, " ' ", 3))
        return -1;
      l += 2;
    }
    i += l;
  }
  return finish(&po, n);
}

static int p_star(const char *s, size_t n, vf_buf *o) {
  return pad_ascii(s, n, o, "*");
}

static int p_brackets(const char *s, size_t n, vf_buf *o) {
  return pad_ascii(s, n, o, "[](){}<>");
}

static int p_double_dash(const char *s, size_t n, vf_buf *o) {
  return replace_lit(s, n, o, "--", " -- ");
}

/* ---- ENDING_QUOTES ------------------------------------------------------- */

static bool close_quote_cp(int32_t c) { /* » ” ’ */
  return c == 0xBB || c == 0x201D || c == 0x2019;
}

static int eq_pad_quotes(const char *s, size_t n, vf_buf *o) {
  return pad_cps(s, n, o, close_quote_cp);
}

static int eq_two_singles(const char *s, size_t n, vf_buf *o) {
  return replace_lit(s, n, o, "''", " '' ");
}

static int eq_dquote(const char *s, size_t n, vf_buf *o) {
  return replace_lit(s, n, o, "\"", " '' ");
}

/* Length of the clitic at s[j] that ends ENDING_QUOTES rule 4 or 5 (it must
 * be followed by a space), or 0. */
static size_t clitic_at(const char *s, size_t n, size_t j, bool rule5) {
  static const char *const r5[] = {"'ll", "'LL", "'re", "'RE",
                                   "'ve", "'VE", "n't", "N'T"};
  if (!rule5) {
    if (j + 2 < n && s[j] == '\'' && is_ascii_in(s[j + 1], "sSmMdD") &&
        s[j + 2] == ' ')
      return 2;
    return j + 1 < n && s[j] == '\'' && s[j + 1] == ' ' ? 1 : 0;
  }
  for (size_t k = 0; k < 8; k++)
    if (j + 3 < n && memcmp(s + j, r5[k], 3) == 0 && s[j + 3] == ' ')
      return 3;
  return 0;
}

/* Length of a clitic starting at s[j] whose \1 (the character before) is
 * neither ' nor a space nor already consumed; 0 when there is none. */
static size_t clitic_with_x(const pass_out *po, size_t n, size_t j,
                            bool rule5) {
  const char *s = po->s;
  if (j <= po->last)
    return 0;
  size_t x = uc_prev(s, j);
  if (x < po->last || s[x] == '\'' || s[x] == ' ')
    return 0;
  return clitic_at(s, n, j, rule5);
}

/* ([^' ])('[sS]|'[mM]|'[dD]|') -> "\1 \2 "   (rule 4)
 * ([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) -> "\1 \2 "   (rule 5)
 * Every clitic holds a quote, so the scan visits the quotes in order; at one
 * quote n't (which starts a character earlier) is tried first. */
static int eq_clitics(const char *s, size_t n, vf_buf *o, bool rule5) {
  pass_out po = {o, s, 0, false};
  const char *q = memchr(s, '\'', n);
  while (q) {
    size_t j = (size_t)(q - s), next = j + 1, k = 0;
    if (rule5 && j > 0 && (s[j - 1] == 'n' || s[j - 1] == 'N'))
      k = clitic_with_x(&po, n, j - 1, rule5);
    if (k)
      j--;
    else
      k = clitic_with_x(&po, n, j, rule5);
    if (k) {
      if (emit(&po, j, j + k + 1, " ", 1) || add(&po, s + j, k) ||
          add(&po, " ", 1))
        return -1;
      next = j + k + 1;
    }
    q = next < n ? memchr(s + next, '\'', n - next) : NULL;
  }
  return finish(&po, n);
}

static int eq_clitics4(const char *s, size_t n, vf_buf *o) {
  return eq_clitics(s, n, o, false);
}

static int eq_clitics5(const char *s, size_t n, vf_buf *o) {
  return eq_clitics(s, n, o, true);
}

/* ---- CONTRACTIONS2 / CONTRACTIONS3 --------------------------------------- */

/* MacIntyre's contractions: (?i)\b(A)(B)\b, the last one ending (?=\s). */
typedef struct contraction {
  const char *a, *b;
  bool space_after;
} contraction;

static const contraction contractions2[] = {
    {"can", "not", false}, {"d", "'ye", false},  {"gim", "me", false},
    {"gon", "na", false},  {"got", "ta", false}, {"lem", "me", false},
    {"more", "'n", false}, {"wan", "na", true},
};
#define N_CONTRACTIONS2 (sizeof contractions2 / sizeof *contractions2)

/* End of a match of contraction k at s[i] (\b already checked), or 0;
 * *mid receives the end of group 1. */
static size_t contraction_at(const char *s, size_t n, size_t i,
                             const contraction *k, size_t *mid) {
  size_t e1 = ci_lit(s, n, i, k->a);
  size_t e2 = e1 ? ci_lit(s, n, e1, k->b) : 0;
  if (!e2)
    return 0;
  size_t w;
  if (k->space_after ? !(e2 < n && uc_space_at(s, n, e2, &w))
                     : word_at(s, n, e2))
    return 0;
  *mid = e1;
  return e2;
}

static bool boundary_before(const char *s, size_t i) {
  if (i == 0)
    return true;
  int32_t c;
  uc_decode(s, i, uc_prev(s, i), &c);
  return !uc_isword(c);
}

/* Emits " A B " for a match [i, e) split at mid. */
static int emit_pair(pass_out *po, size_t i, size_t mid, size_t e) {
  const char *s = po->s;
  if (emit(po, i, i, " ", 1) || add(po, s + i, mid - i) || add(po, " ", 1) ||
      add(po, s + mid, e - mid) || add(po, " ", 1))
    return -1;
  po->last = e;
  return 0;
}

static int contraction_pass(const char *s, size_t n, vf_buf *o,
                            const contraction *k) {
  pass_out po = {o, s, 0, false};
  char first = k->a[0];
  for (size_t i = 0; i < n; i++) {
    size_t mid, e;
    if ((s[i] | 0x20) != first || !boundary_before(s, i))
      continue;
    e = contraction_at(s, n, i, k, &mid);
    if (!e)
      continue;
    if (emit_pair(&po, i, mid, e))
      return -1;
    i = e - 1;
  }
  return finish(&po, n);
}

/* Every CONTRACTIONS2 literal holds "nn", "mm" or "tt" (in any case), "'y"
 * or "'n": a cheap test that lets most sentences skip the group. */
static bool may_contract(const char *s, size_t n) {
  const uint64_t lower = 0x2020202020202020ULL;
  size_t i = 0;
  for (; i + 9 <= n; i += 8) { /* eight pairs at a time */
    uint64_t x, y;
    memcpy(&x, s + i, 8);
    memcpy(&y, s + i + 1, 8);
    uint64_t a = x | lower, b = y | lower;
    uint64_t twin = uc_bytes_eq(a ^ b, 0) &
                    (uc_bytes_eq(a, 'n') | uc_bytes_eq(a, 'm') | uc_bytes_eq(a, 't'));
    uint64_t quote = uc_bytes_eq(x, '\'') & (uc_bytes_eq(b, 'y') | uc_bytes_eq(b, 'n'));
    if (twin | quote)
      return true;
  }
  for (; i + 1 < n; i++) {
    char a = (char)(s[i] | 0x20), b = (char)(s[i + 1] | 0x20);
    if ((a == b && (a == 'n' || a == 'm' || a == 't')) ||
        (s[i] == '\'' && (b == 'y' || b == 'n')))
      return true;
  }
  return false;
}

/* Bit k set when the letters of contraction k occur somewhere (ignoring the
 * boundaries), so that passes that cannot match are skipped: the passes
 * only insert spaces, which never create such a run of letters. */
static unsigned contraction_candidates(const char *s, size_t n) {
  unsigned bits = 0;
  charset first = make_set("cdglmwCDGLMW"), second = make_set("a'ioeAIOE");
  for (size_t i = 0; i + 1 < n; i++) {
    /* the second character: a ' i o e, or non-ASCII (a folded i) */
    char c = (char)(s[i] | 0x20);
    if (!in_set(&first, s[i]) ||
        !(in_set(&second, s[i + 1]) || (unsigned char)s[i + 1] >= 0x80))
      continue;
    for (size_t k = 0; k < N_CONTRACTIONS2; k++) {
      const contraction *ct = &contractions2[k];
      size_t mid = ct->a[0] == c ? ci_lit(s, n, i, ct->a) : 0;
      if (mid && ci_lit(s, n, mid, ct->b))
        bits |= 1u << k;
    }
  }
  return bits;
}

/* (?i) ('t)(is)\b and (?i) ('t)(was)\b -> " \1 \2 " */
static int contraction3(const char *s, size_t n, vf_buf *o, const char *rest) {
  pass_out po = {o, s, 0, false};
  const char *hit = find_lit(s, n, 0, " '", 2);
  while (hit) {
    size_t i = (size_t)(hit - s), next = i + 1;
    size_t mid = ci_lit(s, n, i + 1, "'t");
    size_t e = mid ? ci_lit(s, n, mid, rest) : 0;
    if (e && !word_at(s, n, e)) {
      if (emit(&po, i, i + 1, "", 0) || emit_pair(&po, i + 1, mid, e))
        return -1;
      next = e;
    }
    hit = find_lit(s, n, next, " '", 2);
  }
  return finish(&po, n);
}

static int c3_tis(const char *s, size_t n, vf_buf *o) {
  return contraction3(s, n, o, "is");
}

static int c3_twas(const char *s, size_t n, vf_buf *o) {
  return contraction3(s, n, o, "was");
}

/* ---- the pipeline ---------------------------------------------------------- */

typedef int (*pass_fn)(const char *s, size_t n, vf_buf *o);

/* A substitution and the bytes of which at least one must occur in the text
 * for it to match (UTF-8 lead bytes 0xC2/0xE2 stand for « » “ ” ‘ ’ „). */
typedef struct pass {
  pass_fn fn;
  const char *trigger;
} pass;

typedef struct pipe {
  vf_buf buf[2];
  int cur;           /* buf[cur] holds the text */
  unsigned char seen[256]; /* bytes that occur in the text (a superset) */
} pipe;

static void see_all(pipe *pp, const char *s, size_t n) {
  memset(pp->seen, 0, sizeof pp->seen);
  for (size_t i = 0; i < n; i++)
    pp->seen[(unsigned char)s[i]] = 1;
}

static bool triggered(const pipe *pp, const char *trigger) {
  for (const unsigned char *t = (const unsigned char *)trigger; *t; t++)
    if (pp->seen[*t])
      return true;
  return false;
}

/* Runs one pass; 1 when it changed the text, 0 when not, -1 on ENOMEM. */
static int run_fn(pipe *pp, pass_fn fn) {
  vf_buf *in = &pp->buf[pp->cur], *out = &pp->buf[!pp->cur];
  vf_buf_reset(out);
  int rc = fn(in->data, in->len, out);
  if (rc > 0)
    pp->cur = !pp->cur;
  return rc;
}

/* STARTING_QUOTES, PUNCTUATION, PARENS_BRACKETS, DOUBLE_DASHES. */
static const pass before_wrap[] = {
    {sq_pad_quotes, "`\xC2\xE2"},   {sq_leading_dquote, "\""},
    {sq_pad_backquotes, "`"},        {sq_open_dquote, "\"'"},
    {sq_quote_letter, "'"},          {p_final_period_wide, "."},
    {p_comma_colon, ",:"},           {p_final_comma_colon, ",:"},
    {p_dots, "."},                   {p_symbols, ";@#$%&"},
    {p_final_period_narrow, "."},    {p_question_bang, "?!"},
    {p_quote_space, "'"},            {p_star, "*"},
    {p_brackets, "[](){}<>"},        {p_double_dash, "-"},
};

/* ENDING_QUOTES, then CONTRACTIONS3 (CONTRACTIONS2 runs in between). */
static const pass after_wrap[] = {
    {eq_pad_quotes, "\xC2\xE2"}, {eq_two_singles, "'"}, {eq_dquote, "\""},
    {eq_clitics4, "'"},          {eq_clitics5, "'"},
};
static const pass contractions3[] = {{c3_tis, "'"}, {c3_twas, "'"}};

/* Runs the passes whose triggers occur.  A pass that turns " into `` or ''
 * adds those characters to the seen set. */
static int run_all(pipe *pp, const pass *ps, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!triggered(pp, ps[i].trigger))
      continue;
    int rc = run_fn(pp, ps[i].fn);
    if (rc < 0)
      return -1;
    if (rc > 0 && (ps[i].fn == sq_leading_dquote || ps[i].fn == sq_open_dquote))
      pp->seen['`'] = 1;
    if (rc > 0 && ps[i].fn == eq_dquote)
      pp->seen['\''] = 1;
  }
  return 0;
}

/* " " + text + " " into the other buffer. */
static int wrap(pipe *pp) {
  vf_buf *in = &pp->buf[pp->cur], *out = &pp->buf[!pp->cur];
  vf_buf_reset(out);
  if (vf_buf_putc(out, ' ') || vf_buf_append(out, in->data, in->len) ||
      vf_buf_putc(out, ' '))
    return -1;
  pp->cur = !pp->cur;
  return 0;
}

/* CONTRACTIONS2, each pass only when its letters occur. */
static int run_contractions2(pipe *pp) {
  vf_buf *in = &pp->buf[pp->cur];
  if (!may_contract(in->data, in->len))
    return 0;
  unsigned bits = contraction_candidates(in->data, in->len);
  for (size_t k = 0; bits && k < N_CONTRACTIONS2; k++) {
    if (!(bits & (1u << k)))
      continue;
    in = &pp->buf[pp->cur];
    vf_buf *out = &pp->buf[!pp->cur];
    vf_buf_reset(out);
    int rc = contraction_pass(in->data, in->len, out, &contractions2[k]);
    if (rc < 0)
      return -1;
    if (rc > 0)
      pp->cur = !pp->cur;
  }
  return 0;
}

/* str.split() of the final text, one callback per token. */
static void split_tokens(const char *s, size_t n,
                         void (*fn)(void *, const char *, size_t), void *ud) {
  size_t i = 0, w;
  while (i < n) {
    while (i < n && uc_space_at(s, n, i, &w))
      i += w;
    size_t b = i;
    while (i < n && !uc_space_at(s, n, i, &w))
      i += w;
    if (i > b)
      fn(ud, s + b, i - b);
  }
}

static int tokenize_in(pipe *pp, const char *s, size_t len,
                       void (*fn)(void *, const char *, size_t), void *ud) {
  pp->cur = 0;
  vf_buf_reset(&pp->buf[0]);
  see_all(pp, s, len);
  if (vf_buf_append(&pp->buf[0], s, len) ||
      run_all(pp, before_wrap, sizeof before_wrap / sizeof *before_wrap) ||
      wrap(pp) ||
      run_all(pp, after_wrap, sizeof after_wrap / sizeof *after_wrap) ||
      run_contractions2(pp) ||
      run_all(pp, contractions3, sizeof contractions3 / sizeof *contractions3))
    return -1;
  split_tokens(pp->buf[pp->cur].data, pp->buf[pp->cur].len, fn, ud);
  return 0;
}

int vf_word_tokenize_sentence(const char *s, size_t len,
                              void (*fn)(void *ud, const char *tok,
                                         size_t toklen),
                              void *ud) {
  pipe pp = {0};
  int rc = tokenize_in(&pp, s, len, fn, ud);
  vf_buf_free(&pp.buf[0]);
  vf_buf_free(&pp.buf[1]);
  return rc;
}

/* Counts the tokens it passes on to fn. */
typedef struct counter {
  void (*fn)(void *ud, const char *tok, size_t toklen);
  void *ud;
  size_t n;
} counter;

static void count_on(void *ud, const char *tok, size_t toklen) {
  counter *c = ud;
  c->n++;
  c->fn(c->ud, tok, toklen);
}

int vf_word_tokenize_upto(const vf_punkt *p, const char *text, size_t len,
                          size_t upto,
                          void (*fn)(void *ud, const char *tok, size_t toklen),
                          void *ud) {
  vf_span *spans;
  size_t n;
  if (vf_punkt_sentences(p, text, len, &spans, &n))
    return -1;
  pipe pp = {0};
  counter c = {fn, ud, 0};
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0 && (!upto || c.n < upto); i++)
    rc = tokenize_in(&pp, text + spans[i].b, spans[i].e - spans[i].b,
                     count_on, &c);
  vf_buf_free(&pp.buf[0]);
  vf_buf_free(&pp.buf[1]);
  free(spans);
  return rc;
}

int vf_word_tokenize(const vf_punkt *p, const char *text, size_t len,
                     void (*fn)(void *ud, const char *tok, size_t toklen),
                     void *ud) {
  return vf_word_tokenize_upto(p, text, len, 0, fn, ud);
}
