/*
 * server.h: the HTTP reward server behind `verif serve`, and what the files
 * of src/server share.  A vf_server owns a libmicrohttpd daemon (http.c),
 * the sorted route table (routes.c), one adapter per protocol (proto_*.c),
 * a bounded scoring queue feeding one scorer callback (queue.c; the CLI
 * passes vf_engine_score), record helpers (records.c) and the Prometheus
 * counters (metrics.c).  Tests build servers with a fake scorer.
 */
#ifndef VF_SERVER_H
#define VF_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

#include "text/text.h"
#include "verif.h"

typedef struct vf_metrics vf_metrics;
struct json_t;

/* ---- the server, as its users see it --------------------------------- */

/* Scores n item texts (JSONL lines) into n malloc'd one-line records, like
 * vf_engine_score (which the CLI passes, with the engine as ud).  where[i]
 * names each item for messages.  Must be thread-safe. */
typedef vf_status (*vf_score_fn)(void *ud, const char *const *items,
                                 const size_t *lens, const char *const *where,
                                 size_t n, char **out, vf_error *err);

/* Appends Prometheus text lines of the scorer's own counters to f. */
typedef void (*vf_scorer_metrics_fn)(void *ud, FILE *f);

/* The default --request-timeout, in seconds: below the 120 s after which
 * slime's client gives up and posts the request again
 * (slime/rollout/rm_hub/__init__.py:29 at slime 624b824). */
#define VF_SERVER_REQUEST_TIMEOUT_S 100
/* Seconds a connection may idle until one of its requests passes the
 * token (then request timeout + 300 s of keep-alive). */
#define VF_SERVER_HANDSHAKE_TIMEOUT_S 10
/* What vf_server_drain allows past the request timeout for the answers
 * to be written. */
#define VF_SERVER_DRAIN_GRACE_S 10

typedef struct vf_server_opts {
  const char *host;           /* address to bind; NULL: 127.0.0.1 */
  int port;                   /* 0: pick a free one (see vf_server_port) */
  const char *token;          /* NULL: no auth; else the Bearer token,
                                 printable ASCII without spaces ("" is
                                 refused: it would turn auth off) */
  size_t max_body;            /* request body bytes; 0 = 64 MiB */
  size_t max_inflight;        /* items admitted and not done; 0 = 16384 */
  unsigned max_connections;   /* 0 = 1024 */
  double request_timeout_s;   /* 0 = VF_SERVER_REQUEST_TIMEOUT_S */
  double handshake_timeout_s; /* idle seconds before a request passes the
                                 token; 0 = VF_SERVER_HANDSHAKE_TIMEOUT_S */
  double error_reward;        /* reward of an item that cannot be scored */
  const char *const *strip_tokens; /* end markers besides the defaults */
  size_t n_strip;
  int scorers;                /* scoring threads; 0 = 4 x cores, >= 8 */
  size_t batch;               /* most items per scorer call (a request is
                                 cut into calls of this size, and small
                                 requests are gathered into them); 0 = 64 */
  vf_score_fn score;
  void *score_ud;
  vf_scorer_metrics_fn scorer_metrics; /* NULL: none */
  FILE *log;                  /* one line per failed request; NULL: none */
  const char *judge_url_allow; /* hosts an item's "judge_url" may name (the
                                  engine's judge_url_allow); a /v1/score
                                  request naming another is a 400 */
} vf_server_opts;

typedef struct vf_server vf_server;

/* Binds host:port and starts serving.  The options' strings must outlive
 * the server. */
vf_status vf_server_new(const vf_server_opts *opts, vf_server **out,
                        vf_error *err);

/* The port bound (useful with port 0). */
int vf_server_port(const vf_server *s);

/* Stops accepting, answers new requests on open connections with 503 and
 * waits up to timeout_s for the requests in flight to be answered;
 * timeout_s <= 0: as long as they can take (each is answered by its
 * deadline, the request timeout, so that plus VF_SERVER_DRAIN_GRACE_S).
 * Returns 0 when all were answered, else how many were not. */
long vf_server_drain(vf_server *s, double timeout_s);

/* Stops the daemon and the scorers.  Returns 0, or -1 when a scorer was
 * still busy after grace_s (the server is then left allocated, its
 * threads running, and the caller should exit the process). */
int vf_server_free(vf_server *s, double grace_s);

/* ---- requests, as the protocol adapters see them ---------------------- */

/* Endpoints, for metrics; EP_OTHER counts 404s. */
enum vf_endpoint {
  VF_EP_SCORE,
  VF_EP_GET_REWARD,
  VF_EP_REWARD,
  VF_EP_VERIFY,
  VF_EP_HEALTHZ,
  VF_EP_METRICS,
  VF_EP_SEED_SESSION, /* NeMo-Gym's resources-server endpoints */
  VF_EP_AGGREGATE,
  VF_EP_REVERIFY,
  VF_EP_OTHER,
  VF_EP_COUNT
};

typedef struct vf_req {
  vf_server *srv;
  const char *body; /* NUL-terminated */
  size_t len;
  int status;       /* HTTP status of the answer; 200 unless set */
  vf_buf out;       /* the answer's body */
  const char *content_type; /* NULL: application/json */
  int retry_after;  /* seconds, for 503; 0: no header */
  const char *allow; /* the Allow header of a 405 */
  double t0;        /* when the request arrived (vf_now) */
  size_t items_ok, items_err; /* for metrics */
} vf_req;

/* A route handler fills r->status and r->out. */
typedef void (*vf_route_fn)(vf_req *r);

typedef struct vf_route {
  const char *path;
  const char *method;
  vf_route_fn fn;
  enum vf_endpoint ep;
} vf_route;

/* Finds the route for path and method.  NULL with *status 404 (no such
 * path) or 405 (*allow then names the method the path takes). */
const vf_route *vf_server_route(const char *path, const char *method,
                                int *status, const char **allow);

/* The table itself, for the test that asserts it is sorted. */
const vf_route *vf_server_routes(size_t *n);

/* Sets r->status and an {"error": msg} body. printf-style. */
void vf_req_fail(vf_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The handlers: one per route, in their protocol's file (healthz and
 * metrics in routes.c). */
void vf_proto_score(vf_req *r);
void vf_proto_get_reward(vf_req *r);
void vf_proto_reward(vf_req *r);
void vf_proto_verify(vf_req *r);
void vf_proto_healthz(vf_req *r);
void vf_proto_metrics(vf_req *r);
void vf_proto_seed_session(vf_req *r);   /* proto_nemo.c */
void vf_proto_reverify_mode(vf_req *r);  /* proto_nemo.c */
void vf_proto_aggregate_metrics(vf_req *r); /* nemo_metrics.c */

/* ---- scoring: a batch of items through the queue ---------------------- */

typedef enum vf_qstatus {
  VF_Q_OK,
  VF_Q_BUSY,      /* the in-flight limit is reached: 503 */
  VF_Q_TOO_MANY,  /* more items than the limit itself: 413 */
  VF_Q_STOPPING,  /* the server is draining: 503 */
  VF_Q_NOMEM
} vf_qstatus;

/* A batch under construction: item texts and where-names, owned. */
typedef struct vf_batch {
  size_t n, cap;
  char **items;
  size_t *lens;
  char **where;
  char **out;    /* records after vf_server_score; NULL: not scored */
  int timed_out; /* some items were not scored before the deadline */
} vf_batch;

/* Appends an item (text taken over, must be malloc'd) named where. 0/-1. */
int vf_batch_add(vf_batch *b, char *item, size_t len, const char *where);
void vf_batch_free(vf_batch *b);

/* Scores the batch through the server's queue, waiting until every item
 * is scored or r's deadline (arrival + --request-timeout) passes (then
 * b->out[i] stays NULL for the rest and b->timed_out is set).  The queue
 * takes the item texts. */
vf_qstatus vf_server_score(vf_req *r, vf_batch *b);

/* Sets r to the answer for a queue refusal (503/413/500). */
void vf_req_refused(vf_req *r, vf_qstatus q);

/* ---- the queue (queue.c) ---------------------------------------------- */

typedef struct vf_queue vf_queue;

vf_queue *vf_queue_new(int scorers, size_t batch, size_t max_inflight,
                       vf_score_fn score, void *ud);
/* Scores b until done or deadline (CLOCK_MONOTONIC seconds). */
vf_qstatus vf_queue_run(vf_queue *q, vf_batch *b, double deadline);
/* Stops taking work; returns 0 once every scorer is idle and joined,
 * -1 if one is still busy after grace_s (the queue is then leaked). */
int vf_queue_free(vf_queue *q, double grace_s);
/* Items admitted and not yet done, and chunks waiting. */
void vf_queue_load(vf_queue *q, size_t *inflight, size_t *queued);

/* ---- records and items (records.c) ------------------------------------ */

/* What the numeric protocols need from one record. */
typedef struct vf_rec {
  int ok;            /* parsed, no error, reward a number */
  double reward;
  double hard;       /* hard.score, or -1 when absent */
  int soft;          /* 1 pass, 0 fail, -1 none/unverified */
  char error[512];   /* why not ok */
} vf_rec;

/* Reads a record (NULL: not scored in time) into *out, counting its
 * checks in m (NULL: not counted). */
void vf_rec_read(vf_metrics *m, const char *record, double timeout_s,
                 vf_rec *out);

/* A record for an item not scored: {"id", "reward": null, ..., "error"}. 
 * id_json: the id as JSON text, or NULL. */
char *vf_rec_error(const char *id_json, const char *msg);

/* Appends s as a JSON string (quotes included; non-ASCII kept). 0/-1. */
int vf_json_str(vf_buf *b, const char *s, size_t len);

/* The response part of an OpenRLHF query: the query minus its prompt
 * (prefix, else the first occurrence inside it), the end markers removed
 * (defaults and extra).  *note: 1 when the prompt was not found and the
 * whole query is the response.  Returns a malloc'd string or NULL. */
char *vf_query_response(const char *query, size_t qlen, const char *prompt,
                        size_t plen, const char *const *extra, size_t nextra,
                        size_t *out_len, int *note);

/* Where each element of an array lies in a request body. */
typedef struct vf_span_item {
  size_t off, len;
} vf_span_item;

typedef struct vf_span_list {
  vf_span_item *v;
  size_t n, cap;
} vf_span_list;

int vf_span_push(vf_span_list *l, size_t off, size_t len); /* 0/-1 */

/* The fast path of jsonspan.c: validates the body s (a JSON object) and
 * lists the elements of its array member key, each an object.  0, or -1
 * for "not handled" (the caller then parses with jansson, which also
 * reports what is wrong). */
int vf_json_item_spans(const char *s, size_t len, const char *key,
                       vf_span_list *out);

/* Parses the request body as a JSON object; NULL after a 400 answer. */
struct json_t *vf_req_body(vf_req *r);

/* "an object", "a string", ... for messages. */
const char *vf_json_kind(const struct json_t *v);

/* A label (a JSON object, or a string holding one) as a new object; NULL
 * with why filled. */
struct json_t *vf_label_parse(const struct json_t *label, char *why,
                              size_t size);

/* The item text: the label with "prompt" (unless it has one, a string or
 * a verl chat; prompt NULL: none) and "response" set, "responses"
 * removed.  label is the parsed label, orig the request's value (when a
 * JSON string, the item is spliced from its text rather than re-encoded).
 * NULL: out of memory. */
char *vf_item_build(struct json_t *label, const struct json_t *orig,
                    const char *prompt, size_t plen, const char *resp,
                    size_t rlen, size_t *len);

/* A check's verdict in a record's "checks": 1 pass, 0 fail, -1 error,
 * -2 none (not run). */
int vf_check_verdict(const struct json_t *chk);

/* Appends x as a JSON number (shortest of %.15g/%.17g that round-trips;
 * null for NaN and infinities). 0/-1. */
int vf_json_num(vf_buf *b, double x);

/* The instruction in a chat-templated prompt: the last user turn of a
 * known template (ChatML, Llama 3, Gemma, DeepSeek, Phi-3, Mistral) as
 * p[*b..*e), trimmed; the whole prompt when none is found. */
void vf_prompt_instruction(const char *p, size_t len, size_t *b, size_t *e);

/* Removes every occurrence of the end markers from s in place; returns the
 * new length. */
size_t vf_strip_markers(char *s, size_t len, const char *const *extra,
                        size_t nextra);

/* ---- NeMo-Gym's ifbench rows (nemo_ifbench.c) --------------------------- */

/* 1 when the first n instruction ids are those of NeMo-Gym's ifbench server:
 * some resolve in the "ifbench" family and none in "ifevalg" (0 while the
 * registry has no "ifbench" family). */
int vf_nemo_ifbench_row(const struct json_t *ids, size_t n);

/* The loose variants of response r[0..n) in IFBench's order (the response,
 * without '*', without its first line, last line, both, and those without
 * '*'), the blank ones left out: a new JSON array, NULL when out of memory. */
struct json_t *vf_nemo_loose_variants(const char *r, size_t n);

/* ---- metrics (metrics.c) ---------------------------------------------- */

/* Counters that are not per request. */
enum vf_counter {
  VF_C_BUSY,          /* 503: the in-flight limit */
  VF_C_DRAINING,      /* 503: shutting down */
  VF_C_TOO_MANY,      /* 413: more items than --max-inflight */
  VF_C_BODY_TOO_LARGE,/* 413: body over --max-body */
  VF_C_BAD_HEADERS,   /* 400/501: framing, NUL bytes (headers.c) */
  VF_C_UNAUTHORIZED,  /* 401 */
  VF_C_TIMEOUTS,      /* requests answered at their deadline */
  VF_C_ITEMS_TIMED_OUT,
  VF_C_NOTES,         /* OpenRLHF queries without their prompt */
  VF_C_COUNT
};

/* A zeroed set of counters (NULL: out of memory), and its end. */
vf_metrics *vf_metrics_new(void);
void vf_metrics_free(vf_metrics *m);
/* One answered request: endpoint, status, seconds, items scored fine and
 * in error. */
void vf_metrics_request(vf_metrics *m, enum vf_endpoint ep, int status,
                        double seconds, size_t ok, size_t err);
/* The checks of one record (its parsed "checks" array): verdicts by kind. */
void vf_metrics_checks(vf_metrics *m, const struct json_t *checks);
/* Parses a record text and counts its checks. */
void vf_metrics_record(vf_metrics *m, const char *record);
/* Adds n to counter c. */
void vf_metrics_count(vf_metrics *m, enum vf_counter c, size_t n);
/* Renders the counters in Prometheus text format. 0/-1. */
int vf_metrics_render(vf_metrics *m, vf_buf *out);

/* ---- server internals shared by the files ----------------------------- */

struct MHD_Daemon;
struct MHD_Connection;

/* What a request's header lines say about its framing and its sender
 * (headers.c). */
typedef struct vf_heads {
  int content_length;    /* Content-Length lines */
  int transfer_encoding; /* Transfer-Encoding lines */
  int chunked;           /* the (last) Transfer-Encoding is "chunked" */
  int authorization;     /* Authorization lines */
  const char *bad_lines; /* why the lines themselves are refused, or NULL */
} vf_heads;

/* Reads the header lines of the request whose raw header block begins at
 * request (the method argument of libmicrohttpd's handler, which points
 * at the request line). */
void vf_heads_read(struct MHD_Connection *c, const char *request,
                   vf_heads *h);
/* Why the request must be refused before its body is read (the answer
 * then closes the connection), with the status in *status (left alone
 * when NULL: the headers are sound). */
const char *vf_heads_refusal(const vf_heads *h, int *status);

struct vf_server {
  vf_server_opts o; /* defaults filled in */
  struct MHD_Daemon *daemon;
  vf_queue *queue;
  vf_metrics *metrics;
  int port;
  atomic_int draining;
  atomic_size_t buffered; /* request body bytes held */
  size_t max_buffered;    /* 4 x max_body */
  pthread_mutex_t mu;     /* active, with idle */
  pthread_cond_t idle;    /* active fell to 0 */
  long active;            /* requests begun and not yet answered */
};

/* Starts the daemon on s->o.host:port and fills s->port (http.c). */
vf_status vf_http_start(vf_server *s, vf_error *err);
/* Stops accepting connections (the daemon keeps serving open ones). */
void vf_http_quiesce(vf_server *s);
/* Closes every connection and joins the daemon's threads. */
void vf_http_stop(vf_server *s);

/* 1 once vf_server_drain has begun. */
int vf_server_draining(const vf_server *s);
/* Renders the server's gauges and counters and the scorer's into out. */
int vf_server_render_metrics(vf_server *s, vf_buf *out);

/* Seconds on CLOCK_MONOTONIC. */
double vf_now(void);

#endif
