/*
 * llmcall.c: the built-in module `llm_call` that VerInstruct's soft checks
 * import (`from llm_call import llm_score`).  Each of llm_score, llm_judge
 * and llm_extract JSON-encodes its arguments ([*args] plus a kwargs object
 * if any), sends them to the parent over the worker's channel and blocks
 * for the reply: a JSON value to return, or a message raised as
 * RuntimeError ("llm_call.llm_score: no judge configured" when the pool has
 * no callback).  Registered by pyenv.c; pointed at a channel by worker.c.
 */
#include "pyexec/pyside.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct llm_state {
  int fd; /* the worker's channel; -1 in the zygote */
} llm_state;

static llm_state *state_of(PyObject *m) { return PyModule_GetState(m); }

/* json.dumps of [*args] (+ [kwargs]); new reference or NULL. */
static PyObject *encode_args(PyObject *args, PyObject *kw) {
  PyObject *json = PyImport_ImportModule("json");
  PyObject *list = PySequence_List(args), *out = NULL;
  if (json && list && (!kw || PyDict_GET_SIZE(kw) == 0 ||
                       PyList_Append(list, kw) == 0))
    out = PyObject_CallMethod(json, "dumps", "(O)", list);
  Py_XDECREF(json);
  Py_XDECREF(list);
  return out;
}

/* Sends fn\0json and waits for the reply frame; returns the payload
 * (malloc'd, NUL-terminated) and its status, or NULL with an exception. */
static char *exchange(int fd, const char *fn, const char *json, size_t jlen,
                      int32_t *status) {
  size_t flen = strlen(fn) + 1;
  char *req = malloc(flen + jlen);
  if (!req)
    return (char *)PyErr_NoMemory();
  memcpy(req, fn, flen);
  memcpy(req + flen, json, jlen);
  int bad = vf_ipc_send_frame(fd, VF_FR_LLM_REQ, req, flen + jlen);
  free(req);
  vf_frame_hdr h;
  if (bad || vf_ipc_read_all(fd, &h, sizeof h) || h.type != VF_FR_LLM_REPLY ||
      h.len < sizeof *status || h.len > VF_FRAME_UP_MAX) {
    PyErr_SetString(PyExc_RuntimeError, "llm_call: channel to verif broken");
    return NULL;
  }
  char *rep = malloc((size_t)h.len + 1);
  if (!rep || vf_ipc_read_all(fd, rep, h.len)) {
    free(rep);
    PyErr_SetString(PyExc_RuntimeError, "llm_call: channel to verif broken");
    return NULL;
  }
  rep[h.len] = '\0';
  memcpy(status, rep, sizeof *status);
  return rep;
}

static PyObject *decode_reply(const char *fn, int32_t status, const char *p) {
  if (status != 0) {
    PyErr_Format(PyExc_RuntimeError, "llm_call.%s: %s", fn, p);
    return NULL;
  }
  PyObject *json = PyImport_ImportModule("json");
  PyObject *v = json ? PyObject_CallMethod(json, "loads", "(s)", p) : NULL;
  Py_XDECREF(json);
  return v;
}

static PyObject *call(PyObject *m, const char *fn, PyObject *args,
                      PyObject *kw) {
  llm_state *st = state_of(m);
  if (!st || st->fd < 0) {
    PyErr_Format(PyExc_RuntimeError, "llm_call.%s: no judge configured", fn);
    return NULL;
  }
  PyObject *enc = encode_args(args, kw);
  Py_ssize_t jlen;
  const char *json = enc ? PyUnicode_AsUTF8AndSize(enc, &jlen) : NULL;
  int32_t status = 0;
  char *rep = json ? exchange(st->fd, fn, json, (size_t)jlen, &status) : NULL;
  Py_XDECREF(enc);
  if (!rep)
    return NULL;
  PyObject *v = decode_reply(fn, status, rep + sizeof status);
  free(rep);
  return v;
}

static PyObject *llm_score(PyObject *m, PyObject *args, PyObject *kw) {
  return call(m, "llm_score", args, kw);
}
static PyObject *llm_judge(PyObject *m, PyObject *args, PyObject *kw) {
  return call(m, "llm_judge", args, kw);
}
static PyObject *llm_extract(PyObject *m, PyObject *args, PyObject *kw) {
  return call(m, "llm_extract", args, kw);
}

#define FN(f) (PyCFunction)(void (*)(void))(f)
static PyMethodDef methods[] = {
    {"llm_extract", FN(llm_extract), METH_VARARGS | METH_KEYWORDS,
     "Asks verif's judge to extract; see verif's pyexec.h."},
    {"llm_judge", FN(llm_judge), METH_VARARGS | METH_KEYWORDS,
     "Asks verif's judge for a verdict."},
    {"llm_score", FN(llm_score), METH_VARARGS | METH_KEYWORDS,
     "Asks verif's judge for a score."},
    {NULL, NULL, 0, NULL},
};

static int exec_module(PyObject *m) {
  state_of(m)->fd = -1;
  return 0;
}

static PyModuleDef_Slot slots[] = {{Py_mod_exec, exec_module}, {0, NULL}};

static struct PyModuleDef llm_def = {
    PyModuleDef_HEAD_INIT, "llm_call",
    "Bridge from sandboxed verification code to verif's LLM judge.",
    sizeof(llm_state),     methods,
    slots,                 NULL,
    NULL,                  NULL,
};

static PyObject *init_llm_call(void) { return PyModuleDef_Init(&llm_def); }

int vf_llmcall_register(void) {
  return PyImport_AppendInittab("llm_call", init_llm_call);
}

void vf_llmcall_set_channel(PyObject *module, int fd) {
  llm_state *st = state_of(module);
  if (st)
    st->fd = fd;
}
