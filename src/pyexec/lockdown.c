/*
 * lockdown.c: the last thing the zygote does to its interpreter, so that
 * every process forked from it starts locked.  Defence in depth inside the
 * process; the boundary between rows is the process itself (pyexec.h).
 *  - Denied (the check gets an exception): building code objects
 *    (types.CodeType, code.replace, marshal.loads) and assigning __code__,
 *    which is how pure Python reaches arbitrary memory; os.system; walks of
 *    the whole heap; and every import of a module not already in
 *    sys.modules: the import statement (audit event "import") and _imp's
 *    loaders, which importlib's own functions reach without that event.
 *  - Wrapped: functions that change interpreter-wide C state.  A call
 *    taints the worker (VF_ISOLATION_SHARED replaces it after the check);
 *    a wrapper's __self__ is a small integer, the originals live only here,
 *    and the modules' init copies (re-created by _imp) get the wrappers too.
 *  - Tainting audit events: what the guard's snapshot cannot see.
 * Called by zygote.c through vf_lockdown (pyside.h).
 */
#include "pyexec/pyside.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static vf_pyenv *lock_env; /* the environment the hooks report to */
static unsigned lock_flags;

/* ---- wrappers -------------------------------------------------------- */

static PyObject *wrapped_call(PyObject *self, PyObject *args, PyObject *kw);
#define WRAP(mod, fn)                                                         \
  {                                                                           \
    mod, {                                                                    \
      fn, (PyCFunction)(void (*)(void))wrapped_call,                          \
          METH_VARARGS | METH_KEYWORDS, NULL                                  \
    }                                                                         \
  }
/* Sorted by qualified name. */
static struct {
  const char *module;
  PyMethodDef def;
} wraps[] = {
    WRAP("_abc", "_abc_register"), /* ABC.register(dict) changes isinstance */
    WRAP("_codecs", "register"),
    WRAP("_codecs", "register_error"),
    WRAP("_codecs", "unregister"),
    WRAP("_locale", "setlocale"), /* queries (no locale given) do not count */
    WRAP("gc", "disable"),
    WRAP("gc", "freeze"),
    WRAP("gc", "set_debug"),
    WRAP("gc", "set_threshold"),
    WRAP("posix", "putenv"),
    WRAP("posix", "unsetenv"),
    WRAP("sys", "set_asyncgen_hooks"),
    WRAP("sys", "set_int_max_str_digits"),
    WRAP("sys", "setrecursionlimit"),
    WRAP("sys", "setswitchinterval"),
};
#define NWRAPS (sizeof wraps / sizeof *wraps)

static PyObject *originals[NWRAPS];

/* setlocale(category) and setlocale(category, None) only ask. */
static int is_query(const char *name, PyObject *args, PyObject *kw) {
  if (strcmp(name, "setlocale") != 0 || (kw && PyDict_GET_SIZE(kw)))
    return 0;
  return PyTuple_GET_SIZE(args) < 2 || PyTuple_GET_ITEM(args, 1) == Py_None;
}

static PyObject *wrapped_call(PyObject *self, PyObject *args, PyObject *kw) {
  long i = PyLong_Check(self) ? PyLong_AsLong(self) : -1;
  if (i < 0 || (size_t)i >= NWRAPS || !originals[i]) {
    PyErr_SetString(PyExc_RuntimeError, "sandbox: unknown wrapper");
    return NULL;
  }
  const char *name = wraps[i].def.ml_name;
  if (lock_env && !is_query(name, args, kw))
    vf_pyenv_taint(lock_env, "%s() changes interpreter-wide state", name);
  return PyObject_Call(originals[i], args, kw);
}

/* Replaces every module attribute that is orig by wrapper, in sys.modules
 * and in the copies single-phase modules are re-created from. */
static int replace_everywhere(PyObject *orig, PyObject *wrapper) {
  PyObject *mods = PyDict_Values(PyImport_GetModuleDict());
  if (!mods)
    return -1;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(mods); i++) {
    PyObject *m = PyList_GET_ITEM(mods, i), *k, *v;
    PyModuleDef *def = PyModule_Check(m) ? PyModule_GetDef(m) : NULL;
    PyObject *dicts[2] = {PyModule_Check(m) ? PyModule_GetDict(m) : NULL,
                          def ? def->m_base.m_copy : NULL};
    PyErr_Clear(); /* modules without a def */
    for (int d = 0; d < 2; d++) {
      Py_ssize_t pos = 0;
      while (dicts[d] && PyDict_Next(dicts[d], &pos, &k, &v))
        if (v == orig && PyDict_SetItem(dicts[d], k, wrapper) < 0) {
          Py_DECREF(mods);
          return -1;
        }
    }
  }
  Py_DECREF(mods);
  return 0;
}

static int wrap_one(size_t i) {
  PyObject *mod = PyImport_ImportModule(wraps[i].module);
  PyObject *orig = mod ? PyObject_GetAttrString(mod, wraps[i].def.ml_name)
                       : NULL;
  Py_XDECREF(mod);
  if (!orig) { /* not in this Python: nothing to guard */
    PyErr_Clear();
    return 0;
  }
  PyObject *self = PyLong_FromSize_t(i);
  PyObject *fn = self ? PyCFunction_NewEx(&wraps[i].def, self, NULL) : NULL;
  int rc = fn ? replace_everywhere(orig, fn) : -1;
  Py_XDECREF(fn);
  Py_XDECREF(self);
  originals[i] = orig; /* kept for life, reachable from here only */
  return rc;
}

/* ---- _imp ------------------------------------------------------------ */

/* importlib's loaders for built-in, frozen and extension modules; the
 * sandbox replaces them all by one that refuses. */
static const char *const imp_loaders[] = {
    "_override_frozen_modules_for_tests", "create_builtin", "create_dynamic",
    "exec_builtin", "exec_dynamic", "find_frozen", "get_frozen_object",
    "init_frozen", "is_frozen_package",
};

static PyObject *refuse_load(PyObject *self, PyObject *const *args,
                             Py_ssize_t n) {
  PyErr_SetString(PyExc_ModuleNotFoundError,
                  "the sandbox imports no module that is not already loaded");
  return NULL;
}

static PyMethodDef refuse_def = {
    "refused", (PyCFunction)(void (*)(void))refuse_load, METH_FASTCALL,
    NULL};

static int lock_imp(void) {
  PyObject *imp = PyImport_ImportModule("_imp");
  PyObject *fn = PyCFunction_NewEx(&refuse_def, NULL, NULL);
  int rc = imp && fn ? 0 : -1;
  for (size_t i = 0; rc == 0 && i < sizeof imp_loaders / sizeof *imp_loaders;
       i++)
    if (PyObject_HasAttrString(imp, imp_loaders[i]))
      rc = PyObject_SetAttrString(imp, imp_loaders[i], fn);
  Py_XDECREF(fn);
  Py_XDECREF(imp);
  return rc;
}

/* ---- the audit hook -------------------------------------------------- */

/* Events refused outright, sorted.  arg: deny only when the event's second
 * argument is this attribute name (NULL: always).  code: what a test may
 * allow with VF_LOCK_ALLOW_CODE. */
typedef struct deny {
  const char *event, *arg;
  int code;
  const char *why;
} deny;

static const deny denied[] = {
    {"code.__new__", NULL, 1, "the sandbox builds no code objects"},
    {"gc.get_objects", NULL, 0, "the sandbox does not walk the heap"},
    {"gc.get_referents", NULL, 0, "the sandbox does not walk the heap"},
    {"gc.get_referrers", NULL, 0, "the sandbox does not walk the heap"},
    {"import", NULL, 0, NULL}, /* ModuleNotFoundError, below */
    {"marshal.load", NULL, 0, "the sandbox builds no code objects"},
    {"marshal.loads", NULL, 0, "the sandbox builds no code objects"},
    {"object.__setattr__", "__code__", 1,
     "the sandbox does not replace code objects"},
    {"os.system", NULL, 0, NULL}, /* PermissionError, below */
};

/* Events after which the snapshot cannot vouch for the state: function
 * defaults and special type attributes swapped, tracing, new audit hooks.
 * Sorted. */
static const char *const taint_events[] = {
    "object.__delattr__", "object.__setattr__", "sys.addaudithook",
    "sys.setprofile",     "sys.settrace",
};

static int cmp_deny(const void *a, const void *b) {
  return strcmp(a, ((const deny *)b)->event);
}

static int cmp_event(const void *a, const void *b) {
  return strcmp(a, *(const char *const *)b);
}

/* Does args[1] name the attribute d is about? */
static int arg_matches(const deny *d, PyObject *args) {
  if (!d->arg)
    return 1;
  PyObject *a = PyTuple_Check(args) && PyTuple_GET_SIZE(args) >= 2
                    ? PyTuple_GET_ITEM(args, 1)
                    : NULL;
  return a && PyUnicode_Check(a) &&
         PyUnicode_CompareWithASCIIString(a, d->arg) == 0;
}

/* Raises the refusal for event d. */
static int refuse(const deny *d, PyObject *args) {
  PyObject *name = PyTuple_Check(args) && PyTuple_GET_SIZE(args) >= 1
                       ? PyTuple_GET_ITEM(args, 0)
                       : NULL;
  if (strcmp(d->event, "import") == 0 && name && PyUnicode_Check(name))
    PyErr_Format(PyExc_ModuleNotFoundError,
                 "No module named %R (the sandbox imports only the modules "
                 "it loaded at start)",
                 name);
  else if (strcmp(d->event, "os.system") == 0)
    PyErr_SetString(PyExc_PermissionError,
                    "os.system: the sandbox runs no processes");
  else
    PyErr_Format(PyExc_RuntimeError, "%s: %s", d->event,
                 d->why ? d->why : "refused by the sandbox");
  return -1;
}

/* A __setattr__ event on an object the check created itself (a class it
 * defined, a namedtuple) concerns no other check. */
static int private_target(vf_pyenv *env, const char *event, PyObject *args) {
  if (!env->guard || strncmp(event, "object.__", 9) != 0 ||
      !PyTuple_Check(args) || PyTuple_GET_SIZE(args) < 1)
    return 0;
  return !vf_guard_is_shared(env->guard, PyTuple_GET_ITEM(args, 0));
}

static int audit_hook(const char *event, PyObject *args, void *ud) {
  const deny *d = bsearch(event, denied, sizeof denied / sizeof *denied,
                          sizeof *denied, cmp_deny);
  if (d && arg_matches(d, args) &&
      !(d->code && (lock_flags & VF_LOCK_ALLOW_CODE)))
    return refuse(d, args);
  if (strncmp(event, "ctypes.", 7) == 0) {
    PyErr_Format(PyExc_RuntimeError, "%s: refused by the sandbox", event);
    return -1;
  }
  if (bsearch(event, taint_events, sizeof taint_events / sizeof *taint_events,
              sizeof *taint_events, cmp_event) &&
      !private_target(ud, event, args))
    vf_pyenv_taint(ud, "audit event %s", event);
  return 0;
}

/* ---- interface ------------------------------------------------------- */

int vf_lockdown(vf_pyenv *env, unsigned flags) {
  lock_env = env;
  lock_flags = flags;
  for (size_t i = 0; i < NWRAPS; i++)
    if (wrap_one(i))
      return -1;
  if (lock_imp())
    return -1;
  return PySys_AddAuditHook(audit_hook, env) < 0 ? -1 : 0;
}
