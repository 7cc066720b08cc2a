/*
 * caches.c: the shared caches that legitimately change with every check and
 * so cannot be guarded by a version tag: re's compiled-pattern cache
 * (re._cache) and datetime.strptime's (_strptime._regex_cache).  Whenever
 * one changed, every entry not validated before is recompiled from its key
 * and compared.  Used by guard.c after each check.
 */
#include "pyexec/pyside.h"

#include <stdio.h>
#include <stdlib.h>

/* Why: a check could plant a wrong compiled pattern under a right key,
 * changing later checks' verdicts.  Pattern equality covers pattern, flags
 * and compiled code.  Entries already validated are kept with strong
 * references, so their addresses cannot be reused by other objects. */

typedef struct pair {
  PyObject *k, *v;
} pair;

typedef struct cache {
  PyObject *dict; /* strong reference */
  uint64_t tag;
  pair *ok; /* validated entries, open addressing on the key's address */
  size_t cap;
  int (*valid)(vf_caches *c, PyObject *k, PyObject *v);
  const char *name;
} cache;

struct vf_caches {
  cache c[2];
  size_t n;
  PyObject *pattern_type; /* re.Pattern */
  PyObject *re_compile;   /* re._compiler.compile */
  PyObject *strptime;     /* the _strptime module */
};

static void free_pairs(pair *p, size_t cap) {
  for (size_t i = 0; i < cap; i++)
    if (p[i].k) {
      Py_DECREF(p[i].k);
      Py_DECREF(p[i].v);
    }
  free(p);
}

static pair *slot(pair *p, size_t cap, PyObject *k) {
  size_t j = ((uintptr_t)k >> 4) & (cap - 1);
  while (p[j].k && p[j].k != k)
    j = (j + 1) & (cap - 1);
  return &p[j];
}

static int same_pattern(PyObject *v, PyObject *fresh) {
  int eq = fresh ? PyObject_RichCompareBool(v, fresh, Py_EQ) : -1;
  Py_XDECREF(fresh);
  if (eq < 0)
    PyErr_Clear();
  return eq == 1;
}

/* re._cache: (type(pattern), pattern, flags) -> re._compiler.compile(...) */
static int re_valid(vf_caches *c, PyObject *k, PyObject *v) {
  if (!PyTuple_CheckExact(k) || PyTuple_GET_SIZE(k) != 3 ||
      Py_TYPE(v) != (PyTypeObject *)c->pattern_type)
    return 0;
  PyObject *t = PyTuple_GET_ITEM(k, 0), *pat = PyTuple_GET_ITEM(k, 1);
  PyObject *flags = PyTuple_GET_ITEM(k, 2);
  if ((t != (PyObject *)&PyUnicode_Type && t != (PyObject *)&PyBytes_Type) ||
      (PyObject *)Py_TYPE(pat) != t || !PyLong_Check(flags))
    return 0;
  return same_pattern(
      v, PyObject_CallFunctionObjArgs(c->re_compile, pat, flags, NULL));
}

/* _strptime._regex_cache: format -> _TimeRE_cache.compile(format) */
static int strptime_valid(vf_caches *c, PyObject *k, PyObject *v) {
  if (!PyUnicode_CheckExact(k) ||
      Py_TYPE(v) != (PyTypeObject *)c->pattern_type)
    return 0;
  PyObject *tre = PyObject_GetAttrString(c->strptime, "_TimeRE_cache");
  PyObject *fresh = tre ? PyObject_CallMethod(tre, "compile", "O", k) : NULL;
  Py_XDECREF(tre);
  return same_pattern(v, fresh);
}

/* Validates a changed cache; 1 when every entry is right. */
static int check_one(vf_caches *cs, cache *c) {
  uint64_t tag = ((PyDictObject *)c->dict)->ma_version_tag;
  if (tag == c->tag)
    return 1;
  size_t cap = 64;
  while (cap < 4 * (size_t)PyDict_GET_SIZE(c->dict))
    cap *= 2;
  pair *m = calloc(cap, sizeof *m);
  PyObject *k, *v;
  Py_ssize_t pos = 0;
  int ok = m != NULL;
  while (ok && PyDict_Next(c->dict, &pos, &k, &v)) {
    pair *old = c->ok ? slot(c->ok, c->cap, k) : NULL;
    ok = (old && old->k == k && old->v == v) || c->valid(cs, k, v);
    pair *s = ok ? slot(m, cap, k) : NULL;
    if (s && !s->k) {
      Py_INCREF(k);
      Py_INCREF(v);
      *s = (pair){k, v};
    }
  }
  if (!ok) {
    free_pairs(m, cap);
    return 0;
  }
  free_pairs(c->ok, c->cap);
  c->ok = m;
  c->cap = cap;
  c->tag = tag;
  return 1;
}

static void add_cache(vf_caches *cs, const char *mod, const char *attr,
                      int (*valid)(vf_caches *, PyObject *, PyObject *),
                      const char *name) {
  PyObject *m = PyDict_GetItemString(PyImport_GetModuleDict(), mod);
  PyObject *d = m ? PyObject_GetAttrString(m, attr) : NULL;
  PyErr_Clear();
  if (!d || !PyDict_CheckExact(d)) { /* not there: nothing to validate */
    Py_XDECREF(d);
    return;
  }
  cs->c[cs->n++] = (cache){d, 0, NULL, 0, valid, name};
}

vf_caches *vf_caches_new(void) {
  vf_caches *cs = calloc(1, sizeof *cs);
  PyObject *mods = PyImport_GetModuleDict();
  PyObject *re = PyDict_GetItemString(mods, "re");
  PyObject *comp = PyDict_GetItemString(mods, "re._compiler");
  if (!cs || !re || !comp)
    return cs;
  cs->pattern_type = PyObject_GetAttrString(re, "Pattern");
  cs->re_compile = PyObject_GetAttrString(comp, "compile");
  cs->strptime = PyDict_GetItemString(mods, "_strptime");
  Py_XINCREF(cs->strptime);
  PyErr_Clear();
  if (!cs->pattern_type || !cs->re_compile)
    return cs; /* not the re we know: the caches stay tag-guarded dicts */
  add_cache(cs, "re", "_cache", re_valid, "re._cache");
  if (cs->strptime)
    add_cache(cs, "_strptime", "_regex_cache", strptime_valid,
              "_strptime._regex_cache");
  return cs;
}

void vf_caches_free(vf_caches *cs) {
  if (!cs)
    return;
  for (size_t i = 0; i < cs->n; i++) {
    free_pairs(cs->c[i].ok, cs->c[i].cap);
    Py_DECREF(cs->c[i].dict);
  }
  Py_XDECREF(cs->pattern_type);
  Py_XDECREF(cs->re_compile);
  Py_XDECREF(cs->strptime);
  free(cs);
}

int vf_caches_owns(const vf_caches *cs, const PyObject *dict) {
  for (size_t i = 0; cs && i < cs->n; i++)
    if (cs->c[i].dict == dict)
      return 1;
  return 0;
}

int vf_caches_ok(vf_caches *cs, char *why, size_t n) {
  for (size_t i = 0; cs && i < cs->n; i++)
    if (!check_one(cs, &cs->c[i])) {
      snprintf(why, n, "%s holds a pattern that its key does not compile to",
               cs->c[i].name);
      return 0;
    }
  return 1;
}
