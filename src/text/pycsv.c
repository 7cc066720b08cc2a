/*
 * pycsv.c: the csv.reader state machine of CPython 3.11 (_csv.c,
 * parse_process_char) for the excel dialect without an escape character.
 *
 * Each line of the input (up to and including '\n') is fed character by
 * character, then an end-of-line marker; a record ends when the machine is
 * back at START_RECORD after a line.  The special characters are ASCII, so
 * bytes are fed and the field limit counts code points (bytes that start
 * one).  A quoted field runs across lines; at the end of the input an
 * unfinished field is saved (the dialect is not strict).
 */
#include "text/pycsv.h"

#include <stdlib.h>
#include <string.h>

enum { FIELD_LIMIT = 128 * 1024, EOL = -2 };

typedef enum {
  START_RECORD,
  START_FIELD,
  IN_FIELD,
  IN_QUOTED_FIELD,
  QUOTE_IN_QUOTED_FIELD,
  EAT_CRNL
} state;

typedef struct parser {
  vf_csv *out;
  char delim;
  state st;
  size_t field_start, field_cps;
} parser;

static int push_size(size_t **a, size_t *n, size_t *cap, size_t v) {
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 16;
    size_t *p = realloc(*a, c * sizeof *p);
    if (!p)
      return -1;
    *a = p, *cap = c;
  }
  (*a)[(*n)++] = v;
  return 0;
}

static int save_field(parser *p) {
  vf_csv *o = p->out;
  if (o->nfields == o->capf) {
    size_t cap = o->capf ? o->capf * 2 : 16;
    size_t *fb = realloc(o->fb, cap * sizeof *fb);
    if (!fb)
      return -1;
    o->fb = fb;
    size_t *fe = realloc(o->fe, cap * sizeof *fe);
    if (!fe)
      return -1;
    o->fe = fe, o->capf = cap;
  }
  o->fb[o->nfields] = p->field_start;
  o->fe[o->nfields++] = o->text.len;
  p->field_start = o->text.len;
  p->field_cps = 0;
  return 0;
}

/* 0, -1 ENOMEM, 1 field too large. */
static int add_char(parser *p, char ch) {
  if (((unsigned char)ch & 0xC0) != 0x80 && p->field_cps++ >= FIELD_LIMIT)
    return 1;
  return vf_buf_putc(&p->out->text, ch);
}

static const char *const eat_crnl_error =
    "new-line character seen in unquoted field - do you need to open the "
    "file in universal-newline mode?";
static const char *const limit_error = "field larger than field limit (131072)";

static bool crlf(int c) { return c == '\n' || c == '\r'; }

/* Saves the field and moves to START_RECORD (at EOL) or EAT_CRNL. */
static int end_field_line(parser *p, int c) {
  p->st = c == EOL ? START_RECORD : EAT_CRNL;
  return save_field(p);
}

/* One character (or EOL): 0, -1 ENOMEM, 1 csv.Error (error set). */
static int feed(parser *p, int c) {
  switch (p->st) {
  case START_RECORD:
    if (c == EOL)
      return 0;
    if (crlf(c)) {
      p->st = EAT_CRNL;
      return 0;
    }
    p->st = START_FIELD;
    /* fall through */
  case START_FIELD:
    if (crlf(c) || c == EOL)
      return end_field_line(p, c);
    if (c == '"') {
      p->st = IN_QUOTED_FIELD;
      return 0;
    }
    if (c == p->delim)
      return save_field(p);
    p->st = IN_FIELD;
    return add_char(p, (char)c);
  case IN_FIELD:
    if (crlf(c) || c == EOL)
      return end_field_line(p, c);
    if (c == p->delim) {
      p->st = START_FIELD;
      return save_field(p);
    }
    return add_char(p, (char)c);
  case IN_QUOTED_FIELD:
    if (c == EOL)
      return 0;
    if (c == '"') {
      p->st = QUOTE_IN_QUOTED_FIELD;
      return 0;
    }
    return add_char(p, (char)c);
  case QUOTE_IN_QUOTED_FIELD:
    if (c == '"') {
      p->st = IN_QUOTED_FIELD;
      return add_char(p, '"');
    }
    if (c == p->delim) {
      p->st = START_FIELD;
      return save_field(p);
    }
    if (crlf(c) || c == EOL)
      return end_field_line(p, c);
    p->st = IN_FIELD;
    return add_char(p, (char)c);
  case EAT_CRNL:
    if (crlf(c))
      return 0;
    if (c == EOL) {
      p->st = START_RECORD;
      return 0;
    }
    p->out->error = eat_crnl_error;
    return 1;
  }
  return 0;
}

static int end_row(parser *p) {
  vf_csv *o = p->out;
  return push_size(&o->row, &o->nrows, &o->capr, o->nfields);
}

/* One line, then EOL; *done when the record is complete. */
static int feed_line(parser *p, const char *s, size_t n, bool *done) {
  for (size_t i = 0; i < n; i++) {
    int rc = feed(p, (unsigned char)s[i]);
    if (rc)
      return rc;
  }
  int rc = feed(p, EOL);
  *done = p->st == START_RECORD;
  return rc;
}

static int finish(parser *p, int rc) {
  vf_csv *o = p->out;
  if (rc == 1 && !o->error)
    o->error = limit_error;
  /* row[] holds each row's first field; close the list */
  if (rc >= 0 && push_size(&o->row, &o->nrows, &o->capr, o->nfields))
    return -1;
  if (rc >= 0)
    o->nrows--;
  return rc;
}

int vf_csv_read(const char *s, size_t len, char delim, vf_csv *out) {
  parser p = {out, delim, START_RECORD, 0, 0};
  vf_buf_reset(&out->text);
  out->nfields = out->nrows = 0;
  out->error = NULL;
  size_t pos = 0;
  bool open = false;
  while (pos < len) {
    const char *nl = memchr(s + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - s) + 1 : len;
    if (!open && end_row(&p))
      return -1;
    open = true;
    bool done;
    int rc = feed_line(&p, s + pos, end - pos, &done);
    if (rc)
      return finish(&p, rc);
    open = !done;
    pos = end;
  }
  /* end of input inside a record: its unfinished field is kept */
  if (open && (out->text.len > p.field_start || p.st == IN_QUOTED_FIELD) &&
      save_field(&p))
    return -1;
  return finish(&p, 0);
}

void vf_csv_free(vf_csv *c) {
  vf_buf_free(&c->text);
  free(c->fb);
  free(c->fe);
  free(c->row);
  memset(c, 0, sizeof *c);
}

size_t vf_csv_row_len(const vf_csv *c, size_t i) {
  return c->row[i + 1] - c->row[i];
}

const char *vf_csv_field(const vf_csv *c, size_t i, size_t k, size_t *len) {
  size_t f = c->row[i] + k;
  *len = c->fe[f] - c->fb[f];
  return c->text.data ? c->text.data + c->fb[f] : "";
}
