/*
 * test_pyexec.c: the sandboxed Python executor against hostile and broken
 * verification code.  Each hostile check runs in a batch between honest
 * "canary" checks (which use len() and re.search, the things a hostile
 * check patches); the test asserts the hostile verdict (an error, or the
 * right verdict), that nothing outside was touched (files, a loopback
 * listener, stray processes), and that the canaries are right both in the
 * same vf_pool_run and in the next one.  The hostile suite runs under the
 * row boundary (the default), the state-patching suite under both
 * isolations; units are checked to share one process and nothing else.
 * Also: verdict and error plumbing, the llm_call bridge, concurrent
 * callers, and the sandbox policy table.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "pyexec/pyexec.h"
#include "pyexec/sandbox.h"

/* Huge allocations must fail (MemoryError), not abort the worker. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
  return "allocator_may_return_null=1";
}

#define HEAD "import re\ndef check_following(instruction, response):\n"

/* True on "hello world", false on "hello": uses len() and re.search. */
static const char canary[] =
    HEAD "    return len(response) == 11 and re.search(r'wor', response) is not "
         "None\n";

static char tmpdir[256];

static vf_pycheck mk(const char *code, const char *response) {
  vf_pycheck c;
  memset(&c, 0, sizeof c);
  c.code = code;
  c.code_len = strlen(code);
  c.prompt = "the prompt";
  c.prompt_len = strlen(c.prompt);
  c.response = response;
  c.response_len = strlen(response);
  return c;
}

/* Formats a function whose body is fmt (indented by the caller). */
static char *code_of(const char *fmt, ...) {
  static char bufs[8][4096];
  static int k;
  char *b = bufs[k++ % 8];
  va_list ap;
  va_start(ap, fmt);
  int n = snprintf(b, 4096, "%s", HEAD);
  vsnprintf(b + n, 4096 - (size_t)n, fmt, ap);
  va_end(ap);
  return b;
}

/* Canaries around the hostile check, then a second run of canaries. */
static void run_hostile(vf_pool *p, const char *name, const char *code,
                        vf_pycheck *out) {
  vf_pycheck c[5] = {mk(canary, "hello world"), mk(code, "hello world"),
                     mk(canary, "hello world"), mk(canary, "hello"),
                     mk(canary, "hello world")};
  vf_error err;
  CHECKF(vf_pool_run(p, c, 5, &err) == VF_OK, "%s: run", name);
  *out = c[1];
  for (int i = 0; i < 5; i++) {
    if (i == 1)
      continue;
    vf_py_verdict want = i == 3 ? VF_PY_FALSE : VF_PY_TRUE;
    CHECKF(c[i].verdict == want, "%s: canary %d in the same run: %d (%s)",
           name, i, c[i].verdict, c[i].error);
  }
  vf_pycheck d[2] = {mk(canary, "hello world"), mk(canary, "hello")};
  CHECKF(vf_pool_run(p, d, 2, &err) == VF_OK, "%s: second run", name);
  CHECKF(d[0].verdict == VF_PY_TRUE && d[1].verdict == VF_PY_FALSE,
         "%s: canaries in the next run: %d %d (%s)", name, d[0].verdict,
         d[1].verdict, d[0].error);
}

static void expect_error(vf_pool *p, const char *name, const char *code,
                         vf_pyerr_kind kind, const char *prefix) {
  vf_pycheck c;
  run_hostile(p, name, code, &c);
  printf("  %-26s -> %s\n", name, c.error);
  CHECKF(c.verdict == VF_PY_ERROR, "%s: verdict %d", name, c.verdict);
  CHECKF(kind == VF_PYERR_NONE || c.error_kind == kind, "%s: kind %d (%s)",
         name, c.error_kind, c.error);
  CHECKF(!prefix || strncmp(c.error, prefix, strlen(prefix)) == 0,
         "%s: error '%s' should start with '%s'", name, c.error, prefix);
}

static void expect_verdict(vf_pool *p, const char *name, const char *code,
                           vf_py_verdict v) {
  vf_pycheck c;
  run_hostile(p, name, code, &c);
  CHECKF(c.verdict == v, "%s: verdict %d, want %d (%s)", name, c.verdict, v,
         c.error);
}

/* ---- the world outside ----------------------------------------------- */

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* Processes whose parent is pid. */
static int children_of(pid_t pid) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  int n = 0;
  while (d && (e = readdir(d)) != NULL) {
    char path[300], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f)
      continue;
    size_t k = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[k] = '\0';
    const char *rp = strrchr(buf, ')');
    int ppid = 0;
    char state;
    if (rp && sscanf(rp + 2, "%c %d", &state, &ppid) == 2 && ppid == pid &&
        state != 'Z')
      n++;
  }
  if (d)
    closedir(d);
  return n;
}

/* True when the test has one child (the zygote), the zygote at most one
 * more than the workers (a replacement being made) and no worker a child;
 * else why not, in why. */
static bool processes_settled(vf_pool *p, char *why, size_t n) {
  pid_t z, w[64];
  size_t nw = vf_pool_pids(p, &z, w, 64);
  int mine = children_of(getpid()), zs = children_of(z);
  if (mine != 1)
    return snprintf(why, n, "the test has %d children, want 1", mine), false;
  if (zs > (int)nw + 1)
    return snprintf(why, n, "zygote has %d children for %zu workers", zs, nw),
           false;
  for (size_t i = 0; i < nw; i++)
    if (children_of(w[i]) != 0)
      return snprintf(why, n, "worker %d has children", (int)w[i]), false;
  return true;
}

/* Replaced workers are reaped in the background: polls (up to 30 s) until
 * the processes are as they should be, and fails with the last reason. */
static void check_processes(vf_pool *p, const char *name) {
  char why[200] = "";
  bool ok = processes_settled(p, why, sizeof why);
  for (int i = 0; i < 3000 && !ok; i++) {
    usleep(10000);
    ok = processes_settled(p, why, sizeof why);
  }
  CHECKF(ok, "%s: %s", name, why);
}

static int listener(int *port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = {0};
  socklen_t len = sizeof a;
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 8) ||
      getsockname(s, (struct sockaddr *)&a, &len))
    return -1;
  *port = ntohs(a.sin_port);
  return s;
}

/* ---- hostile code ---------------------------------------------------- */

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_loops(vf_pool *p) {
  double t0 = seconds();
  expect_error(p, "infinite loop", code_of("    while True:\n        pass\n"),
               VF_PYERR_TIMEOUT, "timeout after 0.5 s");
  CHECKF(seconds() - t0 < 1.5, "the 0.5 s limit took %.2f s to enforce",
         seconds() - t0);
  expect_error(p, "sleep", code_of("    import time\n    time.sleep(30)\n"),
               VF_PYERR_TIMEOUT, "timeout after 0.5 s");
  expect_error(p, "deep recursion",
               code_of("    def f(n):\n        return f(n + 1) + 1\n"
                       "    return f(0)\n"),
               VF_PYERR_EXCEPTION, "RecursionError");
  expect_error(p, "truthiness that raises",
               code_of("    class B:\n        def __bool__(self):\n"
                       "            raise ValueError('no truth')\n"
                       "    return B()\n"),
               VF_PYERR_EXCEPTION, "ValueError: no truth");
}

/* The memory limit, in a pool whose clock (20 s) never comes first: the
 * checks touch hundreds of MiB, slow on a loaded machine under ASan. */
static void test_memory(void) {
  vf_pool_opts o = {1, 20.0, 512, NULL, NULL, VF_ISOLATION_ROW};
  vf_pool *p = NULL;
  vf_error err;
  CHECKF(vf_pool_new(&o, &p, &err) == VF_OK, "memory pool: %s", err.msg);
  if (!p)
    return;
  expect_error(p, "memory bomb (one block)",
               code_of("    return len('a' * (10 ** 11)) > 0\n"),
               VF_PYERR_LIMIT, "MemoryError");
  expect_error(p, "memory bomb (growing)",
               code_of("    l = []\n    while True:\n"
                       "        l.append(bytes(10 ** 8))\n"),
               VF_PYERR_LIMIT, "MemoryError");
  expect_error(p, "memory bomb (small blocks)",
               code_of("    l = []\n    while True:\n"
                       "        l.append('x' * 3000 + str(len(l)))\n"),
               VF_PYERR_LIMIT, "MemoryError");
  expect_verdict(p, "gigantic return value",
                 code_of("    return 'x' * (10 ** 8)\n"), VF_PY_TRUE);
  vf_pool_free(p);
}

static void test_processes(vf_pool *p) {
  char path[400];
  snprintf(path, sizeof path, "%s/by_system", tmpdir);
  expect_error(p, "fork bomb",
               code_of("    import os\n    while True:\n        os.fork()\n"),
               VF_PYERR_EXCEPTION, "PermissionError");
  check_processes(p, "fork bomb");
  expect_error(p, "os.system",
               code_of("    import os\n"
                       "    return os.system('touch %s') == 0\n", path),
               VF_PYERR_EXCEPTION, "PermissionError: os.system");
  CHECKF(!exists(path), "os.system created %s", path);
  snprintf(path, sizeof path, "%s/by_subprocess", tmpdir);
  expect_error(p, "subprocess.run",
               code_of("    import subprocess\n"
                       "    subprocess.run(['touch', '%s'])\n    return True\n",
                       path),
               VF_PYERR_EXCEPTION, NULL);
  CHECKF(!exists(path), "subprocess created %s", path);
  expect_error(p, "os.execv",
               code_of("    import os\n    os.execv('/bin/true', ['true'])\n"),
               VF_PYERR_EXCEPTION, "PermissionError");
  expect_error(p, "kill the parent",
               code_of("    import os\n    os.kill(os.getppid(), 9)\n"),
               VF_PYERR_EXCEPTION, "PermissionError");
  check_processes(p, "process tests");
}

static void test_files_and_network(vf_pool *p) {
  char path[400], keep[400];
  snprintf(path, sizeof path, "%s/written", tmpdir);
  snprintf(keep, sizeof keep, "%s/keep", tmpdir);
  FILE *f = fopen(keep, "w");
  CHECK(f && fputs("precious\n", f) >= 0 && fclose(f) == 0);
  expect_error(p, "write a file",
               code_of("    open('%s', 'w').write('pwned')\n    return True\n",
                       path),
               VF_PYERR_EXCEPTION, "PermissionError");
  CHECKF(!exists(path), "the check created %s", path);
  expect_error(p, "delete a file",
               code_of("    import os\n    os.remove('%s')\n    return True\n",
                       keep),
               VF_PYERR_EXCEPTION, "PermissionError");
  CHECKF(exists(keep), "the check deleted %s", keep);
  expect_error(p, "read /etc/shadow",
               code_of("    return 'root' in open('/etc/shadow').read()\n"),
               VF_PYERR_EXCEPTION, "PermissionError");
  expect_error(p, "os.open /etc/passwd",
               code_of("    import os\n    return os.open('/etc/passwd', 0)\n"),
               VF_PYERR_EXCEPTION, "PermissionError");
  int port = 0, s = listener(&port);
  CHECK(s >= 0);
  expect_error(p, "socket to 127.0.0.1",
               code_of("    import socket\n"
                       "    socket.create_connection(('127.0.0.1', %d))\n"
                       "    return True\n",
                       port),
               VF_PYERR_EXCEPTION, NULL);
  CHECKF(accept(s, NULL, NULL) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
         "the listener on port %d got a connection", port);
  close(s);
}

static void test_exits_and_crashes(vf_pool *p) {
  vf_pool_stats before, after;
  expect_error(p, "sys.exit", code_of("    import sys\n    sys.exit(3)\n"),
               VF_PYERR_EXCEPTION, "SystemExit: 3");
  expect_error(p, "raise BaseException",
               code_of("    raise BaseException('out')\n"),
               VF_PYERR_EXCEPTION, "BaseException: out");
  expect_error(p, "KeyboardInterrupt", code_of("    raise KeyboardInterrupt\n"),
               VF_PYERR_EXCEPTION, "KeyboardInterrupt");
  expect_error(p, "patch re.search.__code__",
               code_of("    re.search.__code__ = (lambda *a, **k: None)"
                       ".__code__\n"),
               VF_PYERR_EXCEPTION, "RuntimeError: object.__setattr__");
  expect_error(p, "segfault through ctypes",
               code_of("    import ctypes\n    return ctypes.string_at(0)\n"),
               VF_PYERR_NONE, NULL);
  vf_pool_get_stats(p, &before);
  expect_error(p, "segfault (SIGSEGV to itself)",
               code_of("    import os\n    os.kill(os.getpid(), 11)\n"),
               VF_PYERR_CRASH, "worker crashed: killed by signal 11 (SIGSEGV)");
  expect_error(p, "os._exit", code_of("    import os\n    os._exit(0)\n"),
               VF_PYERR_CRASH, "worker crashed: exited with status 0");
  expect_error(p, "abort", code_of("    import os\n    os.abort()\n"),
               VF_PYERR_CRASH, "worker crashed: killed by signal 6");
  expect_error(p, "garbage on the channel",
               code_of("    import os, time\n    os.write(3, b'\\xff' * 64)\n"
                       "    time.sleep(0.2)\n    return True\n"),
               VF_PYERR_CRASH, "worker crashed");
  expect_error(p, "forged DONE frame",
               code_of("    import os, time\n"
                       "    n = lambda v: v.to_bytes(4, 'little')\n"
                       "    os.write(3, n(11) + n(176) + n(1) + n(0) + n(1) +"
                       " n(0) + bytes(160))\n"
                       "    time.sleep(0.2)\n    return True\n"),
               VF_PYERR_CRASH, "worker crashed");
  vf_pool_get_stats(p, &after);
  CHECKF(after.crashes == before.crashes + 5, "crash count %llu -> %llu",
         before.crashes, after.crashes);
  CHECKF(after.restarts >= before.restarts + 10, "restarts %llu -> %llu",
         before.restarts, after.restarts);
  check_processes(p, "crashes");
}

/* A check that patches shared state (and returns True) between checks that
 * would see the patch (and return True when they do not). */
static void run_patch(vf_pool *p, const char *name, const char *patch,
                      const char *probe) {
  char *pc = code_of("%s", patch), *qc = code_of("%s", probe);
  vf_pycheck c[5] = {mk(qc, "hello world"), mk(pc, "hello world"),
                     mk(qc, "hello world"), mk(canary, "hello world"),
                     mk(qc, "hello world")};
  vf_error err;
  CHECK(vf_pool_run(p, c, 5, &err) == VF_OK);
  for (int i = 0; i < 5; i++)
    CHECKF(c[i].verdict == VF_PY_TRUE, "%s: check %d: %d (%s)", name, i,
           c[i].verdict, c[i].error);
  vf_pycheck d[2] = {mk(qc, "hello world"), mk(canary, "hello world")};
  CHECK(vf_pool_run(p, d, 2, &err) == VF_OK);
  CHECKF(d[0].verdict == VF_PY_TRUE && d[1].verdict == VF_PY_TRUE,
         "%s: next run: %d %d (%s)", name, d[0].verdict, d[1].verdict,
         d[0].error);
}

static void test_patching(vf_pool *p) {
  static const struct {
    const char *name, *patch, *probe;
  } t[] = {
      {"patch re.search", "    re.search = lambda *a, **k: None\n",
       "    return re.search('wor', response) is not None\n"},
      {"patch builtins.len",
       "    import builtins\n    builtins.len = lambda x: 0\n",
       "    return len(response) == 11\n"},
      {"patch builtins via __dict__",
       "    import builtins\n    builtins.__dict__['sorted'] = reversed\n",
       "    return sorted([2, 1]) == [1, 2]\n"},
      {"poison re._cache",
       "    re.search(r'wor', 'x')\n"
       "    for k in list(re._cache):\n"
       "        if k[1] == 'wor':\n"
       "            re._cache[k] = re.compile('zzz')\n",
       "    return re.search(r'wor', response) is not None\n"},
      {"replace sys.modules['re']",
       "    import sys, types\n    m = types.ModuleType('re')\n"
       "    m.search = lambda *a, **k: None\n    sys.modules['re'] = m\n",
       "    import re as r2\n    return r2.search('wor', response) is not None\n"},
      {"class attribute",
       "    import collections\n"
       "    collections.Counter.most_common = lambda self, n=None: []\n",
       "    import collections\n"
       "    return collections.Counter('aab').most_common(1) == [('a', 2)]\n"},
      {"instance attribute", "    import json\n    json._default_encoder.indent = 4\n",
       "    import json\n    return json.dumps([1]) == '[1]'\n"},
      {"module constant", "    import string\n    string.ascii_lowercase = 'x'\n",
       "    import string\n    return string.ascii_lowercase[:3] == 'abc'\n"},
      {"os.environ", "    import os\n    os.environ['VERIF_X'] = '1'\n",
       "    import os\n    return 'VERIF_X' not in os.environ\n"},
      {"setrecursionlimit", "    import sys\n    sys.setrecursionlimit(60)\n",
       "    def f(n):\n        return n if n == 0 else f(n - 1)\n"
       "    return f(200) == 0\n"},
      {"int max str digits",
       "    import sys\n    sys.set_int_max_str_digits(640)\n",
       "    return len(str(10 ** 1000)) == 1001\n"},
      {"gc.disable", "    import gc\n    gc.disable()\n",
       "    import gc\n    return gc.isenabled()\n"},
      {"warnings filters",
       "    import warnings\n    warnings.simplefilter('error')\n",
       "    import warnings\n    warnings.warn('harmless')\n    return True\n"},
      {"close stdout", "    import sys\n    sys.stdout.close()\n",
       "    print('still fine')\n    return True\n"},
      {"poison the strptime cache",
       "    import datetime, _strptime\n"
       "    datetime.datetime.strptime('2020', '%Y')\n"
       "    _strptime._regex_cache['%Y'] = re.compile('(?P<Y>1999)')\n",
       "    import datetime\n"
       "    return datetime.datetime.strptime('2020', '%Y').year == 2020\n"},
      {"dict subclass contents",
       "    import _strptime\n    _strptime._TimeRE_cache['Y'] = '(?P<Y>1999)'\n",
       "    import datetime\n"
       "    return datetime.datetime.strptime('07 2020', '%m %Y').year == 2020\n"},
      {"shared function defaults", "    re.split.__defaults__ = (1, 0)\n",
       "    return len(re.split(' ', 'a b c')) == 3\n"},
      {"finalizer run later",
       "    class Bomb:\n"
       "        def __del__(self):\n"
       "            import re\n"
       "            re.search = lambda *a, **k: None\n"
       "    b = Bomb()\n    b.me = b  # a cycle: freed by the collector\n",
       "    import gc\n    gc.collect()  # whenever it runs next\n"
       "    return re.search('wor', response) is not None\n"},
      {"deep attribute",
       "    import _strptime\n"
       "    _strptime._TimeRE_cache.locale_time.am_pm[:] = ['pm', 'am']\n",
       "    import datetime\n"
       "    return datetime.datetime.strptime('1 pm', '%I %p').hour == 13\n"},
      {"ABC registration",
       "    import collections.abc\n"
       "    collections.abc.Sequence.register(dict)\n",
       "    import collections.abc\n"
       "    return not isinstance({}, collections.abc.Sequence)\n"},
      {"codec error handler",
       "    import codecs\n"
       "    codecs.register_error('namereplace', lambda e: ('X', e.end))\n",
       "    return 'é'.encode('ascii', 'namereplace') != b'X'\n"},
      {"class-level container",
       "    import textwrap\n"
       "    textwrap.TextWrapper.unicode_whitespace_trans[ord('a')] = 32\n",
       "    import textwrap\n    return textwrap.wrap('a b', 80) == ['a b']\n"},
      {"enum value map",
       "    re.RegexFlag._value2member_map_[10] = re.RegexFlag.IGNORECASE\n",
       "    return (re.I | re.M).value == 10\n"},
      {"audit hook",
       "    import sys\n"
       "    def h(ev, args):\n"
       "        if ev == 'exec':\n"
       "            raise RuntimeError('hooked')\n"
       "    sys.addaudithook(h)\n",
       "    exec('x = 1')\n    return True\n"},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    char patch[1024];
    snprintf(patch, sizeof patch, "%s    return True\n", t[i].patch);
    run_patch(p, t[i].name, patch, t[i].probe);
  }
}

/* Stateful-looking but private work must not cost a worker each time. */
static void test_no_spurious_restarts(vf_pool *p) {
  static const char *const bodies[] = {
      "    import datetime\n"
      "    return datetime.datetime.strptime('2020-01-02', '%Y-%m-%d')\n",
      "    import collections\n    P = collections.namedtuple('P', 'a b')\n"
      "    return P(1, 2).a == 1\n",
      "    class C:\n        pass\n    C.x = 1\n    C.__name__ = 'D'\n"
      "    return C.x\n",
      "    try:\n        import nltk\n    except ImportError:\n"
      "        return True\n",
      "    return re.findall(r'o', response, re.I | re.M | re.S)\n",
      "    import json\n    return json.dumps({'a': 1}, indent=2)\n",
      "    import warnings\n    warnings.warn('x')\n    return True\n",
      "    print(response)\n    return response.encode('utf-16')\n",
      "    from typing import List\n    x: List[int] = [1]\n    return x\n",
      "    import difflib\n"
      "    return difflib.SequenceMatcher(None, response, 'x').ratio() >= 0\n",
  };
  size_t nb = sizeof bodies / sizeof *bodies;
  vf_pycheck c[10 * 30];
  vf_pool_stats a, b;
  vf_error err;
  static char codes[10][1024];
  for (size_t i = 0; i < nb; i++)
    snprintf(codes[i], sizeof codes[i], "%s%s", HEAD, bodies[i]);
  for (size_t i = 0; i < nb * 30; i++)
    c[i] = mk(codes[i % nb], "hello world");
  vf_pool_get_stats(p, &a);
  CHECK(vf_pool_run(p, c, nb * 30, &err) == VF_OK);
  vf_pool_get_stats(p, &b);
  for (size_t i = 0; i < nb * 30; i++)
    CHECKF(c[i].verdict == VF_PY_TRUE, "benign %zu: %d %s", i % nb,
           c[i].verdict, c[i].error);
  CHECKF(b.tainted == a.tainted, "benign checks replaced %llu workers (%s)",
         b.tainted - a.tainted, b.last_taint);
}

/* State a function keeps must not reach its next call. */
static void test_global_state(vf_pool *p) {
  static const char counter[] =
      "import re\nseen = []\n"
      "def check_following(instruction, response):\n"
      "    seen.append(response)\n    return len(seen) == 1\n";
  static const char in_module[] =
      HEAD "    re.verif_seen = getattr(re, 'verif_seen', 0) + 1\n"
           "    return re.verif_seen == 1\n";
  vf_pycheck c[40];
  vf_error err;
  for (int i = 0; i < 40; i++)
    c[i] = mk(i % 2 ? in_module : counter, "hello world");
  CHECK(vf_pool_run(p, c, 40, &err) == VF_OK);
  for (int i = 0; i < 40; i++)
    CHECKF(c[i].verdict == VF_PY_TRUE, "global state: call %d saw %d (%s)", i,
           c[i].verdict, c[i].error);
}

/* ---- units ----------------------------------------------------------- */

/* Counts its calls in a module attribute: the count a check sees is the
 * number of checks its process ran before it, plus one. */
static const char counter_code[] =
    HEAD "    re.verif_seen = getattr(re, 'verif_seen', 0) + 1\n"
         "    return re.verif_seen == int(response)\n";

static char numbers[1200][12];

/* A unit runs in one process, batch after batch; the next unit does not
 * see what it left. */
static void test_unit_process(vf_pool *p) {
  enum { BIG = 1100 }; /* more than one batch (VF_BATCH_MAX) */
  static vf_pycheck c[BIG + 3];
  size_t len[3] = {BIG, 2, 1};
  vf_error err;
  for (int i = 0; i < BIG + 3; i++) {
    snprintf(numbers[i], sizeof numbers[i], "%d", i + 1);
    c[i] = mk(counter_code, numbers[i]);
  }
  c[BIG] = mk(counter_code, "1"); /* the second unit counts from 1 again */
  c[BIG + 1] = mk(counter_code, "2");
  c[BIG + 2] = mk(counter_code, "1");
  CHECK(vf_pool_run_units(p, c, BIG + 3, len, 3, &err) == VF_OK);
  int wrong = 0;
  for (int i = 0; i < BIG + 3; i++)
    wrong += c[i].verdict != VF_PY_TRUE;
  CHECKF(wrong == 0, "unit processes: %d of %d checks saw another count "
         "(first: %d %s)", wrong, BIG + 3, c[0].verdict, c[0].error);
}

/* What a check does to its process reaches the later checks of its unit
 * (one row, one author) and no check of another unit. */
static void test_unit_scope(vf_pool *p) {
  char *patch = code_of("    re.search = lambda *a, **k: None\n"
                        "    return True\n");
  char *probe = code_of("    return re.search('wor', response) is not None\n");
  vf_pycheck c[4] = {mk(patch, "hello world"), mk(probe, "hello world"),
                     mk(probe, "hello world"), mk(canary, "hello world")};
  size_t len[3] = {2, 1, 1};
  vf_error err;
  CHECK(vf_pool_run_units(p, c, 4, len, 3, &err) == VF_OK);
  CHECKF(c[0].verdict == VF_PY_TRUE && c[1].verdict == VF_PY_FALSE,
         "the patch should reach its own unit: %d %d", c[0].verdict,
         c[1].verdict);
  CHECKF(c[2].verdict == VF_PY_TRUE && c[3].verdict == VF_PY_TRUE,
         "the patch reached another unit: %d %d (%s)", c[2].verdict,
         c[3].verdict, c[2].error);
}

/* A unit whose code crashes its process: that check gets the crash, the
 * rest of the unit its verdicts (in a fresh process), other units theirs. */
static void test_unit_crash(vf_pool *p) {
  char *die = code_of("    import os\n    os._exit(1)\n");
  vf_pycheck c[5] = {mk(canary, "hello world"), mk(die, "x"),
                     mk(canary, "hello"), mk(canary, "hello world"),
                     mk(canary, "hello")};
  size_t len[2] = {3, 2};
  vf_error err;
  CHECK(vf_pool_run_units(p, c, 5, len, 2, &err) == VF_OK);
  CHECKF(c[1].error_kind == VF_PYERR_CRASH, "crash: %d %s", c[1].error_kind,
         c[1].error);
  CHECKF(c[0].verdict == VF_PY_TRUE && c[2].verdict == VF_PY_FALSE &&
             c[3].verdict == VF_PY_TRUE && c[4].verdict == VF_PY_FALSE,
         "around a crash: %d %d %d %d", c[0].verdict, c[2].verdict,
         c[3].verdict, c[4].verdict);
}

static void test_unit_lengths(vf_pool *p) {
  vf_pycheck c[3] = {mk(canary, "hello world"), mk(canary, "hello world"),
                     mk(canary, "hello world")};
  size_t bad1[2] = {2, 2}, bad2[2] = {3, 0}, bad3[1] = {2};
  vf_error err;
  CHECK(vf_pool_run_units(p, c, 3, bad1, 2, &err) == VF_EINVAL);
  CHECK(vf_pool_run_units(p, c, 3, bad2, 2, &err) == VF_EINVAL);
  CHECK(vf_pool_run_units(p, c, 3, bad3, 1, &err) == VF_EINVAL);
  CHECK(vf_pool_run_units(p, c, 3, NULL, 0, &err) == VF_EINVAL);
  CHECKF(c[0].verdict == 0 && c[0].error_kind == VF_PYERR_NONE,
         "a refused run ran checks");
  CHECK(vf_pool_run_units(p, c, 0, NULL, 0, &err) == VF_OK);
}

static void test_units(vf_pool *p) {
  vf_pool_stats a, b;
  vf_pool_get_stats(p, &a);
  test_unit_process(p);
  test_unit_scope(p);
  test_unit_crash(p);
  test_unit_lengths(p);
  vf_pool_get_stats(p, &b);
  CHECKF(b.units >= a.units + 3 + 3 + 3, "units run: %llu -> %llu", a.units,
         b.units);
}

/* ---- processes dying from outside ----------------------------------- */

typedef struct killer {
  vf_pool *p;
  int zygote; /* kill the zygote instead of a worker */
} killer;

static void *kill_later(void *a) {
  killer *k = a;
  pid_t z, w[8];
  usleep(250000);
  size_t n = vf_pool_pids(k->p, &z, w, 8);
  if (k->zygote)
    kill(z, SIGKILL);
  else if (n)
    kill(w[0], SIGKILL); /* as the OOM killer would */
  return NULL;
}

/* Slow honest checks while a worker (or the zygote) is killed: each check
 * still gets its right verdict, and the pool serves the next run. */
static void test_killed_from_outside(vf_pool *p, int zygote) {
  const char *name = zygote ? "zygote killed" : "worker killed";
  char *slow = code_of("    import time\n    time.sleep(0.05)\n"
                       "    return len(response) == 11\n");
  vf_pycheck c[40];
  vf_error err;
  pthread_t t;
  killer k = {p, zygote};
  for (int i = 0; i < 40; i++)
    c[i] = mk(slow, i % 2 ? "hello world" : "hello");
  pthread_create(&t, NULL, kill_later, &k);
  CHECK(vf_pool_run(p, c, 40, &err) == VF_OK);
  pthread_join(t, NULL);
  for (int i = 0; i < 40; i++)
    CHECKF(c[i].verdict == (i % 2 ? VF_PY_TRUE : VF_PY_FALSE),
           "%s: check %d: %d (%s)", name, i, c[i].verdict, c[i].error);
  vf_pycheck d[2] = {mk(canary, "hello world"), mk(canary, "hello")};
  CHECK(vf_pool_run(p, d, 2, &err) == VF_OK);
  CHECKF(d[0].verdict == VF_PY_TRUE && d[1].verdict == VF_PY_FALSE,
         "%s: next run %d %d (%s)", name, d[0].verdict, d[1].verdict,
         d[0].error);
  check_processes(p, name);
}

/* ---- plumbing -------------------------------------------------------- */

static void test_errors(vf_pool *p) {
  vf_pycheck c[8] = {
      mk("def check_following(a, b):\n  return (\n", "x"),
      mk("import re\n", "x"),
      mk("check_following = 3\n", "x"),
      mk(code_of("    return 1 / 0\n"), "x"),
      mk(code_of("    raise ValueError('%s' * 300)\n", "\xc3\xa9"), "x"),
      mk(code_of("    return instruction == 'the prompt' and response == "
                 "'\xe2\x82\xac'\n"),
         "\xe2\x82\xac"),
      mk("import numpy_is_not_there\n", "x"),
      mk(code_of("    return instruction == '' and response == ''\n"), ""),
  };
  c[7].prompt = NULL;
  c[7].prompt_len = 0;
  vf_error err;
  CHECK(vf_pool_run(p, c, 8, &err) == VF_OK);
  CHECKF(c[0].error_kind == VF_PYERR_COMPILE &&
             strncmp(c[0].error, "SyntaxError", 11) == 0,
         "syntax error: %d %s", c[0].error_kind, c[0].error);
  CHECKF(c[1].error_kind == VF_PYERR_NOFUNC, "no function: %s", c[1].error);
  CHECKF(c[2].error_kind == VF_PYERR_NOFUNC &&
             strstr(c[2].error, "not callable"),
         "not callable: %s", c[2].error);
  CHECKF(strcmp(c[3].error, "ZeroDivisionError: division by zero") == 0,
         "zero division: %s", c[3].error);
  CHECKF(c[4].verdict == VF_PY_ERROR && strlen(c[4].error) <= 511 &&
             strlen(c[4].error) > 400,
         "long message: %zu bytes", strlen(c[4].error));
  CHECKF(strlen(c[4].error) % 2 == 0, "cut inside a character: %zu",
         strlen(c[4].error)); /* "ValueError: " is 12 bytes, then 2-byte é */
  CHECKF(c[5].verdict == VF_PY_TRUE, "prompt and unicode: %d %s",
         c[5].verdict, c[5].error);
  CHECKF(c[6].verdict == VF_PY_ERROR &&
             strstr(c[6].error, "numpy_is_not_there"),
         "import error: %s", c[6].error);
  CHECKF(c[7].verdict == VF_PY_TRUE, "empty strings: %d %s", c[7].verdict,
         c[7].error);
  size_t big = (size_t)130 << 20; /* over a quarter of the 512 MiB sandbox */
  char *huge = malloc(big + 1);
  CHECK(huge != NULL);
  if (!huge)
    return;
  memset(huge, 'a', big);
  huge[big] = '\0';
  vf_pycheck h[2] = {mk(canary, huge), mk(canary, "hello world")};
  CHECK(vf_pool_run(p, h, 2, &err) == VF_OK);
  CHECKF(h[0].error_kind == VF_PYERR_LIMIT && h[1].verdict == VF_PY_TRUE,
         "huge response: %d %s; %d", h[0].error_kind, h[0].error, h[1].verdict);
  free(huge);
}

static int judge(void *ud, const char *fn, const char *args, char **reply) {
  int *calls = ud;
  __atomic_fetch_add(calls, 1, __ATOMIC_SEQ_CST);
  if (strstr(args, "slow"))
    usleep(800000); /* longer than the check's 0.5 s: its clock stops */
  if (strcmp(fn, "llm_judge") == 0) {
    *reply = strdup("the judge is out");
    return -1;
  }
  char buf[600];
  snprintf(buf, sizeof buf, "{\"fn\": \"%s\", \"args\": %s}", fn, args);
  *reply = strdup(buf);
  return 0;
}

static void test_llm(void) {
  int calls = 0;
  vf_pool_opts o = {1, 0.5, 0, judge, &calls, VF_ISOLATION_ROW};
  vf_pool *p;
  vf_error err;
  CHECK(vf_pool_new(&o, &p, &err) == VF_OK);
  if (!p)
    return;
  vf_pycheck c[4] = {
      mk("from llm_call import llm_score\n"
         "def check_following(instruction, response):\n"
         "    r = llm_score(instruction, response, 'crit', temperature=0)\n"
         "    return r == {'fn': 'llm_score', 'args': ['the prompt', 'resp', "
         "'crit', {'temperature': 0}]}\n",
         "resp"),
      mk("from llm_call import llm_judge\n"
         "def check_following(instruction, response):\n"
         "    return llm_judge(response)\n",
         "resp"),
      mk("from llm_call import llm_extract\n"
         "import time\n"
         "def check_following(instruction, response):\n"
         "    return all(llm_extract(i)['args'] == [i] for i in range(5))\n",
         "resp"),
      mk("from llm_call import llm_score\n"
         "def check_following(instruction, response):\n"
         "    return llm_score('slow')['fn'] == 'llm_score'\n",
         "resp"),
  };
  CHECK(vf_pool_run(p, c, 4, &err) == VF_OK);
  CHECKF(c[0].verdict == VF_PY_TRUE, "llm_score round trip: %d %s",
         c[0].verdict, c[0].error);
  CHECKF(c[1].verdict == VF_PY_ERROR &&
             strcmp(c[1].error,
                    "RuntimeError: llm_call.llm_judge: the judge is out") == 0,
         "llm_judge error: %s", c[1].error);
  CHECKF(c[2].verdict == VF_PY_TRUE, "five calls: %s", c[2].error);
  CHECKF(c[3].verdict == VF_PY_TRUE, "a slow judge is no timeout: %s",
         c[3].error);
  CHECK(calls == 8);
  vf_pool_free(p);
}

typedef struct worker_arg {
  vf_pool *p;
  int id, bad;
} worker_arg;

static void *caller(void *a) {
  worker_arg *w = a;
  vf_pycheck c[300];
  vf_error err;
  for (int round = 0; round < 5; round++) {
    size_t len[10];
    for (int i = 0; i < 300; i++)
      c[i] = mk(canary, (i + w->id + round) % 3 ? "hello world" : "hello");
    for (int i = 0; i < 10; i++)
      len[i] = 30;
    if (vf_pool_run_units(w->p, c, 300, len, 10, &err) != VF_OK)
      w->bad++;
    for (int i = 0; i < 300; i++)
      w->bad += c[i].verdict != ((i + w->id + round) % 3 ? 1 : 0);
  }
  return NULL;
}

static void test_concurrent(vf_pool *p) {
  pthread_t t[6];
  worker_arg a[6];
  for (int i = 0; i < 6; i++) {
    a[i] = (worker_arg){p, i, 0};
    pthread_create(&t[i], NULL, caller, &a[i]);
  }
  for (int i = 0; i < 6; i++) {
    pthread_join(t[i], NULL);
    CHECKF(a[i].bad == 0, "concurrent caller %d: %d wrong", i, a[i].bad);
  }
}

/* The mechanism alone, in a forked child: what it forbids fails with EPERM
 * and what the worker needs still works.  prog: enter with the program
 * compiled before the fork (as workers do), else build it in the child. */
static int sandboxed_child(int chan, const vf_sandbox_prog *prog) {
  vf_sandbox_limits lim;
  char why[256];
  vf_sandbox_defaults(&lim);
  lim.memory_bytes = (size_t)256 << 20;
  lim.channel_fd = chan;
  if (prog ? vf_sandbox_enter_prog(&lim, prog, why, sizeof why)
           : vf_sandbox_enter(&lim, why, sizeof why))
    return 10;
  int bad = 0;
  errno = 0;
  bad |= (open("/etc/passwd", O_RDONLY) != -1 || errno != EPERM) << 0;
  bad |= (socket(AF_INET, SOCK_STREAM, 0) != -1) << 1;
  bad |= (fork() != -1) << 2;
  bad |= (kill(getppid(), 0) != -1) << 3;
  bad |= (write(chan, "ok", 2) != 2) << 4;
  bad |= (malloc(1 << 20) == NULL) << 5;
  bad |= (malloc((size_t)512 << 20) != NULL) << 6; /* over RLIMIT_AS */
  bad |= (kill(getpid(), 0) != 0) << 7;            /* itself: allowed */
  return bad;
}

static void test_sandbox_mechanism(void) {
  vf_sandbox_limits lim;
  char why[256];
  int pfd[2];
  CHECK(pipe(pfd) == 0);
  vf_sandbox_defaults(&lim);
  lim.channel_fd = pfd[1];
  vf_sandbox_prog *prog = vf_sandbox_compile(&lim, why, sizeof why);
  CHECKF(prog != NULL, "compiling the policy: %s", why);
  for (int compiled = 0; compiled < 2; compiled++) {
    pid_t pid = fork();
    if (pid == 0)
      _exit(sandboxed_child(pfd[1], compiled ? prog : NULL));
    int status = 0;
    char buf[4] = "";
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "sandboxed child (%s): status %d (bits of what went wrong)",
           compiled ? "compiled program" : "built in the child", status);
    CHECK(read(pfd[0], buf, 2) == 2 && memcmp(buf, "ok", 2) == 0);
  }
  vf_sandbox_prog_free(prog);
  close(pfd[0]);
  close(pfd[1]);
}

/* A worker that cannot enter its sandbox never runs anything, and the pool
 * says why instead of starting without it. */
static void test_fail_closed(void) {
  vf_pool_opts o = {1, 0.5, 0, NULL, NULL, VF_ISOLATION_ROW};
  vf_pool *p = NULL;
  vf_error err;
  setenv("VERIF_PYEXEC_FAULT", "sandbox", 1);
  CHECK(vf_pool_new(&o, &p, &err) != VF_OK && p == NULL);
  unsetenv("VERIF_PYEXEC_FAULT");
  printf("  fail closed: %s\n", err.msg);
  CHECKF(strstr(err.msg, "fault injected") != NULL, "fail closed: %s",
         err.msg);
  CHECKF(children_of(getpid()) == 0, "processes left by a failed pool");
  if (p)
    vf_pool_free(p);
}

static void test_policy_table(void) {
  size_t n;
  const vf_sb_rule *r = vf_sandbox_policy(&n);
  CHECK(n > 10);
  for (size_t i = 1; i < n; i++)
    CHECKF(strcmp(r[i - 1].syscall, r[i].syscall) < 0,
           "policy: '%s' must sort before '%s'", r[i - 1].syscall,
           r[i].syscall);
  for (size_t i = 0; i < n; i++)
    CHECKF(strncmp(r[i].syscall, "open", 4) != 0 &&
               strcmp(r[i].syscall, "execve") != 0 &&
               strcmp(r[i].syscall, "clone") != 0 &&
               strcmp(r[i].syscall, "socket") != 0,
           "policy allows %s", r[i].syscall);
}

static void report(vf_pool *p, const char *name) {
  vf_pool_stats st;
  vf_pool_get_stats(p, &st);
  printf("pyexec (%s): %llu checks, %llu units, %llu errors, %llu timeouts, "
         "%llu crashes, %llu restarts\n",
         name, st.checks, st.units, st.errors, st.timeouts, st.crashes,
         st.restarts);
}

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/verif-pyexec-XXXXXX");
  CHECK(mkdtemp(tmpdir) != NULL);
  test_policy_table();
  test_sandbox_mechanism();
  test_fail_closed();
  test_memory();
  vf_pool_opts o = {2, 0.5, 512, NULL, NULL, VF_ISOLATION_ROW};
  vf_pool *p = NULL;
  vf_error err;
  CHECKF(vf_pool_new(&o, &p, &err) == VF_OK, "pool: %s", err.msg);
  if (!p)
    return vf_test_summary("pyexec");
  CHECK(vf_pool_isolation(p) == VF_ISOLATION_ROW);
  test_errors(p);
  test_loops(p);
  test_processes(p);
  test_files_and_network(p);
  test_exits_and_crashes(p);
  test_units(p);
  test_patching(p);
  test_global_state(p);
  test_concurrent(p);
  test_killed_from_outside(p, 0);
  test_killed_from_outside(p, 1);
  report(p, "row");
  vf_pool_free(p);
  CHECKF(children_of(getpid()) == 0, "processes left after vf_pool_free");
  o.isolation = VF_ISOLATION_SHARED;
  CHECKF(vf_pool_new(&o, &p, &err) == VF_OK, "shared pool: %s", err.msg);
  if (!p)
    return vf_test_summary("pyexec");
  CHECK(vf_pool_isolation(p) == VF_ISOLATION_SHARED);
  test_patching(p);
  test_global_state(p);
  test_no_spurious_restarts(p);
  test_exits_and_crashes(p);
  test_concurrent(p);
  report(p, "shared");
  vf_pool_free(p);
  CHECKF(children_of(getpid()) == 0, "processes left after vf_pool_free");
  test_llm();
  char keep[400];
  snprintf(keep, sizeof keep, "%s/keep", tmpdir);
  unlink(keep);
  rmdir(tmpdir);
  return vf_test_summary("pyexec");
}
