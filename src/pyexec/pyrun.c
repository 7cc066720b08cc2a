/*
 * pyrun.c: running one check inside a worker.  Each distinct function text
 * is compiled once per worker and kept in a small LRU keyed by a 64-bit
 * hash of the text (compared in full, so collisions cannot mix two texts
 * up).  Each call execs the cached code object into a fresh globals dict,
 * calls check_following(prompt, response) and takes PyObject_IsTrue of the
 * result, so no function-level state survives the call; every failure
 * becomes an error verdict "Type: message".  Used by worker.c.
 */
#include "pyexec/pyside.h"

#include <stdlib.h>
#include <string.h>

#define NO_ENTRY UINT32_MAX

struct vf_code {
  uint64_t hash;
  size_t len;
  char *text;       /* NUL-terminated copy: the key and the compiler input */
  PyObject *code;   /* NULL when it did not compile */
  char *error;      /* then: "SyntaxError: ..." */
  uint64_t used;    /* batch stamp for LRU */
  uint32_t next;    /* bucket chain */
};

struct vf_pyrun {
  vf_pyenv *env;
  PyObject *gc_collect; /* gc.collect (borrowed from env); NULL: no
                           collection after each check */
  vf_code **e; /* entries never move: the worker holds pointers to them */
  uint32_t *bucket;
  size_t max, cap, n, nbuckets; /* room for cap entries, up to max */
  uint64_t batch;
};

#define FIRST_CAP 16

/* Makes room for cap entries and 2 * cap buckets, rehashing. */
static int resize(vf_pyrun *r, size_t cap) {
  size_t nb = 1;
  while (nb < 2 * cap)
    nb *= 2;
  vf_code **e = realloc(r->e, cap * sizeof *e);
  if (e)
    r->e = e;
  uint32_t *b = e ? malloc(nb * sizeof *b) : NULL;
  if (!b)
    return -1;
  memset(b, 0xff, nb * sizeof *b);
  for (size_t i = 0; i < r->n; i++) {
    uint32_t *head = &b[r->e[i]->hash & (nb - 1)];
    r->e[i]->next = *head;
    *head = (uint32_t)i;
  }
  free(r->bucket);
  r->bucket = b;
  r->nbuckets = nb;
  r->cap = cap;
  return 0;
}

vf_pyrun *vf_pyrun_new(vf_pyenv *env, size_t cap, int collect) {
  vf_pyrun *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->env = env;
  r->max = cap;
  r->gc_collect = collect ? env->gc_collect : NULL;
  if (resize(r, cap < FIRST_CAP ? cap : FIRST_CAP)) {
    vf_pyrun_free(r);
    return NULL;
  }
  return r;
}

static void clear_entry(vf_code *c) {
  free(c->text);
  free(c->error);
  Py_XDECREF(c->code);
  c->text = c->error = NULL;
  c->code = NULL;
}

void vf_pyrun_free(vf_pyrun *r) {
  if (!r)
    return;
  for (size_t i = 0; i < r->n; i++) {
    clear_entry(r->e[i]);
    free(r->e[i]);
  }
  free(r->e);
  free(r->bucket);
  free(r);
}

void vf_pyrun_begin_batch(vf_pyrun *r) { r->batch++; }

static uint64_t hash_text(const char *s, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
  return h ^ n;
}

/* ---- errors ---------------------------------------------------------- */

/* Length of the longest prefix of s[0..n) that ends on a UTF-8 boundary. */
static size_t utf8_cut(const char *s, size_t n) {
  size_t i = n;
  while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
    i--;
  if (i == 0)
    return n;
  unsigned char lead = (unsigned char)s[i - 1];
  size_t want = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  return i - 1 + want > n ? i - 1 : n;
}

/* msg = "a: b" (or "a"), cut to VF_ERRMSG - 1 bytes on a UTF-8 boundary. */
static void put_msg(char *msg, const char *a, const char *b) {
  size_t max = VF_ERRMSG - 1, n = strlen(a);
  if (n > max)
    n = max;
  memcpy(msg, a, n);
  if (b && *b && n + 2 < max) {
    size_t lb = strlen(b);
    memcpy(msg + n, ": ", 2);
    n += 2;
    if (lb > max - n)
      lb = max - n;
    memcpy(msg + n, b, lb);
    n += lb;
  }
  msg[utf8_cut(msg, n)] = '\0';
}

/* str(exc) as UTF-8 (backslash escapes for lone surrogates); new ref. */
static PyObject *exc_text(PyObject *v) {
  PyObject *s = v ? PyObject_Str(v) : NULL;
  PyObject *b = s ? PyUnicode_AsEncodedString(s, "utf-8", "backslashreplace")
                  : NULL;
  Py_XDECREF(s);
  if (!b)
    PyErr_Clear();
  return b;
}

vf_pyerr_kind vf_pyrun_take_error(vf_pyenv *env, char *msg) {
  PyObject *t, *v, *tb;
  PyErr_Fetch(&t, &v, &tb);
  PyErr_NormalizeException(&t, &v, &tb);
  const char *name = t && PyType_Check(t) ? ((PyTypeObject *)t)->tp_name
                                          : "exception";
  const char *dot = strrchr(name, '.');
  int oom = t && PyErr_GivenExceptionMatches(t, PyExc_MemoryError);
  PyObject *b = oom ? NULL : exc_text(v); /* no allocation after OOM */
  char limit[64];
  snprintf(limit, sizeof limit, "out of the sandbox's %zu MiB",
           env ? env->memory_bytes >> 20 : 0);
  put_msg(msg, dot ? dot + 1 : name,
          b ? PyBytes_AS_STRING(b) : oom && env ? limit : NULL);
  Py_XDECREF(b);
  Py_XDECREF(t);
  Py_XDECREF(v);
  Py_XDECREF(tb);
  if (oom && env)
    vf_pyenv_taint(env, "MemoryError: the heap may be exhausted");
  return oom ? VF_PYERR_LIMIT : VF_PYERR_EXCEPTION;
}

/* ---- the cache ------------------------------------------------------- */

static int compile_into(vf_pyrun *r, vf_code *c, const char *text,
                        size_t len) {
  char msg[VF_ERRMSG];
  c->text = malloc(len + 1);
  if (!c->text)
    return -1;
  memcpy(c->text, text, len);
  c->text[len] = '\0';
  if (memchr(text, '\0', len)) {
    put_msg(msg, "SyntaxError", "source code string cannot contain null bytes");
  } else {
    c->code = Py_CompileString(c->text, "<check_following>", Py_file_input);
    if (c->code)
      return 0;
    vf_pyrun_take_error(r->env, msg);
  }
  c->error = strdup(msg);
  return c->error ? 0 : -1;
}

static void unlink_entry(vf_pyrun *r, uint32_t i) {
  uint32_t *p = &r->bucket[r->e[i]->hash & (r->nbuckets - 1)];
  while (*p != i)
    p = &r->e[*p]->next;
  *p = r->e[i]->next;
}

/* A free entry: a new one (growing the table up to max), or the least
 * recently used of older batches. */
static uint32_t take_entry(vf_pyrun *r) {
  if (r->n == r->cap && r->cap < r->max &&
      resize(r, 2 * r->cap < r->max ? 2 * r->cap : r->max) != 0)
    return NO_ENTRY;
  if (r->n < r->cap) {
    r->e[r->n] = calloc(1, sizeof **r->e);
    return r->e[r->n] ? (uint32_t)r->n++ : NO_ENTRY;
  }
  uint32_t best = NO_ENTRY;
  for (uint32_t i = 0; i < r->cap; i++)
    if (r->e[i]->used != r->batch &&
        (best == NO_ENTRY || r->e[i]->used < r->e[best]->used))
      best = i;
  if (best != NO_ENTRY) {
    unlink_entry(r, best);
    clear_entry(r->e[best]);
  }
  return best;
}

vf_code *vf_pyrun_code(vf_pyrun *r, const char *text, size_t len,
                       int *compiled) {
  uint64_t h = hash_text(text, len);
  uint32_t *head = &r->bucket[h & (r->nbuckets - 1)];
  for (uint32_t i = *head; i != NO_ENTRY; i = r->e[i]->next) {
    vf_code *c = r->e[i];
    if (c->hash == h && c->len == len && memcmp(c->text, text, len) == 0) {
      c->used = r->batch;
      return c;
    }
  }
  uint32_t i = take_entry(r);
  if (i == NO_ENTRY)
    return NULL;
  head = &r->bucket[h & (r->nbuckets - 1)]; /* the table may have grown */
  *compiled = 1;
  vf_code *c = r->e[i];
  *c = (vf_code){h, len, NULL, NULL, NULL, r->batch, *head};
  if (compile_into(r, c, text, len)) {
    clear_entry(c);
    c->len = (size_t)-1; /* never matches; reused later */
  }
  *head = i;
  return c->text ? c : NULL;
}

/* ---- one check ------------------------------------------------------- */

static void set_error(vf_shm_result *res, char *msg, vf_pyerr_kind k) {
  res->verdict = VF_PY_ERROR;
  res->kind = (uint8_t)k;
  res->msg_len = (uint16_t)strlen(msg);
}

/* Runs the module text into g and returns check_following (new ref). */
static PyObject *load_function(vf_pyrun *r, const vf_code *c, PyObject *g,
                               vf_shm_result *res, char *msg) {
  PyObject *rv = NULL, *fn = NULL;
  if (PyDict_SetItem(g, r->env->s_builtins, r->env->builtins) == 0)
    rv = PyEval_EvalCode(c->code, g, g);
  if (!rv) {
    set_error(res, msg, vf_pyrun_take_error(r->env, msg));
    return NULL;
  }
  Py_DECREF(rv);
  fn = PyDict_GetItemWithError(g, r->env->s_check);
  if (!fn || !PyCallable_Check(fn)) {
    if (PyErr_Occurred())
      PyErr_Clear();
    put_msg(msg, "NameError", fn ? "check_following is not callable"
                                 : "check_following is not defined");
    set_error(res, msg, VF_PYERR_NOFUNC);
    return NULL;
  }
  Py_INCREF(fn);
  return fn;
}

/* Garbage a check leaves in reference cycles would otherwise be finalized
 * (its __del__ and weakref callbacks run) during some later check.  It is
 * collected here, inside the check that made it: from the youngest
 * generation when no collection ran during the check (so all its garbage
 * is still there), else from all of them. */
static void collect_leftovers(vf_pyrun *r, unsigned long long runs) {
  if (!r->gc_collect)
    return;
  PyObject *gen = PyLong_FromLong(r->env->gc_runs == runs ? 0 : 2);
  PyObject *n = gen ? PyObject_CallOneArg(r->gc_collect, gen) : NULL;
  Py_XDECREF(n);
  Py_XDECREF(gen);
  PyErr_Clear();
}

void vf_pyrun_check(vf_pyrun *r, const vf_code *c, PyObject *prompt,
                    PyObject *response, vf_shm_result *res, char *msg) {
  memset(res, 0, sizeof *res);
  if (!c->code) {
    put_msg(msg, c->error, NULL);
    set_error(res, msg, VF_PYERR_COMPILE);
    return;
  }
  unsigned long long runs = r->env->gc_runs;
  PyObject *g = PyDict_New(), *fn = NULL, *out = NULL;
  if (!g) {
    set_error(res, msg, vf_pyrun_take_error(r->env, msg));
    return;
  }
  fn = load_function(r, c, g, res, msg);
  if (fn) {
    PyObject *args[2] = {prompt, response};
    out = PyObject_Vectorcall(fn, args, 2, NULL);
    int t = out ? PyObject_IsTrue(out) : -1;
    if (t < 0)
      set_error(res, msg, vf_pyrun_take_error(r->env, msg));
    else
      res->verdict = t ? VF_PY_TRUE : VF_PY_FALSE;
  }
  Py_XDECREF(out);
  Py_XDECREF(fn);
  PyDict_Clear(g); /* breaks the function <-> globals cycle at once */
  Py_DECREF(g);
  if (PyErr_Occurred()) /* e.g. a __del__ that raised while clearing */
    PyErr_Clear();
  collect_leftovers(r, runs);
}
