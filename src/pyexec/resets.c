/*
 * resets.c: state a shared worker (VF_ISOLATION_SHARED) puts back after
 * every check because the guard cannot vouch for it by comparison: the
 * values held inside functools.lru_cache objects (a check can edit a cached
 * value in place, as with re._compile_repl) and the random module's
 * generator (random.seed(0) would make the next check's draws known).  Row
 * processes need none of it: they die with their unit (and every worker
 * reseeds random at start).  Used by worker.c.
 */
#include "pyexec/pyside.h"

#include <stdlib.h>
#include <string.h>

/* _random.Random's object in CPython 3.11 (Modules/_randommodule.c): used
 * only when the type's size says it is this layout. */
typedef struct mt_state {
  PyObject_HEAD
  int index;
  uint32_t state[624];
} mt_state;

struct vf_resets {
  vf_pyenv *env;    /* random's generator and seed method */
  PyObject **clear; /* bound cache_clear methods */
  size_t n, cap;
  int compare;      /* the layout is known: reseed only on a change */
  mt_state saved;   /* the generator after the last reseed */
};

static int add_clear(vf_resets *r, PyObject *fn) {
  if (r->n == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 32;
    PyObject **c = realloc(r->clear, cap * sizeof *c);
    if (!c)
      return -1;
    r->clear = c;
    r->cap = cap;
  }
  Py_INCREF(fn);
  r->clear[r->n++] = fn;
  return 0;
}

/* Adds v.cache_clear when v is an lru_cache wrapper. */
static int consider(vf_resets *r, PyObject *lru_type, PyObject *v) {
  if (!PyObject_TypeCheck(v, (PyTypeObject *)lru_type))
    return 0;
  PyObject *fn = PyObject_GetAttrString(v, "cache_clear");
  int rc = fn ? add_clear(r, fn) : -1;
  Py_XDECREF(fn);
  return rc;
}

/* The lru caches among module attributes and class attributes. */
static int find_lru(vf_resets *r, PyObject *lru_type) {
  PyObject *mods = PyDict_Values(PyImport_GetModuleDict());
  int rc = mods ? 0 : -1;
  for (Py_ssize_t i = 0; rc == 0 && i < PyList_GET_SIZE(mods); i++) {
    PyObject *m = PyList_GET_ITEM(mods, i), *k, *v;
    Py_ssize_t pos = 0;
    while (rc == 0 && PyModule_Check(m) &&
           PyDict_Next(PyModule_GetDict(m), &pos, &k, &v)) {
      rc = consider(r, lru_type, v);
      PyObject *td = PyType_Check(v) ? ((PyTypeObject *)v)->tp_dict : NULL;
      Py_ssize_t tpos = 0;
      PyObject *tk, *tv;
      while (rc == 0 && td && PyDict_Next(td, &tpos, &tk, &tv))
        rc = consider(r, lru_type, tv);
    }
  }
  Py_XDECREF(mods);
  return rc;
}

/* typing keeps the cache_clear of every cache it made in _cleanups. */
static int add_typing(vf_resets *r) {
  PyObject *t = PyDict_GetItemString(PyImport_GetModuleDict(), "typing");
  PyObject *l = t ? PyObject_GetAttrString(t, "_cleanups") : NULL;
  int rc = 0;
  PyErr_Clear();
  for (Py_ssize_t i = 0; l && PyList_Check(l) && i < PyList_GET_SIZE(l) &&
                         rc == 0;
       i++)
    if (PyCallable_Check(PyList_GET_ITEM(l, i)))
      rc = add_clear(r, PyList_GET_ITEM(l, i));
  Py_XDECREF(l);
  return rc;
}

/* Is random's generator the 3.11 object whose state can be compared? */
static int comparable(const vf_pyenv *env) {
  PyObject *crnd = PyDict_GetItemString(PyImport_GetModuleDict(), "_random");
  PyObject *type = crnd ? PyObject_GetAttrString(crnd, "Random") : NULL;
  int ok = type && PyType_Check(type) &&
           ((PyTypeObject *)type)->tp_basicsize == sizeof(mt_state) &&
           PyObject_TypeCheck(env->random_inst, (PyTypeObject *)type);
  Py_XDECREF(type);
  PyErr_Clear();
  return ok;
}

static int reseed(vf_resets *r) {
  if (vf_pyenv_reseed(r->env))
    return -1;
  if (r->compare)
    memcpy(&r->saved.index, &((mt_state *)r->env->random_inst)->index,
           sizeof r->saved - offsetof(mt_state, index));
  return 0;
}

vf_resets *vf_resets_new(vf_pyenv *env) {
  vf_resets *r = calloc(1, sizeof *r);
  PyObject *ft = PyDict_GetItemString(PyImport_GetModuleDict(), "functools");
  PyObject *lru = ft ? PyObject_GetAttrString(ft, "_lru_cache_wrapper") : NULL;
  int rc = r ? 0 : -1;
  PyErr_Clear();
  if (r)
    r->env = env;
  if (rc == 0 && lru && PyType_Check(lru))
    rc = find_lru(r, lru);
  Py_XDECREF(lru);
  if (rc == 0)
    rc = add_typing(r);
  if (rc == 0) {
    r->compare = comparable(env);
    rc = reseed(r);
  }
  if (rc) {
    PyErr_Clear();
    vf_resets_free(r);
    return NULL;
  }
  return r;
}

void vf_resets_free(vf_resets *r) {
  if (!r)
    return;
  for (size_t i = 0; i < r->n; i++)
    Py_DECREF(r->clear[i]);
  free(r->clear);
  free(r);
}

int vf_resets_apply(vf_resets *r) {
  int rc = 0;
  for (size_t i = 0; i < r->n && rc == 0; i++) {
    PyObject *res = PyObject_CallNoArgs(r->clear[i]);
    rc = res ? 0 : -1;
    Py_XDECREF(res);
  }
  if (rc == 0 &&
      (!r->compare ||
       memcmp(&r->saved.index, &((mt_state *)r->env->random_inst)->index,
              sizeof r->saved - offsetof(mt_state, index)) != 0))
    rc = reseed(r);
  if (rc)
    PyErr_Clear();
  return rc;
}
