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
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

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

/* Adds one table rule; returns libseccomp's (negative errno) result. */
static int add_rule(scmp_filter_ctx ctx, const vf_sb_rule *r, int nr,
                    const vf_sandbox_limits *lim) {
  int rc;
  switch (r->action) {
  case VF_SB_ALLOW:
    return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
  case VF_SB_ALLOW_NOEXEC:
    return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                            SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  case VF_SB_ALLOW_SELF:
    return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                            SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
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

static int load_filter(const vf_sandbox_limits *lim, char *why, size_t n) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  int rc = 0;
  if (!ctx)
    return fail(why, n, "seccomp_init", ENOMEM);
  rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (rc < 0)
    goto out;
  for (size_t i = 0; i < sizeof policy / sizeof policy[0]; i++) {
    int nr = seccomp_syscall_resolve_name(policy[i].syscall);
    if (nr == __NR_SCMP_ERROR)
      continue; /* not a syscall on this architecture */
    rc = add_rule(ctx, &policy[i], nr, lim);
    if (rc < 0) {
      snprintf(why, n, "sandbox: seccomp rule for %s: %s", policy[i].syscall,
               strerror(-rc));
      seccomp_release(ctx);
      return -1;
    }
  }
  rc = seccomp_load(ctx);
out:
  seccomp_release(ctx);
  if (rc < 0)
    return fail(why, n, "seccomp_load", -rc);
  return 0;
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
