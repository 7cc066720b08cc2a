/*
 * pyenv.c: the interpreter the zygote builds once and every worker inherits
 * by fork.  It initialises CPython isolated (no site, no environment: the
 * zygote was started with an empty one), imports up front everything
 * verification code commonly uses (these modules, and the ones they import,
 * are all a check can import: lockdown.c refuses the rest), replaces stdio
 * with inert objects, counts collections, and freezes the heap.
 */
#include "pyexec/pyside.h"

#include <malloc.h>
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

void vf_pyenv_taint(vf_pyenv *env, const char *fmt, ...) {
  if (env->taint.flag)
    return;
  env->taint.flag = 1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(env->taint.why, sizeof env->taint.why, fmt, ap);
  va_end(ap);
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

static int import_all(char *why, size_t n);

/* A stand-in for os.register_at_fork while the pre-imports run. */
static PyObject *no_hook(PyObject *self, PyObject *args, PyObject *kw) {
  Py_RETURN_NONE;
}

static PyMethodDef no_hook_def = {
    "register_at_fork", (PyCFunction)(void (*)(void))no_hook,
    METH_VARARGS | METH_KEYWORDS, NULL};

/* Swaps os.register_at_fork with *fn (NULL: with no_hook). */
static int swap_at_fork(PyObject **fn) {
  PyObject *os = PyImport_ImportModule("os");
  PyObject *old = os ? PyObject_GetAttrString(os, "register_at_fork") : NULL;
  PyObject *rep = *fn ? *fn : PyCFunction_NewEx(&no_hook_def, NULL, NULL);
  int rc = old && rep ? PyObject_SetAttrString(os, "register_at_fork", rep)
                      : -1;
  if (*fn)
    Py_DECREF(*fn);
  else
    Py_XDECREF(rep);
  *fn = old;
  Py_XDECREF(os);
  return rc;
}

/* Imports the table.  The at-fork hooks the modules would register
 * (random's reseed, Python code that costs every fresh process about 45
 * page faults) are left out: workers reseed random in C (vf_pyenv_reseed). */
static int preload_all(char *why, size_t n) {
  PyObject *hook = NULL;
  if (swap_at_fork(&hook)) {
    vf_pyrun_take_error(NULL, why);
    return -1;
  }
  int rc = import_all(why, n);
  if (swap_at_fork(&hook) && rc == 0) {
    vf_pyrun_take_error(NULL, why);
    rc = -1;
  }
  Py_XDECREF(hook);
  return rc;
}

static int import_all(char *why, size_t n) {
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
  cfg.site_import = 0; /* no .pth files run in the zygote */
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
  PyObject *gc = PyImport_ImportModule("gc");
  env->gc_collect = gc ? PyObject_GetAttrString(gc, "collect") : NULL;
  Py_XDECREF(gc);
  PyObject *rnd = PyImport_ImportModule("random");
  PyObject *crnd = PyImport_ImportModule("_random");
  PyObject *type = crnd ? PyObject_GetAttrString(crnd, "Random") : NULL;
  env->random_inst = rnd ? PyObject_GetAttrString(rnd, "_inst") : NULL;
  env->random_seed = type ? PyObject_GetAttrString(type, "seed") : NULL;
  Py_XDECREF(rnd);
  Py_XDECREF(crnd);
  Py_XDECREF(type);
  return env->builtins && env->s_builtins && env->s_check &&
                 env->llm_module && env->gc_collect && env->random_inst &&
                 env->random_seed
             ? 0
             : -1;
}

int vf_pyenv_reseed(vf_pyenv *env) {
  PyObject *r = PyObject_CallOneArg(env->random_seed, env->random_inst);
  if (!r) {
    PyErr_Clear();
    return -1;
  }
  Py_DECREF(r);
  return 0;
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
  malloc_trim(0); /* free heap pages go back: workers get them zeroed,
                     not copied, and fork has fewer pages to share */
  return env;
pyfail:
  vf_pyrun_take_error(NULL, why);
  return NULL;
}
