/*
 * zygote.c: the process that owns the one initialised CPython.  Started by
 * pool.c through vf_zygote_launch (fork, then exec of the running program
 * with an empty environment; a constructor below takes over before main),
 * it detaches from the terminal, initialises Python with the pre-imports
 * (pyenv.c), locks it down (lockdown.c), then serves its control socket:
 * each SPAWN forks a worker (socketpair + sealed result memfd + pidfd, all
 * handed to the parent with SCM_RIGHTS), and each worker exit is reported
 * with its wait status.  It never runs untrusted code.  When the parent
 * goes away (EOF) it kills its workers and exits.
 */
#include "pyexec/pyside.h"
#include "pyexec/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CTL 3
#define ARGV0 "verif-pyexec-zygote"

typedef struct kid {
  pid_t pid;
  int pidfd;
} kid;

typedef struct zygote {
  vf_zygote_cfg cfg;
  vf_pyenv *env;
  kid *kids;
  size_t n, cap;
} zygote;

static void reply(int op, int slot, int pid, int status, const char *text) {
  vf_zmsg m = {(uint32_t)op, slot, pid, status, 0, 0, {0}};
  if (text)
    snprintf(m.text, sizeof m.text, "%s", text);
  if (vf_ipc_send_zmsg(CTL, &m, NULL, 0))
    _exit(0); /* the parent is gone */
}

/* Default signal handling (the caller's handlers mean nothing here), the
 * control socket on fd 3, /dev/null on 0 and 1, nothing else open. */
static void detach(int ctl) {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  for (int s = 1; s < NSIG; s++)
    signal(s, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);
  setsid();
  int hi = fcntl(ctl, F_DUPFD_CLOEXEC, 10);
  int null = open("/dev/null", O_RDWR);
  if (hi < 0 || null < 0)
    _exit(1);
  dup2(null, 0);
  dup2(null, 1);
  if (dup2(hi, CTL) != CTL)
    _exit(1);
  if (close_range(CTL + 1, ~0U, 0) != 0)
    for (int fd = CTL + 1; fd < 65536; fd++)
      close(fd);
}

static void kill_all(zygote *z) {
  for (size_t i = 0; i < z->n; i++)
    vf_ipc_pidfd_kill(z->kids[i].pidfd, SIGKILL);
  for (size_t i = 0; i < z->n; i++)
    waitpid(z->kids[i].pid, NULL, 0);
  _exit(0);
}

static int remember(zygote *z, pid_t pid, int pidfd) {
  if (z->n == z->cap) {
    size_t cap = z->cap ? z->cap * 2 : 16;
    kid *k = realloc(z->kids, cap * sizeof *k);
    if (!k)
      return -1;
    z->kids = k;
    z->cap = cap;
  }
  z->kids[z->n++] = (kid){pid, pidfd};
  return 0;
}

/* Forks the worker; returns its pid (the child never returns) and how
 * long fork() took. */
static pid_t fork_worker(zygote *z, int sv[2], int memfd, uint64_t *fork_ns) {
  PyOS_BeforeFork();
  uint64_t t0 = vf_ipc_cpu_ns();
  pid_t pid = fork();
  if (pid == 0) {
    vf_birth b = {vf_ipc_cpu_ns(), 0, vf_worker_faults()};
    PyOS_AfterFork_Child();
    b.afterfork_ns = vf_ipc_cpu_ns() - b.start_ns;
    close(sv[0]);
    vf_worker_main(z->env, &z->cfg, sv[1], memfd, &b);
  }
  *fork_ns = vf_ipc_cpu_ns() - t0;
  PyOS_AfterFork_Parent();
  return pid;
}

static void spawn(zygote *z, int slot) {
  int sv[2] = {-1, -1}, memfd = -1, pidfd = -1;
  pid_t pid = -1;
  char why[100] = "";
  uint64_t t0 = vf_ipc_cpu_ns(), fork_ns = 0;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0)
    memfd = vf_ipc_new_shm_fd();
  if (memfd >= 0)
    pid = fork_worker(z, sv, memfd, &fork_ns);
  if (pid < 0) {
    snprintf(why, sizeof why, "cannot start a worker: %s", strerror(errno));
    goto out;
  }
  pidfd = vf_ipc_pidfd_open(pid);
  if (pidfd < 0 || remember(z, pid, pidfd)) {
    snprintf(why, sizeof why, "cannot track the worker: %s", strerror(errno));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    goto out;
  }
  vf_zmsg m = {VF_Z_SPAWNED, slot, pid, 0, (uint32_t)(fork_ns / 1000),
               (uint32_t)((vf_ipc_cpu_ns() - t0) / 1000), {0}};
  int fds[3] = {sv[0], memfd, pidfd};
  if (vf_ipc_send_zmsg(CTL, &m, fds, 3))
    kill_all(z);
  pidfd = -1; /* kept in kids */
out:
  if (why[0])
    reply(VF_Z_SPAWN_FAIL, slot, 0, 0, why);
  for (int i = 0; i < 2; i++)
    if (sv[i] >= 0)
      close(sv[i]);
  if (memfd >= 0)
    close(memfd);
  if (pidfd >= 0)
    close(pidfd);
}

static void reap(zygote *z, size_t i) {
  int status = 0;
  struct rusage ru = {0};
  while (wait4(z->kids[i].pid, &status, 0, &ru) < 0 && errno == EINTR)
    ;
  vf_zmsg m = {VF_Z_EXITED, -1, z->kids[i].pid, status, 0, 0, {0}};
  m.fork_us = (uint32_t)(ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
                         ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
  if (vf_ipc_send_zmsg(CTL, &m, NULL, 0))
    _exit(0); /* the parent is gone */
  close(z->kids[i].pidfd);
  z->kids[i] = z->kids[--z->n];
}

static void handle_ctl(zygote *z) {
  vf_zmsg m;
  int fds[1];
  int r = vf_ipc_recv_zmsg(CTL, &m, fds, 1);
  if (fds[0] >= 0)
    close(fds[0]);
  if (r < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (r <= 0 || m.op == VF_Z_QUIT)
    kill_all(z);
  if (m.op == VF_Z_SPAWN)
    spawn(z, m.slot);
}

static void serve(zygote *z) {
  struct pollfd *p = NULL;
  for (;;) {
    struct pollfd *np = realloc(p, (z->n + 1) * sizeof *p);
    if (!np)
      kill_all(z);
    p = np;
    p[0] = (struct pollfd){CTL, POLLIN, 0};
    for (size_t i = 0; i < z->n; i++)
      p[i + 1] = (struct pollfd){z->kids[i].pidfd, POLLIN, 0};
    size_t nk = z->n;
    if (poll(p, nk + 1, -1) < 0)
      continue;
    for (size_t i = nk; i-- > 0;) /* backwards: reap() moves the last */
      if (p[i + 1].revents)
        reap(z, i);
    if (p[0].revents)
      handle_ctl(z);
  }
}

static void __attribute__((noreturn)) zygote_main(const vf_zygote_cfg *cfg) {
  zygote z = {*cfg, NULL, NULL, 0, 0};
  char why[VF_ERRMSG] = "";
  /* No fastbins: a fresh worker's first large malloc would otherwise
   * consolidate every small free chunk the zygote left, writing (and so
   * copying) pages all over the inherited heap. */
  mallopt(M_MXFAST, 0);
  detach(cfg->ctl_fd);
  z.cfg.ctl_fd = CTL;
  z.cfg.zygote_pid = getpid();
  z.env = vf_pyenv_init(cfg->memory_bytes, why, sizeof why);
  unsigned flags = strcmp(cfg->fault, "code-objects") == 0
                       ? VF_LOCK_ALLOW_CODE
                       : 0;
  if (z.env && vf_lockdown(z.env, flags)) {
    vf_pyrun_take_error(NULL, why);
    z.env = NULL;
  }
  vf_sandbox_limits lim;
  vf_worker_limits(&z.cfg, &lim);
  z.cfg.seccomp = z.env ? vf_sandbox_compile(&lim, why, sizeof why) : NULL;
  if (!z.cfg.seccomp)
    z.env = NULL;
  if (!z.env) {
    reply(VF_Z_INIT_FAIL, -1, 0, 0, why[0] ? why : "Python failed to start");
    _exit(1);
  }
  reply(VF_Z_READY, -1, getpid(), 0, NULL);
  serve(&z);
  _exit(0);
}

/* ---- starting ------------------------------------------------------------ */

/* The environment a zygote gets: empty, but for the sanitizers' options in
 * a sanitizer build (their reports must still reach the test's stderr). */
static void zygote_env(const vf_zygote_cfg *cfg, char **env, char *buf,
                       size_t n) {
  static const char *const keep[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS",
                                     "LSAN_OPTIONS"};
  size_t k = 0, used = 0;
  for (size_t i = 0; cfg->keep_stderr && i < 3; i++) {
    const char *v = getenv(keep[i]);
    int w = v ? snprintf(buf + used, n - used, "%s=%s", keep[i], v) : -1;
    if (w < 0 || (size_t)w >= n - used)
      continue;
    env[k++] = buf + used;
    used += (size_t)w + 1;
  }
  env[k] = NULL;
}

/* In the child between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
exec_zygote(int ctl, int keep_stderr, char **argv, char **env) {
  if (ctl != CTL ? dup2(ctl, CTL) != CTL : fcntl(CTL, F_SETFD, 0) != 0)
    _exit(127);
  int null = open("/dev/null", O_RDWR);
  if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
      (!keep_stderr && dup2(null, 2) < 0))
    _exit(127);
  if (close_range(CTL + 1, ~0U, 0) != 0)
    for (int fd = CTL + 1; fd < 65536; fd++)
      close(fd);
  execve("/proc/self/exe", argv, env);
  _exit(127);
}

pid_t vf_zygote_launch(const vf_zygote_cfg *cfg, int ctl) {
  char mem[40], flags[24], fault[48], envbuf[4096];
  char *env[4];
  snprintf(mem, sizeof mem, "%zu", cfg->memory_bytes);
  snprintf(flags, sizeof flags, "%d", (cfg->keep_stderr ? 1 : 0) |
                                          (cfg->row ? 2 : 0));
  snprintf(fault, sizeof fault, "%s", cfg->fault);
  char *argv[] = {ARGV0, mem, flags, fault, NULL};
  zygote_env(cfg, env, envbuf, sizeof envbuf);
  pid_t pid = fork();
  if (pid == 0)
    exec_zygote(ctl, cfg->keep_stderr, argv, env);
  return pid;
}

/* Is fd 3 the control socket a launch hands over? */
static int is_control_socket(void) {
  int type = 0;
  socklen_t len = sizeof type;
  return getsockopt(CTL, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
         type == SOCK_SEQPACKET;
}

/* Before main (glibc passes argc, argv and envp to constructors): a
 * process started by vf_zygote_launch becomes the zygote and never returns;
 * any other start of the program goes on to its main. */
__attribute__((constructor)) static void zygote_entry(int argc, char **argv,
                                                      char **envp) {
  vf_zygote_cfg cfg = {0};
  char *end1 = NULL, *end2 = NULL;
  if (argc != 4 || strcmp(argv[0], ARGV0) != 0 || !is_control_socket())
    return;
  cfg.memory_bytes = (size_t)strtoull(argv[1], &end1, 10);
  long f = strtol(argv[2], &end2, 10);
  if (*end1 || *end2 || !cfg.memory_bytes)
    _exit(127);
  cfg.ctl_fd = CTL;
  cfg.keep_stderr = f & 1;
  cfg.row = (f & 2) != 0;
  snprintf(cfg.fault, sizeof cfg.fault, "%s", argv[3]);
  zygote_main(&cfg);
}
