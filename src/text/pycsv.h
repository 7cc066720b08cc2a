/*
 * pycsv.h: Python's csv.reader (CPython 3.11's _csv.c, default dialect
 * "excel" with a chosen delimiter: quotechar '"', doublequote, no escape
 * character, not strict, field_size_limit 131072) over the lines of
 * io.StringIO(text), which end at '\n' only.  Used by IFBench's custom:csv_*
 * checks.
 */
#ifndef VF_PYCSV_H
#define VF_PYCSV_H

#include <stddef.h>

#include "text/text.h"

/* The rows read: field k is text.data[fb[k], fe[k]); row i holds fields
 * [row[i], row[i + 1]).  Zero-initialise; free with vf_csv_free. */
typedef struct vf_csv {
  vf_buf text;
  size_t *fb, *fe, nfields, capf;
  size_t *row, nrows, capr;
  const char *error; /* the csv.Error message when reading raised */
} vf_csv;

/* list(csv.reader(io.StringIO(s), delimiter=delim)).  Returns 0 (read),
 * 1 (csv.Error: out->error says which; the rows before it are kept), or
 * -1 when out of memory. */
int vf_csv_read(const char *s, size_t len, char delim, vf_csv *out);
void vf_csv_free(vf_csv *c);

/* Row i's field k (k < its count) as a span. */
size_t vf_csv_row_len(const vf_csv *c, size_t i);
const char *vf_csv_field(const vf_csv *c, size_t i, size_t k, size_t *len);

#endif /* VF_PYCSV_H */
