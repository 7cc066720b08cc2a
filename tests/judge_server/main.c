/*
 * main.c: the test judge server's process: options (--port N, 0 = pick one
 * and print "port N"; --record FILE; --latency-ms N), the libmicrohttpd
 * daemon on 127.0.0.1 with a thread per connection (so latency and HANG
 * block only their own connection), request bodies gathered per request,
 * connection and concurrency counters, and a clean stop on SIGTERM/SIGINT.
 * Used by tests/unit/test_judge*.c and bench/bench_judge.c.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "server.h"
#include "text/text.h"

typedef struct opts {
  long port;
  const char *record;
  long latency_ms;
} opts;

static int parse_long(const char *s, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < 0)
    return -1;
  *out = v;
  return 0;
}

static int parse_args(int argc, char **argv, opts *o) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = !v;
    if (!bad && !strcmp(a, "--port"))
      bad = parse_long(v, &o->port) || o->port > 65535;
    else if (!bad && !strcmp(a, "--latency-ms"))
      bad = parse_long(v, &o->latency_ms);
    else if (!bad && !strcmp(a, "--record"))
      o->record = v;
    else
      bad = 1;
    if (bad) {
      fprintf(stderr, "usage: judge_server [--port N] [--record FILE] "
                      "[--latency-ms N]\n");
      return -1;
    }
    i++;
  }
  return 0;
}

/* Per request: the body gathered so far. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **ctx) {
  server *s = cls;
  if (!*ctx) {
    vf_buf *b = calloc(1, sizeof *b);
    if (!b)
      return MHD_NO;
    *ctx = b;
    pthread_mutex_lock(&s->lock);
    if (++s->in_progress > s->max_in_progress)
      s->max_in_progress = s->in_progress;
    pthread_mutex_unlock(&s->lock);
    return MHD_YES;
  }
  vf_buf *b = *ctx;
  if (*upload_size) {
    int rc = vf_buf_append(b, upload, *upload_size);
    *upload_size = 0;
    return rc ? MHD_NO : MHD_YES;
  }
  return judge_answer(s, conn, method, url, b->data ? b->data : "", b->len);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **ctx,
                         enum MHD_RequestTerminationCode why) {
  server *s = cls;
  vf_buf *b = *ctx;
  if (!b)
    return;
  vf_buf_free(b);
  free(b);
  *ctx = NULL;
  pthread_mutex_lock(&s->lock);
  s->in_progress--;
  pthread_mutex_unlock(&s->lock);
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code) {
  server *s = cls;
  pthread_mutex_lock(&s->lock);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    s->connections++;
    if (++s->open_connections > s->max_connections)
      s->max_connections = s->open_connections;
  } else {
    s->open_connections--;
  }
  pthread_mutex_unlock(&s->lock);
}

static struct MHD_Daemon *start(server *s, long port) {
  struct sockaddr_in addr; /* MHD binds it before returning */
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
                   MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
  return MHD_start_daemon(
      flags, (uint16_t)port, NULL, NULL, on_request, s,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000,
      MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)4096,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
}

static void raise_fd_limit(void) {
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max > 8192 ? 8192 : r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

int main(int argc, char **argv) {
  opts o = {0};
  server s = {0};
  if (parse_args(argc, argv, &o))
    return 2;
  s.latency_ms = (int)o.latency_ms;
  pthread_mutex_init(&s.lock, NULL);
  pthread_cond_init(&s.gate_cv, NULL);
  s.record = o.record ? fopen(o.record, "a") : NULL;
  if (o.record && !s.record) {
    perror(o.record);
    return 1;
  }
  raise_fd_limit();
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread inherits it */
  signal(SIGPIPE, SIG_IGN);
  struct MHD_Daemon *d = start(&s, o.port);
  if (!d) {
    fprintf(stderr, "judge_server: cannot listen on port %ld\n", o.port);
    return 1;
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  printf("port %u\n", info ? (unsigned)info->port : (unsigned)o.port);
  fflush(stdout);
  int sig;
  sigwait(&set, &sig);
  atomic_store(&s.stopping, 1);
  MHD_stop_daemon(d);
  if (s.record)
    fclose(s.record);
  free(s.seen429);
  pthread_cond_destroy(&s.gate_cv);
  pthread_mutex_destroy(&s.lock);
  return 0;
}
