/*
 * server.h: the test judge server's shared state (tests/judge_server/): an
 * OpenAI-compatible chat-completions endpoint on loopback that records
 * every request body and answers as scripted by markers in the prompt
 * (see reply.c).  main.c runs the libmicrohttpd daemon, one thread per
 * connection; reply.c decides each answer.
 */
#ifndef JUDGE_SERVER_H
#define JUDGE_SERVER_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

typedef struct server {
  int latency_ms;
  FILE *record; /* NULL: no --record */
  atomic_int stopping;
  pthread_mutex_t lock; /* record, seen429, counters */
  uint64_t *seen429;
  size_t nseen429, capseen429;
  long requests, connections, open_connections, max_connections;
  long in_progress, max_in_progress;
  /* JUDGE:HOLD waits while the gate is closed (POST /gate/close, the
   * initial state; POST /gate/open releases every held request). */
  pthread_cond_t gate_cv;
  int gate_open;
  long held;
} server;

/* Answers one request: method, url, the whole body.  Returns MHD_NO to
 * drop the connection without answering. */
enum MHD_Result judge_answer(server *s, struct MHD_Connection *conn,
                             const char *method, const char *url,
                             const char *body, size_t len);

/* Sleeps ms milliseconds, waking early when the server stops. */
void judge_sleep_ms(server *s, long ms);

/* Holds the calling request until the gate opens or the server stops;
 * counted in "held" of GET /stats meanwhile. */
void judge_hold(server *s);

/* Opens (open != 0) or closes the gate; opening wakes every held request. */
void judge_gate(server *s, int open);

#endif
