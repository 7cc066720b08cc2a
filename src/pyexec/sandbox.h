/*
 * sandbox.h: what a pyexec worker does to itself before it runs untrusted
 * code: rlimits, then PR_SET_NO_NEW_PRIVS, then a default-deny seccomp
 * allow-list (libseccomp) kept as one sorted table in sandbox.c.  The
 * zygote compiles the table once (vf_sandbox_compile); each worker loads
 * that program with its own pid (vf_sandbox_enter_prog), so a fresh
 * process per row does not pay for libseccomp.  Any failure is fatal for
 * the worker.
 */
#ifndef VF_PYEXEC_SANDBOX_H
#define VF_PYEXEC_SANDBOX_H

#include <stddef.h>

typedef struct vf_sandbox_limits {
  size_t memory_bytes;   /* RLIMIT_AS (see vf_sandbox_enter for ASan) */
  unsigned cpu_seconds;  /* RLIMIT_CPU backstop (soft; hard = soft + 5) */
  int channel_fd;        /* the only fd read(2)/write(2) may use */
  int allow_stderr;      /* also allow write(2) on fd 2 (sanitizer reports) */
} vf_sandbox_limits;

/* What the policy does with a syscall. */
typedef enum {
  VF_SB_ALLOW,        /* unconditionally */
  VF_SB_ALLOW_NOEXEC, /* only when the prot argument (arg 2) lacks PROT_EXEC */
  VF_SB_ALLOW_SELF,   /* only when arg 0 is the worker's own pid/tid */
  VF_SB_ALLOW_CHAN,   /* only on the channel fd (and fd 2 if allowed) */
  VF_SB_KILL          /* kill the process: an escape attempt, nothing to gain */
} vf_sb_action;

typedef struct vf_sb_rule {
  const char *syscall;
  vf_sb_action action;
} vf_sb_rule;

/* Fills the defaults (1 GiB, 300 s, no channel). */
void vf_sandbox_defaults(vf_sandbox_limits *lim);

/* Applies rlimits, no_new_privs and the seccomp filter to the calling
 * process (single-threaded).  Returns 0, or -1 with why[] filled; the caller
 * must then exit without running anything.  Every syscall not in the table
 * fails with EPERM.  Under ASan RLIMIT_AS is set to the current address
 * space plus memory_bytes, because ASan's shadow is terabytes of reserved
 * (not resident) address space. */
int vf_sandbox_enter(const vf_sandbox_limits *lim, char *why, size_t whylen);

/* The policy compiled to a BPF program, for vf_sandbox_enter_prog. */
typedef struct vf_sandbox_prog vf_sandbox_prog;

/* Compiles the policy for workers with these limits (channel fd, stderr)
 * once, with a placeholder where each worker's pid goes.  Returns NULL with
 * why[] filled on failure (nothing may then run). */
vf_sandbox_prog *vf_sandbox_compile(const vf_sandbox_limits *lim, char *why,
                                    size_t whylen);
void vf_sandbox_prog_free(vf_sandbox_prog *p);

/* vf_sandbox_enter with a program vf_sandbox_compile made for the same
 * limits: rlimits, no_new_privs, then the program with the calling
 * process's pid patched in, loaded by one system call.  0, or -1 with
 * why[] filled. */
int vf_sandbox_enter_prog(const vf_sandbox_limits *lim,
                          const vf_sandbox_prog *prog, char *why,
                          size_t whylen);

/* The policy table, sorted by syscall name (the unit test checks it). */
const vf_sb_rule *vf_sandbox_policy(size_t *n);

#endif
