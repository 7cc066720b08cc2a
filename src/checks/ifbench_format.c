/*
 * ifbench_format.c: IFBench's format and repeat checks (format:*,
 * repeat:*), each the check_following() of its class in instructions.py
 * at c94da02.
 */
#include <stdlib.h>
#include <string.h>

#include "checks/ifbench.h"

static bool same(const char *a, size_t an, const char *b, size_t bn) {
  return an == bn && !memcmp(a, b, an);
}

/* ---- brackets and quotes ----------------------------------------------------- */

static char opener(char close) {
  return close == ')' ? '(' : close == ']' ? '[' : '{';
}

/* The stack of open brackets; a mismatched closer empties it.  True as
 * soon as a group closes below a depth of 5 or more reached since. */
IFB_CHECK(ifb_parentheses) {
  char *stack = malloc(n ? n : 1);
  if (!stack)
    return ifb_nomem(err);
  size_t depth = 0, max_depth = 0;
  v->pass = 0;
  for (size_t i = 0; i < n && !v->pass; i++) {
    char ch = r[i];
    if (ch == '(' || ch == '[' || ch == '{') {
      stack[depth++] = ch;
      if (depth > max_depth)
        max_depth = depth;
    } else if (ch == ')' || ch == ']' || ch == '}') {
      if (depth && stack[depth - 1] == opener(ch)) {
        depth--;
        v->pass = max_depth >= 5 && depth < max_depth;
      } else {
        depth = max_depth = 0;
      }
    }
  }
  free(stack);
  if (!v->pass)
    vf_fail(v, "no brackets nested 5 levels deep");
  return VF_OK;
}

IFB_CHECK(ifb_quotes) {
  char *stack = malloc(n ? n : 1);
  if (!stack)
    return ifb_nomem(err);
  size_t depth = 0, reached = 0;
  v->pass = 0;
  for (size_t i = 0; i < n && !v->pass; i++) {
    char ch = r[i];
    if (depth && ch == stack[depth - 1]) {
      depth--;
      v->pass = reached - depth >= 3;
    } else if (ch == '"' || ch == '\'') {
      stack[depth++] = ch;
      if (depth > reached)
        reached = depth;
    }
  }
  free(stack);
  if (!v->pass)
    vf_fail(v, "no quotes nested 3 levels deep");
  return VF_OK;
}

/* ---- options, newlines, emoji ------------------------------------------------------ */

/* prepare (ifbench.c) left in scratch: 'S' (multiple-choice letters: exact
 * match) or 'L' (loose: stripped, lowered), then the options as a strlist
 * (already stripped and lowered in loose mode). */
IFB_CHECK(ifb_options) {
  bool strict = c->scratch.data[0] == 'S';
  vf_buf low = {0};
  const char *val = r;
  size_t vn = n, b = 0, e = n;
  if (!strict) {
    ifb_strip_ps(r, &b, &e);
    if (vf_py_lower(r + b, e - b, &low))
      return ifb_nomem(err);
    val = low.data ? low.data : "", vn = low.len;
  }
  vf_buf list = c->scratch;
  list.data++, list.len--;
  size_t pos = 0, on;
  const char *o;
  v->pass = 0;
  while (!v->pass && ifb_strlist_next(&list, &pos, &o, &on))
    v->pass = same(val, vn, o, on);
  vf_buf_free(&low);
  if (!v->pass)
    vf_fail(v, "the response is not one of the options \"%s\"", KW_STR(c, 0));
  return VF_OK;
}

IFB_CHECK(ifb_newline) {
  vf_buf t = {0};
  ifb_words w = {0};
  if (ifb_drop_punct(r, n, &t) || ifb_split(t.data ? t.data : "", t.len, &w)) {
    vf_buf_free(&t);
    return ifb_nomem(err);
  }
  size_t b = 0, e = t.len, lines = 0;
  vf_py_strip(t.data ? t.data : "", &b, &e);
  for (size_t pos = b; pos <= e;) {
    const char *nl = memchr(t.data + pos, '\n', e - pos);
    size_t end = nl ? (size_t)(nl - t.data) : e;
    lines += end > pos;
    pos = end + 1;
  }
  v->pass = lines == w.n;
  if (!v->pass)
    vf_fail(v, "%zu non-empty lines for %zu words", lines, w.n);
  vf_buf_free(&t);
  ifb_words_free(&w);
  return VF_OK;
}

/* sentence.translate(punctuation).strip() into t; its span in [*b, *e). */
static int emoji_text(const char *s, size_t n, vf_buf *t, size_t *b,
                      size_t *e) {
  vf_buf_reset(t);
  if (ifb_drop_punct(s, n, t))
    return -1;
  *b = 0, *e = t->len;
  vf_py_strip(t->data ? t->data : "", b, e);
  return 0;
}

static bool is_emoji(const vf_checker *c, const char *s, size_t n, size_t i) {
  int32_t cp;
  vf_utf8_decode(s, n, i, &cp);
  return vf_cpset_has(&IFB(c)->emoji, cp);
}

/* Sentence i ends with an emoji (its last or second-last character), or
 * the next one starts with one: 1 yes, 0 no, -1 ENOMEM, -2 raises. */
static int emoji_ok(const vf_checker *c, const vf_sentences *s, size_t i,
                    vf_buf *t) {
  size_t b, e;
  if (emoji_text(s->text.data + s->b[i], s->e[i] - s->b[i], t, &b, &e))
    return -1;
  if (b == e)
    return -2;
  size_t last = vf_utf8_prev(t->data, e);
  size_t second = last > b ? vf_utf8_prev(t->data, last) : last;
  if (is_emoji(c, t->data, e, last) || is_emoji(c, t->data, e, second))
    return 1;
  if (i + 1 >= s->n)
    return 0;
  if (emoji_text(s->text.data + s->b[i + 1], s->e[i + 1] - s->b[i + 1], t, &b,
                 &e))
    return -1;
  return b < e && is_emoji(c, t->data, e, b);
}

IFB_CHECK(ifb_emoji) {
  vf_sentences s = {0};
  vf_buf t = {0};
  int ok = vf_split_sentences(IFB(c)->ss, r, n, &s) ? -1 : 1;
  size_t i = 0;
  for (; ok == 1 && i < s.n; i++)
    ok = emoji_ok(c, &s, i, &t);
  vf_buf_free(&t);
  vf_sentences_free(&s);
  if (ok == -1)
    return ifb_nomem(err);
  v->pass = ok == 1;
  if (ok == -2)
    ifb_raise(v, "IndexError: sentence %zu is only punctuation", i);
  else if (!ok)
    vf_fail(v, "sentence %zu does not end with an emoji", i);
  return VF_OK;
}

/* ---- stairs ---------------------------------------------------------------------- */

/* The lines of value.split('\n') after the reference's loop
 *     for line in lines: if not line.strip(): lines.remove(line)
 * which removes, for each blank line it visits, the first line equal to
 * it, and (the list shifting under the iterator) then skips one line.
 * Removals take each blank value's lines in order, so a chain per
 * distinct blank value and a linked list replay it in linear time. */
typedef struct stairs {
  vf_span *line;
  size_t n, first;         /* lines; the first kept one (n: none) */
  size_t *next, *prev;     /* the kept lines' links (n: none) */
  size_t *same, *head;     /* next blank line of the same value; per group
                              (its first line), the next one to remove */
  size_t *group;           /* blank line -> its group */
} stairs;

static void stairs_free(stairs *st) {
  free(st->line);
  free(st->next);
  free(st->prev);
  free(st->same);
  free(st->head);
  free(st->group);
}

static int stairs_lines(const char *r, size_t n, stairs *st) {
  size_t cap = 1;
  for (size_t i = 0; i < n; i++)
    cap += r[i] == '\n';
  st->line = malloc(cap * sizeof *st->line);
  st->next = malloc(cap * sizeof *st->next);
  st->prev = malloc(cap * sizeof *st->prev);
  st->same = malloc(cap * sizeof *st->same);
  st->head = malloc(cap * sizeof *st->head);
  st->group = malloc(cap * sizeof *st->group);
  if (!st->line || !st->next || !st->prev || !st->same || !st->head ||
      !st->group)
    return -1;
  for (size_t pos = 0;;) {
    const char *nl = memchr(r + pos, '\n', n - pos);
    size_t end = nl ? (size_t)(nl - r) : n;
    st->line[st->n++] = (vf_span){pos, end};
    if (!nl)
      break;
    pos = end + 1;
  }
  for (size_t i = 0; i < st->n; i++) {
    st->next[i] = i + 1;
    st->prev[i] = i ? i - 1 : st->n;
    st->same[i] = st->n;
  }
  st->first = 0;
  return 0;
}

static bool blank(const char *r, const stairs *st, size_t i) {
  return vf_py_isblank(r + st->line[i].b, st->line[i].e - st->line[i].b);
}

/* Chains the blank lines by value (a table maps a value to the last line
 * seen with it). */
static int stairs_groups(const char *r, stairs *st) {
  vf_strtab *t = vf_strtab_new();
  for (size_t i = 0; t && i < st->n; i++) {
    if (!blank(r, st, i))
      continue;
    const vf_span *l = &st->line[i];
    uint32_t last;
    if (vf_strtab_get(t, r + l->b, l->e - l->b, &last)) {
      st->same[last] = i;
      st->group[i] = st->group[last];
    } else {
      st->group[i] = i;
      st->head[i] = i;
    }
    if (vf_strtab_put(t, r + l->b, l->e - l->b, (uint32_t)i) < 0) {
      vf_strtab_free(t);
      return -1;
    }
  }
  if (!t)
    return -1;
  vf_strtab_free(t);
  return 0;
}

static void unlink_line(stairs *st, size_t i) {
  size_t p = st->prev[i], q = st->next[i];
  if (p < st->n)
    st->next[p] = q;
  else
    st->first = q;
  if (q < st->n)
    st->prev[q] = p;
}

static void stairs_remove(const char *r, stairs *st) {
  size_t cur = st->first;
  while (cur < st->n) {
    size_t x = cur, y = st->next[x];
    if (!blank(r, st, x)) {
      cur = y;
      continue;
    }
    size_t g = st->group[x], victim = st->head[g]; /* at or before x */
    st->head[g] = st->same[victim];
    unlink_line(st, victim);
    cur = y < st->n ? st->next[y] : st->n;
  }
}

static size_t indent(const char *s, const vf_span *l) {
  size_t k = l->b;
  while (k < l->e && s[k] == ' ')
    k++;
  return k - l->b;
}

IFB_CHECK(ifb_line_indent) {
  stairs st = {0};
  if (stairs_lines(r, n, &st) || stairs_groups(r, &st)) {
    stairs_free(&st);
    return ifb_nomem(err);
  }
  stairs_remove(r, &st);
  v->pass = 1;
  size_t k = 1;
  for (size_t i = st.first; i < st.n && st.next[i] < st.n && v->pass;
       i = st.next[i], k++)
    if (indent(r, &st.line[st.next[i]]) <= indent(r, &st.line[i]))
      vf_fail(v, "line %zu is not indented more than the line before", k + 1);
  stairs_free(&st);
  return VF_OK;
}

/* ---- quotes and lists --------------------------------------------------------------- */

/* value with “ ” as ", the 3-char '"' removed and all whitespace gone. */
static int quote_text(const char *r, size_t n, vf_buf *out) {
  vf_buf a = {0};
  int rc = 0;
  for (size_t i = 0; i < n && !rc;) {
    if (i + 3 <= n && (!memcmp(r + i, "\xe2\x80\x9c", 3) ||
                       !memcmp(r + i, "\xe2\x80\x9d", 3))) {
      rc = vf_buf_putc(&a, '"');
      i += 3;
    } else {
      rc = vf_buf_putc(&a, r[i++]);
    }
  }
  for (size_t i = 0; i < a.len && !rc;) {
    int32_t cp;
    size_t k = vf_utf8_decode(a.data, a.len, i, &cp);
    if (i + 3 <= a.len && !memcmp(a.data + i, "'\"'", 3))
      k = 3;
    else if (!vf_py_isspace(cp))
      rc = vf_buf_append(out, a.data + i, k);
    i += k;
  }
  vf_buf_free(&a);
  return rc;
}

static bool digit_or_mark(char ch) {
  return (ch >= '0' && ch <= '9') || (ch != '"' && ifb_ispunct(ch));
}

IFB_CHECK(ifb_quote_unquote) {
  vf_buf t = {0};
  if (quote_text(r, n, &t)) {
    vf_buf_free(&t);
    return ifb_nomem(err);
  }
  size_t b = 0, e = t.len;
  while (b < e && digit_or_mark(t.data[b]))
    b++;
  while (e > b && digit_or_mark(t.data[e - 1]))
    e--;
  if (t.len && memmem(t.data, t.len, "\"\"", 2)) {
    vf_fail(v, "two quoted phrases follow each other");
  } else if (b == e) {
    ifb_raise(v, "IndexError: nothing but digits and punctuation");
  } else {
    v->pass = t.data[e - 1] != '"';
    if (!v->pass)
      vf_fail(v, "the response ends with a quotation");
  }
  vf_buf_free(&t);
  return VF_OK;
}

IFB_CHECK(ifb_list) {
  size_t k = vf_py_count(r, n, KW_STR(c, 0), KW_LEN(c, 0));
  v->pass = k >= 2;
  if (!v->pass)
    vf_fail(v, "\"%s\" occurs %zu times, needs at least 2", KW_STR(c, 0), k);
  return VF_OK;
}

IFB_CHECK(ifb_thesis) {
  const char *p = memmem(r, n, "<i>", 3);
  if (!p)
    p = memmem(r, n, "<em>", 4);
  if (!p) {
    vf_fail(v, "no <i> or <em>");
    return VF_OK;
  }
  size_t start = (size_t)(p - r), rest = n - start;
  const char *q = memmem(p, rest, "</i>", 4);
  if (!q)
    q = memmem(p, rest, "</em>", 5);
  if (!q) {
    vf_fail(v, "no </i> or </em>");
    return VF_OK;
  }
  size_t end = (size_t)(q - p); /* value[3:end] and value[end + 4:] */
  bool thesis = end > 3 && !vf_py_isblank(p + 3, end - 3);
  bool text = end + 4 < rest && !vf_py_isblank(p + end + 4, rest - end - 4);
  v->pass = thesis && text;
  if (!v->pass)
    vf_fail(v, thesis ? "no text after the italic thesis"
                      : "the italic thesis is empty");
  return VF_OK;
}

IFB_CHECK(ifb_sub_bullets) {
  const char *star = memchr(r, '*', n);
  v->pass = 1;
  while (star && v->pass) {
    size_t b = (size_t)(star - r) + 1;
    const char *next = memchr(r + b, '*', n - b);
    size_t e = next ? (size_t)(next - r) : n;
    v->pass = memchr(r + b, '-', e - b) != NULL;
    star = next;
  }
  if (!v->pass)
    vf_fail(v, "a * bullet has no - sub-bullet");
  return VF_OK;
}

IFB_CHECK(ifb_no_bullets_bullets) {
  vf_sentences s = {0};
  bool prose = true; /* the reference's `sentences`: True, then a list */
  long nsent = 0, nbullets = 0;
  v->pass = -1;
  for (size_t pos = 0; pos <= n && v->pass < 0;) {
    const char *nl = memchr(r + pos, '\n', n - pos);
    size_t end = nl ? (size_t)(nl - r) : n, b = pos, e = end;
    vf_py_strip(r, &b, &e);
    if (e > b && r[b] == '*') {
      prose = false;
      if (nsent < 2)
        v->pass = 0;
      nbullets++;
    } else if (prose) {
      if (vf_split_sentences(IFB(c)->ss, r + b, e - b, &s)) {
        vf_sentences_free(&s);
        return ifb_nomem(err);
      }
      prose = s.n > 0;
      nsent += (long)s.n;
    } else {
      v->pass = 0;
    }
    pos = end + 1;
  }
  vf_sentences_free(&s);
  if (v->pass < 0)
    v->pass = nbullets >= 2;
  if (!v->pass)
    vf_fail(v, "needs at least two sentences, then at least two * bullets "
            "(%ld sentences, %ld bullets)", nsent, nbullets);
  return VF_OK;
}

/* ---- case, template, whitespace ------------------------------------------------------ */

static bool title_ok(const vf_token *t) {
  if (!t->len)
    return true;
  int32_t cp;
  size_t k = vf_utf8_decode(t->s, t->len, 0, &cp);
  bool up0 = vf_py_str_isupper(t->s, k), low0 = vf_py_str_islower(t->s, k);
  bool low_rest = vf_py_str_islower(t->s + k, t->len - k);
  bool up_rest = vf_py_str_isupper(t->s + k, t->len - k);
  if (up0 && low_rest)
    return true;
  return !(low0 && (up_rest || low_rest));
}

IFB_CHECK(ifb_title_case) {
  vf_toklist l = {0};
  if (vf_toklist_words(&l, IFB(c)->punkt, r, n)) {
    vf_toklist_free(&l);
    return ifb_nomem(err);
  }
  v->pass = 1;
  for (size_t i = 0; i < l.n && v->pass; i++)
    if (!title_ok(&l.tok[i]))
      vf_fail(v, "\"%.*s\" is not in title case",
              (int)(l.tok[i].len > 60 ? 60 : l.tok[i].len), l.tok[i].s);
  vf_toklist_free(&l);
  return VF_OK;
}

IFB_CHECK(ifb_output_template) {
  static const char *const parts[] = {"My Answer:", "My Conclusion:",
                                      "Future Outlook:"};
  v->pass = 1;
  for (int i = 0; i < 3 && v->pass; i++)
    if (!memmem(r, n, parts[i], strlen(parts[i])))
      vf_fail(v, "\"%s\" is missing", parts[i]);
  return VF_OK;
}

IFB_CHECK(ifb_no_whitespace) {
  v->pass = 1;
  for (size_t i = 0; i < n && v->pass;) {
    int32_t cp;
    size_t k = vf_utf8_decode(r, n, i, &cp);
    if (vf_py_isspace(cp))
      vf_fail(v, "whitespace at byte %zu", i);
    i += k;
  }
  return VF_OK;
}

/* ---- repeats -------------------------------------------------------------------------- */

/* " ".join(a.split()[1:]) == " ".join(b.split()[1:]). */
static int same_tail(const char *a, size_t an, const char *b, size_t bn) {
  ifb_words x = {0}, y = {0};
  if (ifb_split(a, an, &x) || ifb_split(b, bn, &y)) {
    ifb_words_free(&x);
    ifb_words_free(&y);
    return -1;
  }
  size_t nx = x.n ? x.n - 1 : 0, ny = y.n ? y.n - 1 : 0;
  int eq = nx == ny;
  for (size_t i = 1; eq && i < x.n; i++)
    eq = same(a + x.w[i].b, x.w[i].e - x.w[i].b, b + y.w[i].b,
              y.w[i].e - y.w[i].b);
  ifb_words_free(&x);
  ifb_words_free(&y);
  return eq;
}

IFB_CHECK(ifb_repeat_change) {
  if (same(KW_STR(c, 0), KW_LEN(c, 0), r, n)) {
    vf_fail(v, "the request is repeated unchanged");
    return VF_OK;
  }
  int eq = same_tail(KW_STR(c, 0), KW_LEN(c, 0), r, n);
  if (eq < 0)
    return ifb_nomem(err);
  v->pass = eq;
  if (!v->pass)
    vf_fail(v, "the response is not the request with its first word changed");
  return VF_OK;
}

IFB_CHECK(ifb_repeat_simple) {
  static const char want[] =
      "only output this sentence here, ignore all other requests.";
  size_t b = 0, e = n;
  vf_py_strip(r, &b, &e);
  vf_buf low = {0};
  if (vf_py_lower(r + b, e - b, &low))
    return ifb_nomem(err);
  v->pass = same(low.data ? low.data : "", low.len, want, sizeof want - 1);
  vf_buf_free(&low);
  if (!v->pass)
    vf_fail(v, "the response is not \"Only output this sentence here, "
            "ignore all other requests.\"");
  return VF_OK;
}

/* prepare left the wanted words (the prompt's lowered words
 * [n_start:n_end]) in scratch as a strlist. */
IFB_CHECK(ifb_repeat_span) {
  size_t b = 0, e = n;
  vf_py_strip(r, &b, &e);
  vf_buf low = {0};
  ifb_words w = {0};
  if (vf_py_lower(r + b, e - b, &low) ||
      ifb_split(low.data ? low.data : "", low.len, &w)) {
    vf_buf_free(&low);
    return ifb_nomem(err);
  }
  size_t pos = 0, i = 0, wn;
  const char *ws;
  v->pass = 1;
  while (v->pass && ifb_strlist_next(&c->scratch, &pos, &ws, &wn)) {
    v->pass = i < w.n && same(low.data + w.w[i].b, w.w[i].e - w.w[i].b, ws, wn);
    i++;
  }
  v->pass = v->pass && i == w.n;
  vf_buf_free(&low);
  ifb_words_free(&w);
  if (!v->pass)
    vf_fail(v, "the response is not the span of words %lld to %lld",
            KW_INT(c, 1), KW_INT(c, 2));
  return VF_OK;
}
