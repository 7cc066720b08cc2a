/*
 * ifbench_custom.c: IFBench's fixed-task checks (custom:*), each the
 * check_following() of its class in instructions.py at c94da02.  Their
 * build_description takes **kwargs, so any kwargs are accepted and unused.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "checks/ifbench.h"
#include "text/pycsv.h"

static bool same(const char *a, size_t an, const char *b, size_t bn) {
  return an == bn && !memcmp(a, b, an);
}

static bool same_str(const char *a, size_t an, const char *s) {
  return same(a, an, s, strlen(s));
}

/* unicodedata.normalize('NFKD', s).encode('ASCII', 'ignore'), appended.
 * utf8proc's tables are Unicode 15; Python 3.11's are 14 (the characters
 * added in 15 have no compatibility decomposition to ASCII). */
static int nfkd_ascii(const char *s, size_t n, vf_buf *out) {
  utf8proc_uint8_t *d = NULL;
  utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)s,
                                    (utf8proc_ssize_t)n, &d,
                                    UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
  if (k < 0)
    return -1;
  int rc = vf_buf_reserve(out, (size_t)k);
  for (utf8proc_ssize_t i = 0; !rc && i < k; i++)
    if (d[i] < 0x80)
      out->data[out->len++] = (char)d[i];
  if (!rc)
    out->data[out->len] = '\0';
  free(d);
  return rc;
}

/* ---- numbers ----------------------------------------------------------------- */

typedef struct multiples {
  size_t k;
  bool ok;
} multiples;

static void multiple(void *ud, const char *d, size_t len) {
  static const char *const want[] = {"14", "21", "28", "35", "42", "49"};
  multiples *m = ud;
  m->ok = m->ok && m->k < 6 && same_str(d, len, want[m->k]);
  m->k++;
}

/* re.findall(r'\d+', value.replace(',', ', ')): the replacement cannot
 * change the runs of digits, so they are read from the value itself. */
IFB_CHECK(ifb_multiples) {
  multiples m = {0, true};
  ifb_digit_runs(r, n, multiple, &m);
  v->pass = m.ok && m.k == 6;
  if (!v->pass)
    vf_fail(v, "the numbers are not exactly 14, 21, 28, 35, 42, 49");
  return VF_OK;
}

/* ---- multiple-choice questions --------------------------------------------------- */

/* One question's text: its option lines counted, the lines before the
 * first option joined as the reference does (' ' + line.strip() each). */
static int mcq_question(const vf_checker *c, const char *q, size_t n,
                        long *options, size_t *text_cps) {
  vf_buf text = {0};
  bool done = false;
  int rc = 0;
  *options = 0;
  for (size_t pos = 0; pos <= n && !rc;) {
    const char *nl = memchr(q + pos, '\n', n - pos);
    size_t end = nl ? (size_t)(nl - q) : n, b = pos, e = end;
    vf_py_strip(q, &b, &e);
    int m = vf_re_search(IFB(c)->re[IFB_RE_MCQ_OPTION], q + b, e - b);
    if (m < 0)
      rc = -2;
    else if (m)
      ++*options, done = true;
    else if (!done && (vf_buf_putc(&text, ' ') ||
                       vf_buf_append(&text, q + b, e - b)))
      rc = -1;
    pos = end + 1;
  }
  size_t b = 0, e = text.len;
  vf_py_strip(text.data ? text.data : "", &b, &e);
  *text_cps = ifb_ncp(text.data ? text.data + b : "", e - b);
  vf_buf_free(&text);
  return rc;
}

/* The non-blank pieces of re.split(pattern, value), stripped. */
static int mcq_pieces(const vf_checker *c, const char *r, size_t n,
                      vf_span *out, size_t *count) {
  vf_re_iter it;
  if (vf_re_iter_init(&it, IFB(c)->re[IFB_RE_MCQ_SPLIT], r, n))
    return -1;
  size_t start = 0, mb, me;
  int rc;
  *count = 0;
  for (;;) {
    rc = vf_re_iter_next(&it, &mb, &me);
    if (rc < 0)
      break;
    size_t end = rc ? mb : n, b = start, e = end;
    vf_py_strip(r, &b, &e);
    if (b < e && *count < 5)
      out[*count] = (vf_span){b, e};
    *count += b < e;
    if (!rc)
      break;
    start = me;
  }
  vf_re_iter_done(&it);
  return rc < 0 ? -2 : 0;
}

IFB_CHECK(ifb_mcq_count_length) {
  const char *q = memmem(r, n, "Question", 8);
  /* value[value.find('Question'):] == value */
  if (q ? q != r : ifb_ncp(r, n) > 1) {
    vf_fail(v, "the response does not start with \"Question\"");
    return VF_OK;
  }
  vf_span piece[5];
  size_t k;
  int rc = mcq_pieces(c, r, n, piece, &k);
  if (rc)
    return rc == -1 ? ifb_nomem(err) : ifb_refail(err);
  if (k != 4) {
    vf_fail(v, "found %zu questions, needs 4", k);
    return VF_OK;
  }
  size_t prev = 0;
  v->pass = 1;
  for (size_t i = 0; i < 4 && v->pass; i++) {
    long options;
    size_t len;
    rc = mcq_question(c, r + piece[i].b, piece[i].e - piece[i].b, &options,
                      &len);
    if (rc)
      return rc == -1 ? ifb_nomem(err) : ifb_refail(err);
    if (options != 5)
      vf_fail(v, "question %zu has %ld options, needs 5", i + 1, options);
    else if (i && len <= prev)
      vf_fail(v, "question %zu is not longer than question %zu", i + 1, i);
    prev = len;
  }
  return VF_OK;
}

/* ---- lists of names ------------------------------------------------------------------ */

/* Python's str comparison a >= b (code point order = UTF-8 byte order). */
static bool str_ge(const char *a, size_t an, const char *b, size_t bn) {
  int c = memcmp(a, b, an < bn ? an : bn);
  return c > 0 || (c == 0 && an >= bn);
}

/* The lines stripped of punctuation and spaces (the non-empty ones), from
 * the first holding "Zimbabwe" on, NFKD-ASCII-normalised into t. */
static int africa_lines(const char *r, size_t n, vf_buf *t, vf_span **out,
                        size_t *count) {
  size_t cap = 1, k = 0;
  bool found = false;
  for (size_t i = 0; i < n; i++)
    cap += r[i] == '\n';
  vf_span *l = malloc(cap * sizeof *l);
  if (!l)
    return -1;
  for (size_t pos = 0; pos <= n;) {
    const char *nl = memchr(r + pos, '\n', n - pos);
    size_t end = nl ? (size_t)(nl - r) : n, b = pos, e = end;
    ifb_strip_ps(r, &b, &e);
    found = found || memmem(r + b, e - b, "Zimbabwe", 8);
    if (found && b < e) {
      size_t start = t->len;
      if (nfkd_ascii(r + b, e - b, t)) {
        free(l);
        return -1;
      }
      l[k++] = (vf_span){start, t->len};
    }
    pos = end + 1;
  }
  *out = l;
  *count = k;
  return found ? 1 : 0;
}

IFB_CHECK(ifb_reverse_newline) {
  vf_buf t = {0};
  vf_span *l = NULL;
  size_t k = 0;
  int found = africa_lines(r, n, &t, &l, &k);
  if (found < 0) {
    vf_buf_free(&t);
    return ifb_nomem(err);
  }
  v->pass = found && k >= 52;
  for (size_t i = 0; v->pass && i + 1 < k; i++)
    v->pass = str_ge(t.data + l[i].b, l[i].e - l[i].b, t.data + l[i + 1].b,
                     l[i + 1].e - l[i + 1].b);
  if (!v->pass)
    vf_fail(v, !found ? "no line holds \"Zimbabwe\""
                      : k < 52 ? "fewer than 52 lines from Zimbabwe on"
                               : "the lines are not in reverse alphabetical "
                                 "order");
  free(l);
  vf_buf_free(&t);
  return VF_OK;
}

IFB_CHECK(ifb_european_capitals_sort) {
  static const char *const order[27] = {
      "Reykjavik", "Helsinki", "Oslo",      "Tallinn",    "Stockholm",
      "Riga",      "Moscow",   "Copenhagen", "Vilnius",   "Minsk",
      "Dublin",    "Berlin",   "Amsterdam", "Warsaw",     "London",
      "Brussels",  "Prague",   "Luxembourg", "Paris",     "Vienna",
      "Bratislava", "Budapest", "Vaduz",    "Chisinau",   "Bern",
      "Ljubljana", "Zagreb"};
  vf_buf t = {0};
  if (nfkd_ascii(r, n, &t))
    return ifb_nomem(err);
  size_t k = 0;
  v->pass = 1;
  for (size_t pos = 0; pos <= t.len && v->pass;) {
    const char *comma = memchr(t.data + pos, ',', t.len - pos);
    size_t end = comma ? (size_t)(comma - t.data) : t.len, b = pos, e = end;
    vf_py_strip(t.data, &b, &e);
    if (b < e) {
      v->pass = k < 27 && same_str(t.data + b, e - b, order[k]);
      k++;
    }
    pos = end + 1;
  }
  v->pass = v->pass && k == 27;
  if (!v->pass)
    vf_fail(v, "the capitals are not the 27 expected, in order of latitude");
  vf_buf_free(&t);
  return VF_OK;
}

/* ---- reversed sentences ----------------------------------------------------------------- */

IFB_CHECK(ifb_word_reverse) {
  vf_buf low = {0}, t = {0}, rev = {0};
  ifb_words w = {0};
  vf_sentences s = {0};
  vf_status st = VF_OK;
  size_t b = 0, e;
  if (vf_py_lower(r, n, &low))
    return ifb_nomem(err);
  e = low.len;
  vf_py_strip(low.data ? low.data : "", &b, &e);
  if (ifb_drop_punct(low.data ? low.data + b : "", e - b, &t) ||
      ifb_split(t.data ? t.data : "", t.len, &w))
    st = ifb_nomem(err);
  for (size_t i = w.n; !st && i-- > 0;)
    if ((i + 1 < w.n && vf_buf_putc(&rev, ' ')) ||
        vf_buf_append(&rev, t.data + w.w[i].b, w.w[i].e - w.w[i].b))
      st = ifb_nomem(err);
  const char *x = rev.data ? rev.data : "";
  if (!st && !memmem(x, rev.len, "bald eagle", 10)) {
    vf_fail(v, "\"bald eagle\" is missing");
  } else if (!st && vf_split_sentences(IFB(c)->ss, x, rev.len, &s)) {
    st = ifb_nomem(err);
  } else if (!st) {
    for (size_t i = 0; i < s.n && !v->pass; i++)
      v->pass = same(s.text.data + s.b[i], s.e[i] - s.b[i], x, rev.len);
    if (!v->pass)
      vf_fail(v, "the reversed response is not one sentence");
  }
  vf_sentences_free(&s);
  ifb_words_free(&w);
  vf_buf_free(&low);
  vf_buf_free(&t);
  vf_buf_free(&rev);
  return st;
}

IFB_CHECK(ifb_character_reverse) {
  vf_buf low = {0};
  if (vf_py_lower(r, n, &low))
    return ifb_nomem(err);
  v->pass = low.len && memmem(low.data, low.len, "elgae dlab", 10) != NULL;
  vf_buf_free(&low);
  if (!v->pass)
    vf_fail(v, "\"elgae dlab\" is missing");
  return VF_OK;
}

/* sentence.lstrip().split()[0].lower()[0]: 1 with *cp, 0 when there is
 * no word (IndexError), -1 ENOMEM. */
static int first_char(const char *s, size_t n, int32_t *cp) {
  size_t pos = 0, wb, we;
  if (!vf_py_split_next(s, n, &pos, &wb, &we))
    return 0;
  vf_buf low = {0};
  if (vf_py_lower(s + wb, we - wb, &low))
    return -1;
  vf_utf8_decode(low.data, low.len, 0, cp);
  vf_buf_free(&low);
  return 1;
}

IFB_CHECK(ifb_sentence_alphabet) {
  vf_sentences s = {0};
  if (vf_split_sentences(IFB(c)->ss, r, n, &s)) {
    vf_sentences_free(&s);
    return ifb_nomem(err);
  }
  vf_status st = VF_OK;
  v->pass = s.n == 26;
  if (!v->pass)
    vf_fail(v, "found %zu sentences, needs 26", s.n);
  for (size_t i = 0; v->pass && i < s.n; i++) {
    int32_t cp = 0;
    int rc = first_char(s.text.data + s.b[i], s.e[i] - s.b[i], &cp);
    if (rc < 0)
      st = ifb_nomem(err);
    else if (rc == 0)
      ifb_raise(v, "IndexError: sentence %zu has no words", i + 1);
    else if (cp != 'a' + (int32_t)i)
      vf_fail(v, "sentence %zu does not start with '%c'", i + 1,
              (char)('a' + i));
  }
  vf_sentences_free(&s);
  return st;
}

/* ---- CSV ------------------------------------------------------------------------------- */

/* Reads value (after doubling its quotes when `requote`: the reference's
 * value.replace('"', '"""')) as CSV: 0, 1 csv.Error (raise), -1 ENOMEM. */
static int read_csv(const char *r, size_t n, bool requote, char delim,
                    vf_csv *csv) {
  if (!requote)
    return vf_csv_read(r, n, delim, csv);
  vf_buf t = {0};
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++)
    rc = r[i] == '"' ? vf_buf_append(&t, "\"\"\"", 3) : vf_buf_putc(&t, r[i]);
  if (!rc)
    rc = vf_csv_read(t.data ? t.data : "", t.len, delim, csv);
  vf_buf_free(&t);
  return rc;
}

/* value.split('\n')[0].strip() matches the header pattern k. */
static int header_ok(const vf_checker *c, int k, const char *r, size_t n) {
  const char *nl = memchr(r, '\n', n);
  size_t b = 0, e = nl ? (size_t)(nl - r) : n;
  vf_py_strip(r, &b, &e);
  return vf_re_search(IFB(c)->re[k], r + b, e - b);
}

static vf_status csv_outcome(vf_verdict *v, int rc, const vf_csv *csv,
                             vf_error *err) {
  if (rc < 0)
    return ifb_nomem(err);
  ifb_raise(v, "csv.Error: %s", csv->error);
  return VF_OK;
}

IFB_CHECK(ifb_csv_city) {
  static const char *const head[5] = {"ID", "Country", "City", "Year",
                                      "Count"};
  vf_csv csv = {0};
  int rc = read_csv(r, n, false, ',', &csv);
  if (rc) {
    vf_status st = csv_outcome(v, rc, &csv, err);
    vf_csv_free(&csv);
    return st;
  }
  v->pass = csv.nrows == 8 && vf_csv_row_len(&csv, 0) == 5;
  for (size_t k = 0; v->pass && k < 5; k++) {
    size_t len;
    const char *f = vf_csv_field(&csv, 0, k, &len);
    v->pass = same_str(f, len, head[k]);
  }
  for (size_t i = 1; v->pass && i < csv.nrows; i++)
    v->pass = vf_csv_row_len(&csv, i) == 5;
  if (!v->pass)
    vf_fail(v, "not a header ID,Country,City,Year,Count and 7 rows of 5 "
            "fields (%zu rows)", csv.nrows);
  vf_csv_free(&csv);
  return VF_OK;
}

/* A row with 5 fields, one matching ".*[^\d\w\s].*": 1; 5 fields and
 * none: 0; another count: 2; -1 regex failure. */
static int special_row(const vf_checker *c, const vf_csv *csv, size_t i) {
  if (vf_csv_row_len(csv, i) != 5)
    return 2;
  for (size_t k = 0; k < 5; k++) {
    size_t len;
    const char *f = vf_csv_field(csv, i, k, &len);
    int m = vf_re_search(IFB(c)->re[IFB_RE_CSV_SPECIAL], f, len);
    if (m)
      return m;
  }
  return 0;
}

IFB_CHECK(ifb_csv_special_character) {
  int h = header_ok(c, IFB_RE_CSV_PRODUCT, r, n);
  if (h <= 0) {
    if (h < 0)
      return ifb_refail(err);
    vf_fail(v, "the header is not ProductID,Category,Brand,Price,Stock");
    return VF_OK;
  }
  vf_csv csv = {0};
  int rc = read_csv(r, n, true, ',', &csv);
  if (rc) {
    vf_status st = csv_outcome(v, rc, &csv, err);
    vf_csv_free(&csv);
    return st;
  }
  int found = csv.nrows == 15 ? 0 : 2;
  for (size_t i = 1; found == 0 && i < csv.nrows; i++)
    found = special_row(c, &csv, i);
  vf_csv_free(&csv);
  if (found < 0)
    return ifb_refail(err);
  v->pass = found == 1;
  if (!v->pass)
    vf_fail(v, "not 14 rows of 5 fields with a quoted special character");
  return VF_OK;
}

/* Every field of row i is quoted once stripped: 1, 0, or -2 for an
 * empty field (IndexError). */
static int quoted_row(const vf_csv *csv, size_t i) {
  for (size_t k = 0; k < vf_csv_row_len(csv, i); k++) {
    size_t len, b = 0, e;
    const char *f = vf_csv_field(csv, i, k, &len);
    e = len;
    vf_py_strip(f, &b, &e);
    if (b == e)
      return -2;
    if (f[b] != '"' || f[e - 1] != '"')
      return 0;
  }
  return 1;
}

IFB_CHECK(ifb_csv_quotes) {
  int h = header_ok(c, IFB_RE_CSV_STUDENT, r, n);
  if (h <= 0) {
    if (h < 0)
      return ifb_refail(err);
    vf_fail(v, "the header is not StudentID\\tSubject\\tGrade\\tSemester\\t"
            "Score");
    return VF_OK;
  }
  vf_csv csv = {0};
  int rc = read_csv(r, n, true, '\t', &csv);
  if (rc) {
    vf_status st = csv_outcome(v, rc, &csv, err);
    vf_csv_free(&csv);
    return st;
  }
  int ok = csv.nrows == 4;
  for (size_t i = 0; ok == 1 && i < csv.nrows; i++)
    ok = vf_csv_row_len(&csv, i) == 5 ? quoted_row(&csv, i) : 0;
  vf_csv_free(&csv);
  v->pass = ok == 1;
  if (ok == -2)
    ifb_raise(v, "IndexError: an empty field");
  else if (!v->pass)
    vf_fail(v, "not 3 rows of 5 tab-separated fields, each in quotes");
  return VF_OK;
}

/* ---- dates ---------------------------------------------------------------------------- */

/* ^\d{4}-\d{2}-\d{2}$ on a stripped date: year, month, day as int()
 * reads them; false when it does not match. */
static bool parse_date(const char *s, size_t n, int ymd[3]) {
  static const int digits[3] = {4, 2, 2};
  size_t i = 0;
  for (int part = 0; part < 3; part++) {
    if (part && (i >= n || s[i++] != '-'))
      return false;
    ymd[part] = 0;
    for (int k = 0; k < digits[part]; k++) {
      int32_t cp;
      if (i >= n)
        return false;
      i += vf_utf8_decode(s, n, i, &cp);
      int d = vf_py_decimal(cp);
      if (d < 0)
        return false;
      ymd[part] = ymd[part] * 10 + d;
    }
  }
  return i == n;
}

static bool date_ok(const int ymd[3]) {
  int m = ymd[1], d = ymd[2];
  if (ymd[0] < 1769 || ymd[0] > 1821 || m > 12)
    return false;
  if ((m == 1 || m == 3 || m == 5 || m == 7 || m == 8 || m == 10 ||
       m == 12) && d > 31)
    return false;
  if ((m == 4 || m == 6 || m == 9 || m == 11) && d > 30)
    return false;
  return !(m == 2 && d > 29);
}

IFB_CHECK(ifb_date_format_list) {
  size_t b0 = 0, e0 = n;
  vf_py_strip(r, &b0, &e0);
  v->pass = 1;
  for (size_t pos = b0; pos <= e0 && v->pass;) {
    const char *comma = memchr(r + pos, ',', e0 - pos);
    size_t end = comma ? (size_t)(comma - r) : e0, b = pos, e = end;
    vf_py_strip(r, &b, &e);
    int ymd[3];
    if (!parse_date(r + b, e - b, ymd) || !date_ok(ymd))
      vf_fail(v, "\"%.*s\" is not a date YYYY-MM-DD of 1769-1821",
              (int)(e - b > 40 ? 40 : e - b), r + b);
    pos = end + 1;
  }
  return VF_OK;
}
