/*
 * regex.c: Python `re` semantics on PCRE2 (see regex.h for the contract).
 *
 * The few places where Python's syntax or classes differ from PCRE2's are
 * rewritten before compiling: \s/\S gain U+001C..U+001F (Python whitespace),
 * \Z means end of subject, and "{,n}" means "{0,n}".  Matching never
 * re-validates UTF-8: callers validate input once at the door.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "text/regex.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "text/text.h"

struct vf_re {
  pcre2_code *code;
  unsigned groups;
};

#define PY_SPACE_EXTRA "\\x{1c}-\\x{1f}"

/* Rewrites the Python-only spellings listed at the top of the file. */
static int translate(const char *p, size_t n, vf_buf *out) {
  bool in_class = false;
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    char c = p[i];
    if (c == '\\' && i + 1 < n) {
      char d = p[++i];
      if (d == 's')
        rc = vf_buf_append(out, in_class ? "\\s" PY_SPACE_EXTRA
                                         : "[\\s" PY_SPACE_EXTRA "]",
                           in_class ? 2 + sizeof PY_SPACE_EXTRA - 1
                                    : 4 + sizeof PY_SPACE_EXTRA - 1);
      else if (d == 'S' && !in_class)
        rc = vf_buf_append(out, "[^\\s" PY_SPACE_EXTRA "]",
                           5 + sizeof PY_SPACE_EXTRA - 1);
      else if (d == 'Z' && !in_class)
        rc = vf_buf_append(out, "\\z", 2);
      else
        rc = vf_buf_putc(out, '\\') || vf_buf_putc(out, d);
      continue;
    }
    if (in_class) {
      if (c == ']')
        in_class = false;
      rc = vf_buf_putc(out, c);
      continue;
    }
    if (c == '[') {
      in_class = true;
      rc = vf_buf_putc(out, c);
      /* a ']' (after an optional '^') right after '[' is a literal */
      if (i + 1 < n && p[i + 1] == '^')
        rc = rc || vf_buf_putc(out, p[++i]);
      if (i + 1 < n && p[i + 1] == ']')
        rc = rc || vf_buf_putc(out, p[++i]);
      continue;
    }
    if (c == '{' && i + 1 < n && p[i + 1] == ',') {
      size_t j = i + 2;
      while (j < n && p[j] >= '0' && p[j] <= '9')
        j++;
      if (j > i + 2 && j < n && p[j] == '}') {
        rc = vf_buf_append(out, "{0", 2);
        continue;
      }
    }
    rc = vf_buf_putc(out, c);
  }
  return rc;
}

vf_status vf_re_compile(const char *pat, size_t len, unsigned flags,
                        vf_re **out, vf_error *err) {
  vf_buf tp = {0};
  vf_re *re = NULL;
  pcre2_compile_context *cc = NULL;
  vf_status st = VF_ENOMEM;
  *out = NULL;
  if (translate(pat, len, &tp) || vf_buf_reserve(&tp, 0))
    goto done;
  cc = pcre2_compile_context_create(NULL);
  re = calloc(1, sizeof *re);
  if (!cc || !re)
    goto done;
  pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
  uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_ALT_CIRCUMFLEX |
                  PCRE2_NO_UTF_CHECK;
  if (flags & VF_RE_I)
    opts |= PCRE2_CASELESS;
  if (flags & VF_RE_M)
    opts |= PCRE2_MULTILINE;
  if (flags & VF_RE_S)
    opts |= PCRE2_DOTALL;
  int ec;
  PCRE2_SIZE eo;
  re->code = pcre2_compile((PCRE2_SPTR)tp.data, tp.len, opts, &ec, &eo, cc);
  if (!re->code) {
    PCRE2_UCHAR msg[160];
    pcre2_get_error_message(ec, msg, sizeof msg);
    st = vf_set_error(err, VF_EREGEX, "bad regular expression \"%.*s\": %s",
                      (int)(len > 200 ? 200 : len), pat, (char *)msg);
    goto done;
  }
  if (flags & VF_RE_JIT)
    pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE); /* best effort */
  uint32_t cap = 0;
  pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &cap);
  re->groups = cap;
  *out = re;
  re = NULL;
  st = VF_OK;
done:
  if (st == VF_ENOMEM)
    vf_set_error(err, st, "out of memory compiling a regular expression");
  vf_re_free(re);
  pcre2_compile_context_free(cc);
  vf_buf_free(&tp);
  return st;
}

void vf_re_free(vf_re *re) {
  if (!re)
    return;
  pcre2_code_free(re->code);
  free(re);
}

unsigned vf_re_groups(const vf_re *re) { return re->groups; }

int vf_re_iter_init(vf_re_iter *it, const vf_re *re, const char *s,
                    size_t len) {
  memset(it, 0, sizeof *it);
  it->re = re;
  it->s = s;
  it->len = len;
  it->md = pcre2_match_data_create_from_pattern(re->code, NULL);
  return it->md ? 0 : -1;
}

int vf_re_iter_next(vf_re_iter *it, size_t *mb, size_t *me) {
  if (it->done || it->pos > it->len)
    return 0;
  /* Python (3.7+): after an empty match the next match may start at the
   * same place only if it is not empty. */
  uint32_t opts = PCRE2_NO_UTF_CHECK;
  if (it->must_advance)
    opts |= PCRE2_NOTEMPTY_ATSTART;
  int rc = pcre2_match(it->re->code, (PCRE2_SPTR)it->s, it->len, it->pos,
                       opts, it->md, NULL);
  if (rc == PCRE2_ERROR_NOMATCH) {
    it->done = true;
    return 0;
  }
  if (rc < 0) {
    it->done = true;
    return -1;
  }
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(it->md);
  *mb = ov[0];
  *me = ov[1];
  it->must_advance = ov[0] == ov[1];
  it->pos = ov[1];
  return 1;
}

bool vf_re_iter_group(const vf_re_iter *it, unsigned g, size_t *gb,
                      size_t *ge) {
  if (g > it->re->groups)
    return false;
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(it->md);
  if (ov[2 * g] == PCRE2_UNSET)
    return false;
  *gb = ov[2 * g];
  *ge = ov[2 * g + 1];
  return true;
}

void vf_re_iter_done(vf_re_iter *it) {
  pcre2_match_data_free(it->md);
  it->md = NULL;
}

int vf_re_search(const vf_re *re, const char *s, size_t len) {
  vf_re_iter it;
  if (vf_re_iter_init(&it, re, s, len))
    return -1;
  size_t b, e;
  int rc = vf_re_iter_next(&it, &b, &e);
  vf_re_iter_done(&it);
  return rc;
}

long vf_re_count(const vf_re *re, const char *s, size_t len) {
  vf_re_iter it;
  if (vf_re_iter_init(&it, re, s, len))
    return -1;
  long n = 0;
  size_t b, e;
  int rc = vf_re_iter_next(&it, &b, &e);
  for (; rc == 1; rc = vf_re_iter_next(&it, &b, &e))
    n++;
  vf_re_iter_done(&it);
  return rc < 0 ? -1 : n;
}

long vf_re_split_count(const vf_re *re, const char *s, size_t len) {
  long m = vf_re_count(re, s, len);
  return m < 0 ? -1 : 1 + m * (1 + (long)re->groups);
}

int vf_re_escape(const char *s, size_t len, vf_buf *out) {
  /* Python 3.7+ escapes only its special characters; escaping every
   * non-word ASCII char is equivalent for PCRE2 and simpler. */
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    bool word = c >= 0x80 || c == '_' || (c >= '0' && c <= '9') ||
                ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    if (!word && vf_buf_putc(out, '\\'))
      return -1;
    if (vf_buf_putc(out, (char)c))
      return -1;
  }
  return 0;
}
