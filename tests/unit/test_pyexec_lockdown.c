/*
 * test_pyexec_lockdown.c: the defence in depth inside a sandboxed process
 * (src/pyexec/lockdown.c, docs/sandbox.md), under the row boundary:
 * code-object building and __code__ assignment denied; wrappers that hand
 * out no originals; os.system failing loudly; exactly the documented
 * modules importable; the judge key absent from the zygote's environment
 * and memory; a half-written frame on the channel bounded by the check
 * timeout; random's state fresh in every row; memory a row parks not
 * taken from the next row's limit.  With the denial switched off
 * (VERIF_PYEXEC_FAULT=code-objects, tests only) a row corrupts memory and
 * still changes no other row's verdict.
 */
#include <signal.h>
#include <stdarg.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "pyexec/pyexec.h"

#define HEAD "def check_following(instruction, response):\n"

static char secret[64]; /* made at run time: not in the executable's image */
static char modules[8192]; /* the documented list, space-separated */

static vf_pycheck mk(const char *code, const char *prompt) {
  vf_pycheck c;
  memset(&c, 0, sizeof c);
  c.code = code;
  c.code_len = strlen(code);
  c.prompt = prompt;
  c.prompt_len = strlen(prompt);
  c.response = "hello world";
  c.response_len = strlen(c.response);
  return c;
}

/* A module: imports, then check_following with body fmt. */
static char *code_of(const char *imports, const char *fmt, ...) {
  static char bufs[8][4096];
  static int k;
  char *b = bufs[k++ % 8];
  va_list ap;
  int n = snprintf(b, 4096, "%s%s", imports, HEAD);
  va_start(ap, fmt);
  vsnprintf(b + n, 4096 - (size_t)n, fmt, ap);
  va_end(ap);
  return b;
}

static vf_pycheck run1(vf_pool *p, const char *code, const char *prompt) {
  vf_pycheck c = mk(code, prompt);
  vf_error err;
  CHECK(vf_pool_run(p, &c, 1, &err) == VF_OK);
  return c;
}

static void expect_error(vf_pool *p, const char *name, const char *code,
                         const char *prefix) {
  vf_pycheck c = run1(p, code, "p");
  printf("  %-34s -> %s\n", name, c.error);
  CHECKF(c.verdict == VF_PY_ERROR && strncmp(c.error, prefix,
                                             strlen(prefix)) == 0,
         "%s: verdict %d, error '%s', want '%s...'", name, c.verdict, c.error,
         prefix);
}

static void expect_true(vf_pool *p, const char *name, const char *code,
                        const char *prompt) {
  vf_pycheck c = run1(p, code, prompt);
  CHECKF(c.verdict == VF_PY_TRUE, "%s: verdict %d (%s)", name, c.verdict,
         c.error);
}

/* ---- memory of other processes --------------------------------------- */

/* Does process pid hold needle in readable memory?  1 yes, 0 no, -1 none
 * of its memory could be read. */
static int holds(pid_t pid, const char *needle) {
  char path[64], line[512];
  static char buf[(1 << 20) + 64];
  size_t nl = strlen(needle), total = 0;
  int found = 0;
  snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
  FILE *maps = fopen(path, "r");
  snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
  FILE *mem = fopen(path, "r");
  while (maps && mem && !found && fgets(line, sizeof line, maps)) {
    unsigned long lo, hi;
    char perm[8];
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3 || perm[0] != 'r' ||
        hi - lo > (256ul << 20))
      continue;
    for (unsigned long a = lo; a < hi && !found; a += 1 << 20) {
      size_t want = hi - a < (1u << 20) ? hi - a : 1u << 20;
      want += hi - a > want ? nl : 0; /* overlap the next chunk */
      if (fseeko(mem, (off_t)a, SEEK_SET) != 0)
        break;
      size_t got = fread(buf, 1, want, mem);
      clearerr(mem);
      total += got;
      found = got >= nl && memmem(buf, got, needle, nl) != NULL;
    }
  }
  if (maps)
    fclose(maps);
  if (mem)
    fclose(mem);
  return found ? 1 : total ? 0 : -1;
}

static long environ_size(pid_t pid) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
  FILE *f = fopen(path, "r");
  long n = f ? (long)fread(buf, 1, sizeof buf, f) : -1;
  if (f)
    fclose(f);
  return n;
}

static void test_secret(vf_pool *p) {
  pid_t z, w[8];
  size_t nw = vf_pool_pids(p, &z, w, 8);
  int self = holds(getpid(), secret);
  CHECKF(self == 1, "the scan does not find the key in this process (%d)",
         self);
  CHECKF(environ_size(z) == 0, "the zygote's environment has %ld bytes",
         environ_size(z));
  int hz = holds(z, secret), hw = nw ? holds(w[0], secret) : -1;
  if (hz < 0 || hw < 0) {
    vf_test_skipped++;
    printf("  skipped: the zygote's or a worker's memory cannot be read "
           "here (/proc/PID/mem)\n");
  } else {
    CHECKF(hz == 0, "the judge key is in the zygote's memory");
    CHECKF(hw == 0, "the judge key is in a worker's memory");
  }
  expect_true(p, "empty environment",
              code_of("import os\n",
                      "    return not os.environ and "
                      "os.getenv('VERIF_JUDGE_API_KEY') is None\n"),
              "p");
}

/* ---- denials --------------------------------------------------------- */

static void test_code_objects(vf_pool *p) {
  static const char fields[] =
      "'co_argcount co_posonlyargcount co_kwonlyargcount co_nlocals "
      "co_stacksize co_flags co_code co_consts co_names co_varnames "
      "co_filename co_name co_qualname co_firstlineno co_linetable "
      "co_exceptiontable co_freevars co_cellvars'";
  expect_error(p, "code.replace",
               code_of("", "    c = (lambda: 0).__code__\n"
                           "    c.replace(co_consts=(1,))\n"),
               "RuntimeError: code.__new__: the sandbox builds no code");
  expect_error(p, "types.CodeType",
               code_of("import types\n",
                       "    c = (lambda: 0).__code__\n"
                       "    types.CodeType(*[getattr(c, a) for a in %s.split()])"
                       "\n",
                       fields),
               "RuntimeError: code.__new__");
  expect_error(p, "__code__ assignment",
               code_of("", "    def g():\n        return 1\n"
                           "    f = lambda: 0\n    f.__code__ = g.__code__\n"),
               "RuntimeError: object.__setattr__: the sandbox does not "
               "replace code objects");
  expect_error(p, "marshal.loads",
               code_of("import marshal\n",
                       "    marshal.loads(marshal.dumps((lambda: 0)"
                       ".__code__))\n"),
               "RuntimeError: marshal.loads");
  expect_true(p, "functions still work",
              code_of("", "    f = lambda x: x + 1\n"
                          "    g = type(f)(f.__code__, {})\n"
                          "    return g(1) == 2 and eval('1 + 1') == 2\n"),
              "p");
}

static void test_wrappers(vf_pool *p) {
  expect_true(p, "a wrapper's __self__ is a number",
              code_of("import sys\n",
                      "    return isinstance(sys.setrecursionlimit.__self__, "
                      "int)\n"),
              "p");
  expect_error(p, "__self__[0] (the old bypass)",
               code_of("import sys\n",
                       "    sys.setrecursionlimit.__self__[0](8)\n"),
               "TypeError");
  expect_error(p, "gc.get_referents of a wrapper",
               code_of("import gc, sys\n",
                       "    return gc.get_referents(sys.setrecursionlimit)\n"),
               "RuntimeError: gc.get_referents");
  expect_error(p, "gc.get_objects", code_of("import gc\n",
                                            "    return gc.get_objects()\n"),
               "RuntimeError: gc.get_objects");
  expect_error(p, "gc re-created by _imp",
               code_of("import _imp, _frozen_importlib as b\n",
                       "    return _imp.create_builtin(b.ModuleSpec('gc', "
                       "None))\n"),
               "ModuleNotFoundError");
  expect_true(p, "a wrapper still calls its original",
              code_of("import sys\n",
                      "    sys.setrecursionlimit(2345)\n"
                      "    return sys.getrecursionlimit() == 2345\n"),
              "p");
}

static void test_processes(vf_pool *p) {
  expect_error(p, "os.system",
               code_of("import os\n", "    return os.system('true')\n"),
               "PermissionError: os.system: the sandbox runs no processes");
  expect_error(p, "os.fork", code_of("import os\n", "    os.fork()\n"),
               "PermissionError");
}

/* ---- modules --------------------------------------------------------- */

/* The list between the markers of docs/sandbox.md, space-separated. */
static int load_documented(void) {
  FILE *f = fopen("docs/sandbox.md", "r");
  char line[512];
  int in = 0;
  size_t n = 0;
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "<!-- /modules -->", 17) == 0)
      break;
    if (in) {
      line[strcspn(line, "\n")] = ' ';
      size_t l = strlen(line);
      if (n + l + 1 >= sizeof modules)
        break;
      memcpy(modules + n, line, l + 1);
      n += l;
    }
    in = in || strncmp(line, "<!-- modules -->", 16) == 0;
  }
  if (f)
    fclose(f);
  return n > 100 ? 0 : -1;
}

static void test_modules(vf_pool *p) {
  static const char *const refused[] = {
      "_socket", "_posixsubprocess", "fcntl",  "select",  "faulthandler",
      "_signal", "atexit",           "zlib",   "array",   "_tracemalloc",
      "ctypes",  "subprocess",       "socket", "cmath",   "mmap",
      "runpy",   "__hello__",        "_ctypes", "pyexpat", "resource",
  };
  CHECKF(load_documented() == 0, "docs/sandbox.md: no module list (%s)",
         strerror(errno));
  expect_true(p, "sys.modules is the documented list",
              code_of("import sys\n",
                      "    want, have = set(instruction.split()), "
                      "set(sys.modules)\n"
                      "    if want != have:\n"
                      "        raise ValueError('missing %%s, extra %%s' %% "
                      "(sorted(want - have), sorted(have - want)))\n"
                      "    return True\n"),
              modules);
  expect_true(p, "every documented module imports",
              code_of("", "    return all(__import__(n) for n in "
                          "instruction.split())\n"),
              modules);
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    char name[80];
    snprintf(name, sizeof name, "import %s", refused[i]);
    expect_error(p, name, code_of("", "    import %s\n", refused[i]),
                 "ModuleNotFoundError");
    snprintf(name, sizeof name, "_gcd_import('%s')", refused[i]);
    expect_error(p, name,
                 code_of("import _frozen_importlib as b\n",
                         "    b._gcd_import('%s')\n", refused[i]),
                 "ModuleNotFoundError");
  }
}

/* ---- the channel and the clock --------------------------------------- */

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A check writes a frame header whose payload never comes: the parent
 * takes the next bytes (the DONE frame) as that payload and waits; the
 * wait ends at the check timeout (0.5 s here), with every result kept. */
static void test_partial_frame(vf_pool *p) {
  char *stall = code_of("import os, struct\n",
                        "    os.write(3, struct.pack('<II', 13, 184))\n"
                        "    return True\n");
  char *ok = code_of("", "    return response == 'hello world'\n");
  vf_pycheck c[4] = {mk(ok, "p"), mk(stall, "p"), mk(ok, "p"), mk(ok, "p")};
  size_t len[2] = {3, 1};
  vf_error err;
  double t0 = seconds();
  CHECK(vf_pool_run_units(p, c, 4, len, 2, &err) == VF_OK);
  double dt = seconds() - t0;
  printf("  partial frame: %.2f s (check timeout 0.5 s)\n", dt);
  CHECKF(dt < 1.5, "a half-written frame held the unit for %.2f s", dt);
  for (int i = 0; i < 4; i++)
    CHECKF(c[i].verdict == VF_PY_TRUE, "partial frame: check %d: %d (%s)", i,
           c[i].verdict, c[i].error);
}

/* Two rows draw from random: CPython reseeds in every fork, so their first
 * draws differ (a row cannot know another's draws). */
static void test_random(vf_pool *p) {
  char *draw = code_of("import random\n",
                       "    raise ValueError(repr(random.random()))\n");
  vf_pycheck c[2] = {mk(draw, "p"), mk(draw, "p")};
  size_t len[2] = {1, 1};
  vf_error err;
  CHECK(vf_pool_run_units(p, c, 2, len, 2, &err) == VF_OK);
  CHECKF(c[0].verdict == VF_PY_ERROR && strcmp(c[0].error, c[1].error) != 0,
         "two rows drew the same: %s / %s", c[0].error, c[1].error);
}

/* A row parks 300 MiB where a later check's process would keep it; that
 * check still has its whole 512 MiB (one worker, so a shared pool would
 * hand both to the same process if it kept the first). */
static void test_parked_memory(vf_isolation iso) {
  vf_pool_opts o = {1, 20.0, 512, NULL, NULL, iso};
  vf_pool *p = NULL;
  vf_error err;
  CHECKF(vf_pool_new(&o, &p, &err) == VF_OK, "pool: %s", err.msg);
  if (!p)
    return;
  char *park = code_of("import json\n", "    json._parked = bytearray(300 << 20)"
                                        "\n    return True\n");
  char *use = code_of("", "    return len(bytearray(400 << 20)) > 0\n");
  vf_pycheck c[2] = {mk(park, "p"), mk(use, "p")};
  size_t len[2] = {1, 1};
  CHECK(vf_pool_run_units(p, c, 2, len, 2, &err) == VF_OK);
  CHECKF(c[0].verdict == VF_PY_TRUE && c[1].verdict == VF_PY_TRUE,
         "%s: parked memory reached the next row: %d %d (%s)",
         iso == VF_ISOLATION_ROW ? "row" : "shared", c[0].verdict,
         c[1].verdict, c[1].error);
  vf_pool_free(p);
}

/* ---- the boundary alone ---------------------------------------------- */

/* Overwrites string.ascii_lowercase in place through a memory primitive
 * (tests/data/redteam/corrupt.jsonl has the same attack as an item). */
static const char corrupt[] =
    "import string, struct\n"
    "def _memory():\n"
    "    fake = struct.pack('<QQqqQQq', 64, id(bytearray), 1 << 62, 1 << 62,"
    " 0, 0, 0)\n"
    "    held = [fake]\n"
    "    for _ in range(4000):\n"
    "        consts = (None,)\n"
    "        cell = struct.pack('<Q', id(fake) + 32) * 8\n"
    "        held.append((consts, cell))\n"
    "        gap = id(cell) + 32 - (id(consts) + 24)\n"
    "        if gap <= 0 or gap % 8 or gap // 8 >= 1 << 31:\n"
    "            continue\n"
    "        i = (gap // 8).to_bytes(4, 'big')\n"
    "        op = bytes([151, 0, 144, i[0], 144, i[1], 144, i[2], 100, i[3],"
    " 83, 0])\n"
    "        f = lambda: None\n"
    "        f.__code__ = f.__code__.replace(co_code=op, co_consts=consts,\n"
    "                                        co_stacksize=2)\n"
    "        return f(), held\n"
    "    raise RuntimeError('no usable layout')\n"
    "def check_following(instruction, response):\n"
    "    mem, held = _memory()\n"
    "    s = string.ascii_lowercase\n"
    "    mem[id(s) + 48:id(s) + 51] = b'zyx'\n"
    "    return s.startswith('zyx')\n";

static void test_boundary_alone(void) {
  static const char victim[] =
      "import string\n" HEAD
      "    return string.ascii_lowercase.startswith('abc')\n";
  vf_pool_opts o = {1, 2.0, 0, NULL, NULL, VF_ISOLATION_ROW};
  vf_pool *p = NULL;
  vf_error err;
  setenv("VERIF_PYEXEC_FAULT", "code-objects", 1);
  CHECKF(vf_pool_new(&o, &p, &err) == VF_OK, "pool: %s", err.msg);
  unsetenv("VERIF_PYEXEC_FAULT");
  if (!p)
    return;
  vf_pycheck c[4] = {mk(corrupt, "p"), mk(victim, "p"), mk(victim, "p"),
                     mk(victim, "p")};
  size_t len[2] = {2, 2};
  CHECK(vf_pool_run_units(p, c, 4, len, 2, &err) == VF_OK);
  CHECKF(c[0].verdict == VF_PY_TRUE && c[1].verdict == VF_PY_FALSE,
         "the primitive should work in its own row (code objects allowed): "
         "%d %d (%s)", c[0].verdict, c[1].verdict, c[0].error);
  CHECKF(c[2].verdict == VF_PY_TRUE && c[3].verdict == VF_PY_TRUE,
         "a row's memory corruption reached another row: %d %d",
         c[2].verdict, c[3].verdict);
  vf_pool_free(p);
}

int main(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(secret, sizeof secret, "sk-%x-%lx-%x", (unsigned)getpid(),
           (unsigned long)ts.tv_nsec, (unsigned)ts.tv_sec);
  setenv("VERIF_JUDGE_API_KEY", secret, 1);
  vf_pool_opts o = {2, 0.5, 512, NULL, NULL, VF_ISOLATION_ROW};
  vf_pool *p = NULL;
  vf_error err;
  CHECKF(vf_pool_new(&o, &p, &err) == VF_OK, "pool: %s", err.msg);
  if (!p)
    return vf_test_summary("pyexec_lockdown");
  test_secret(p);
  test_code_objects(p);
  test_wrappers(p);
  test_processes(p);
  test_modules(p);
  test_partial_frame(p);
  test_random(p);
  vf_pool_free(p);
  test_parked_memory(VF_ISOLATION_ROW);
  test_parked_memory(VF_ISOLATION_SHARED);
  test_boundary_alone();
  return vf_test_summary("pyexec_lockdown");
}
