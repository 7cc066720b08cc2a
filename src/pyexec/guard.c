/*
 * guard.c: "no check can change another check's outcome".  After its
 * pre-imports a worker snapshots all state a check could leave behind and,
 * after every check, compares; if anything differs the worker reports that
 * check's verdict and exits, to be replaced by a fresh fork of the zygote.
 * Called by worker.c after every check; pyenv.c's audit hook asks it which
 * objects are shared.
 */
#include "pyexec/pyside.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What is compared.  Dicts by their PEP 509 version tag (ma_version_tag,
 * still in CPython 3.11, changed by every mutation): builtins, sys.modules,
 * every module namespace, and, walking up to MAX_DEPTH from each module
 * attribute, the dicts, instance dicts and class namespaces found.  The tags
 * alone miss in-place changes of other containers and C state, so lists and
 * sets are fingerprinted by their items' addresses, closure cells by their
 * content; caches.c validates the pattern caches entry by entry; enum value
 * maps and import-lock dicts are checked by content; and pyenv.c's audit
 * hook and wrappers raise the taint flag for what leaves no trace here
 * (__code__/__defaults__ swaps on shared functions, settrace, gc object
 * walks, setrecursionlimit, codec and ABC registries...). */

typedef enum { K_DICT, K_LIST, K_SET, K_CELL, K_VOLATILE, K_ENUMMAP } kind;

typedef struct ent {
  PyObject *obj; /* strong reference: never freed, never reused */
  uint64_t fp;
  uint32_t kind;
  uint32_t label;
  PyObject *copy; /* K_VOLATILE: the contents at snapshot time;
                     K_ENUMMAP: the enum class the map belongs to */
} ent;

/* An open-addressing set of object addresses. */
typedef struct ptrset {
  const PyObject **s;
  size_t cap, n;
} ptrset;

/* The hot loop's view of a dict entry: where its tag lives, and its value. */
typedef struct tagref {
  const uint64_t *p;
  uint64_t v;
} tagref;

struct vf_guard {
  vf_pyenv *env;
  ent *e;
  size_t n, cap;
  tagref *tags; /* every K_DICT / K_VOLATILE entry, compared branch-free */
  size_t ntags;
  size_t *other; /* indices of the other entries */
  size_t nother;
  char **labels;
  size_t nlabels, caplabels;
  ptrset seen;   /* tracked containers */
  ptrset shared; /* objects a check reaches through modules */
  ptrset roots;  /* module attributes */
  vf_caches *caches;
};

/* Bookkeeping dicts that change and change back (a failed import adds and
 * drops a module lock): compared by contents, not by tag.  The import
 * machinery is one module under two names. */
static const char *const volatile_dicts[] = {
    "_frozen_importlib._blocking_on",
    "_frozen_importlib._module_locks",
    "importlib._bootstrap._blocking_on",
    "importlib._bootstrap._module_locks",
};

/* ---- pointer sets -------------------------------------------------------- */

static int ptrset_grow(ptrset *p) {
  size_t cap = p->cap ? p->cap * 2 : 4096;
  const PyObject **s = calloc(cap, sizeof *s);
  if (!s)
    return -1;
  for (size_t i = 0; i < p->cap; i++) {
    if (!p->s[i])
      continue;
    size_t j = ((uintptr_t)p->s[i] >> 4) & (cap - 1);
    while (s[j])
      j = (j + 1) & (cap - 1);
    s[j] = p->s[i];
  }
  free(p->s);
  p->s = s;
  p->cap = cap;
  return 0;
}

static int ptrset_has(const ptrset *p, const PyObject *o) {
  if (!p->cap)
    return 0;
  size_t j = ((uintptr_t)o >> 4) & (p->cap - 1);
  while (p->s[j]) {
    if (p->s[j] == o)
      return 1;
    j = (j + 1) & (p->cap - 1);
  }
  return 0;
}

/* 1 when o was already there, 0 when newly added, -1 on ENOMEM. */
static int ptrset_add(ptrset *p, const PyObject *o) {
  if (2 * (p->n + 1) > p->cap && ptrset_grow(p))
    return -1;
  size_t j = ((uintptr_t)o >> 4) & (p->cap - 1);
  while (p->s[j]) {
    if (p->s[j] == o)
      return 1;
    j = (j + 1) & (p->cap - 1);
  }
  p->s[j] = o;
  p->n++;
  return 0;
}

static void ptrset_clear(ptrset *p) {
  if (p->s)
    memset(p->s, 0, p->cap * sizeof *p->s);
  p->n = 0;
}

/* ---- fingerprints ------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t x) {
  h = (h ^ x) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}

/* Two independent sums over the item addresses (position-keyed in the
 * second): no serial dependency, so this runs at memory speed; the guard
 * computes it for every module-level list and set after every check. */
static uint64_t sum_items(PyObject *const *items, Py_ssize_t n,
                          size_t stride) {
  uint64_t a = 0, b = 0, k = 0;
  for (Py_ssize_t i = 0; i < n; i++) {
    uint64_t x = (uint64_t)(uintptr_t)items[(size_t)i * stride];
    a += x;
    b += x ^ k;
    k += 0x9E3779B97F4A7C15ull;
  }
  return mix(a, b);
}

static uint64_t fingerprint(const PyObject *o, uint32_t k) {
  switch (k) {
  case K_DICT:
  case K_VOLATILE:
  case K_ENUMMAP:
    return ((const PyDictObject *)o)->ma_version_tag;
  case K_LIST: {
    const PyListObject *l = (const PyListObject *)o;
    uint64_t h = mix((uint64_t)Py_SIZE(l), (uint64_t)(uintptr_t)l->ob_item);
    return mix(h, sum_items(l->ob_item, Py_SIZE(l), 1));
  }
  case K_SET: {
    const PySetObject *s = (const PySetObject *)o;
    uint64_t h = mix(mix((uint64_t)s->used, (uint64_t)s->fill),
                     (uint64_t)(uintptr_t)s->table);
    return mix(h, sum_items(&s->table[0].key, s->mask + 1,
                            sizeof(setentry) / sizeof(PyObject *)));
  }
  default:
    return (uint64_t)(uintptr_t)PyCell_GET(o);
  }
}

/* Same keys bound to the same objects? */
static int same_contents(PyObject *d, PyObject *copy) {
  PyObject *k, *v;
  Py_ssize_t pos = 0;
  if (PyDict_GET_SIZE(d) != PyDict_GET_SIZE(copy))
    return 0;
  while (PyDict_Next(copy, &pos, &k, &v))
    if (PyDict_GetItemWithError(d, k) != v) {
      PyErr_Clear();
      return 0;
    }
  return 1;
}

/* An enum's _value2member_map_ grows when a new Flag combination is first
 * made (re.I | re.M); it is right as long as every value is a member of
 * the class whose _value_ is its key. */
static int enum_map_valid(PyObject *d, PyObject *cls) {
  PyObject *k, *v;
  Py_ssize_t pos = 0;
  while (PyDict_Next(d, &pos, &k, &v)) {
    if (!PyObject_TypeCheck(v, (PyTypeObject *)cls))
      return 0;
    PyObject *val = PyObject_GetAttrString(v, "_value_");
    int eq = val ? PyObject_RichCompareBool(val, k, Py_EQ) : -1;
    Py_XDECREF(val);
    if (eq != 1) {
      PyErr_Clear();
      return 0;
    }
  }
  return 1;
}

/* ---- the snapshot -------------------------------------------------------- */

/* Where a tracked object was found, for the message naming it. */
typedef struct where {
  const char *mod;
  PyObject *key;   /* NULL: the module namespace itself */
  PyObject *owner; /* for K_ENUMMAP: the class */
} where;

static int add_label(vf_guard *g, const where *w) {
  const char *b = w->key && PyUnicode_Check(w->key)
                      ? PyUnicode_AsUTF8(w->key)
                      : NULL;
  if (w->key && !b)
    PyErr_Clear();
  char buf[200];
  snprintf(buf, sizeof buf, "%s%s%s", w->mod, b ? "." : "", b ? b : "");
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

static int is_volatile(const char *label) {
  for (size_t i = 0; i < sizeof volatile_dicts / sizeof *volatile_dicts; i++)
    if (strcmp(label, volatile_dicts[i]) == 0)
      return 1;
  return 0;
}

static int track(vf_guard *g, PyObject *o, uint32_t k, const where *w) {
  int s = ptrset_add(&g->seen, o);
  if (s != 0)
    return s < 0 ? -1 : 0;
  int label = add_label(g, w);
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
  PyObject *copy = NULL;
  if (k == K_DICT && is_volatile(g->labels[label])) {
    k = K_VOLATILE;
    copy = PyDict_Copy(o);
    if (!copy)
      return -1;
  } else if (k == K_ENUMMAP) {
    copy = w->owner;
    Py_INCREF(copy);
  }
  Py_INCREF(o);
  g->e[g->n++] = (ent){o, fingerprint(o, k), k, (uint32_t)label, copy};
  return 0;
}

/* How deep the walk goes from a module attribute (depth 1): far enough for
 * e.g. _strptime._TimeRE_cache.locale_time.am_pm (instance, instance,
 * list), not into the whole heap. */
#define MAX_DEPTH 4

static int walk(vf_guard *g, PyObject *v, const where *w, int depth);

/* Immutable leaves (and what the walk must not enter). */
static int leaf(PyObject *v) {
  return v == Py_None || PyUnicode_CheckExact(v) || PyLong_CheckExact(v) ||
         PyBool_Check(v) || PyFloat_CheckExact(v) || PyBytes_CheckExact(v) ||
         PyFrozenSet_CheckExact(v) || PyCode_Check(v) || PyModule_Check(v) ||
         PyCFunction_Check(v);
}

static int walk_dict(vf_guard *g, PyObject *d, const where *w, int depth) {
  PyObject *k, *v;
  Py_ssize_t pos = 0;
  if (track(g, d, K_DICT, w))
    return -1;
  while (PyDict_Next(d, &pos, &k, &v))
    if (walk(g, v, w, depth + 1))
      return -1;
  return 0;
}

static int walk_seq(vf_guard *g, PyObject *const *items, Py_ssize_t n,
                    const where *w, int depth) {
  for (Py_ssize_t i = 0; i < n; i++)
    if (walk(g, items[i], w, depth + 1))
      return -1;
  return 0;
}

/* A class namespace: its tag, its functions as shared objects (their
 * __code__ / __defaults__ may not be swapped), and the containers it holds
 * (textwrap.TextWrapper.unicode_whitespace_trans...); an enum's value map,
 * which grows legitimately, is validated instead. */
static int walk_type(vf_guard *g, PyTypeObject *t, const where *w,
                     int depth) {
  PyObject *k, *v;
  Py_ssize_t pos = 0;
  if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE) || !t->tp_dict)
    return 0;
  if (track(g, t->tp_dict, K_DICT, w))
    return -1;
  while (PyDict_Next(t->tp_dict, &pos, &k, &v)) {
    int rc = 0;
    if (PyFunction_Check(v))
      rc = ptrset_add(&g->shared, v) < 0;
    else if (PyDict_CheckExact(v) && PyUnicode_Check(k) &&
             PyUnicode_CompareWithASCIIString(k, "_value2member_map_") == 0) {
      where e = {w->mod, w->key, (PyObject *)t};
      rc = ptrset_add(&g->shared, v) < 0 || track(g, v, K_ENUMMAP, &e);
    } else if (PyDict_Check(v) || PyList_CheckExact(v) || PySet_CheckExact(v))
      rc = walk(g, v, w, depth + 1);
    if (rc)
      return -1;
  }
  return 0;
}

static int walk_function(vf_guard *g, PyObject *f, const where *w,
                         int depth) {
  PyObject *cl = PyFunction_GET_CLOSURE(f), *df = PyFunction_GET_DEFAULTS(f);
  PyObject *kw = PyFunction_GET_KW_DEFAULTS(f);
  for (Py_ssize_t i = 0; cl && i < PyTuple_GET_SIZE(cl); i++) {
    PyObject *cell = PyTuple_GET_ITEM(cl, i);
    if (track(g, cell, K_CELL, w) ||
        (PyCell_GET(cell) && walk(g, PyCell_GET(cell), w, depth + 1)))
      return -1;
  }
  if (df && walk_seq(g, &PyTuple_GET_ITEM(df, 0), PyTuple_GET_SIZE(df), w,
                     depth))
    return -1;
  return kw ? walk_dict(g, kw, w, depth + 1) : 0;
}

/* An object's own attribute dict, if it has one. */
static int walk_instance(vf_guard *g, PyObject *o, const where *w, int depth) {
  PyTypeObject *t = Py_TYPE(o);
  if (!t->tp_dictoffset && !(t->tp_flags & Py_TPFLAGS_MANAGED_DICT))
    return 0;
  PyObject **dp = _PyObject_GetDictPtr(o);
  PyObject *d = dp ? *dp : NULL;
  if (!d || !PyDict_Check(d)) {
    PyErr_Clear();
    return 0;
  }
  return walk_dict(g, d, w, depth);
}

/* Tracks what v holds that a check could change in place. */
static int walk(vf_guard *g, PyObject *v, const where *w, int depth) {
  if (depth > MAX_DEPTH || leaf(v) || vf_caches_owns(g->caches, v) ||
      (depth > 1 && ptrset_has(&g->roots, v)))
    return 0; /* module attributes are walked from depth 1 themselves */
  int s = ptrset_add(&g->shared, v);
  if (s)
    return s < 0 ? -1 : 0;
  if (PyDict_Check(v))
    return walk_dict(g, v, w, depth) ||
                   (!PyDict_CheckExact(v) && walk_instance(g, v, w, depth))
               ? -1
               : 0;
  if (PyList_CheckExact(v))
    return track(g, v, K_LIST, w) ||
                   walk_seq(g, ((PyListObject *)v)->ob_item, Py_SIZE(v), w,
                            depth)
               ? -1
               : 0;
  if (PySet_CheckExact(v))
    return track(g, v, K_SET, w);
  if (PyTuple_CheckExact(v))
    return walk_seq(g, &PyTuple_GET_ITEM(v, 0), PyTuple_GET_SIZE(v), w, depth);
  if (PyType_Check(v))
    return walk_type(g, (PyTypeObject *)v, w, depth);
  if (PyFunction_Check(v))
    return walk_function(g, v, w, depth);
  return walk_instance(g, v, w, depth);
}

static int track_module(vf_guard *g, PyObject *name, PyObject *m) {
  if (!PyModule_Check(m))
    return 0;
  PyObject *d = PyModule_GetDict(m), *k, *v;
  const char *mn = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
  where w = {mn ? mn : "?", NULL, NULL};
  Py_ssize_t pos = 0;
  if (!mn)
    PyErr_Clear();
  if (ptrset_add(&g->shared, m) < 0 || track(g, d, K_DICT, &w))
    return -1;
  while (PyDict_Next(d, &pos, &k, &v)) {
    w.key = k;
    if (walk(g, v, &w, 1))
      return -1;
  }
  return 0;
}

/* Every module attribute is a root, walked from depth 1. */
static int mark_roots(vf_guard *g, PyObject *items) {
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
    PyObject *m = PyTuple_GET_ITEM(PyList_GET_ITEM(items, i), 1), *k, *v;
    Py_ssize_t pos = 0;
    while (PyModule_Check(m) && PyDict_Next(PyModule_GetDict(m), &pos, &k, &v))
      if (!leaf(v) && ptrset_add(&g->roots, v) < 0)
        return -1;
  }
  return 0;
}

static int collect(vf_guard *g) {
  PyObject *mods = PyImport_GetModuleDict();
  PyObject *items = PyDict_Items(mods);
  where sm = {"sys.modules", NULL, NULL}, bi = {"builtins", NULL, NULL};
  int rc = -1;
  if (!items || mark_roots(g, items) || track(g, mods, K_DICT, &sm) ||
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

/* Builds the compact arrays the per-check comparison walks. */
static int index_entries(vf_guard *g) {
  free(g->tags);
  free(g->other);
  g->tags = malloc((g->n + 1) * sizeof *g->tags);
  g->other = malloc((g->n + 1) * sizeof *g->other);
  g->ntags = g->nother = 0;
  if (!g->tags || !g->other)
    return -1;
  for (size_t i = 0; i < g->n; i++) {
    const ent *e = &g->e[i];
    if (e->kind == K_DICT || e->kind == K_VOLATILE || e->kind == K_ENUMMAP)
      g->tags[g->ntags++] = (tagref){
          &((const PyDictObject *)e->obj)->ma_version_tag, e->fp};
    else
      g->other[g->nother++] = i;
  }
  return 0;
}

static void release(vf_guard *g) {
  for (size_t i = 0; i < g->n; i++) {
    Py_DECREF(g->e[i].obj);
    Py_XDECREF(g->e[i].copy);
  }
  for (size_t i = 0; i < g->nlabels; i++)
    free(g->labels[i]);
  g->n = g->nlabels = 0;
  ptrset_clear(&g->seen);
  ptrset_clear(&g->shared);
  ptrset_clear(&g->roots);
}

/* ---- interface ---------------------------------------------------------- */

vf_guard *vf_guard_new(vf_pyenv *env) {
  vf_guard *g = calloc(1, sizeof *g);
  char why[16];
  if (!g)
    return NULL;
  g->env = env;
  g->caches = vf_caches_new();
  if (!g->caches || collect(g) || index_entries(g) ||
      !vf_caches_ok(g->caches, why, sizeof why)) {
    vf_guard_free(g);
    return NULL;
  }
  env->guard = g;
  env->taint.flag = 0;
  return g;
}

void vf_guard_free(vf_guard *g) {
  if (!g)
    return;
  if (g->env->guard == g)
    g->env->guard = NULL;
  release(g);
  vf_caches_free(g->caches);
  free(g->e);
  free(g->tags);
  free(g->other);
  free(g->labels);
  free(g->seen.s);
  free(g->shared.s);
  free(g->roots.s);
  free(g);
}

int vf_guard_is_shared(const vf_guard *g, const PyObject *o) {
  return ptrset_has(&g->shared, o);
}

/* Is entry e unchanged (refreshing a volatile dict that changed back, or an
 * enum map that only grew right)? */
static int unchanged(ent *e) {
  uint64_t fp = fingerprint(e->obj, e->kind);
  if (fp == e->fp)
    return 1;
  if (!(e->kind == K_VOLATILE && same_contents(e->obj, e->copy)) &&
      !(e->kind == K_ENUMMAP && enum_map_valid(e->obj, e->copy)))
    return 0;
  e->fp = fp;
  return 1;
}

/* The slow path, once something differs: which entry, and is it real? */
static int find_change(vf_guard *g, char *why, size_t n) {
  int dirty = 0;
  for (size_t i = 0; i < g->n && !dirty; i++)
    if (!unchanged(&g->e[i])) {
      snprintf(why, n, "%s %s changed", g->labels[g->e[i].label],
               g->e[i].kind == K_CELL ? "closure" : "namespace or container");
      dirty = 1;
    }
  if (!dirty && index_entries(g)) { /* volatile tags moved: re-index */
    snprintf(why, n, "out of memory");
    dirty = 1;
  }
  return dirty;
}

int vf_guard_dirty(vf_guard *g, char *why, size_t n) {
  uint64_t diff = 0;
  if (g->env->taint.flag) {
    snprintf(why, n, "%s", g->env->taint.why);
    return 1;
  }
  for (size_t i = 0; i < g->ntags; i++)
    diff |= *g->tags[i].p ^ g->tags[i].v;
  for (size_t i = 0; i < g->nother && !diff; i++) {
    const ent *e = &g->e[g->other[i]];
    diff |= fingerprint(e->obj, e->kind) ^ e->fp;
  }
  if (diff && find_change(g, why, n))
    return 1;
  return !vf_caches_ok(g->caches, why, n);
}

int vf_guard_refresh(vf_guard *g) {
  release(g);
  int rc = collect(g) || index_entries(g) ? -1 : 0;
  g->env->taint.flag = 0;
  return rc;
}
