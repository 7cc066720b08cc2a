/*
 * pylit.h: ast.literal_eval for the literals data sets are written in
 * (open-instruct's ground truths are Python reprs: "[{'instruction_id':
 * [...], 'kwargs': [{'N': 3, 'x': None}]}]"), read into a jansson tree.
 * Dicts (string keys), lists, tuples (as lists), strings (quotes, triple
 * quotes, r/u prefixes, escapes, adjacent strings joined), integers and
 * floats (signs, underscores, hex/octal/binary integers; integers within
 * 64 bits), True, False, None.  JSON's true, false and null are accepted
 * too, so a JSON text parses the same as with json.loads.  Not read:
 * \N{name} escapes, bytes, sets, complex numbers, non-string keys.
 */
#ifndef VF_PYLIT_H
#define VF_PYLIT_H

#include <jansson.h>
#include <stddef.h>

/* Parses s[0..len) (valid UTF-8) as one literal.  Returns a new tree, or
 * NULL with a message naming the byte offset in err[0..errcap). */
json_t *vf_pylit_parse(const char *s, size_t len, char *err, size_t errcap);

#endif /* VF_PYLIT_H */
