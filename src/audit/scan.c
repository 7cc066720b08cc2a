/*
 * scan.c: what the audit reads from a function's text without running it:
 * whether it calls the judge (llm_score & co.), whether it may read its
 * `instruction` argument (so the `instruction` run is worth making), and
 * the modules its import statements name.  Line- and token-level scans of
 * Python source: they over-approximate where a full parse would be needed,
 * and the runs decide every finding that depends on them.
 */
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

static bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || (unsigned char)c >= 0x80;
}

/* word occurs in s[0..len) as a whole identifier. */
static bool has_word(const char *s, size_t len, const char *word) {
  size_t w = strlen(word);
  for (const char *p = s, *end = s + len; p < end;) {
    const char *hit = memmem(p, (size_t)(end - p), word, w);
    if (!hit)
      return false;
    bool left = hit == s || !ident_char(hit[-1]);
    bool right = hit + w == end || !ident_char(hit[w]);
    if (left && right)
      return true;
    p = hit + 1;
  }
  return false;
}

bool au_scan_calls_llm(const char *code, size_t len) {
  static const char *const words[] = {"llm_score", "llm_judge", "llm_extract",
                                      "llm_call"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (has_word(code, len, words[i]))
      return true;
  return false;
}

bool au_scan_reads_first_arg(const char *code, size_t len) {
  static const char def[] = "def check_following";
  static const char *const reflective[] = {"locals",    "vars", "inspect",
                                           "_getframe", "eval", "exec"};
  const char *end = code + len;
  const char *d = memmem(code, len, def, sizeof def - 1);
  if (!d)
    return true;
  const char *p = d + sizeof def - 1;
  while (p < end && (*p == ' ' || *p == '('))
    p++;
  const char *name = p;
  while (p < end && ident_char(*p))
    p++;
  if (p == name)
    return true; /* *args or something stranger */
  char word[128];
  size_t n = (size_t)(p - name);
  if (n >= sizeof word)
    return true;
  memcpy(word, name, n);
  word[n] = '\0';
  const char *close = memchr(p, ')', (size_t)(end - p));
  const char *body = close ? close + 1 : p;
  if (has_word(body, (size_t)(end - body), word))
    return true;
  for (size_t i = 0; i < sizeof reflective / sizeof *reflective; i++)
    if (has_word(code, len, reflective[i]))
      return true;
  return false;
}

static int add_name(const char *s, size_t n, char ***names, size_t *count,
                    size_t *cap) {
  for (size_t i = 0; i < *count; i++)
    if (strlen((*names)[i]) == n && !memcmp((*names)[i], s, n))
      return 0;
  if (*count == *cap) {
    size_t c = *cap ? 2 * *cap : 8;
    char **p = realloc(*names, c * sizeof *p);
    if (!p)
      return -1;
    *names = p;
    *cap = c;
  }
  char *copy = strndup(s, n);
  if (!copy)
    return -1;
  (*names)[(*count)++] = copy;
  return 1;
}

/* The top-level name of the dotted name at *p; advances past the name. */
static size_t top_name(const char **p, const char *end, const char **name) {
  while (*p < end && (**p == ' ' || **p == '\t' || **p == '('))
    (*p)++;
  *name = *p;
  while (*p < end && ident_char(**p))
    (*p)++;
  size_t n = (size_t)(*p - *name);
  while (*p < end && (ident_char(**p) || **p == '.'))
    (*p)++;
  return n;
}

/* "import a.b, c as d" (after "import "). */
static int scan_import(const char *p, const char *end, char ***names,
                       size_t *count, size_t *cap) {
  int added = 0;
  while (p < end) {
    const char *name;
    size_t n = top_name(&p, end, &name);
    if (!n)
      break;
    int r = add_name(name, n, names, count, cap);
    if (r < 0)
      return -1;
    added += r;
    const char *comma = memchr(p, ',', (size_t)(end - p));
    if (!comma)
      break;
    p = comma + 1;
  }
  return added;
}

int au_scan_imports(const char *code, size_t len, char ***names, size_t *n,
                    size_t *cap) {
  int added = 0;
  for (const char *line = code, *end = code + len; line < end;) {
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    const char *le = nl ? nl : end, *p = line;
    for (const char *h = p; h < le; h++)
      if (*h == '#' || *h == ';') {
        le = h;
        break;
      }
    while (p < le && (*p == ' ' || *p == '\t'))
      p++;
    int r = 0;
    if (le - p > 7 && !strncmp(p, "import", 6) && !ident_char(p[6])) {
      r = scan_import(p + 6, le, names, n, cap);
    } else if (le - p > 5 && !strncmp(p, "from", 4) && !ident_char(p[4])) {
      const char *q = p + 4, *name;
      size_t k = top_name(&q, le, &name);
      r = k ? add_name(name, k, names, n, cap) : 0; /* relative: none */
    }
    if (r < 0)
      return -1;
    added += r;
    line = nl ? nl + 1 : end;
  }
  return added;
}
