/*
 * pyjson.h: the pieces of Python's json module and float repr that verif
 * must reproduce byte for byte: json.loads() acceptance (for the JSON
 * format check), json.dumps() string escaping with ensure_ascii (for the
 * official eval_results files) and repr(float) (for the official report).
 */
#ifndef VF_PYJSON_H
#define VF_PYJSON_H

#include <stdbool.h>
#include <stddef.h>

#include "text/text.h"

/* True when Python's json.loads() accepts s (valid UTF-8): any top-level
 * value, NaN/Infinity/-Infinity, duplicate keys; no BOM, no trailing
 * commas, no raw control characters inside strings. */
bool vf_pyjson_valid(const char *s, size_t len);

/* Appends json.dumps(s) (quotes included, ensure_ascii=True). 0 or -1. */
int vf_pyjson_dump_str(vf_buf *out, const char *s, size_t len);

/* Writes repr(x) as Python prints a float ("0.8", "1.0", "1e-05") into
 * buf (at least 32 bytes). */
void vf_py_float_repr(double x, char *buf, size_t size);

#endif
