/*
 * judge_int.h: what the files of src/judge share and nothing else sees:
 * SHA-256 (sha256.c), Python repr and the templates (prompt.c), reading
 * replies (verdict.c), the digest-keyed table and LRU (cache.c), the SQLite
 * cache (db.c) and the event thread with its calls (client.c).  judge.c
 * ties them together behind judge.h.
 */
#ifndef VF_JUDGE_INT_H
#define VF_JUDGE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "judge/judge.h"
#include "text/text.h"

/* ---- sha256.c ------------------------------------------------------------ */

typedef struct vf_judge_sha256 {
  uint32_t h[8];
  uint64_t len;
  unsigned char buf[64];
  size_t nbuf;
} vf_judge_sha256_ctx;

void vf_judge_sha256_init(vf_judge_sha256_ctx *s);
void vf_judge_sha256_update(vf_judge_sha256_ctx *s, const void *data,
                            size_t n);
void vf_judge_sha256_final(vf_judge_sha256_ctx *s, unsigned char out[32]);
/* One-shot digest of data[0..n). */
void vf_judge_sha256(const void *data, size_t n, unsigned char out[32]);

/* ---- pyunicode.c: Python 3.11's str.isprintable() and isdecimal() ---- */

bool vf_judge_py_printable(int32_t cp);
/* The digit value of cp when str.isdecimal() (and \d) accept it, else -1. */
int vf_judge_py_decimal(int32_t cp);

/* ---- prompt.c ------------------------------------------------------------ */

/* Appends Python's repr() of the str s (valid UTF-8).  0, or -1 (ENOMEM). */
int vf_judge_pyrepr(vf_buf *out, const char *s, size_t len);

/* Appends str() of a Python list of the n strings (valid UTF-8, NUL-
 * terminated): "['a', \"b's\"]".  0, or -1 (ENOMEM). */
int vf_judge_pylist(vf_buf *out, const char *const *items, size_t n);

/* A prompt template: literal text holding {instruction}, {response} and
 * {checkers}, each filled in once (values are never rescanned). */
typedef struct vf_judge_tpl {
  char *text;
  size_t len;
  char *name; /* "default", "en" or "file:<path>": part of the cache key */
} vf_judge_tpl;

/* Loads the template named by the options (template_file, else
 * template_name under <data_dir>/verif_prompt/). */
vf_status vf_judge_tpl_load(const vf_judge_opts *o, vf_judge_tpl *t,
                            vf_error *err);
void vf_judge_tpl_free(vf_judge_tpl *t);

/* Appends the prompt of r (inputs valid UTF-8).  0, or -1 (ENOMEM). */
int vf_judge_tpl_render(const vf_judge_tpl *t, const vf_judge_req *r,
                        vf_buf *out);

/* ---- verdict.c ----------------------------------------------------------- */

/* The part of a reply after its last "</think>"; all of it when there is
 * none, nothing when a "<think>" was opened and never closed (the reply was
 * cut off while reasoning). */
const char *vf_judge_after_think(const char *s, size_t len, size_t *rest);

/* The verdict of text (already cut after </think>): VF_JUDGE_OK with
 * *score = N of the first [[N]] (N: Unicode decimal digits, as Python's
 * \d; clamped to INT_MAX), else VF_JUDGE_UNPARSED with *score = 0. */
vf_judge_status vf_judge_score_text(const char *s, size_t len, int *score);

/* Reads a chat-completions reply body: appends choices[0].message.content
 * to content (null content counts as empty).  0, or -1 with why filled
 * ("not JSON: ...", "no choices", ...). */
int vf_judge_parse_reply(const char *body, size_t len, vf_buf *content,
                         char *why, size_t whysz);

/* Appends the request body for one user message holding prompt (valid
 * UTF-8): model, messages, temperature 0.0, max_tokens.  0 or -1. */
int vf_judge_body(vf_buf *out, const char *model, const char *prompt,
                  size_t len, int max_tokens);

/* ---- cache.c: a table keyed by SHA-256 digests, and the LRU ---------- */

typedef struct vf_judge_hnode {
  struct vf_judge_hnode *next;
  unsigned char key[32];
} vf_judge_hnode;

typedef struct vf_judge_map {
  vf_judge_hnode **buckets;
  size_t nbuckets, count;
} vf_judge_map;

/* The node with this key, or NULL. */
vf_judge_hnode *vf_judge_map_get(const vf_judge_map *m,
                                 const unsigned char key[32]);
/* Inserts node (its key not yet present).  0, or -1 (ENOMEM). */
int vf_judge_map_put(vf_judge_map *m, vf_judge_hnode *node);
/* Unlinks node (a no-op when absent). */
void vf_judge_map_del(vf_judge_map *m, vf_judge_hnode *node);
void vf_judge_map_free(vf_judge_map *m); /* the buckets, not the nodes */

/* The verdict LRU: at most capacity entries (NULL when out of memory). */
typedef struct vf_judge_lru vf_judge_lru;
vf_judge_lru *vf_judge_lru_new(size_t capacity);
void vf_judge_lru_free(vf_judge_lru *l);
/* 1 and the verdict when key is cached (it becomes the most recent), else 0. */
int vf_judge_lru_get(vf_judge_lru *l, const unsigned char key[32],
                     vf_judge_status *status, int *score);
/* Stores a verdict, evicting the least recent past capacity. 0 or -1. */
int vf_judge_lru_put(vf_judge_lru *l, const unsigned char key[32],
                     vf_judge_status status, int score);
size_t vf_judge_lru_count(const vf_judge_lru *l);

/* ---- db.c: the persistent cache ------------------------------------------ */

typedef struct vf_judge_db vf_judge_db;
typedef struct vf_judge_db_row {
  const unsigned char *key; /* 32 bytes */
  vf_judge_status status;
  int score;
} vf_judge_db_row;

/* Opens (creating) the cache file: VF_EIO with SQLite's reason if not. */
vf_status vf_judge_db_open(const char *path, vf_judge_db **out,
                           vf_error *err);
void vf_judge_db_close(vf_judge_db *db);
/* 1 and the verdict when key is stored, 0 when not (or on error). */
int vf_judge_db_get(vf_judge_db *db, const unsigned char key[32],
                    vf_judge_status *status, int *score);
/* Stores the rows in one transaction.  0, or -1 (nothing stored). */
int vf_judge_db_put(vf_judge_db *db, const vf_judge_db_row *rows, size_t n);

/* ---- client.c: the event thread ------------------------------------------ */

typedef struct vf_judge_waiter vf_judge_waiter;

/* One logical request to the server, with its retries.  judge.c fills the
 * first block and submits it; the event thread owns it until done() hands
 * it back with the outcome. */
typedef struct vf_judge_call {
  vf_judge_hnode node; /* key, and the in-flight table's link */
  char *body;          /* JSON request body */
  size_t body_len;
  bool raw;            /* vf_judge_complete(): not in the in-flight table */
  vf_judge_waiter *waiters;
  /* event thread */
  struct vf_judge_call *next;
  void *easy;
  int slot, url, attempts;
  double deadline, due;
  bool too_big;
  vf_buf reply;
  char errbuf[256];
  char note[256]; /* the last retryable failure */
  /* outcome */
  bool failed;
  vf_status fail_code; /* VF_EIO or VF_EJSON */
  char error[256];
  vf_buf content; /* choices[0].message.content */
} vf_judge_call;

/* Frees a call with its body, reply and content (not its waiters). */
void vf_judge_call_free(vf_judge_call *c);

typedef struct vf_judge_client vf_judge_client;
typedef void (*vf_judge_done_fn)(void *arg, vf_judge_call *c);

/* Starts the event thread for opts (urls, api_key, concurrency, timeout_s,
 * retries, backoff_s: already defaulted).  done(arg, call) runs on the
 * event thread once per call and takes it back. */
vf_status vf_judge_client_new(const vf_judge_opts *o, vf_judge_done_fn done,
                              void *arg, vf_judge_client **out,
                              vf_error *err);
/* Queues a call; it starts when a slot is free (FIFO). */
void vf_judge_client_submit(vf_judge_client *cl, vf_judge_call *c);
/* Stops the thread; calls still queued or in flight end as errors. */
void vf_judge_client_free(vf_judge_client *cl);

/* ---- judge.c ------------------------------------------------------------- */

/* Overwrites every occurrence of secret (NULL/"": none) with '*', in place,
 * in s[0..len) or in the NUL-terminated s. */
void vf_judge_redact_mem(char *s, size_t len, const char *secret);
void vf_judge_redact(char *s, const char *secret);

#endif /* VF_JUDGE_INT_H */
