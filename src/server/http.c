/*
 * http.c: the libmicrohttpd glue of the server: one thread per connection
 * (keep-alive), the header lines' checks of headers.c (ambiguous framing,
 * NUL bytes: 400/501 and the connection closed, so that no body can
 * smuggle a second request past a proxy), bodies
 * gathered per request within --max-body (413) and a server-wide budget
 * of 4 x --max-body (503), the bearer token (401), the route (404/405),
 * then the handler's answer.  A connection may idle only a few seconds
 * until a request of it passes the token; then the keep-alive allowance.
 * Draining answers 503 with "Connection: close"; the active-request count
 * lets vf_server_drain wait for the requests in flight.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "server/server.h"

/* One request's state between libmicrohttpd's calls.  A refusal decided
 * from the headers (401, 404, 405, 503) is answered once the body is read
 * and dropped, so that the connection stays usable; only an announced
 * body over --max-body is refused at once. */
typedef struct conn_req {
  vf_buf body;
  const vf_route *rt;
  enum vf_endpoint ep;
  double t0;
  size_t reserved; /* bytes counted in s->buffered */
  int too_large, over_budget, answered;
  int close;                /* answer with "Connection: close" */
  int refuse, refuse_retry; /* status to answer with, and Retry-After */
  const char *allow;        /* for 405 */
  char refuse_msg[300];
} conn_req;

static void log_failure(vf_server *s, const char *method, const char *url,
                        int status, const vf_buf *body) {
  if (!s->o.log || status < 400)
    return;
  fprintf(s->o.log, "verif serve: %s %s: %d %.*s\n", method, url, status,
          body->data ? (int)(body->len > 300 ? 300 : body->len) : 0,
          body->data ? body->data : "");
  fflush(s->o.log);
}

/* Queues the answer; takes the body's memory. */
static enum MHD_Result send_answer(struct MHD_Connection *c, const vf_req *r,
                                   vf_buf *body, int close_conn) {
  int status = r->status, retry_after = r->retry_after;
  struct MHD_Response *resp =
      body->data ? MHD_create_response_from_buffer(body->len, body->data,
                                                   MHD_RESPMEM_MUST_FREE)
                 : MHD_create_response_from_buffer(0, (void *)"",
                                                   MHD_RESPMEM_PERSISTENT);
  if (!resp)
    return MHD_NO;
  memset(body, 0, sizeof *body); /* libmicrohttpd frees it */
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                          r->content_type ? r->content_type
                                          : "application/json");
  char secs[16];
  snprintf(secs, sizeof secs, "%d", retry_after);
  if (retry_after > 0)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
  if (close_conn)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  if (status == 401)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
  if (status == 405 && r->allow)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
  enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, resp);
  MHD_destroy_response(resp);
  return rc;
}

/* Answers r and counts it. */
static enum MHD_Result answer(vf_server *s, struct MHD_Connection *c,
                              conn_req *cr, vf_req *r, const char *method,
                              const char *url) {
  int close_conn = atomic_load(&s->draining) || cr->too_large || cr->close;
  cr->answered = 1;
  vf_metrics_request(s->metrics, cr->ep, r->status, vf_now() - cr->t0,
                     r->items_ok, r->items_err);
  log_failure(s, method, url, r->status, &r->out);
  enum MHD_Result rc = send_answer(c, r, &r->out, close_conn);
  vf_buf_free(&r->out);
  return rc;
}

static enum MHD_Result reject(vf_server *s, struct MHD_Connection *c,
                              conn_req *cr, int status, int retry_after,
                              const char *method, const char *url,
                              const char *msg) {
  vf_req r = {.srv = s, .t0 = cr->t0, .retry_after = retry_after,
              .allow = cr->allow};
  vf_req_fail(&r, status, "%s", msg);
  return answer(s, c, cr, &r, method, url);
}

/* Notes a refusal to answer once the body is in. */
static enum MHD_Result refuse(conn_req *cr, int status, int retry_after,
                              const char *msg) {
  cr->refuse = status;
  cr->refuse_retry = retry_after;
  snprintf(cr->refuse_msg, sizeof cr->refuse_msg, "%s", msg);
  return MHD_YES;
}

/* Constant-time comparison of the one Authorization header with the
 * token, over the header's whole length: a NUL inside ends nothing. */
static int authorized(vf_server *s, struct MHD_Connection *c,
                      const vf_heads *hd) {
  if (!s->o.token)
    return 1;
  const char *h = NULL;
  size_t n = 0;
  if (hd->authorization != 1 ||
      MHD_lookup_connection_value_n(c, MHD_HEADER_KIND, "Authorization", 13,
                                    &h, &n) != MHD_YES ||
      !h || n < 7 || strncasecmp(h, "Bearer ", 7) != 0)
    return 0;
  for (h += 7, n -= 7; n && *h == ' '; h++, n--)
    ;
  size_t t = strlen(s->o.token); /* never 0: vf_server_new refuses "" */
  unsigned diff = (unsigned)(n ^ t);
  for (size_t i = 0; i < n; i++)
    diff |= (unsigned char)h[i] ^ (unsigned char)s->o.token[i % t];
  return diff == 0;
}

/* A connection that passed the token may idle as keep-alive allows;
 * until then, only the short handshake allowance (vf_http_start). */
static void trust(vf_server *s, struct MHD_Connection *c) {
  MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
                            (unsigned)s->o.request_timeout_s + 300);
}

/* Counts n more body bytes against the server's budget.  0, or -1 when
 * the budget is spent. */
static int reserve(vf_server *s, conn_req *cr, size_t n) {
  size_t was = atomic_fetch_add(&s->buffered, n);
  if (was + n > s->max_buffered) {
    atomic_fetch_sub(&s->buffered, n);
    return -1;
  }
  cr->reserved += n;
  return 0;
}

static void release(vf_server *s, conn_req *cr) {
  atomic_fetch_sub(&s->buffered, cr->reserved);
  cr->reserved = 0;
}

/* The checks that need only the headers. */
static enum MHD_Result first_call(vf_server *s, struct MHD_Connection *c,
                                  conn_req *cr, const char *url,
                                  const char *method) {
  int status;
  char msg[300];
  cr->rt = vf_server_route(url, method, &status, &cr->allow);
  cr->ep = cr->rt ? cr->rt->ep : VF_EP_OTHER;
  int open = cr->rt && cr->rt->ep == VF_EP_HEALTHZ;
  vf_heads hd;
  vf_heads_read(c, method, &hd);
  int hstatus;
  const char *why = vf_heads_refusal(&hd, &hstatus);
  if (why) { /* answered now, and the connection closed after it */
    cr->close = 1;
    vf_metrics_count(s->metrics, VF_C_BAD_HEADERS, 1);
    return reject(s, c, cr, hstatus, 0, method, url, why);
  }
  const char *cl =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
  unsigned long long n = cl ? strtoull(cl, NULL, 10) : 0;
  if (n > s->o.max_body) {
    cr->too_large = 1;
    /* A client waiting for "100 Continue", or a body past 16 x the limit,
     * is answered now (and the connection closed); else the body is read
     * and dropped first, so that the client sees the 413, not a reset. */
    if (!MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect") &&
        n / 16 <= s->o.max_body)
      return MHD_YES;
    vf_metrics_count(s->metrics, VF_C_BODY_TOO_LARGE, 1);
    snprintf(msg, sizeof msg, "body of %llu bytes is over the limit of %zu "
                              "(--max-body)", n, s->o.max_body);
    return reject(s, c, cr, 413, 0, method, url, msg);
  }
  if (!open && !authorized(s, c, &hd)) {
    vf_metrics_count(s->metrics, VF_C_UNAUTHORIZED, 1);
    return refuse(cr, 401, 0,
                  "missing or wrong bearer token (Authorization: Bearer T)");
  }
  if (!open)
    trust(s, c);
  if (!cr->rt) {
    if (status == 405)
      snprintf(msg, sizeof msg, "%.100s takes %s, not %.20s", url, cr->allow,
               method);
    else
      snprintf(msg, sizeof msg, "no such endpoint: %.200s", url);
    return refuse(cr, status, 0, msg);
  }
  if (atomic_load(&s->draining) && !open) {
    vf_metrics_count(s->metrics, VF_C_DRAINING, 1);
    return refuse(cr, 503, 1, "the server is shutting down");
  }
  if (n && reserve(s, cr, (size_t)n)) {
    vf_metrics_count(s->metrics, VF_C_BUSY, 1);
    return refuse(cr, 503, 1, "busy: too many request bodies held; retry "
                              "later");
  }
  return MHD_YES;
}

/* A piece of the body: kept while within the limits, else dropped. */
static void take_body(vf_server *s, conn_req *cr, const char *data, size_t n) {
  if (cr->too_large || cr->over_budget || cr->refuse || cr->answered)
    return;
  if (cr->body.len + n > s->o.max_body) {
    cr->too_large = 1;
  } else if (cr->body.len + n > cr->reserved && reserve(s, cr, n)) {
    cr->over_budget = 1;
  } else if (vf_buf_append(&cr->body, data, n) == 0) {
    return;
  } else {
    cr->over_budget = 1;
  }
  vf_buf_free(&cr->body);
  release(s, cr);
}

static enum MHD_Result handle(vf_server *s, struct MHD_Connection *c,
                              conn_req *cr, const char *method,
                              const char *url) {
  if (cr->refuse)
    return reject(s, c, cr, cr->refuse, cr->refuse_retry, method, url,
                  cr->refuse_msg);
  if (cr->too_large) {
    vf_metrics_count(s->metrics, VF_C_BODY_TOO_LARGE, 1);
    char msg[128];
    snprintf(msg, sizeof msg, "body over the limit of %zu bytes (--max-body)",
             s->o.max_body);
    return reject(s, c, cr, 413, 0, method, url, msg);
  }
  if (cr->over_budget) {
    vf_metrics_count(s->metrics, VF_C_BUSY, 1);
    return reject(s, c, cr, 503, 1, method, url,
                  "busy: too many request bodies held; retry later");
  }
  vf_req r = {.srv = s,
              .body = cr->body.data ? cr->body.data : "",
              .len = cr->body.len,
              .status = 200,
              .t0 = cr->t0};
  cr->rt->fn(&r);
  vf_buf_free(&cr->body);
  release(s, cr);
  return answer(s, c, cr, &r, method, url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **ctx) {
  vf_server *s = cls;
  conn_req *cr = *ctx;
  if (!cr) {
    cr = calloc(1, sizeof *cr);
    if (!cr)
      return MHD_NO;
    cr->t0 = vf_now();
    *ctx = cr;
    pthread_mutex_lock(&s->mu);
    s->active++;
    pthread_mutex_unlock(&s->mu);
    return first_call(s, c, cr, url, method);
  }
  if (*upload_size) {
    take_body(s, cr, upload, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  if (cr->answered)
    return MHD_YES;
  return handle(s, c, cr, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ctx,
                         enum MHD_RequestTerminationCode why) {
  vf_server *s = cls;
  conn_req *cr = *ctx;
  if (!cr)
    return;
  vf_buf_free(&cr->body);
  release(s, cr);
  free(cr);
  *ctx = NULL;
  pthread_mutex_lock(&s->mu);
  if (--s->active == 0)
    pthread_cond_broadcast(&s->idle);
  pthread_mutex_unlock(&s->mu);
}

/* Resolves host (numeric or a name) for binding. */
static vf_status resolve(const vf_server *s, struct sockaddr_storage *ss,
                         int *v6, vf_error *err) {
  struct addrinfo hints = {0}, *res = NULL;
  char port[16];
  snprintf(port, sizeof port, "%d", s->o.port);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  int rc = getaddrinfo(s->o.host, port, &hints, &res);
  if (rc || !res)
    return vf_set_error(err, VF_EINVAL, "serve: cannot resolve --host %s: %s",
                        s->o.host, gai_strerror(rc));
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *v6 = res->ai_family == AF_INET6;
  freeaddrinfo(res);
  return VF_OK;
}

vf_status vf_http_start(vf_server *s, vf_error *err) {
  struct sockaddr_storage ss;
  int v6 = 0;
  vf_status st = resolve(s, &ss, &v6, err);
  if (st)
    return st;
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
                   MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                   MHD_USE_ITC | (v6 ? MHD_USE_IPv6 : 0);
  unsigned idle = (unsigned)(s->o.handshake_timeout_s + 0.999);
  s->daemon = MHD_start_daemon(
      flags, (uint16_t)s->o.port, NULL, NULL, on_request, s,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
      MHD_OPTION_CONNECTION_LIMIT, s->o.max_connections,
      MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
      MHD_OPTION_CONNECTION_TIMEOUT, idle,
      MHD_OPTION_THREAD_STACK_SIZE, (size_t)1 << 20,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
  if (!s->daemon) /* errno: the bind or listen that failed */
    return vf_set_error(err, VF_EIO, "serve: cannot listen on %s:%d: %s",
                        s->o.host, s->o.port, strerror(errno));
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info && info->port ? info->port : s->o.port;
  return VF_OK;
}

void vf_http_quiesce(vf_server *s) {
  if (!s->daemon)
    return;
  MHD_socket fd = MHD_quiesce_daemon(s->daemon);
  if (fd != MHD_INVALID_SOCKET)
    close(fd);
}

void vf_http_stop(vf_server *s) {
  if (s->daemon)
    MHD_stop_daemon(s->daemon);
  s->daemon = NULL;
}
