/*
 * nemo_ifbench.c: what /verify needs for the rows of NeMo-Gym's ifbench
 * resources server (resources_servers/ifbench/app.py at NeMo-Gym 07d6b0d):
 * telling its rows from instruction_following's (by their ids: IFBench's
 * registry and NeMo's IFEvalG registry share none), and the eight loose
 * variants of a response (_loose_response_variants, as IFBench's
 * evaluation_lib makes them), blank ones left out.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"
#include "server/server.h"

/* 1 when id resolves in family (a qualified id in its own). */
static int in_family(const char *family, const char *id) {
  const vf_checkdef *def;
  vf_error err;
  return vf_checks_lookup(family, id, &def, NULL, &err) == VF_OK;
}

int vf_nemo_ifbench_row(const json_t *ids, size_t n) {
  static const char ifb[] = "ifbench", ifg[] = "ifevalg";
  int some = 0;
  if (!vf_checks_family_named(ifb, strlen(ifb)))
    return 0;
  for (size_t i = 0; i < n; i++) {
    const char *id = json_string_value(json_array_get(ids, i));
    if (!id)
      continue;
    if (vf_checks_family_named(ifg, strlen(ifg)) && in_family(ifg, id))
      return 0;
    some |= in_family(ifb, id);
  }
  return some;
}

/* Appends s[b..e) without its '*'s (stars) or as it is, when not blank. */
static int add_variant(json_t *out, const char *s, size_t b, size_t e,
                       int stars) {
  vf_buf v = {0};
  int rc = 0;
  for (size_t i = b; i < e && !rc; i++)
    if (!stars || s[i] != '*')
      rc = vf_buf_putc(&v, s[i]);
  if (!rc && !vf_py_isblank(v.data ? v.data : "", v.len))
    rc = json_array_append_new(out, json_stringn(v.data, v.len));
  vf_buf_free(&v);
  return rc;
}

json_t *vf_nemo_loose_variants(const char *r, size_t n) {
  const char *nl1 = memchr(r, '\n', n);
  const char *nl2 = nl1 ? memrchr(r, '\n', n) : NULL;
  /* "\n".join(r.split("\n")[1:]), [:-1] and [1:-1], each .strip()ped */
  size_t fb = nl1 ? (size_t)(nl1 - r) + 1 : n, fe = n;
  size_t lb = 0, le = nl2 ? (size_t)(nl2 - r) : 0;
  size_t bb = fb, be = nl2 && nl2 != nl1 ? le : fb;
  vf_py_strip(r, &fb, &fe);
  vf_py_strip(r, &lb, &le);
  vf_py_strip(r, &bb, &be);
  const size_t span[8][3] = {{0, n, 0},   {0, n, 1},   {fb, fe, 0},
                             {lb, le, 0}, {bb, be, 0}, {fb, fe, 1},
                             {lb, le, 1}, {bb, be, 1}};
  json_t *out = json_array();
  for (int k = 0; out && k < 8; k++)
    if (add_variant(out, r, span[k][0], span[k][1], (int)span[k][2])) {
      json_decref(out);
      return NULL;
    }
  return out;
}
