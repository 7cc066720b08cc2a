/*
 * item_oi.c: open-instruct's instruction-following items (item.c hands
 * them over):
 *   ground truths  {"instruction_id": [...], "kwargs": [...]}, scored with
 *                  the ifevalg family (open_instruct/ground_truth_utils.py,
 *                  IFEvalVerifier)
 *   RLVR-IFeval    {"func_name": "...", kwarg: value, ...}, scored with the
 *                  tulu3 family (IFEvalVerifierOld and if_functions.py)
 * either bare (a label), or as an open-instruct row's "ground_truth" (a
 * JSON string, a Python repr as ast.literal_eval reads it, or an object;
 * a list's first entry, itself maybe a JSON string), or inside a verl row's
 * reward_model.ground_truth.  As open-instruct does, the response is first
 * passed through remove_thinking_section (drop "<|assistant|>", strip, keep
 * what follows the last "</think>", drop "<answer>"/"</answer>", strip).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reward/reward.h"
#include "text/pylit.h"

static void oi_error(vf_item *it, vf_status code, const char *where,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void oi_error(vf_item *it, vf_status code, const char *where,
                     const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  vf_set_error(&it->err, code, "%s: %s", where, msg);
  it->err_kind = VF_IE_OI_LABEL;
}

bool vf_oi_is_label(const json_t *g) {
  return json_is_array(g) ||
         (json_is_object(g) && (json_object_get(g, "instruction_id") ||
                                json_object_get(g, "func_name")));
}

/* The constraint object of a label: a JSON/Python text is parsed, a
 * list's first entry taken (a string there is JSON).  A new reference, or
 * NULL with *why set. */
static json_t *label_object(const json_t *label, const char **why) {
  char perr[160];
  json_t *v = json_is_string(label)
                  ? vf_pylit_parse(json_string_value(label),
                                   json_string_length(label), perr,
                                   sizeof perr)
                  : json_incref((json_t *)label);
  *why = v ? NULL : "is neither JSON nor a Python literal";
  if (json_is_array(v)) {
    json_t *first = json_incref(json_array_get(v, 0));
    json_decref(v);
    v = first;
    *why = v ? NULL : "is an empty list";
  }
  if (json_is_string(v)) {
    json_t *inner = json_loads(json_string_value(v), 0, NULL);
    json_decref(v);
    v = inner;
    *why = v ? NULL : "holds a string that is not JSON";
  }
  if (v && !vf_oi_is_label(v)) {
    json_decref(v);
    v = NULL;
    *why = "has neither 'instruction_id' nor 'func_name'";
  }
  return v;
}

static bool alloc_constraints(vf_item *it, size_t n) {
  it->c = calloc(n ? n : 1, sizeof *it->c);
  it->nc = it->c ? n : 0;
  if (!it->c)
    vf_set_error(&it->err, VF_ENOMEM, "out of memory");
  return it->c != NULL;
}

/* One native constraint of id with a kwargs object (or NULL). */
static void add_native(const vf_ctx *ctx, const char *family, vf_item *it,
                       size_t i, const char *id, const json_t *kw,
                       const char *where, const char *field) {
  vf_constraint *k = &it->c[i];
  vf_error e = {0};
  vf_status st = vf_checker_from_json(ctx, family, id, kw, &k->native, &e);
  if (st)
    return oi_error(it, st, where, "field '%s': %s", field, e.msg);
  k->kind = VF_CK_NATIVE;
  k->checker = strdup(vf_checker_id(k->native));
  k->category = k->checker ? strdup(k->checker) : NULL;
  if (!k->checker || !k->category)
    vf_set_error(&it->err, VF_ENOMEM, "out of memory");
}

/* {"instruction_id": [...], "kwargs": [...]}: entry i is one check. */
static void read_ids(const vf_ctx *ctx, const char *family, vf_item *it,
                     const json_t *o, const char *where, const char *f) {
  const json_t *ids = json_object_get(o, "instruction_id");
  const json_t *kws = json_object_get(o, "kwargs");
  if (!json_is_array(ids) || (kws && !json_is_null(kws) && !json_is_array(kws)))
    return oi_error(it, VF_EJSON, where, "field '%s%s' must be a list", f,
                    json_is_array(ids) ? "kwargs" : "instruction_id");
  size_t n = json_array_size(ids);
  if (json_is_array(kws) && json_array_size(kws) != n)
    return oi_error(it, VF_EJSON, where,
                    "field '%skwargs' has %zu entries, 'instruction_id' has "
                    "%zu",
                    f, json_array_size(kws), n);
  if (!alloc_constraints(it, n))
    return;
  for (size_t i = 0; i < n && !it->err.code; i++) {
    const json_t *id = json_array_get(ids, i), *kw = json_array_get(kws, i);
    char field[160];
    snprintf(field, sizeof field, "%s%s[%zu]", f,
             json_is_string(id) ? "kwargs" : "instruction_id", i);
    if (!json_is_string(id) || (kw && !json_is_null(kw) && !json_is_object(kw)))
      return oi_error(it, VF_EJSON, where, "field '%s' must be %s", field,
                      json_is_string(id) ? "an object or null" : "a string");
    add_native(ctx, family ? family : "ifevalg", it, i, json_string_value(id),
               json_is_object(kw) ? kw : NULL, where, field);
  }
}

/* The keys of a bare func_name item that are the item's, not kwargs. */
static const char *const item_keys[] = {
    "id",       "key",       "prompt",     "messages",    "response",
    "responses", "verbatim", "judge_url", "judge_model", NULL};

/* {"func_name": ..., kwargs...}: one check of the tulu3 family; in a bare
 * item (o is the item itself) the item's own keys are not kwargs. */
static void read_func(const vf_ctx *ctx, const char *family, vf_item *it,
                      const json_t *o, const char *where, const char *f) {
  const json_t *name = json_object_get(o, "func_name");
  if (!json_is_string(name))
    return oi_error(it, VF_EJSON, where, "field '%sfunc_name' must be a string",
                    f);
  json_t *kw = json_deep_copy(o);
  for (const char *const *k = item_keys; kw && o == it->json && *k; k++)
    json_object_del(kw, *k);
  if (!kw || json_object_del(kw, "func_name") || !alloc_constraints(it, 1)) {
    json_decref(kw);
    if (!it->err.code)
      vf_set_error(&it->err, VF_ENOMEM, "out of memory");
    return;
  }
  char field[160];
  snprintf(field, sizeof field, "%sfunc_name", f);
  add_native(ctx, family ? family : "tulu3", it, 0, json_string_value(name),
             kw, where, field);
  it->verbatim = true; /* IFEvalVerifierOld has no empty-answer rule */
  json_decref(kw);
}

void vf_item_read_oi_label(const vf_ctx *ctx, const char *family, vf_item *it,
                           const json_t *label, const char *where,
                           const char *field) {
  const char *why;
  char f[80];
  json_t *o = label_object(label, &why);
  if (!o)
    return oi_error(it, VF_EJSON, where, "field '%s' %s", field, why);
  snprintf(f, sizeof f, "%s.", field);
  it->oi = true;
  if (json_object_get(o, "instruction_id"))
    read_ids(ctx, family, it, o, where, f);
  else
    read_func(ctx, family, it, o, where, f);
  json_decref(o);
}

/* The prompt: "prompt" as a string, else the last user message of a
 * "messages" (or "prompt") chat, else none (the checks do not read it). */
static void read_prompt(vf_item *it) {
  const json_t *p = json_object_get(it->json, "prompt");
  const json_t *msgs = json_is_array(p) ? p : json_object_get(it->json, "messages");
  if (json_is_string(p)) {
    it->prompt = json_string_value(p);
    it->prompt_len = json_string_length(p);
    return;
  }
  it->prompt = "";
  for (size_t i = 0; i < json_array_size(msgs); i++) {
    const json_t *m = json_array_get(msgs, i);
    const json_t *role = json_object_get(m, "role");
    const json_t *content = json_object_get(m, "content");
    if (json_is_string(role) && !strcmp(json_string_value(role), "user") &&
        json_is_string(content)) {
      it->prompt = json_string_value(content);
      it->prompt_len = json_string_length(content);
    }
  }
}

void vf_item_read_oi(const vf_ctx *ctx, const char *family, vf_item *it,
                     const char *where) {
  const json_t *gt = json_object_get(it->json, "ground_truth");
  read_prompt(it);
  if (gt)
    vf_item_read_oi_label(ctx, family, it, gt, where, "ground_truth");
  else /* a bare label: its own fields */
    vf_item_read_oi_label(ctx, family, it, it->json, where, "item");
}

/* ---- remove_thinking_section ------------------------------------------------ */

/* out = s.replace(from, "") for each of the NULL-terminated froms. */
static int remove_all(const char *s, size_t n, const char *const *from,
                      vf_buf *out) {
  vf_buf_reset(out);
  for (size_t i = 0; i < n;) {
    size_t k = 0;
    for (const char *const *f = from; *f && !k; f++)
      if (n - i >= strlen(*f) && !memcmp(s + i, *f, strlen(*f)))
        k = strlen(*f);
    if (k) {
      i += k;
      continue;
    }
    if (vf_buf_putc(out, s[i++]))
      return -1;
  }
  return 0;
}

/* Start of what follows the last "</think>" in s[b, e), or b. */
static size_t after_think(const char *s, size_t b, size_t e) {
  for (const char *p = memmem(s + b, e - b, "</think>", 8); p;
       p = memmem(s + b, e - b, "</think>", 8))
    b = (size_t)(p - s) + 8;
  return b;
}

/* open-instruct's remove_thinking_section(prediction) into a new string. */
static char *remove_thinking(const char *r, size_t n, size_t *len) {
  static const char *const assistant[] = {"<|assistant|>", NULL};
  static const char *const answer[] = {"<answer>", "</answer>", NULL};
  vf_buf a = {0}, b = {0};
  char *out = NULL;
  if (!remove_all(r, n, assistant, &a)) {
    const char *ad = a.data ? a.data : "";
    size_t s = 0, e = a.len;
    vf_py_strip(ad, &s, &e);
    s = after_think(ad, s, e);
    if (!remove_all(ad + s, e - s, answer, &b)) {
      const char *bd = b.data ? b.data : "";
      size_t bs = 0, be = b.len;
      vf_py_strip(bd, &bs, &be);
      out = malloc(be - bs + 1);
      if (out) {
        memcpy(out, bd + bs, be - bs);
        out[be - bs] = '\0';
        *len = be - bs;
      }
    }
  }
  vf_buf_free(&a);
  vf_buf_free(&b);
  return out;
}

void vf_item_oi_answers(vf_item *it) {
  it->answers = calloc(it->nresp ? it->nresp : 1, sizeof *it->answers);
  if (!it->answers) {
    vf_set_error(&it->err, VF_ENOMEM, "out of memory");
    return;
  }
  for (size_t r = 0; r < it->nresp; r++) {
    size_t len = 0;
    it->answers[r] = remove_thinking(it->resp[r], it->resp_len[r], &len);
    if (!it->answers[r]) {
      vf_set_error(&it->err, VF_ENOMEM, "out of memory");
      return;
    }
    it->resp[r] = it->answers[r];
    it->resp_len[r] = len;
  }
}
