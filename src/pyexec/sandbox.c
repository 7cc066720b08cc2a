/*
 * sandbox.c: the worker's jail.  rlimits first (memory, CPU backstop, no
 * files, no processes, no core dumps), then PR_SET_NO_NEW_PRIVS, then a
 * default-deny seccomp filter built with libseccomp from the one table
 * below.  Denied syscalls fail with EPERM, so Python raises OSError and the
 * check gets an error verdict; a few that only an escape attempt would use
 * kill the worker instead.  Called by worker.c; fails closed.
 */
#include "pyexec/sandbox.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Stands for the worker's pid in a compiled program: no syscall number,
 * fd, flag or architecture token of the policy has this value, and the
 * compiler checks that it only ever appears as an equality operand. */
#define PID_PLACEHOLDER 0x7ead5eedu

struct vf_sandbox_prog {
  struct sock_filter *insn;
  unsigned short len;
  unsigned nself; /* instructions comparing with the placeholder */
};

#if defined(__SANITIZE_ADDRESS__)
#define VF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VF_ASAN 1
#endif
#endif

/* Sorted by name.  Everything else (open/openat, fork/clone, execve,
 * socket/connect, unlink/rename/mkdir, chmod, setrlimit, dup, ioctl,
 * rt_sigaction, ...) fails with EPERM. */
static const vf_sb_rule policy[] = {
    {"bpf", VF_SB_KILL},
    {"brk", VF_SB_ALLOW},
    {"clock_getres", VF_SB_ALLOW},
    {"clock_gettime", VF_SB_ALLOW},
    {"clock_nanosleep", VF_SB_ALLOW},
    {"close", VF_SB_ALLOW},
    {"exit", VF_SB_ALLOW},
    {"exit_group", VF_SB_ALLOW},
    {"futex", VF_SB_ALLOW},
    {"getegid", VF_SB_ALLOW},
    {"geteuid", VF_SB_ALLOW},
    {"getgid", VF_SB_ALLOW},
    {"getpid", VF_SB_ALLOW},
    {"getrandom", VF_SB_ALLOW},
    {"getrusage", VF_SB_ALLOW},
    {"gettid", VF_SB_ALLOW},
    {"gettimeofday", VF_SB_ALLOW},
    {"getuid", VF_SB_ALLOW},
    {"io_uring_enter", VF_SB_KILL},
    {"io_uring_register", VF_SB_KILL},
    {"io_uring_setup", VF_SB_KILL},
    {"kill", VF_SB_ALLOW_SELF},
    {"madvise", VF_SB_ALLOW},
    {"mmap", VF_SB_ALLOW_NOEXEC},
    {"mprotect", VF_SB_ALLOW_NOEXEC},
    {"mremap", VF_SB_ALLOW},
    {"munmap", VF_SB_ALLOW},
    {"nanosleep", VF_SB_ALLOW},
    {"perf_event_open", VF_SB_KILL},
    {"personality", VF_SB_KILL},
    {"process_vm_readv", VF_SB_KILL},
    {"process_vm_writev", VF_SB_KILL},
    {"ptrace", VF_SB_KILL},
    {"read", VF_SB_ALLOW_CHAN},
    {"restart_syscall", VF_SB_ALLOW},
    {"rt_sigprocmask", VF_SB_ALLOW},
    {"rt_sigreturn", VF_SB_ALLOW},
    {"sched_yield", VF_SB_ALLOW},
    {"sigaltstack", VF_SB_ALLOW}, /* where this process's handlers run */
    {"tgkill", VF_SB_ALLOW_SELF},
    {"time", VF_SB_ALLOW},
    {"times", VF_SB_ALLOW},
    {"tkill", VF_SB_ALLOW_SELF},
    {"uname", VF_SB_ALLOW},
    {"userfaultfd", VF_SB_KILL},
    {"write", VF_SB_ALLOW_CHAN},
};

const vf_sb_rule *vf_sandbox_policy(size_t *n) {
  *n = sizeof policy / sizeof policy[0];
  return policy;
}

void vf_sandbox_defaults(vf_sandbox_limits *lim) {
  lim->memory_bytes = (size_t)1024 << 20;
  lim->cpu_seconds = 300;
  lim->channel_fd = -1;
  lim->allow_stderr = 0;
}

static int fail(char *why, size_t n, const char *what, int e) {
  snprintf(why, n, "sandbox: %s: %s", what, strerror(e));
  return -1;
}

static int limit(int res, rlim_t soft, rlim_t hard, char *why, size_t n,
                 const char *name) {
  struct rlimit rl = {soft, hard};
  if (setrlimit(res, &rl) != 0)
    return fail(why, n, name, errno);
  return 0;
}

/* Under ASan the address space already holds terabytes of shadow reserve. */
static rlim_t address_space(size_t memory_bytes) {
#ifdef VF_ASAN
  unsigned long pages = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%lu", &pages) != 1)
      pages = 0;
    fclose(f);
  }
  return (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + memory_bytes;
#else
  return memory_bytes;
#endif
}

static int set_limits(const vf_sandbox_limits *lim, char *why, size_t n) {
  rlim_t as = address_space(lim->memory_bytes);
  rlim_t files = (rlim_t)(lim->channel_fd > 2 ? lim->channel_fd + 1 : 4);
  if (limit(RLIMIT_CORE, 0, 0, why, n, "RLIMIT_CORE") ||
      limit(RLIMIT_AS, as, as, why, n, "RLIMIT_AS") ||
      limit(RLIMIT_CPU, lim->cpu_seconds, lim->cpu_seconds + 5, why, n,
            "RLIMIT_CPU") ||
      limit(RLIMIT_NOFILE, files, files, why, n, "RLIMIT_NOFILE") ||
      limit(RLIMIT_FSIZE, 0, 0, why, n, "RLIMIT_FSIZE") ||
      limit(RLIMIT_NPROC, 0, 0, why, n, "RLIMIT_NPROC"))
    return -1;
  return 0;
}

/* Adds one table rule; returns libseccomp's (negative errno) result.
 * self: the value ALLOW_SELF rules compare with. */
static int add_rule(scmp_filter_ctx ctx, const vf_sb_rule *r, int nr,
                    const vf_sandbox_limits *lim, scmp_datum_t self) {
  int rc;
  switch (r->action) {
  case VF_SB_ALLOW:
    return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
  case VF_SB_ALLOW_NOEXEC:
    return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                            SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  case VF_SB_ALLOW_SELF:
    return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                            SCMP_A0(SCMP_CMP_EQ, self));
  case VF_SB_ALLOW_CHAN:
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                          SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)lim->channel_fd));
    if (rc == 0 && lim->allow_stderr && strcmp(r->syscall, "write") == 0)
      rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                            SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)2));
    return rc;
  case VF_SB_KILL:
    return seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0);
  }
  return -EINVAL;
}

/* The filter of the table; NULL with why[] filled. */
static scmp_filter_ctx build_filter(const vf_sandbox_limits *lim,
                                    scmp_datum_t self, char *why, size_t n) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  int rc;
  why[0] = '\0';
  if (!ctx) {
    fail(why, n, "seccomp_init", ENOMEM);
    return NULL;
  }
  rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  for (size_t i = 0; rc == 0 && i < sizeof policy / sizeof policy[0]; i++) {
    int nr = seccomp_syscall_resolve_name(policy[i].syscall);
    if (nr == __NR_SCMP_ERROR)
      continue; /* not a syscall on this architecture */
    rc = add_rule(ctx, &policy[i], nr, lim, self);
    if (rc < 0)
      snprintf(why, n, "sandbox: seccomp rule for %s: %s", policy[i].syscall,
               strerror(-rc));
  }
  if (rc < 0) {
    if (!why[0])
      fail(why, n, "seccomp_attr_set", -rc);
    seccomp_release(ctx);
    return NULL;
  }
  return ctx;
}

static int load_filter(const vf_sandbox_limits *lim, char *why, size_t n) {
  scmp_filter_ctx ctx = build_filter(lim, (scmp_datum_t)getpid(), why, n);
  if (!ctx)
    return -1;
  int rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc < 0)
    return fail(why, n, "seccomp_load", -rc);
  return 0;
}

/* The BPF program of ctx, read back through a memfd. */
static int export_prog(scmp_filter_ctx ctx, vf_sandbox_prog *p, char *why,
                       size_t n) {
  int fd = memfd_create("verif-seccomp", MFD_CLOEXEC);
  int rc = fd < 0 ? -errno : seccomp_export_bpf(ctx, fd);
  off_t len = rc == 0 ? lseek(fd, 0, SEEK_END) : -1;
  if (len <= 0 || len % (off_t)sizeof *p->insn ||
      len / (off_t)sizeof *p->insn > BPF_MAXINSNS) {
    if (fd >= 0)
      close(fd);
    return fail(why, n, "seccomp_export_bpf", rc < 0 ? -rc : EINVAL);
  }
  p->len = (unsigned short)(len / (off_t)sizeof *p->insn);
  p->insn = malloc((size_t)len);
  ssize_t got = p->insn ? pread(fd, p->insn, (size_t)len, 0) : -1;
  close(fd);
  if (got != len)
    return fail(why, n, "reading the seccomp program", EIO);
  return 0;
}

/* Counts the placeholder's uses; -1 when one is not a JEQ operand. */
static int count_placeholder(const vf_sandbox_prog *p) {
  unsigned k = 0;
  for (unsigned i = 0; i < p->len; i++) {
    if (p->insn[i].k != PID_PLACEHOLDER)
      continue;
    if (p->insn[i].code != (BPF_JMP | BPF_JEQ | BPF_K))
      return -1;
    k++;
  }
  return (int)k;
}

vf_sandbox_prog *vf_sandbox_compile(const vf_sandbox_limits *lim, char *why,
                                    size_t whylen) {
  vf_sandbox_prog *p = calloc(1, sizeof *p);
  scmp_filter_ctx ctx = p ? build_filter(lim, PID_PLACEHOLDER, why, whylen)
                          : NULL;
  int rc = ctx ? export_prog(ctx, p, why, whylen) : -1;
  if (ctx)
    seccomp_release(ctx);
  int self = rc == 0 ? count_placeholder(p) : -1;
  if (rc == 0 && self < 0)
    fail(why, whylen, "the pid placeholder is not only a comparison", EINVAL);
  if (!p)
    fail(why, whylen, "compiling the policy", ENOMEM);
  if (rc || self < 0) {
    vf_sandbox_prog_free(p);
    return NULL;
  }
  p->nself = (unsigned)self;
  return p;
}

void vf_sandbox_prog_free(vf_sandbox_prog *p) {
  if (p)
    free(p->insn);
  free(p);
}

/* Loads prog with this process's pid in place of the placeholder. */
static int load_prog(const vf_sandbox_prog *prog, char *why, size_t n) {
  struct sock_filter insn[BPF_MAXINSNS];
  unsigned patched = 0;
  memcpy(insn, prog->insn, prog->len * sizeof *insn);
  for (unsigned i = 0; i < prog->len; i++)
    if (insn[i].k == PID_PLACEHOLDER) {
      insn[i].k = (uint32_t)getpid();
      patched++;
    }
  if (patched != prog->nself)
    return fail(why, n, "patching the seccomp program", EINVAL);
  struct sock_fprog fp = {prog->len, insn};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0)
    return fail(why, n, "seccomp(SET_MODE_FILTER)", errno);
  return 0;
}

int vf_sandbox_enter_prog(const vf_sandbox_limits *lim,
                          const vf_sandbox_prog *prog, char *why,
                          size_t whylen) {
  if (lim->channel_fd < 0 || !prog)
    return fail(why, whylen, "no channel fd or no program", EINVAL);
  if (set_limits(lim, why, whylen))
    return -1;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return fail(why, whylen, "PR_SET_NO_NEW_PRIVS", errno);
  return load_prog(prog, why, whylen);
}

int vf_sandbox_enter(const vf_sandbox_limits *lim, char *why, size_t whylen) {
  if (lim->channel_fd < 0)
    return fail(why, whylen, "no channel fd", EINVAL);
  if (set_limits(lim, why, whylen))
    return -1;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return fail(why, whylen, "PR_SET_NO_NEW_PRIVS", errno);
  return load_filter(lim, why, whylen);
}
