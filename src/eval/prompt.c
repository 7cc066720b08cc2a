/*
 * prompt.c: one IFEval-style prompt (its instructions and their checkers:
 * IFEval's, or another family's such as IFBench's, whose evaluation_lib.py
 * is IFEval's) and its evaluation under the official strict and loose rules.
 *
 * Loose mode tries eight variants of the response; variants equal to an
 * earlier one are skipped (a check is a pure function of its text, so they
 * could only repeat an earlier failure), and the strict verdict is reused
 * for the first variant, which is the response itself.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"
#include "eval/eval.h"

struct vf_prompt {
  long long key;   /* an integer key, else -1 */
  char key_text[64]; /* the key as written (IFBench's are strings), cut */
  char *text;
  size_t text_len;
  size_t n;
  vf_checker **chk;
};

void vf_prompt_free(vf_prompt *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->n; i++)
    vf_checker_free(p->chk[i]);
  free(p->chk);
  free(p->text);
  free(p);
}

const char *vf_prompt_text(const vf_prompt *p) { return p->text; }
size_t vf_prompt_text_len(const vf_prompt *p) { return p->text_len; }
long long vf_prompt_key(const vf_prompt *p) { return p->key; }
const char *vf_prompt_key_text(const vf_prompt *p) { return p->key_text; }
size_t vf_prompt_count(const vf_prompt *p) { return p->n; }
const vf_checker *vf_prompt_checker(const vf_prompt *p, size_t i) {
  return i < p->n ? p->chk[i] : NULL;
}

vf_checker *vf_prompt_take_checker(vf_prompt *p, size_t i) {
  vf_checker *c = p->chk[i];
  p->chk[i] = NULL;
  return c;
}

/* Builds the checkers of a parsed input_data object. */
static vf_status build(const vf_ctx *ctx, const char *family, vf_prompt *p,
                       const json_t *ids, const json_t *kwargs,
                       const char *where, vf_error *err) {
  p->n = json_array_size(ids);
  p->chk = calloc(p->n ? p->n : 1, sizeof *p->chk);
  if (!p->chk)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  for (size_t i = 0; i < p->n; i++) {
    const json_t *id = json_array_get(ids, i);
    if (!json_is_string(id))
      return vf_set_error(err, VF_EJSON,
                          "%s: field 'instruction_id_list'[%zu] must be a "
                          "string",
                          where, i);
    const json_t *kw = kwargs ? json_array_get(kwargs, i) : NULL;
    vf_error e2;
    vf_status st = vf_checker_from_json(ctx, family, json_string_value(id),
                                        kw, &p->chk[i], &e2);
    if (st)
      return vf_set_error(err, st, "%s: field '%s'[%zu]: %s", where,
                          st == VF_EUNKNOWN_ID ? "instruction_id_list"
                                               : "kwargs",
                          i, e2.msg);
  }
  return VF_OK;
}

/* The key: an integer, a string (IFBench's "0", "1", ...; an integral one
 * also gives vf_prompt_key its value), or none (-1, ""). */
static void set_key(vf_prompt *p, const json_t *key) {
  p->key = json_is_integer(key) ? json_integer_value(key) : -1;
  if (json_is_integer(key)) {
    snprintf(p->key_text, sizeof p->key_text, "%lld", p->key);
  } else if (json_is_string(key)) {
    snprintf(p->key_text, sizeof p->key_text, "%s", json_string_value(key));
    char *end;
    long long k = strtoll(p->key_text, &end, 10);
    if (end != p->key_text && !*end)
      p->key = k;
  }
}

vf_status vf_prompt_from_json(const vf_ctx *ctx, const char *family,
                              const void *obj_, const char *where,
                              vf_prompt **out, vf_error *err) {
  const json_t *obj = obj_;
  *out = NULL;
  if (!json_is_object(obj))
    return vf_set_error(err, VF_EJSON, "%s: expected a JSON object", where);
  const json_t *text = json_object_get(obj, "prompt");
  const json_t *ids = json_object_get(obj, "instruction_id_list");
  const json_t *kwargs = json_object_get(obj, "kwargs");
  const json_t *key = json_object_get(obj, "key");
  if (!json_is_string(text))
    return vf_set_error(err, VF_EJSON, "%s: field 'prompt' %s", where,
                        text ? "must be a string" : "is missing");
  if (!json_is_array(ids))
    return vf_set_error(err, VF_EJSON,
                        "%s: field 'instruction_id_list' %s", where,
                        ids ? "must be a list" : "is missing");
  if (kwargs && !json_is_null(kwargs) &&
      (!json_is_array(kwargs) ||
       json_array_size(kwargs) != json_array_size(ids)))
    return vf_set_error(err, VF_EJSON,
                        "%s: field 'kwargs' must be a list as long as "
                        "'instruction_id_list' (%zu)",
                        where, json_array_size(ids));
  if (key && !json_is_null(key) && !json_is_integer(key) &&
      !json_is_string(key))
    return vf_set_error(err, VF_EJSON,
                        "%s: field 'key' must be an integer or a string",
                        where);
  vf_prompt *p = calloc(1, sizeof *p);
  if (!p)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  set_key(p, key);
  p->text_len = json_string_length(text);
  p->text = malloc(p->text_len + 1);
  vf_status st = p->text ? VF_OK : vf_set_error(err, VF_ENOMEM, "out of memory");
  if (!st) {
    memcpy(p->text, json_string_value(text), p->text_len + 1);
    st = build(ctx, family, p, ids, json_is_array(kwargs) ? kwargs : NULL,
               where, err);
  }
  if (st) {
    vf_prompt_free(p);
    return st;
  }
  *out = p;
  return VF_OK;
}

vf_status vf_prompt_parse(const vf_ctx *ctx, const char *json, size_t len,
                          const char *where, vf_prompt **out, vf_error *err) {
  json_error_t je;
  *out = NULL;
  if (!where)
    where = "input";
  json_t *obj = json_loadb(json, len, JSON_ALLOW_NUL, &je);
  if (!obj)
    return vf_set_error(err, VF_EJSON, "%s: malformed JSON: %s (column %d)",
                        where, je.text, je.column);
  vf_status st = vf_prompt_from_json(ctx, "ifeval", obj, where, out, err);
  json_decref(obj);
  return st;
}

/* ---- evaluation -------------------------------------------------------- */

enum { NVAR = 8 };

typedef struct variants {
  const char *s[NVAR];
  size_t n[NVAR];
  bool skip[NVAR]; /* blank, or equal to an earlier variant */
  vf_buf star;     /* the response without its '*'s */
} variants;

/* s without its '*'s, copied a run at a time. */
static int remove_stars(const char *s, size_t n, vf_buf *out) {
  if (vf_buf_reserve(out, n))
    return -1;
  for (size_t i = 0; i < n;) {
    const char *p = memchr(s + i, '*', n - i);
    size_t j = p ? (size_t)(p - s) : n;
    memcpy(out->data + out->len, s + i, j - i);
    out->len += j - i;
    i = j + 1;
  }
  out->data[out->len] = '\0';
  return 0;
}

static size_t count_stars(const char *s, size_t n) {
  size_t k = 0;
  for (const char *p = memchr(s, '*', n); p;
       p = memchr(p + 1, '*', n - (size_t)(p + 1 - s)))
    k++;
  return k;
}

/* The eight texts of test_instruction_following_loose(), in its order.
 * Removing '*'s commutes with slicing, so each '*'-free variant is a
 * slice of the one '*'-free copy of the response. */
static int make_variants(const char *r, size_t n, variants *v) {
  const char *nl1 = memchr(r, '\n', n);
  const char *nl2 = nl1 ? memrchr(r, '\n', n) : NULL;
  size_t fb = nl1 ? (size_t)(nl1 - r) + 1 : n, fe = n; /* r[1:] */
  size_t lb = 0, le = nl2 ? (size_t)(nl2 - r) : 0;     /* r[:-1] */
  size_t bb = fb, be = nl2 && nl2 != nl1 ? le : fb;    /* r[1:-1] */
  vf_py_strip(r, &fb, &fe);
  vf_py_strip(r, &lb, &le);
  if (be < bb)
    be = bb;
  vf_py_strip(r, &bb, &be);
  const size_t spans[4][2] = {{0, n}, {fb, fe}, {lb, le}, {bb, be}};
  bool stars = memchr(r, '*', n) != NULL;
  v->s[0] = r, v->n[0] = n;
  for (int k = 1; k < 4; k++)
    v->s[k + 1] = r + spans[k][0], v->n[k + 1] = spans[k][1] - spans[k][0];
  if (stars && remove_stars(r, n, &v->star))
    return -1;
  for (int k = 0; k < 4; k++) {
    int slot = k == 0 ? 1 : k + 4;
    size_t b = spans[k][0], len = spans[k][1] - spans[k][0];
    if (!stars) {
      v->s[slot] = r + b, v->n[slot] = len;
      continue;
    }
    v->s[slot] = v->star.data + (b - count_stars(r, b));
    v->n[slot] = len - count_stars(r + b, len);
  }
  for (int i = 0; i < NVAR; i++) {
    v->skip[i] = vf_py_isblank(v->s[i], v->n[i]);
    for (int j = 0; j < i && !v->skip[i]; j++)
      v->skip[i] = v->n[i] == v->n[j] && !memcmp(v->s[i], v->s[j], v->n[i]);
  }
  return 0;
}

static void free_variants(variants *v) { vf_buf_free(&v->star); }

/* One check of one text; *v receives the verdict. */
static vf_status run_one(const vf_checker *c, const char *s, size_t n,
                         vf_verdict *v, vf_error *err) {
  vf_error e2;
  memset(v, 0, sizeof *v);
  vf_status st = c->def->check(c, s, n, v, &e2);
  if (st)
    return vf_set_error(err, st, "instruction '%s': %s", c->def->id, e2.msg);
  return VF_OK;
}

/* Checker c under both rules: strict on the response (variant 0), loose
 * on the first variant that passes; why gets the strict verdict. */
static vf_status eval_checker(const vf_checker *c, const variants *v,
                              unsigned char out[3], vf_verdict *why,
                              vf_error *err) {
  vf_verdict r = {0};
  bool pass = false, rl = false;
  vf_status st = VF_OK;
  if (!v->skip[0])
    st = run_one(c, v->s[0], v->n[0], &r, err);
  pass = r.pass != 0;
  out[0] = pass;
  out[2] = (unsigned char)r.raised; /* strict raised */
  rl = r.raised;
  if (why)
    *why = r;
  for (int k = 1; k < NVAR && !pass && !st; k++) {
    if (v->skip[k])
      continue;
    vf_verdict lv;
    st = run_one(c, v->s[k], v->n[k], &lv, err);
    pass = !st && lv.pass;
    rl = rl || lv.raised;
  }
  out[1] = pass;
  out[2] |= (unsigned char)((rl && !pass) << 1); /* loose raised */
  return st;
}

vf_status vf_prompt_eval(const vf_prompt *p, const char *response, size_t len,
                         unsigned char *strict, unsigned char *loose,
                         vf_error *err) {
  return vf_eval_checkers((const vf_checker *const *)p->chk, p->n, response,
                          len, strict, loose, NULL, NULL, err);
}

/* vf_eval_checkers on a response known to be valid UTF-8. */
static vf_status eval_valid(const vf_checker *const *chk, size_t n,
                            const char *response, size_t len,
                            unsigned char *strict, unsigned char *loose,
                            unsigned char *raised, vf_verdict *why,
                            vf_error *err) {
  variants v;
  memset(&v, 0, sizeof v);
  if (make_variants(response, len, &v)) {
    free_variants(&v);
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  }
  vf_status st = VF_OK;
  for (size_t i = 0; i < n && !st; i++) {
    unsigned char out[3] = {0, 0, 0};
    if (chk[i])
      st = eval_checker(chk[i], &v, out, why ? &why[i] : NULL, err);
    strict[i] = out[0];
    loose[i] = out[1];
    if (raised) {
      raised[i] = out[2] & 1;
      raised[n + i] = out[2] >> 1;
    }
  }
  free_variants(&v);
  return st;
}

vf_status vf_prompt_eval_raised(const vf_prompt *p, const char *response,
                                size_t len, unsigned char *strict,
                                unsigned char *loose, unsigned char *raised,
                                vf_error *err) {
  return eval_valid((const vf_checker *const *)p->chk, p->n, response, len,
                    strict, loose, raised, NULL, err);
}

vf_status vf_eval_checkers(const vf_checker *const *chk, size_t n,
                           const char *response, size_t len,
                           unsigned char *strict, unsigned char *loose,
                           unsigned char *raised, vf_verdict *why,
                           vf_error *err) {
  size_t bad;
  if (!vf_utf8_valid(response, len, &bad))
    return vf_set_error(err, VF_EUTF8,
                        "response is not valid UTF-8 (byte offset %zu)", bad);
  return eval_valid(chk, n, response, len, strict, loose, raised, why, err);
}
