/*
 * jsonl.h: a fast path for the commonest JSONL line: a flat object whose
 * wanted fields are strings ({"prompt": "...", "response": "..."}).  It
 * decodes those fields straight into buffers, several times faster than
 * building a jansson tree.  Anything it does not handle (nesting, invalid
 * input) returns "not handled", and the caller parses the line with jansson,
 * which also produces the error message: the fast path never decides that
 * a line is bad.
 */
#ifndef VF_JSONL_H
#define VF_JSONL_H

#include <stdbool.h>
#include <stddef.h>

#include "text/text.h"

/* Scans a line that must hold one JSON object with only scalar values.
 * For each i < nkeys, out[i] receives the decoded UTF-8 of string field
 * keys[i] and found[i] whether it was present (the last occurrence wins).
 * Returns true when the line was handled; false means "use jansson". */
bool vf_jsonl_flat(const char *line, size_t len, const char *const *keys,
                   size_t nkeys, vf_buf *out, bool *found);

#endif
