/*
 * ipc.c: the plumbing between the pyexec processes: blocking frame I/O for
 * the zygote and workers, buffered frames for the parent's event loop,
 * SCM_RIGHTS fd passing for zygote messages, the sealed memfd that holds a
 * worker's result page, and pidfds (race-free kills of workers that are the
 * zygote's children, not ours).  Used by every process of the pool.
 */
#include "pyexec/pyexec_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t vf_ipc_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t vf_ipc_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int vf_ipc_write_all(int fd, const void *p, size_t n) {
  const char *s = p;
  while (n > 0) {
    ssize_t w = write(fd, s, n); /* workers may not use send(2) */
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

int vf_ipc_read_all(int fd, void *p, size_t n) {
  char *s = p;
  while (n > 0) {
    ssize_t r = read(fd, s, n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    s += r;
    n -= (size_t)r;
  }
  return 0;
}

int vf_ipc_send_frame(int fd, uint32_t type, const void *payload, size_t len) {
  vf_frame_hdr h = {type, (uint32_t)len};
  if (len > UINT32_MAX)
    return -1;
  if (vf_ipc_write_all(fd, &h, sizeof h))
    return -1;
  return len ? vf_ipc_write_all(fd, payload, len) : 0;
}

int vf_ipc_put_frame(vf_buf *out, uint32_t type, const void *payload,
                     size_t len) {
  vf_frame_hdr h = {type, (uint32_t)len};
  if (len > UINT32_MAX || vf_buf_reserve(out, sizeof h + len))
    return -1;
  vf_buf_append(out, (const char *)&h, sizeof h);
  if (len)
    vf_buf_append(out, payload, len);
  return 0;
}

int vf_ipc_send_zmsg(int fd, const vf_zmsg *m, const int *fds, int nfds) {
  char ctl[CMSG_SPACE(3 * sizeof(int))];
  struct iovec iov = {(void *)m, sizeof *m};
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  if (nfds > 0) {
    memset(ctl, 0, sizeof ctl);
    mh.msg_control = ctl;
    mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
    memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
  }
  for (;;) {
    ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);
    if (w == (ssize_t)sizeof *m)
      return 0;
    if (w < 0 && errno == EINTR)
      continue;
    return -1;
  }
}

/* Takes the fds out of a received control message (closing any extra). */
static void take_fds(struct msghdr *mh, int *fds, int maxfds) {
  for (int i = 0; i < maxfds; i++)
    fds[i] = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int got[8];
    if (k > 8)
      k = 8;
    memcpy(got, CMSG_DATA(c), k * sizeof(int));
    for (size_t i = 0; i < k; i++) {
      if ((int)i < maxfds)
        fds[i] = got[i];
      else
        close(got[i]);
    }
  }
}

int vf_ipc_recv_zmsg(int fd, vf_zmsg *m, int *fds, int maxfds) {
  char ctl[CMSG_SPACE(8 * sizeof(int))];
  struct iovec iov = {m, sizeof *m};
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = ctl;
  mh.msg_controllen = sizeof ctl;
  ssize_t r;
  do {
    r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
  } while (r < 0 && errno == EINTR);
  if (r < 0)
    return -1;
  take_fds(&mh, fds, maxfds);
  if (r == 0)
    return 0;
  if (r != (ssize_t)sizeof *m) {
    for (int i = 0; i < maxfds; i++)
      if (fds[i] >= 0)
        close(fds[i]);
    errno = EPROTO;
    return -1;
  }
  m->text[sizeof m->text - 1] = '\0';
  return 1;
}

vf_shm *vf_ipc_map_shm(int memfd) {
  void *p = mmap(NULL, sizeof(vf_shm), PROT_READ | PROT_WRITE, MAP_SHARED,
                 memfd, 0);
  return p == MAP_FAILED ? NULL : p;
}

int vf_ipc_new_shm_fd(void) {
  int fd = memfd_create("verif-worker", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return -1;
  if (ftruncate(fd, (off_t)sizeof(vf_shm)) != 0 ||
      fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int vf_ipc_pidfd_open(pid_t pid) {
  return (int)syscall(SYS_pidfd_open, pid, 0);
}

int vf_ipc_pidfd_kill(int pidfd, int sig) {
  return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

void vf_ipc_describe_status(int status, char *out, size_t n) {
  if (WIFSIGNALED(status)) {
    int s = WTERMSIG(status);
    const char *name = sigabbrev_np(s);
    snprintf(out, n, "killed by signal %d (SIG%s)", s, name ? name : "?");
  } else if (WIFEXITED(status)) {
    snprintf(out, n, "exited with status %d", WEXITSTATUS(status));
  } else {
    snprintf(out, n, "ended with wait status %d", status);
  }
}
