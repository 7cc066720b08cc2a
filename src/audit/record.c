/*
 * record.c: what the audit writes per constraint and per item.  The JSONL
 * record of a constraint ({line, id, index, checker, category, kind,
 * audited, probes, passed, pass_rate, findings: [{kind, probe, detail,
 * witness, witness_bytes}], passed_probes, error}; the page's copy also
 * carries the function's source and longer witnesses), and the --filter
 * rewrite of an
 * item: flagged [rule] checkers dropped, or retagged [llm] with the
 * judge-calling function VerInstruct uses for [llm] checkers (IFEval ids
 * have no [llm] form and are dropped under either policy).
 */
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

#define WITNESS_SHORT 300
#define WITNESS_FULL 4000

static const char *const kind_names[VF_AUDIT_KIND_COUNT] = {
    [VF_AUDIT_VACUOUS] = "vacuous",
    [VF_AUDIT_NEVER_PASSES] = "never_passes",
    [VF_AUDIT_GAMEABLE] = "gameable",
    [VF_AUDIT_RAISES] = "raises",
    [VF_AUDIT_TIMEOUT] = "timeout",
    [VF_AUDIT_NONDETERMINISTIC] = "nondeterministic",
    [VF_AUDIT_READS_INSTRUCTION] = "reads_instruction",
    [VF_AUDIT_FOREIGN_IMPORT] = "foreign_import",
    [VF_AUDIT_TAG_MISMATCH] = "tag_mismatch",
    [VF_AUDIT_CONTRADICTION] = "contradiction",
    [VF_AUDIT_DUPLICATE] = "duplicate",
    [VF_AUDIT_REJECTS_SATISFYING] = "rejects_satisfying",
    [VF_AUDIT_ACCEPTS_VIOLATING] = "accepts_violating",
};

const char *vf_audit_kind_name(vf_audit_kind k) {
  return (unsigned)k < VF_AUDIT_KIND_COUNT ? kind_names[k] : NULL;
}

unsigned au_default_filter_kinds(void) {
  unsigned all = (1u << VF_AUDIT_KIND_COUNT) - 1;
  return all & ~(1u << VF_AUDIT_CONTRADICTION) & ~(1u << VF_AUDIT_DUPLICATE);
}

/* Length of the longest prefix of s[0..n) cut at most at max bytes on a
 * UTF-8 boundary. */
static size_t utf8_prefix(const char *s, size_t n, size_t max) {
  if (n <= max)
    return n;
  size_t i = max;
  while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
    i--;
  return i;
}

static const char *kind_of(const vf_constraint *c) {
  return c->kind == VF_CK_NATIVE   ? "native"
         : c->kind == VF_CK_PYTHON ? "rule"
                                   : "llm";
}

static json_t *finding_json(const au_row *r, const au_finding *f, bool full) {
  json_t *o = json_object();
  char name[64] = "";
  if (f->probe >= 0)
    au_probe_name(&r->p[f->probe], name, sizeof name);
  json_object_set_new(o, "kind", json_string(vf_audit_kind_name(f->kind)));
  json_object_set_new(o, "probe",
                      f->probe >= 0 ? json_string(name) : json_null());
  json_object_set_new(o, "detail", json_string(f->detail));
  if (f->probe >= 0) {
    const au_probe *p = &r->p[f->probe];
    size_t n =
        utf8_prefix(p->text, p->len, full ? WITNESS_FULL : WITNESS_SHORT);
    json_object_set_new(o, "witness", json_stringn(p->text, n));
    json_object_set_new(o, "witness_bytes", json_integer((json_int_t)p->len));
  }
  return o;
}

static json_t *source_json(const au_row *r, size_t k) {
  const vf_constraint *c = &r->it.c[k];
  if (c->code)
    return json_stringn(c->code, c->code_len);
  const json_t *kw = json_array_get(json_object_get(r->it.json, "kwargs"), k);
  char *s = kw ? json_dumps(kw, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
  vf_buf b = {0};
  if (vf_buf_printf(&b, "%s(**%s)", c->checker, s ? s : "{}")) {
    free(s);
    return NULL;
  }
  free(s);
  json_t *v = json_stringn(b.data, b.len);
  vf_buf_free(&b);
  return v;
}

/* The names of the phase-one probes run 1 passed. */
static json_t *passed_probes(const au_row *r, const au_fn *f) {
  json_t *a = json_array();
  for (size_t p = 0; f->audited && p < r->nphase1; p++) {
    char name[64];
    if (f->v1[p] != AU_PASS)
      continue;
    au_probe_name(&r->p[p], name, sizeof name);
    json_array_append_new(a, json_string(name));
  }
  return a;
}

static json_t *base(const au_row *r) {
  json_t *o = json_object();
  json_object_set_new(o, "line", json_integer((json_int_t)r->line));
  json_object_set(o, "id", r->it.id ? r->it.id : json_null());
  return o;
}

json_t *au_record(const au_row *r, size_t k, bool full) {
  const au_fn *f = &r->fn[k];
  json_t *o = base(r), *fs = json_array();
  size_t probes = f->audited ? r->nphase1 : 0;
  json_object_set_new(o, "index", json_integer((json_int_t)k));
  json_object_set_new(o, "checker", json_string(f->c->checker));
  json_object_set_new(o, "category", json_string(f->c->category));
  json_object_set_new(o, "kind", json_string(kind_of(f->c)));
  json_object_set_new(o, "audited", json_boolean(f->audited));
  json_object_set_new(o, "probes", json_integer((json_int_t)probes));
  json_object_set_new(o, "passed", json_integer((json_int_t)f->passed));
  json_object_set_new(o, "pass_rate",
                      probes ? json_real((double)f->passed / (double)probes)
                             : json_null());
  for (size_t i = 0; i < f->nf; i++)
    json_array_append_new(fs, finding_json(r, &f->f[i], full));
  json_object_set_new(o, "findings", fs);
  json_object_set_new(o, "passed_probes", passed_probes(r, f));
  if (full)
    json_object_set_new(o, "source", source_json(r, k));
  json_object_set_new(o, "error", json_null());
  return o;
}

json_t *au_error_record(const au_row *r) {
  json_t *o = base(r);
  json_object_set_new(o, "index", json_null());
  json_object_set_new(o, "checker", json_null());
  json_object_set_new(o, "findings", json_array());
  json_object_set_new(o, "error", json_string(r->it.err.msg));
  return o;
}

/* ---- --filter ------------------------------------------------------------ */

static bool flagged(const au_fn *f, unsigned kinds) {
  for (size_t i = 0; i < f->nf; i++)
    if (kinds & (1u << f->f[i].kind))
      return true;
  return false;
}

/* A Python string literal of s. */
static int py_literal(vf_buf *b, const char *s) {
  int rc = vf_buf_putc(b, '\'');
  for (; *s && !rc; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '\\' || c == '\'')
      rc = vf_buf_putc(b, '\\') || vf_buf_putc(b, (char)c);
    else if (c == '\n')
      rc = vf_buf_append(b, "\\n", 2);
    else if (c < 0x20 || c == 0x7f)
      rc = vf_buf_printf(b, "\\x%02x", c);
    else
      rc = vf_buf_putc(b, (char)c);
  }
  return rc || vf_buf_putc(b, '\'');
}

/* The [llm] form of a [rule] checker and its function. */
static int retag(json_t *checkers, json_t *functions, size_t i) {
  const char *text = json_string_value(json_array_get(checkers, i)) + 6;
  while (*text == ' ')
    text++;
  static const char head[] = "from llm_call import llm_score\n"
                             "def check_following(instruction, response):\n"
                             "    return llm_score(instruction, response, ";
  vf_buf c = {0}, f = {0};
  int rc = vf_buf_printf(&c, "[llm] %s", text) ||
           vf_buf_append(&f, head, sizeof head - 1) || py_literal(&f, text) ||
           vf_buf_append(&f, ")", 1);
  if (!rc)
    rc = json_array_set_new(checkers, i, json_stringn(c.data, c.len)) ||
         json_array_set_new(functions, i, json_stringn(f.data, f.len));
  vf_buf_free(&c);
  vf_buf_free(&f);
  return rc;
}

/* Rewrites two parallel lists; returns whether anything changed, -1 on
 * error. */
static int rewrite(const au_row *r, json_t *a, json_t *b, bool can_retag,
                   vf_audit_policy policy, unsigned kinds) {
  int changed = 0;
  for (size_t k = r->it.nc; k-- > 0;) {
    const au_fn *f = &r->fn[k];
    if (!flagged(f, kinds))
      continue;
    changed = 1;
    if (policy == VF_AUDIT_RETAG && can_retag && f->c->kind == VF_CK_PYTHON) {
      if (retag(a, b, k))
        return -1;
    } else if (json_array_remove(a, k) || json_array_remove(b, k)) {
      return -1;
    }
  }
  return changed;
}

char *au_filter_row(const au_row *r, vf_audit_policy policy, unsigned kinds,
                    bool *changed, int *err) {
  *changed = false;
  *err = 0;
  if (r->it.err.code)
    return NULL;
  json_t *doc = json_deep_copy(r->it.json), *gt = NULL;
  json_t *holder = doc;
  const char *ka = "checkers", *kb = "functions";
  if (r->it.ground_truth) {
    gt = json_deep_copy(r->it.ground_truth);
    holder = gt;
  } else if (json_object_get(doc, "instruction_id_list")) {
    ka = "instruction_id_list";
    kb = "kwargs";
  }
  int rc = doc && holder ? rewrite(r, json_object_get(holder, ka),
                                   json_object_get(holder, kb), ka[0] == 'c',
                                   policy, kinds)
                         : -1;
  char *out = NULL;
  if (rc > 0 && gt) {
    char *s = json_dumps(gt, JSON_ENSURE_ASCII);
    json_t *rm = json_object_get(doc, "reward_model");
    rc = s && !json_object_set_new(rm, "ground_truth", json_string(s)) ? 1 : -1;
    free(s);
  }
  if (rc > 0)
    out = json_dumps(doc, 0);
  *changed = rc > 0;
  *err = rc < 0 || (rc > 0 && !out);
  json_decref(gt);
  json_decref(doc);
  return out;
}
