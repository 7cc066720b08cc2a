/*
 * spawn.h: starting and stopping the test judge server from a test or a
 * benchmark (header-only, static functions): fork/exec build/judge_server,
 * read its "port N" line, talk to GET /stats, SIGTERM it at the end.  The
 * server binary sits next to the tests/ or bench/ folder of the caller.
 */
#ifndef JUDGE_SPAWN_H
#define JUDGE_SPAWN_H

#include <curl/curl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct judge_srv {
  pid_t pid;
  int port;
  char url[64]; /* base URL: http://127.0.0.1:PORT/v1 */
} judge_srv;

/* build/tests/test_x → build/judge_server (same for build/bench/...). */
static inline void judge_srv_path(const char *argv0, char *out, size_t size) {
  char dir[900];
  snprintf(dir, sizeof dir, "%s", argv0);
  for (int up = 0; up < 2; up++) {
    char *slash = strrchr(dir, '/');
    if (slash)
      *slash = '\0';
    else
      snprintf(dir, sizeof dir, "%s", up ? "." : "..");
  }
  snprintf(out, size, "%.900s/judge_server", dir);
}

/* Reads "port N" from fd within 10 s. */
static inline int judge_srv_read_port(int fd) {
  char line[64];
  size_t n = 0;
  struct pollfd p = {fd, POLLIN, 0};
  while (n + 1 < sizeof line && poll(&p, 1, 10000) == 1) {
    ssize_t r = read(fd, line + n, 1);
    if (r <= 0 || line[n] == '\n')
      break;
    n++;
  }
  line[n] = '\0';
  if (strncmp(line, "port ", 5) != 0)
    return -1;
  return (int)strtol(line + 5, NULL, 10);
}

/* Starts the server (record: NULL for none).  0, or -1. */
static inline int judge_srv_start(judge_srv *s, const char *exe,
                                  const char *record, int latency_ms) {
  int fds[2];
  char lat[32];
  snprintf(lat, sizeof lat, "%d", latency_ms);
  if (pipe(fds))
    return -1;
  s->pid = fork();
  if (s->pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    if (record)
      execl(exe, exe, "--port", "0", "--latency-ms", lat, "--record", record,
            (char *)NULL);
    else
      execl(exe, exe, "--port", "0", "--latency-ms", lat, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  s->port = s->pid > 0 ? judge_srv_read_port(fds[0]) : -1;
  close(fds[0]);
  snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d/v1", s->port);
  if (s->port > 0)
    return 0;
  if (s->pid > 0) {
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
  }
  s->pid = 0;
  return -1;
}

/* SIGTERM, then SIGKILL after 5 s.  Returns the exit status (or -1). */
static inline int judge_srv_stop(judge_srv *s) {
  int status = -1;
  if (s->pid <= 0)
    return -1;
  kill(s->pid, SIGTERM);
  for (int i = 0; i < 500; i++) {
    if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
      s->pid = 0;
      return status;
    }
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
  }
  kill(s->pid, SIGKILL);
  waitpid(s->pid, &status, 0);
  s->pid = 0;
  return -1;
}

static inline size_t judge_srv_sink(char *p, size_t size, size_t n, void *ud) {
  json_t **out = ud;
  json_t *v = json_loadb(p, size * n, 0, NULL); /* /stats fits one chunk */
  json_decref(*out);
  *out = v;
  return size * n;
}

/* A counter of GET /stats ("requests", "connections", "max_connections",
 * "max_in_progress"), or -1. */
static inline long judge_srv_stat(const judge_srv *s, const char *key) {
  char url[96];
  json_t *v = NULL;
  snprintf(url, sizeof url, "http://127.0.0.1:%d/stats", s->port);
  CURL *e = curl_easy_init();
  if (!e)
    return -1;
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, judge_srv_sink);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &v);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
  CURLcode rc = curl_easy_perform(e);
  curl_easy_cleanup(e);
  json_t *n = rc == CURLE_OK ? json_object_get(v, key) : NULL;
  long out = json_is_integer(n) ? (long)json_integer_value(n) : -1;
  json_decref(v);
  return out;
}

#endif
