/*
 * headers.c: what the server checks in a request's header lines before it
 * trusts them (RFC 9112 6.1, 6.3; RFC 9110 5.5): one Content-Length or a
 * chunked Transfer-Encoding, never both, so that no body can carry a
 * second request past a proxy; one Authorization line; and no header line
 * with a NUL byte inside.  libmicrohttpd 0.9.75 cuts a value at a NUL
 * (strlen) and forgets what followed, so "Bearer T\0junk" would read as
 * "Bearer T"; the raw header block it parsed in place (the request line's
 * first byte, then MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE bytes) still
 * holds each line, and a line must end right after its value.
 */
#include <microhttpd.h>
#include <string.h>
#include <strings.h>

#include "server/server.h"

enum { MAX_LINES = 256 };

/* A header line as libmicrohttpd parsed it: name and value, each pointing
 * into the raw header block (unless the line was folded). */
typedef struct line {
  const char *key, *value;
  size_t klen, vlen;
} line;

typedef struct scan {
  vf_heads *h;
  line lines[MAX_LINES];
  size_t n;
} scan;

static int is(const char *key, size_t klen, const char *name) {
  return klen == strlen(name) && !strncasecmp(key, name, klen);
}

static enum MHD_Result take(void *cls, enum MHD_ValueKind kind,
                            const char *key, size_t klen, const char *value,
                            size_t vlen) {
  scan *s = cls;
  vf_heads *h = s->h;
  h->content_length += is(key, klen, "Content-Length");
  h->authorization += is(key, klen, "Authorization");
  if (is(key, klen, "Transfer-Encoding")) {
    h->transfer_encoding++;
    h->chunked = vlen == 7 && !strncasecmp(value, "chunked", 7);
  }
  if (s->n == MAX_LINES) {
    h->bad_lines = "more than 256 header lines";
    return MHD_NO;
  }
  s->lines[s->n++] = (line){key, value ? value : "", klen, value ? vlen : 0};
  return MHD_YES;
}

/* Whether bytes [p, end) are n NULs with lo <= n <= hi. */
static int nuls(const char *p, const char *end, size_t lo, size_t hi) {
  size_t n = (size_t)(end - p);
  if (end < p || n < lo || n > hi)
    return 0;
  for (; p < end; p++)
    if (*p)
      return 0;
  return 1;
}

/* Each line [key, next key) of the block [b, e) must be the name, its
 * colon (now a NUL), blanks, the value and one line end (CRLF or LF, now
 * NULs); the last line also the empty line closing the header. */
static const char *check_lines(const scan *s, const char *b, const char *e) {
  for (size_t i = 0; i < s->n; i++) {
    const line *l = &s->lines[i];
    const char *next = i + 1 < s->n ? s->lines[i + 1].key : e;
    if (l->key < b || next > e || l->key >= next)
      return "a header line folded onto the next, or out of order";
    const char *v = l->key + l->klen;
    if (v >= next || *v)
      return "a malformed header line";
    for (v++; v < next && (*v == ' ' || *v == '\t'); v++)
      ;
    if (l->vlen && v != l->value)
      return "a malformed header line";
    v += l->vlen;
    int last = i + 1 == s->n;
    if (!nuls(v, next, last ? 2 : 1, last ? 4 : 2))
      return "a NUL byte inside a header line";
  }
  return NULL;
}

void vf_heads_read(struct MHD_Connection *c, const char *request,
                   vf_heads *h) {
  memset(h, 0, sizeof *h);
  scan s = {.h = h};
  MHD_get_connection_values_n(c, MHD_HEADER_KIND, take, &s);
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
  if (h->bad_lines || !s.n || !ci || !request)
    return;
  const char *b = request, *e = request + ci->header_size;
  /* A library that copies the lines out of its buffer checks NULs itself
   * (libmicrohttpd >= 0.9.76): there is nothing to look at here. */
  if (s.lines[0].key < b || s.lines[0].key >= e)
    return;
  h->bad_lines = check_lines(&s, b, e);
}

const char *vf_heads_refusal(const vf_heads *h, int *status) {
  const char *why = h->bad_lines;
  if (!why && h->content_length > 1)
    why = "more than one Content-Length header";
  if (!why && h->content_length && h->transfer_encoding)
    why = "both Content-Length and Transfer-Encoding: the body's length is "
          "ambiguous";
  if (why) {
    *status = 400;
    return why;
  }
  if (h->transfer_encoding > 1 || (h->transfer_encoding && !h->chunked)) {
    *status = 501;
    return "the only Transfer-Encoding taken is \"chunked\"";
  }
  return NULL;
}
