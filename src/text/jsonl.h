/*
 * jsonl.h: a fast path for the commonest JSONL line: a flat object whose
 * wanted fields are strings ({"prompt": "...", "response": "..."}).  It
 * decodes those fields straight into buffers, several times faster than
 * building a jansson tree.  Anything it does not handle (nesting, invalid
 * input) returns "not handled", and the caller parses the line with jansson,
 * which also produces the error message: the fast path never decides that
 * a line is bad.  vf_jsonl_tree() does the same for whole trees.
 */
#ifndef VF_JSONL_H
#define VF_JSONL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "text/text.h"

/* Scans a line that must hold one JSON object with only scalar values.
 * For each i < nkeys, out[i] receives the decoded UTF-8 of string field
 * keys[i] and found[i] whether it was present (the last occurrence wins).
 * Returns true when the line was handled; false means "use jansson". */
bool vf_jsonl_flat(const char *line, size_t len, const char *const *keys,
                   size_t nkeys, vf_buf *out, bool *found);

/* The jansson tree json_loadb(line, len, JSON_ALLOW_NUL) would build, for
 * a line holding one object of strings, integers of up to 18 digits,
 * reals written int.digits (no exponent; IFBench's kwargs have 4.0),
 * literals, arrays and objects (nested up to 32 deep), built without
 * jansson's byte-at-a-time lexer.  NULL means "use jansson": anything else
 * (exponents, long numbers, a NUL escape, deeper nesting, every error). */
json_t *vf_jsonl_tree(const char *line, size_t len);

/* vf_jsonl_tree with the members whose value is null left out of every
 * object (a later null member removes an earlier one of the same key), for
 * readers to whom a null member means an absent one: IFBench's and Hugging
 * Face's IFEval rows carry every kwarg name, null where unused. */
json_t *vf_jsonl_tree_sparse(const char *line, size_t len);

#endif
