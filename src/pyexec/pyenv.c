/*
 * pyenv.c: the interpreter the zygote builds once and every worker inherits
 * by fork.  It initialises CPython isolated from the environment, imports
 * up front everything verification code commonly uses (a worker cannot
 * open a file later, so nothing else can be imported there), replaces
 * stdio with inert objects, and arms the tripwires of the isolation design:
 * wrappers around the functions that change interpreter-wide state, and an
 * audit hook that notices the operations guard.c's snapshot cannot see.
 */
#include "pyexec/pyside.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Imported in the zygote.  The first group is required; the rest is what
 * verification code commonly imports (samples.jsonl itself only uses re and
 * llm_call) and whatever their lazy imports would need later. */
static const struct {
  const char *name;
  int required;
} preload[] = {
    {"re", 1},
    {"json", 1},
    {"string", 1},
    {"math", 1},
    {"collections", 1},
    {"itertools", 1},
    {"unicodedata", 1},
    {"llm_call", 1},
    {"collections.abc", 0},
    {"functools", 0},
    {"operator", 0},
    {"random", 0},
    {"time", 0},
    {"datetime", 0},
    {"calendar", 0},
    {"locale", 0},
    {"_strptime", 0},
    {"textwrap", 0},
    {"copy", 0},
    {"heapq", 0},
    {"bisect", 0},
    {"difflib", 0},
    {"typing", 0},
    {"html", 0},
    {"keyword", 0},
    {"fnmatch", 0},
    {"base64", 0},
    {"gc", 0},
    {"warnings", 0},
    {"linecache", 0},
    {"encodings.ascii", 0},
    {"encodings.latin_1", 0},
    {"encodings.utf_8_sig", 0},
    {"encodings.utf_16", 0},
    {"encodings.utf_32", 0},
    {"encodings.cp1252", 0},
    {"encodings.unicode_escape", 0},
    {"encodings.raw_unicode_escape", 0},
    {"encodings.idna", 0},
};

/* sys.std* become instances of this: print() works and writes nothing, and
 * closing them changes nothing a later check could see. */
static const char stdio_src[] =
    "class NullIO:\n"
    "    __slots__ = ()\n"
    "    encoding = 'utf-8'\n"
    "    errors = 'strict'\n"
    "    newlines = None\n"
    "    closed = False\n"
    "    def write(self, s):\n"
    "        if not isinstance(s, str):\n"
    "            raise TypeError('write() argument must be str, not '\n"
    "                            + type(s).__name__)\n"
    "        return len(s)\n"
    "    def writelines(self, lines):\n"
    "        for s in lines:\n"
    "            self.write(s)\n"
    "    def flush(self): pass\n"
    "    def close(self): pass\n"
    "    def read(self, n=-1): return ''\n"
    "    def readline(self, n=-1): return ''\n"
    "    def readlines(self, n=-1): return []\n"
    "    def readable(self): return True\n"
    "    def writable(self): return True\n"
    "    def seekable(self): return False\n"
    "    def isatty(self): return False\n"
    "    def fileno(self):\n"
    "        raise OSError('the sandbox has no file descriptors')\n"
    "    def __iter__(self): return iter(())\n"
    "    def __enter__(self): return self\n"
    "    def __exit__(self, *a): return None\n"
    "import sys\n"
    "try:\n"  /* fills sys.path_importer_cache for every path entry */
    "    import _verif_no_such_module\n"
    "except ImportError:\n"
    "    pass\n"
    "sys.stdin = sys.stdout = sys.stderr = NullIO()\n"
    "sys.__stdin__ = sys.__stdout__ = sys.__stderr__ = sys.stdout\n";

/* Functions whose effect lives in C state no snapshot can compare: calling
 * one taints the worker.  Sorted by qualified name. */
static PyObject *wrapped_call(PyObject *self, PyObject *args, PyObject *kw);
#define WRAP(mod, fn)                                                         \
  {                                                                           \
    mod, {                                                                    \
      fn, (PyCFunction)(void (*)(void))wrapped_call,                          \
          METH_VARARGS | METH_KEYWORDS, NULL                                  \
    }                                                                         \
  }
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

/* setlocale(category) and setlocale(category, None) only ask. */
static int is_query(const char *name, PyObject *args, PyObject *kw) {
  if (strcmp(name, "setlocale") != 0 || (kw && PyDict_GET_SIZE(kw)))
    return 0;
  return PyTuple_GET_SIZE(args) < 2 || PyTuple_GET_ITEM(args, 1) == Py_None;
}

/* Audit events after which the snapshot cannot vouch for the state:
 * function code/defaults and special type attributes swapped, tracing,
 * new audit hooks, walks of the whole object graph.  Sorted. */
static const char *const taint_events[] = {
    "gc.get_objects",     "gc.get_referents",   "gc.get_referrers",
    "object.__delattr__", "object.__setattr__", "sys.addaudithook",
    "sys.setprofile",     "sys.settrace",
};

void vf_pyenv_taint(vf_pyenv *env, const char *fmt, ...) {
  if (env->taint.flag)
    return;
  env->taint.flag = 1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(env->taint.why, sizeof env->taint.why, fmt, ap);
  va_end(ap);
}

static int cmp_event(const void *a, const void *b) {
  return strcmp(a, *(const char *const *)b);
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
  if ((strncmp(event, "ctypes.", 7) == 0 ||
       bsearch(event, taint_events, sizeof taint_events / sizeof *taint_events,
               sizeof *taint_events, cmp_event)) &&
      !private_target(ud, event, args))
    vf_pyenv_taint(ud, "audit event %s", event);
  return 0;
}

static PyObject *wrapped_call(PyObject *self, PyObject *args, PyObject *kw) {
  PyObject *orig = PyTuple_GET_ITEM(self, 0);
  vf_pyenv *env = PyCapsule_GetPointer(PyTuple_GET_ITEM(self, 2), "vf_pyenv");
  const char *name = PyUnicode_AsUTF8(PyTuple_GET_ITEM(self, 1));
  if (env && name && !is_query(name, args, kw))
    vf_pyenv_taint(env, "%s() changes interpreter-wide state", name);
  return PyObject_Call(orig, args, kw);
}

/* Replaces every module attribute that is orig by wrapper. */
static int replace_everywhere(PyObject *orig, PyObject *wrapper) {
  PyObject *mods = PyDict_Values(PyImport_GetModuleDict());
  if (!mods)
    return -1;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(mods); i++) {
    PyObject *m = PyList_GET_ITEM(mods, i), *k, *v;
    PyObject *d = PyModule_Check(m) ? PyModule_GetDict(m) : NULL;
    Py_ssize_t pos = 0;
    while (d && PyDict_Next(d, &pos, &k, &v))
      if (v == orig && PyDict_SetItem(d, k, wrapper) < 0) {
        Py_DECREF(mods);
        return -1;
      }
  }
  Py_DECREF(mods);
  return 0;
}

static int wrap_one(vf_pyenv *env, size_t i) {
  PyObject *mod = PyImport_ImportModule(wraps[i].module);
  PyObject *orig = mod ? PyObject_GetAttrString(mod, wraps[i].def.ml_name)
                       : NULL;
  PyObject *self = NULL, *fn = NULL;
  int rc = -1;
  Py_XDECREF(mod);
  if (!orig) { /* not in this Python: nothing to guard */
    PyErr_Clear();
    return 0;
  }
  self = Py_BuildValue("(OsN)", orig, wraps[i].def.ml_name,
                       PyCapsule_New(env, "vf_pyenv", NULL));
  fn = self ? PyCFunction_NewEx(&wraps[i].def, self, NULL) : NULL;
  if (fn)
    rc = replace_everywhere(orig, fn);
  Py_XDECREF(fn);
  Py_XDECREF(self);
  Py_DECREF(orig);
  return rc;
}

/* In gc.callbacks: counts collections, so pyrun.c knows whether one ran
 * during a check. */
static PyObject *gc_tick(PyObject *self, PyObject *const *args,
                         Py_ssize_t n) {
  vf_pyenv *env = PyCapsule_GetPointer(self, "vf_pyenv");
  if (env && n >= 1 && PyUnicode_Check(args[0]) &&
      PyUnicode_CompareWithASCIIString(args[0], "start") == 0)
    env->gc_runs++;
  PyErr_Clear();
  Py_RETURN_NONE;
}

static PyMethodDef gc_tick_def = {
    "_verif_gc_tick", (PyCFunction)(void (*)(void))gc_tick, METH_FASTCALL,
    NULL};

static int count_collections(vf_pyenv *env) {
  PyObject *gc = PyImport_ImportModule("gc");
  PyObject *cbs = gc ? PyObject_GetAttrString(gc, "callbacks") : NULL;
  PyObject *cap = PyCapsule_New(env, "vf_pyenv", NULL);
  PyObject *fn = cap ? PyCFunction_NewEx(&gc_tick_def, cap, NULL) : NULL;
  int rc = cbs && fn && PyList_Check(cbs) ? PyList_Append(cbs, fn) : -1;
  Py_XDECREF(fn);
  Py_XDECREF(cap);
  Py_XDECREF(cbs);
  Py_XDECREF(gc);
  return rc;
}

static int run_source(const char *modname, const char *src) {
  PyObject *m = PyImport_AddModule(modname); /* borrowed, in sys.modules */
  PyObject *d = m ? PyModule_GetDict(m) : NULL;
  PyObject *r = d ? PyRun_String(src, Py_file_input, d, d) : NULL;
  Py_XDECREF(r);
  return r ? 0 : -1;
}

static int preload_all(char *why, size_t n) {
  for (size_t i = 0; i < sizeof preload / sizeof *preload; i++) {
    PyObject *m = PyImport_ImportModule(preload[i].name);
    if (m) {
      Py_DECREF(m);
      continue;
    }
    if (preload[i].required) {
      vf_pyrun_take_error(NULL, why);
      snprintf(why + strlen(why), n > strlen(why) ? n - strlen(why) : 0,
               " (importing %s)", preload[i].name);
      return -1;
    }
    PyErr_Clear();
  }
  return 0;
}

static int start_python(char *why, size_t n) {
  PyConfig cfg;
  PyConfig_InitIsolatedConfig(&cfg);
  cfg.install_signal_handlers = 0;
  cfg.write_bytecode = 0;
  cfg.parse_argv = 0;
  PyStatus st = Py_InitializeFromConfig(&cfg);
  PyConfig_Clear(&cfg);
  if (PyStatus_Exception(st)) {
    snprintf(why, n, "Python initialisation failed: %s",
             st.err_msg ? st.err_msg : "unknown error");
    return -1;
  }
  return 0;
}

static int fill_env(vf_pyenv *env) {
  env->builtins = PyEval_GetBuiltins(); /* borrowed; lives forever */
  Py_XINCREF(env->builtins);
  env->s_builtins = PyUnicode_InternFromString("__builtins__");
  env->s_check = PyUnicode_InternFromString("check_following");
  env->llm_module = PyImport_ImportModule("llm_call");
  return env->builtins && env->s_builtins && env->s_check && env->llm_module
             ? 0
             : -1;
}

vf_pyenv *vf_pyenv_init(size_t memory_bytes, char *why, size_t n) {
  vf_pyenv *env = calloc(1, sizeof *env);
  if (!env || vf_llmcall_register() || start_python(why, n)) {
    if (!env)
      snprintf(why, n, "out of memory");
    else if (!why[0])
      snprintf(why, n, "cannot register llm_call");
    free(env);
    return NULL;
  }
  env->memory_bytes = memory_bytes;
  if (preload_all(why, n))
    return NULL;
  if (run_source("_verif_stdio", stdio_src) || fill_env(env) ||
      count_collections(env))
    goto pyfail;
  /* Keep the collector away from the inherited heap: workers then share
   * its pages with the zygote instead of copying them on first GC. */
  if (PyRun_SimpleString("import gc\ngc.collect()\ngc.freeze()\n") != 0)
    goto pyfail;
  for (size_t i = 0; i < sizeof wraps / sizeof *wraps; i++)
    if (wrap_one(env, i))
      goto pyfail;
  if (PySys_AddAuditHook(audit_hook, env) < 0)
    goto pyfail;
  return env;
pyfail:
  vf_pyrun_take_error(NULL, why);
  return NULL;
}
