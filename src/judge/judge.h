/*
 * judge.h: the LLM-judge client for soft constraints (the [llm] checkers of
 * VerInstruct).  The reward engine (src/reward) hands it one request per
 * (item, response); the judge renders VerIF's prompt, asks an OpenAI-
 * compatible server (vLLM, SGLang, llama.cpp) over libcurl's multi interface
 * on one event thread, reads the [[N]] verdict, and spares calls with an
 * in-flight dedupe, an LRU and an optional SQLite cache.  The pyexec bridge
 * uses vf_judge_complete() for llm_call().
 */
#ifndef VF_JUDGE_H
#define VF_JUDGE_H

#include <stddef.h>

#include "verif.h"

typedef struct vf_judge vf_judge;

typedef struct vf_judge_opts {
  const char *urls;          /* "http://127.0.0.1:8000/v1,http://h2:8000/v1"
                                (base URLs; /chat/completions is appended) */
  const char *model;         /* required */
  const char *api_key;       /* NULL: none (callers fill it from the
                                environment variable VERIF_JUDGE_API_KEY) */
  const char *data_dir;      /* for the bundled templates (NULL:
                                vf_data_dir()) */
  const char *template_name; /* NULL/"default": VerIF's prompt; "en" */
  const char *template_file; /* overrides template_name */
  const char *cache_file;    /* NULL: no SQLite cache */
  int concurrency;           /* requests in flight; 0 = 64 */
  double timeout_s;          /* per request, retries included; 0 = 300 */
  int retries;               /* -1 = default 3; 0 = none */
  size_t lru_entries;        /* 0 = 100000 */
  int max_tokens;            /* 0 = 4096 */
  double backoff_s;          /* first retry delay, doubled each time and
                                jittered; 0 = 0.5 (a Retry-After wins) */
} vf_judge_opts;

typedef enum {
  VF_JUDGE_OK = 0,
  VF_JUDGE_UNPARSED, /* the reply has no [[N]]: scored 0 as in VerIF */
  VF_JUDGE_ERROR     /* no verdict: see error */
} vf_judge_status;

typedef struct vf_judge_req {
  const char *instruction;
  size_t instruction_len;
  const char *response;
  size_t response_len;
  const char *const *checkers; /* the [llm] checker strings, in order */
  size_t ncheckers;
  /* Optional: when not NULL, {checkers} receives these bytes as they are
   * instead of str() of the list above (the Python llm_call bridge passes
   * Python's own str(checkers), whatever its type). */
  const char *checkers_text;
  size_t checkers_text_len;
  /* out */
  vf_judge_status status;
  int score;       /* N of the first [[N]]; 0 when unparsed or error */
  int pass;        /* score >= 1 */
  int cached;      /* answered from the LRU or SQLite cache */
  int deduped;     /* answered by an identical request in flight */
  char error[256]; /* status == VF_JUDGE_ERROR: why */
} vf_judge_req;

/* Checks the options, loads the template, opens the cache and starts the
 * event thread.  The API key is never copied into any message. */
vf_status vf_judge_new(const vf_judge_opts *o, vf_judge **out, vf_error *err);

/* Stops the event thread and frees everything; no call may be running. */
void vf_judge_free(vf_judge *j);

/* Judges n requests concurrently; returns when every one has a status
 * (inputs that are not valid UTF-8 get VF_JUDGE_ERROR too).  Thread-safe:
 * several threads may call at once and share the in-flight limit.  Fails
 * only when the judge itself cannot work (out of memory). */
vf_status vf_judge_run(vf_judge *j, vf_judge_req *reqs, size_t n,
                       vf_error *err);

/* Renders the prompt a request sends (for tests and debugging). malloc'd;
 * NULL when out of memory. */
char *vf_judge_render(const vf_judge *j, const vf_judge_req *r, size_t *len);

/* Sends prompt as one user message (same retries, no cache) and returns in
 * *reply (malloc'd, NUL-terminated) the content after the last </think>.
 * Failures: VF_EIO (connection, HTTP status, timeout), VF_EJSON (malformed
 * reply), VF_EUTF8 (prompt), each with the reason in err. */
vf_status vf_judge_complete(vf_judge *j, const char *prompt, size_t len,
                            char **reply, vf_error *err);

/* Counters since vf_judge_new.  requests: asked for (run and complete);
 * calls: distinct requests sent to a server (retries not counted);
 * cache_hits: answered from the LRU; sqlite_hits: from the SQLite file;
 * deduped: answered by an identical call in flight; retries: extra
 * attempts; unparsed, errors: requests with that status. */
typedef struct vf_judge_stats {
  unsigned long long requests, calls, cache_hits, sqlite_hits, deduped,
      retries, unparsed, errors;
} vf_judge_stats;
void vf_judge_get_stats(vf_judge *j, vf_judge_stats *out);

/* 1 when url (an item's per-request "judge_url") is an http(s) URL whose
 * host is in allow (--judge-url-allow: comma-separated "host" or
 * "host:port"; NULL or "": nothing is allowed); else 0 with why filled
 * (allow.c).  Makes no connection. */
int vf_judge_url_allowed(const char *allow, const char *url, char *why,
                         size_t size);

#endif /* VF_JUDGE_H */
