/*
 * guard.c: "no check can change another check's outcome".  After its
 * pre-imports a worker snapshots all state a check could leave behind and,
 * after every check, compares; if anything differs the worker reports that
 * check's verdict and exits, to be replaced by a fresh fork of the zygote.
 *
 * Dicts are compared by their PEP 509 version tag (ma_version_tag, still in
 * CPython 3.11, changed by every mutation): builtins, sys.modules, every
 * module namespace, module-level dicts, class namespaces (tp_dict) of
 * module-level heap types, instance dicts of module-level objects and the
 * dicts and lists those hold, kwdefaults.  The tags alone miss in-place
 * changes of other containers and C state, so the guard also fingerprints
 * module-level lists and sets (items by address), closure cells and mutable
 * defaults of module-level functions; validates re's pattern cache entry by
 * entry (a check could plant a wrong compiled pattern under a right key);
 * and reads the taint flag that pyenv.c's audit hook and wrappers set for
 * what leaves no trace here (__code__/__defaults__ swaps, settrace,
 * gc.get_referents walks, setrecursionlimit, codecs.register...).
 */
#include "pyexec/pyside.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { K_DICT, K_LIST, K_SET, K_CELL } kind;

typedef struct ent {
  PyObject *obj; /* strong reference: never freed, never reused */
  uint64_t fp;
  uint32_t kind;
  uint32_t label;
} ent;

typedef struct pair {
  PyObject *k, *v;
} pair;

typedef struct mirror {
  pair *p;
  size_t cap;
} mirror;

struct vf_guard {
  vf_pyenv *env;
  ent *e;
  size_t n, cap;
  char **labels;
  size_t nlabels, caplabels;
  PyObject **seen; /* open-addressing set of tracked objects */
  size_t seencap, nseen;
  PyObject *re_cache, *re_compile, *pattern_type;
  uint64_t re_tag;
  mirror re_ok; /* cache entries already validated */
};

/* ---- fingerprints ------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t x) {
  h = (h ^ x) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}

static uint64_t fingerprint(const PyObject *o, uint32_t k) {
  uint64_t h = 0;
  switch (k) {
  case K_DICT:
    return ((const PyDictObject *)o)->ma_version_tag;
  case K_LIST: {
    const PyListObject *l = (const PyListObject *)o;
    h = mix(mix(h, (uint64_t)Py_SIZE(l)), (uint64_t)(uintptr_t)l->ob_item);
    for (Py_ssize_t i = 0; i < Py_SIZE(l); i++)
      h = mix(h, (uint64_t)(uintptr_t)l->ob_item[i]);
    return h;
  }
  case K_SET: {
    const PySetObject *s = (const PySetObject *)o;
    h = mix(mix(mix(h, (uint64_t)s->used), (uint64_t)s->fill),
            (uint64_t)(uintptr_t)s->table);
    for (Py_ssize_t i = 0; i <= s->mask; i++)
      h = mix(h, (uint64_t)(uintptr_t)s->table[i].key);
    return h;
  }
  default:
    return (uint64_t)(uintptr_t)PyCell_GET(o);
  }
}

/* ---- the tracked set ---------------------------------------------------- */

static int seen_grow(vf_guard *g) {
  size_t cap = g->seencap ? g->seencap * 2 : 4096;
  PyObject **s = calloc(cap, sizeof *s);
  if (!s)
    return -1;
  for (size_t i = 0; i < g->seencap; i++) {
    PyObject *o = g->seen[i];
    if (!o)
      continue;
    size_t j = ((uintptr_t)o >> 4) & (cap - 1);
    while (s[j])
      j = (j + 1) & (cap - 1);
    s[j] = o;
  }
  free(g->seen);
  g->seen = s;
  g->seencap = cap;
  return 0;
}

/* 1 when o was already tracked, 0 when newly added, -1 on ENOMEM. */
static int seen_add(vf_guard *g, PyObject *o) {
  if (2 * (g->nseen + 1) > g->seencap && seen_grow(g))
    return -1;
  size_t j = ((uintptr_t)o >> 4) & (g->seencap - 1);
  while (g->seen[j]) {
    if (g->seen[j] == o)
      return 1;
    j = (j + 1) & (g->seencap - 1);
  }
  g->seen[j] = o;
  g->nseen++;
  return 0;
}

static int add_label(vf_guard *g, const char *a, PyObject *key) {
  const char *b = key && PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
  if (key && !b)
    PyErr_Clear();
  char buf[200];
  snprintf(buf, sizeof buf, "%s%s%s", a, b ? "." : "", b ? b : "");
  if (g->nlabels == g->caplabels) {
    size_t cap = g->caplabels ? g->caplabels * 2 : 256;
    char **l = realloc(g->labels, cap * sizeof *l);
    if (!l)
      return -1;
    g->labels = l;
    g->caplabels = cap;
  }
  g->labels[g->nlabels] = strdup(buf);
  return g->labels[g->nlabels] ? (int)g->nlabels++ : -1;
}

/* Where a tracked object was found, for the message naming it. */
typedef struct where {
  const char *mod;
  PyObject *key; /* NULL: the module namespace itself */
} where;

static int track(vf_guard *g, PyObject *o, uint32_t k, const where *w) {
  int s = seen_add(g, o);
  if (s != 0)
    return s < 0 ? -1 : 0;
  int label = add_label(g, w->mod, w->key);
  if (label < 0)
    return -1;
  if (g->n == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 1024;
    ent *e = realloc(g->e, cap * sizeof *e);
    if (!e)
      return -1;
    g->e = e;
    g->cap = cap;
  }
  Py_INCREF(o);
  g->e[g->n++] = (ent){o, fingerprint(o, k), k, (uint32_t)label};
  return 0;
}

/* Tracks o if it is a plain container; 1 when it was one. */
static int track_container(vf_guard *g, PyObject *o, const where *label) {
  if (o == g->re_cache)
    return 1; /* validated entry by entry instead */
  if (PyDict_CheckExact(o))
    return track(g, o, K_DICT, label) ? -1 : 1;
  if (PyList_CheckExact(o))
    return track(g, o, K_LIST, label) ? -1 : 1;
  if (PySet_CheckExact(o))
    return track(g, o, K_SET, label) ? -1 : 1;
  return 0;
}

static int track_function(vf_guard *g, PyObject *f, const where *label) {
  PyObject *cl = PyFunction_GET_CLOSURE(f), *df = PyFunction_GET_DEFAULTS(f);
  PyObject *kw = PyFunction_GET_KW_DEFAULTS(f);
  for (Py_ssize_t i = 0; cl && i < PyTuple_GET_SIZE(cl); i++)
    if (track(g, PyTuple_GET_ITEM(cl, i), K_CELL, label))
      return -1;
  for (Py_ssize_t i = 0; df && i < PyTuple_GET_SIZE(df); i++)
    if (track_container(g, PyTuple_GET_ITEM(df, i), label) < 0)
      return -1;
  return kw && track_container(g, kw, label) < 0 ? -1 : 0;
}

/* An object's own attribute dict and the containers directly in it. */
static int track_instance(vf_guard *g, PyObject *o, const where *label) {
  PyTypeObject *t = Py_TYPE(o);
  if (!t->tp_dictoffset && !(t->tp_flags & Py_TPFLAGS_MANAGED_DICT))
    return 0;
  PyObject **dp = _PyObject_GetDictPtr(o);
  PyObject *d = dp ? *dp : NULL, *k, *v;
  Py_ssize_t pos = 0;
  if (!d || !PyDict_Check(d)) {
    PyErr_Clear();
    return 0;
  }
  if (track(g, d, K_DICT, label))
    return -1;
  while (PyDict_Next(d, &pos, &k, &v))
    if (track_container(g, v, label) < 0)
      return -1;
  return 0;
}

static int track_value(vf_guard *g, PyObject *v, const where *label) {
  int c = track_container(g, v, label);
  if (c)
    return c < 0 ? -1 : 0;
  if (PyType_Check(v)) {
    PyTypeObject *t = (PyTypeObject *)v;
    if ((t->tp_flags & Py_TPFLAGS_HEAPTYPE) && t->tp_dict)
      return track(g, t->tp_dict, K_DICT, label);
    return 0;
  }
  if (PyFunction_Check(v))
    return track_function(g, v, label);
  if (PyModule_Check(v) || PyCFunction_Check(v))
    return 0;
  return track_instance(g, v, label);
}

static int track_module(vf_guard *g, PyObject *name, PyObject *m) {
  if (!PyModule_Check(m))
    return 0;
  PyObject *d = PyModule_GetDict(m), *k, *v;
  const char *mn = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
  where w = {mn ? mn : "?", NULL};
  Py_ssize_t pos = 0;
  if (!mn)
    PyErr_Clear();
  if (track(g, d, K_DICT, &w))
    return -1;
  while (PyDict_Next(d, &pos, &k, &v)) {
    w.key = k;
    if (track_value(g, v, &w))
      return -1;
  }
  return 0;
}

static int collect(vf_guard *g) {
  PyObject *mods = PyImport_GetModuleDict();
  PyObject *items = PyDict_Items(mods);
  where sm = {"sys.modules", NULL}, bi = {"builtins", NULL};
  int rc = -1;
  if (!items || track(g, mods, K_DICT, &sm) ||
      track(g, g->env->builtins, K_DICT, &bi))
    goto out;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
    PyObject *it = PyList_GET_ITEM(items, i);
    if (track_module(g, PyTuple_GET_ITEM(it, 0), PyTuple_GET_ITEM(it, 1)))
      goto out;
  }
  rc = 0;
out:
  Py_XDECREF(items);
  return rc;
}

static void release(vf_guard *g) {
  for (size_t i = 0; i < g->n; i++)
    Py_DECREF(g->e[i].obj);
  for (size_t i = 0; i < g->nlabels; i++)
    free(g->labels[i]);
  g->n = g->nlabels = g->nseen = 0;
  if (g->seen)
    memset(g->seen, 0, g->seencap * sizeof *g->seen);
}

/* ---- re's pattern cache ------------------------------------------------- */

static void mirror_free(mirror *m) {
  for (size_t i = 0; i < m->cap; i++)
    if (m->p[i].k) {
      Py_DECREF(m->p[i].k);
      Py_DECREF(m->p[i].v);
    }
  free(m->p);
  m->p = NULL;
  m->cap = 0;
}

static pair *mirror_slot(const mirror *m, PyObject *k) {
  size_t j = ((uintptr_t)k >> 4) & (m->cap - 1);
  while (m->p[j].k && m->p[j].k != k)
    j = (j + 1) & (m->cap - 1);
  return &m->p[j];
}

/* Is v what re would have compiled for key k? */
static int entry_valid(vf_guard *g, PyObject *k, PyObject *v) {
  if (!PyTuple_CheckExact(k) || PyTuple_GET_SIZE(k) != 3 ||
      Py_TYPE(v) != (PyTypeObject *)g->pattern_type)
    return 0;
  PyObject *t = PyTuple_GET_ITEM(k, 0), *pat = PyTuple_GET_ITEM(k, 1);
  PyObject *flags = PyTuple_GET_ITEM(k, 2);
  if ((t != (PyObject *)&PyUnicode_Type && t != (PyObject *)&PyBytes_Type) ||
      (PyObject *)Py_TYPE(pat) != t || !PyLong_Check(flags))
    return 0;
  PyObject *fresh = PyObject_CallFunctionObjArgs(g->re_compile, pat, flags,
                                                 NULL);
  int eq = fresh ? PyObject_RichCompareBool(v, fresh, Py_EQ) : -1;
  Py_XDECREF(fresh);
  if (eq < 0)
    PyErr_Clear();
  return eq == 1;
}

static int re_cache_ok(vf_guard *g) {
  uint64_t tag = ((PyDictObject *)g->re_cache)->ma_version_tag;
  if (tag == g->re_tag)
    return 1;
  mirror m = {NULL, 64};
  while (m.cap < 4 * (size_t)PyDict_GET_SIZE(g->re_cache))
    m.cap *= 2;
  m.p = calloc(m.cap, sizeof *m.p);
  PyObject *k, *v;
  Py_ssize_t pos = 0;
  int ok = m.p != NULL;
  while (ok && PyDict_Next(g->re_cache, &pos, &k, &v)) {
    pair *old = g->re_ok.p ? mirror_slot(&g->re_ok, k) : NULL;
    ok = (old && old->k == k && old->v == v) || entry_valid(g, k, v);
    pair *s = ok ? mirror_slot(&m, k) : NULL;
    if (s && !s->k) {
      Py_INCREF(k);
      Py_INCREF(v);
      *s = (pair){k, v};
    }
  }
  mirror_free(ok ? &g->re_ok : &m);
  if (ok) {
    g->re_ok = m;
    g->re_tag = tag;
  }
  return ok;
}

static void find_re(vf_guard *g) {
  PyObject *mods = PyImport_GetModuleDict();
  PyObject *re = PyDict_GetItemString(mods, "re");
  PyObject *comp = PyDict_GetItemString(mods, "re._compiler");
  PyObject *cache = re ? PyObject_GetAttrString(re, "_cache") : NULL;
  g->re_compile = comp ? PyObject_GetAttrString(comp, "compile") : NULL;
  g->pattern_type = re ? PyObject_GetAttrString(re, "Pattern") : NULL;
  PyErr_Clear();
  if (cache && PyDict_CheckExact(cache) && g->re_compile && g->pattern_type) {
    g->re_cache = cache;
    g->re_tag = 0; /* validate what the zygote cached, once */
    return;
  }
  Py_XDECREF(cache); /* not the re we know: its cache is tracked as a dict */
}

/* ---- interface ---------------------------------------------------------- */

vf_guard *vf_guard_new(vf_pyenv *env) {
  vf_guard *g = calloc(1, sizeof *g);
  if (!g)
    return NULL;
  g->env = env;
  find_re(g);
  if (collect(g) || (g->re_cache && !re_cache_ok(g))) {
    vf_guard_free(g);
    return NULL;
  }
  env->taint.flag = 0;
  return g;
}

void vf_guard_free(vf_guard *g) {
  if (!g)
    return;
  release(g);
  mirror_free(&g->re_ok);
  Py_XDECREF(g->re_cache);
  Py_XDECREF(g->re_compile);
  Py_XDECREF(g->pattern_type);
  free(g->e);
  free(g->labels);
  free(g->seen);
  free(g);
}

int vf_guard_dirty(vf_guard *g, char *why, size_t n) {
  if (g->env->taint.flag) {
    snprintf(why, n, "%s", g->env->taint.why);
    return 1;
  }
  for (size_t i = 0; i < g->n; i++) {
    const ent *e = &g->e[i];
    if (fingerprint(e->obj, e->kind) != e->fp) {
      snprintf(why, n, "%s %s changed", g->labels[e->label],
               e->kind == K_CELL ? "closure" : "namespace or container");
      return 1;
    }
  }
  if (g->re_cache && !re_cache_ok(g)) {
    snprintf(why, n, "re._cache holds a pattern re would not compile");
    return 1;
  }
  return 0;
}

int vf_guard_refresh(vf_guard *g) {
  release(g);
  int rc = collect(g);
  g->env->taint.flag = 0;
  return rc;
}
