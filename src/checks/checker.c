/*
 * checker.c: building a checker from an instruction id (resolved in its
 * family by the registry) and its kwargs, and running it.  Kwargs are
 * validated against the check's schema: a missing required, unknown or
 * mistyped kwarg, or a falsy one the reference would replace by a random
 * value, is an error naming the id and the field.  A key whose value is
 * null counts as absent (Hugging Face copies of IFEval carry every kwarg
 * name, null where unused; NeMo-Gym drops such keys).
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"

static const char *json_type_name(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "a list";
  case JSON_STRING: return "a string";
  case JSON_INTEGER: return "an integer";
  case JSON_REAL: return "a number";
  case JSON_TRUE:
  case JSON_FALSE: return "a boolean";
  default: return "null";
  }
}

static const char *kw_type_name(vf_kw_type t) {
  switch (t) {
  case VF_KW_INT: return "an integer";
  case VF_KW_COUNT: return "an integer >= 0";
  case VF_KW_STR: return "a string";
  case VF_KW_STRLIST: return "a list of strings";
  case VF_KW_STRFIRST:
  case VF_KW_STRSEQ: return "a string or a list of strings";
  default: return "\"less than\" or \"at least\"";
  }
}

static char *dup_str(const json_t *v, size_t *len) {
  *len = json_string_length(v);
  char *s = malloc(*len + 1);
  if (s)
    memcpy(s, json_string_value(v), *len + 1);
  return s;
}

/* A string as the list of its characters (Python's iteration). */
static int split_chars(const json_t *v, vf_kwval *out) {
  const char *s = json_string_value(v);
  size_t len = json_string_length(v), n = vf_utf8_count(s, len);
  out->list = calloc(n ? n : 1, sizeof *out->list);
  out->lens = calloc(n ? n : 1, sizeof *out->lens);
  if (!out->list || !out->lens)
    return -1;
  out->falsy = n == 0;
  for (size_t i = 0, at = 0; i < n; i++) {
    int32_t cp;
    size_t k = vf_utf8_decode(s, len, at, &cp);
    out->list[i] = malloc(k + 1);
    if (!out->list[i])
      return -1;
    memcpy(out->list[i], s + at, k);
    out->list[i][k] = '\0';
    out->lens[i] = k;
    out->n = i + 1;
    at += k;
  }
  return 0;
}

/* Converts one JSON value to the kwarg's type; 1 on a type mismatch. */
static int convert(const json_t *v, vf_kw_type t, vf_kwval *out) {
  switch (t) {
  case VF_KW_INT:
  case VF_KW_COUNT:
    if (json_is_integer(v)) {
      out->i = json_integer_value(v);
    } else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
               fabs(json_real_value(v)) < 1e15) {
      out->i = (long long)json_real_value(v);
    } else {
      return 1;
    }
    out->falsy = out->i == 0;
    return t == VF_KW_COUNT && out->i < 0;
  case VF_KW_REL:
    if (!json_is_string(v))
      return 1;
    if (!strcmp(json_string_value(v), "less than"))
      out->i = VF_REL_LESS;
    else if (!strcmp(json_string_value(v), "at least"))
      out->i = VF_REL_ATLEAST;
    else
      return 1;
    return 0;
  case VF_KW_STRFIRST:
    if (json_is_array(v)) {
      if (json_array_size(v) == 0) { /* falsy: VF_KWF_TRUTHY refuses it */
        out->falsy = true;
        out->s = calloc(1, 1);
        return out->s ? 0 : -1;
      }
      v = json_array_get(v, 0); /* a non-empty list is truthy */
      if (!json_is_string(v))
        return 1;
      out->s = dup_str(v, &out->slen);
      return out->s ? 0 : -1;
    }
    /* fall through */
  case VF_KW_STR:
    if (!json_is_string(v))
      return 1;
    out->s = dup_str(v, &out->slen);
    out->falsy = out->slen == 0;
    return out->s ? 0 : -1;
  case VF_KW_STRSEQ:
    if (json_is_string(v))
      return split_chars(v, out);
    /* fall through */
  case VF_KW_STRLIST: {
    if (!json_is_array(v))
      return 1;
    size_t n = json_array_size(v);
    for (size_t i = 0; i < n; i++)
      if (!json_is_string(json_array_get(v, i)))
        return 1;
    out->list = calloc(n ? n : 1, sizeof *out->list);
    out->lens = calloc(n ? n : 1, sizeof *out->lens);
    if (!out->list || !out->lens)
      return -1;
    out->n = n;
    out->falsy = n == 0;
    for (size_t i = 0; i < n; i++) {
      out->list[i] = dup_str(json_array_get(v, i), &out->lens[i]);
      if (!out->list[i])
        return -1;
    }
    return 0;
  }
  }
  return 1;
}

static vf_status bad_type(const char *id, const vf_kwdef *d, const json_t *v,
                          vf_error *err) {
  if (d->type == VF_KW_REL && json_is_string(v))
    return vf_set_error(err, VF_EKWARG,
                        "instruction '%s': kwarg '%s' must be \"less than\" "
                        "or \"at least\", got \"%s\"",
                        id, d->name, json_string_value(v));
  return vf_set_error(err, VF_EKWARG,
                      "instruction '%s': kwarg '%s' must be %s, got %s", id,
                      d->name, kw_type_name(d->type), json_type_name(v));
}

static vf_status unknown_kwarg(const vf_checkdef *def, const char *key,
                               vf_error *err) {
  char names[256] = "none";
  size_t off = 0;
  for (int i = 0; i < VF_MAX_KW && def->kwargs[i].name; i++) {
    int k = snprintf(names + off, sizeof names - off, "%s%s", i ? ", " : "",
                     def->kwargs[i].name);
    if (k < 0 || (size_t)k >= sizeof names - off)
      break;
    off += (size_t)k;
  }
  return vf_set_error(err, VF_EKWARG,
                      "instruction '%s': unknown kwarg '%s' (it takes: %s)",
                      def->id, key, names);
}

static vf_status falsy_kwarg(const vf_checkdef *def, const vf_kwdef *d,
                             vf_error *err) {
  const char *what = d->type == VF_KW_INT || d->type == VF_KW_COUNT
                         ? "0"
                         : "empty";
  return vf_set_error(err, VF_EKWARG,
                      "instruction '%s': kwarg '%s' must not be %s (the "
                      "reference would replace it by a random value)",
                      def->id, d->name, what);
}

static int kw_index(const vf_checkdef *def, const char *key) {
  for (int i = 0; i < VF_MAX_KW && def->kwargs[i].name; i++)
    if (!strcmp(def->kwargs[i].name, key) &&
        !(def->kwargs[i].flags & VF_KWF_REST))
      return i;
  return -1;
}

/* The definition takes **kwargs (a VF_KWF_REST entry). */
static bool takes_rest(const vf_checkdef *def) {
  for (int i = 0; i < VF_MAX_KW && def->kwargs[i].name; i++)
    if (def->kwargs[i].flags & VF_KWF_REST)
      return true;
  return false;
}

/* Fills c->kw from the JSON object, checking names, types and presence. */
static vf_status read_kwargs(vf_checker *c, const json_t *obj, vf_error *err) {
  const vf_checkdef *def = c->def;
  if (obj && !json_is_object(obj))
    return vf_set_error(err, VF_EKWARG,
                        "instruction '%s': kwargs must be an object, got %s",
                        def->id, json_type_name(obj));
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)obj, key, v) {
    if (json_is_null(v))
      continue;
    int i = kw_index(def, key);
    if (i < 0 && takes_rest(def))
      continue;
    if (i < 0)
      return unknown_kwarg(def, key, err);
    int rc = convert(v, def->kwargs[i].type, &c->kw[i]);
    if (rc < 0)
      return vf_set_error(err, VF_ENOMEM, "out of memory");
    if (rc > 0)
      return bad_type(def->id, &def->kwargs[i], v, err);
    if ((def->kwargs[i].flags & VF_KWF_TRUTHY) && c->kw[i].falsy)
      return falsy_kwarg(def, &def->kwargs[i], err);
    c->kw[i].set = true;
  }
  for (int i = 0; i < VF_MAX_KW && def->kwargs[i].name; i++)
    if (!c->kw[i].set && !(def->kwargs[i].flags & VF_KWF_OPTIONAL))
      return vf_set_error(err, VF_EKWARG,
                          "instruction '%s': missing kwarg '%s' (%s)", def->id,
                          def->kwargs[i].name, kw_type_name(def->kwargs[i].type));
  return VF_OK;
}

/* Index of family f in the registry (for its state in ctx->fam). */
static size_t family_index(const vf_family *f) {
  size_t i = 0;
  while (vf_checks_family_at(i) != f)
    i++;
  return i;
}

vf_status vf_checker_from_json(const vf_ctx *ctx, const char *family,
                               const char *id, const void *kwargs,
                               vf_checker **out, vf_error *err) {
  *out = NULL;
  const vf_checkdef *def;
  const vf_family *fam;
  vf_status st = vf_checks_lookup(family, id, &def, &fam, err);
  if (st)
    return st;
  vf_checker *c = calloc(1, sizeof *c);
  if (!c)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  c->def = def;
  c->ctx = ctx;
  c->family = fam->name;
  c->state = ctx->fam[family_index(fam)];
  st = read_kwargs(c, kwargs, err);
  if (st == VF_OK && def->prepare)
    st = def->prepare(c, err);
  if (st) {
    vf_checker_free(c);
    return st;
  }
  *out = c;
  return VF_OK;
}

vf_status vf_checker_new_in(const vf_ctx *ctx, const char *family,
                            const char *id, const char *kwargs_json,
                            vf_checker **out, vf_error *err) {
  *out = NULL;
  if (!ctx || !id)
    return vf_set_error(err, VF_EINVAL, "vf_checker_new: ctx and id are required");
  json_t *obj = NULL;
  if (kwargs_json && *kwargs_json) {
    json_error_t je;
    obj = json_loads(kwargs_json, JSON_ALLOW_NUL, &je);
    if (!obj)
      return vf_set_error(err, VF_EJSON,
                          "instruction '%s': kwargs are not valid JSON: %s "
                          "(column %d)",
                          id, je.text, je.column);
  }
  vf_status st = vf_checker_from_json(ctx, family, id, obj, out, err);
  json_decref(obj);
  return st;
}

vf_status vf_checker_new(const vf_ctx *ctx, const char *id,
                         const char *kwargs_json, vf_checker **out,
                         vf_error *err) {
  return vf_checker_new_in(ctx, NULL, id, kwargs_json, out, err);
}

void vf_checker_free(vf_checker *c) {
  if (!c)
    return;
  for (int i = 0; i < VF_MAX_KW; i++) {
    free(c->kw[i].s);
    for (size_t k = 0; k < c->kw[i].n; k++)
      free(c->kw[i].list[k]);
    free(c->kw[i].list);
    free(c->kw[i].lens);
  }
  for (size_t i = 0; i < c->nre; i++)
    vf_re_free(c->re[i]);
  free(c->re);
  vf_buf_free(&c->scratch);
  free(c);
}

const char *vf_checker_id(const vf_checker *c) { return c->def->id; }

const char *vf_checker_family(const vf_checker *c) { return c->family; }

vf_status vf_checker_run_valid(const vf_checker *c, const char *response,
                               size_t len, vf_verdict *out, vf_error *err) {
  out->pass = 0;
  out->raised = 0;
  out->reason[0] = '\0';
  return c->def->check(c, response, len, out, err);
}

vf_status vf_checker_run(const vf_checker *c, const char *response, size_t len,
                         vf_verdict *out, vf_error *err) {
  size_t bad;
  if (!vf_utf8_valid(response, len, &bad)) {
    out->pass = 0;
    out->raised = 0;
    out->reason[0] = '\0';
    return vf_set_error(err, VF_EUTF8,
                        "response is not valid UTF-8 (byte offset %zu)", bad);
  }
  return vf_checker_run_valid(c, response, len, out, err);
}
