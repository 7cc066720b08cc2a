/*
 * ifeval_run.c: the official IFEval evaluation (evaluation_main.py) as a
 * library call: reads input_data and the responses, evaluates every prompt
 * strictly and loosely on N threads, writes eval_results_{strict,loose}.jsonl
 * byte for byte as the reference does, and prints its report.  Benchmarks
 * built on IFEval's evaluation_lib.py (IFBench's run_eval.py) run through
 * the same code with their own vf_bench (family, responses lines).
 *
 * Input is streamed in batches so memory stays bounded whatever the file
 * size; outputs go to temporary files renamed only when the run succeeds.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/checks.h"
#include "core/parallel.h"
#include "core/tally.h"
#include "eval/eval.h"
#include "text/jsonl.h"
#include "text/pyjson.h"

/* ---- prompt -> response map ------------------------------------------- */

typedef struct entry {
  char *prompt, *response;
  size_t plen, rlen;
  uint64_t hash;
} entry;

typedef struct respmap {
  entry *slots;
  size_t cap, used;
} respmap;

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h;
}

static entry *map_slot(const respmap *m, const char *p, size_t n, uint64_t h) {
  size_t i = h & (m->cap - 1);
  for (;; i = (i + 1) & (m->cap - 1)) {
    entry *e = &m->slots[i];
    if (!e->prompt || (e->hash == h && e->plen == n && !memcmp(e->prompt, p, n)))
      return e;
  }
}

static int map_grow(respmap *m) {
  respmap g = {calloc(m->cap ? m->cap * 2 : 1024, sizeof(entry)),
               m->cap ? m->cap * 2 : 1024, m->used};
  if (!g.slots)
    return -1;
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].prompt)
      *map_slot(&g, m->slots[i].prompt, m->slots[i].plen, m->slots[i].hash) =
          m->slots[i];
  free(m->slots);
  *m = g;
  return 0;
}

static char *dup_mem(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

/* Later lines win, as in the reference's dict. */
static int map_put(respmap *m, const vf_buf *prompt, const vf_buf *response) {
  const char *p = prompt->data ? prompt->data : "";
  size_t pn = prompt->len;
  if ((m->used + 1) * 2 > m->cap && map_grow(m))
    return -1;
  uint64_t h = hash_bytes(p, pn);
  entry *e = map_slot(m, p, pn, h);
  char *resp = dup_mem(response->data ? response->data : "", response->len);
  if (!resp)
    return -1;
  if (!e->prompt) {
    e->prompt = dup_mem(p, pn);
    if (!e->prompt) {
      free(resp);
      return -1;
    }
    e->plen = pn, e->hash = h;
    m->used++;
  }
  free(e->response);
  e->response = resp, e->rlen = response->len;
  return 0;
}

static const entry *map_get(const respmap *m, const char *p, size_t n) {
  if (!m->cap)
    return NULL;
  const entry *e = map_slot(m, p, n, hash_bytes(p, n));
  return e->prompt ? e : NULL;
}

static void map_free(respmap *m) {
  for (size_t i = 0; i < m->cap; i++) {
    free(m->slots[i].prompt);
    free(m->slots[i].response);
  }
  free(m->slots);
}

static bool blank_line(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strchr(" \t\r\n", s[i]) || !s[i])
      return false;
  return true;
}

enum { BATCH = 256 };

enum { IO_BUF = 1 << 16 }; /* stdio buffer: 16 times the default, well inside L2 */

/* fopen with an IO_BUF stdio buffer in *buf (NULL when it could not be
 * had: the default one serves), which the caller frees after fclose. */
static FILE *open_big(const char *path, const char *mode, char **buf) {
  FILE *f = fopen(path, mode);
  *buf = f ? malloc(IO_BUF) : NULL;
  if (*buf)
    setvbuf(f, *buf, _IOFBF, IO_BUF);
  return f;
}

/* One line of the responses file, decoded by a worker. */
typedef struct rline {
  char *line;
  size_t cap, len, lineno;
  vf_buf field[2]; /* prompt, response */
  vf_error err;
} rline;

typedef struct rbatch {
  const char *path;
  const vf_bench *b;
  rline *l;
} rbatch;

static void decode_response(void *arg, size_t i) {
  rbatch *b = arg;
  rline *l = &b->l[i];
  static const char *const keys[2] = {"prompt", "response"};
  bool found[2];
  l->err.code = VF_OK;
  if (vf_jsonl_flat(l->line, l->len, keys, 2, l->field, found) && found[0] &&
      found[1])
    return;
  json_error_t je;
  json_t *o = json_loadb(l->line, l->len, JSON_ALLOW_NUL, &je);
  const json_t *f[2] = {json_object_get(o, "prompt"),
                        json_object_get(o, "response")};
  int bad = !json_is_string(f[0]) ? 0 : 1, other = 0;
  if (o && json_is_string(f[0]) && !json_is_string(f[1]) && b->b->response_of) {
    vf_buf_reset(&l->field[1]);
    other = b->b->response_of(o, &l->field[1]);
  }
  if (!o)
    vf_set_error(&l->err, VF_EJSON, "%s:%zu: malformed JSON: %s (column %d)",
                 b->path, l->lineno, je.text, je.column);
  else if (other < 0)
    vf_set_error(&l->err, VF_ENOMEM, "out of memory");
  else if (!json_is_string(f[0]) || (!json_is_string(f[1]) && !other))
    vf_set_error(&l->err, VF_EJSON, "%s:%zu: field '%s' %s", b->path,
                 l->lineno, keys[bad],
                 f[bad] ? "must be a string"
                 : b->b->response_of
                     ? "is missing (nor is there a \"messages\" list with an "
                       "assistant turn)"
                     : "is missing");
  for (int k = 0; k < 1 + !other && !l->err.code; k++) {
    vf_buf_reset(&l->field[k]);
    if (vf_buf_append(&l->field[k], json_string_value(f[k]),
                      json_string_length(f[k])))
      vf_set_error(&l->err, VF_ENOMEM, "out of memory");
  }
  json_decref(o);
}

/* Reads up to BATCH non-blank lines into the slots (reusing their
 * buffers); returns the count.  Blank ones are counted in *blank. */
static size_t read_rlines(FILE *f, rline *l, size_t *lineno, size_t *blank) {
  size_t n = 0;
  while (n < BATCH) {
    ssize_t len = getline(&l[n].line, &l[n].cap, f);
    if (len < 0)
      break;
    if (++*lineno == 1)
      len = (ssize_t)vf_utf8_strip_bom(l[n].line, (size_t)len);
    if (blank_line(l[n].line, (size_t)len)) {
      ++*blank;
      continue;
    }
    l[n].len = (size_t)len, l[n].lineno = *lineno;
    n++;
  }
  return n;
}

/* The first bad line's error and how many there were. */
typedef struct bad_lines {
  size_t n;
  vf_error first;
} bad_lines;

/* Consumes n decoded lines in order: logs the bad ones and copies the good
 * ones' fields into the map (while st is VF_OK); returns the new status. */
static vf_status put_lines(rline *l, size_t n, respmap *m, bad_lines *bad,
                           FILE *log, vf_status st, vf_error *err) {
  for (size_t i = 0; i < n; i++) {
    if (l[i].err.code && !bad->n++)
      bad->first = l[i].err;
    if (l[i].err.code && log)
      fprintf(log, "verif: %s\n", l[i].err.msg);
    if (!l[i].err.code && !st && map_put(m, &l[i].field[0], &l[i].field[1]))
      st = vf_set_error(err, VF_ENOMEM, "out of memory");
  }
  return st;
}

static void free_rlines(rline *l, size_t n) {
  for (size_t i = 0; l && i < n; i++) {
    free(l[i].line);
    vf_buf_free(&l[i].field[0]);
    vf_buf_free(&l[i].field[1]);
  }
  free(l);
}

/* The run's error after bad input lines: when they were each logged, a
 * count that does not repeat them; else the first one's message. */
static vf_status lines_error(vf_error *err, const vf_error *first, size_t n,
                             const char *path, FILE *log) {
  if (log)
    return vf_set_error(err, first->code,
                        "%s: %zu line(s) with errors (each shown above); "
                        "nothing evaluated", path, n);
  return vf_set_error(err, first->code, "%s%s", first->msg,
                      n > 1 ? " (and more errors)" : "");
}

/* Two batches in flight, as in stream(): while the helpers decode one,
 * this thread files the one before and reads the one after. */
static vf_status load_responses(const vf_bench *bench, const char *path,
                                respmap *m, int jobs, FILE *log,
                                size_t *blank, vf_error *err) {
  char *iobuf;
  FILE *f = open_big(path, "rb", &iobuf);
  if (!f)
    return vf_set_error(err, VF_EIO, "%s: cannot open: %s", path,
                        strerror(errno));
  rline *l = calloc(2 * BATCH, sizeof *l);
  rbatch b[2] = {{path, bench, l}, {path, bench, l + BATCH}};
  size_t lineno = 0, n[2] = {0, 0};
  int cur = 0;
  bad_lines bad = {0};
  vf_status st = l ? VF_OK : vf_set_error(err, VF_ENOMEM, "out of memory");
  if (!st)
    n[0] = read_rlines(f, b[0].l, &lineno, blank);
  while (n[cur]) {
    vf_par par;
    vf_parallel_start(&par, jobs, n[cur], decode_response, &b[cur]);
    st = put_lines(b[!cur].l, n[!cur], m, &bad, log, st, err);
    n[!cur] = st ? 0 : read_rlines(f, b[!cur].l, &lineno, blank);
    vf_parallel_finish(&par);
    cur = !cur;
  }
  st = put_lines(b[!cur].l, n[!cur], m, &bad, log, st, err);
  if (!st && ferror(f))
    st = vf_set_error(err, VF_EIO, "%s: read error: %s", path, strerror(errno));
  if (!st && bad.n)
    st = lines_error(err, &bad.first, bad.n, path, log);
  free_rlines(l, 2 * BATCH);
  fclose(f);
  free(iobuf);
  return st;
}

/* ---- per-id tallies and the report -------------------------------------- */

/* Adds one verdict to the tally named name[0..len). */
static int tally_add(vf_tallies *ts, const char *name, size_t len, bool ok) {
  vf_tally *t = vf_tally_get(ts, name, len);
  if (!t)
    return -1;
  t->total++;
  t->passed += ok;
  return 0;
}

typedef struct score {
  long prompts, prompts_ok, instr, instr_ok;
  vf_tallies tier0, tier1;
} score;

static int score_add(score *s, size_t k, const char *const *ids,
                     const unsigned char *ok) {
  bool all = true;
  for (size_t i = 0; i < k; i++) {
    const char *id = ids[i];
    const char *colon = strchr(id, ':');
    size_t cat = colon ? (size_t)(colon - id) : strlen(id);
    all = all && ok[i];
    s->instr++;
    s->instr_ok += ok[i];
    if (tally_add(&s->tier0, id, cat, ok[i]) ||
        tally_add(&s->tier1, id, strlen(id), ok[i]))
      return -1;
  }
  s->prompts++;
  s->prompts_ok += all;
  return 0;
}

static void print_ratio(FILE *f, const char *label, long num, long den) {
  char buf[40];
  vf_py_float_repr((double)num / (double)den, buf, sizeof buf);
  fprintf(f, "%s%s\n", label, buf);
}

static void print_tallies(FILE *f, vf_tallies *ts) {
  vf_tallies_sort(ts);
  for (size_t i = 0; i < ts->n; i++) {
    char label[300];
    snprintf(label, sizeof label, "%s ", ts->t[i].name);
    print_ratio(f, label, (long)ts->t[i].passed, (long)ts->t[i].total);
  }
}

/* print_report() of evaluation_main.py, preceded by its banner lines. */
static void print_report(FILE *f, const char *path, score *s) {
  fprintf(f, "================================================================\n");
  fprintf(f, "%s Accuracy Scores:\n", path);
  print_ratio(f, "prompt-level: ", s->prompts_ok, s->prompts);
  print_ratio(f, "instruction-level: ", s->instr_ok, s->instr);
  fputc('\n', f);
  print_tallies(f, &s->tier0);
  fputc('\n', f);
  print_tallies(f, &s->tier1);
}

/* ---- output lines ---------------------------------------------------------- */

/* Appends a NUL-terminated string (a literal, mostly). */
static int put_str(vf_buf *b, const char *s) {
  return vf_buf_append(b, s, strlen(s));
}

/* The head of an output line: the verdict fields, up to the ']' that
 * closes follow_instruction_list. */
static int write_head(vf_buf *b, size_t k, const unsigned char *ok) {
  bool all = true;
  for (size_t i = 0; i < k; i++)
    all = all && ok[i];
  int rc = put_str(b, "{\"follow_all_instructions\": ") ||
           (all ? put_str(b, "true") : put_str(b, "false")) ||
           put_str(b, ", \"follow_instruction_list\": [");
  for (size_t i = 0; i < k && !rc; i++)
    rc = (i && put_str(b, ", ")) ||
         (ok[i] ? put_str(b, "true") : put_str(b, "false"));
  return rc || vf_buf_putc(b, ']');
}

/* The rest, the same in both files: ids, prompt and response, newline. */
static int write_tail(vf_buf *b, const vf_prompt *p, const entry *e) {
  int rc = put_str(b, ", \"instruction_id_list\": [");
  for (size_t i = 0; i < vf_prompt_count(p) && !rc; i++) {
    const char *id = vf_checker_id(vf_prompt_checker(p, i));
    rc = (i && put_str(b, ", ")) ||
         vf_pyjson_dump_str(b, id, strlen(id));
  }
  return rc || put_str(b, "], \"prompt\": ") ||
         vf_pyjson_dump_str(b, vf_prompt_text(p), vf_prompt_text_len(p)) ||
         put_str(b, ", \"response\": ") ||
         vf_pyjson_dump_str(b, e->response, e->rlen) || vf_buf_putc(b, '}') ||
         vf_buf_putc(b, '\n');
}

/* Both output lines: out[0] holds the strict one, out[1] the loose one's
 * head, whose tail is the strict one's from *tail on (escaped once). */
static int write_results(vf_buf out[2], size_t *tail, const vf_prompt *p,
                         const entry *e, const unsigned char *ok) {
  size_t k = vf_prompt_count(p);
  if (write_head(&out[0], k, ok))
    return -1;
  *tail = out[0].len;
  return write_tail(&out[0], p, e) || write_head(&out[1], k, ok + k);
}

/* ---- batches ---------------------------------------------------------------- */

/* One input line and what its evaluation leaves for the main thread.  The
 * slots are reused batch after batch and keep their buffers, so that no
 * thread frees memory another one is allocating from while both run; the
 * prompt itself is freed by the thread that built it. */
typedef struct item {
  char *line;
  size_t cap, len, lineno;
  const entry *resp;
  char key[64];      /* the prompt's key as written */
  size_t k, kcap;    /* instructions, and room in ids, ok and raised */
  const char **ids;  /* their ids (the registry's strings) */
  unsigned char *ok; /* strict verdicts, then loose ones */
  unsigned char *raised; /* the same, 1 where a raising check decided */
  vf_buf out[2];     /* its output lines (see write_results) */
  size_t tail;
  vf_error err;
} item;

typedef struct run {
  const vf_ctx *ctx;
  const vf_bench *b;
  const vf_eval_opts *o;
  const respmap *map;
  item *items;
  size_t n;
} run;

/* Room for k instructions in it->ids and it->ok. */
static int reserve_item(item *it, size_t k) {
  if (k <= it->kcap && it->ids)
    return 0;
  const char **ids = realloc(it->ids, (k + 1) * sizeof *ids);
  if (!ids)
    return -1;
  it->ids = ids;
  unsigned char *ok = realloc(it->ok, 2 * k + 1);
  if (!ok)
    return -1;
  it->ok = ok;
  unsigned char *raised = realloc(it->raised, 2 * k + 1);
  if (!raised)
    return -1;
  it->raised = raised;
  it->kcap = k;
  return 0;
}

/* Evaluates the parsed prompt p against its response and formats both
 * output lines. */
static void eval_prompt(item *it, const vf_prompt *p, const char *where) {
  size_t k = vf_prompt_count(p);
  if (reserve_item(it, k)) {
    vf_set_error(&it->err, VF_ENOMEM, "out of memory");
    return;
  }
  it->k = k;
  for (size_t i = 0; i < k; i++)
    it->ids[i] = vf_checker_id(vf_prompt_checker(p, i));
  vf_error e2;
  vf_status st = vf_prompt_eval_raised(p, it->resp->response, it->resp->rlen,
                                       it->ok, it->ok + k, it->raised, &e2);
  if (st) {
    vf_set_error(&it->err, st, "%s: key %s: %s", where, it->key, e2.msg);
    return;
  }
  /* the output lines are formatted here, in parallel; the main thread
   * only writes them out in order */
  if (write_results(it->out, &it->tail, p, it->resp, it->ok))
    vf_set_error(&it->err, VF_ENOMEM, "out of memory");
}

static void eval_item(const run *r, item *it) {
  char where[600];
  json_error_t je;
  snprintf(where, sizeof where, "%s:%zu", r->o->input_data, it->lineno);
  it->err.code = VF_OK;
  it->resp = NULL;
  it->k = 0;
  vf_buf_reset(&it->out[0]);
  vf_buf_reset(&it->out[1]);
  /* NULL: ask jansson; null members mean absent ones to every reader of
   * a prompt line (vf_prompt_from_json), so they are left out */
  json_t *o = vf_jsonl_tree_sparse(it->line, it->len);
  if (!o)
    o = json_loadb(it->line, it->len, JSON_ALLOW_NUL, &je);
  if (!o) {
    vf_set_error(&it->err, VF_EJSON, "%s: malformed JSON: %s (column %d)",
                 where, je.text, je.column);
    return;
  }
  vf_prompt *p;
  vf_status st = vf_prompt_from_json(r->ctx, r->b->family, o, where, &p,
                                     &it->err);
  json_decref(o);
  if (st)
    return;
  snprintf(it->key, sizeof it->key, "%s", vf_prompt_key_text(p));
  it->resp = map_get(r->map, vf_prompt_text(p), vf_prompt_text_len(p));
  if (it->resp)
    eval_prompt(it, p, where);
  vf_prompt_free(p);
}

static void eval_one(void *arg, size_t i) {
  const run *r = arg;
  eval_item(r, &r->items[i]);
}

/* ---- the run ---------------------------------------------------------------- */

typedef struct outputs {
  char *path[2], *tmp[2], *buf[2];
  FILE *f[2];
  const char *made_dir; /* the output directory, when this run created it */
} outputs;

static vf_status open_outputs(const char *dir, outputs *out, vf_error *err) {
  static const char *const names[2] = {"eval_results_strict.jsonl",
                                       "eval_results_loose.jsonl"};
  if (mkdir(dir, 0777) == 0)
    out->made_dir = dir;
  else if (errno != EEXIST)
    return vf_set_error(err, VF_EIO, "%s: cannot create directory: %s", dir,
                        strerror(errno));
  for (int k = 0; k < 2; k++) {
    vf_buf p = {0}, t = {0};
    /* os.path.join(dir, name): no doubled slash after a trailing one */
    size_t dl = strlen(dir);
    const char *sep = dl && dir[dl - 1] == '/' ? "" : "/";
    if (vf_buf_printf(&p, "%s%s%s", dir, sep, names[k]) ||
        vf_buf_printf(&t, "%s.tmp", p.data)) {
      vf_buf_free(&p);
      vf_buf_free(&t);
      return vf_set_error(err, VF_ENOMEM, "out of memory");
    }
    out->path[k] = p.data, out->tmp[k] = t.data;
    out->f[k] = open_big(t.data, "wb", &out->buf[k]);
    if (!out->f[k])
      return vf_set_error(err, VF_EIO, "%s: cannot write: %s", t.data,
                          strerror(errno));
  }
  return VF_OK;
}

/* Closes the outputs; renames them into place when keep, else removes them
 * and the output directory if this run created it (and it is empty). */
static vf_status close_outputs(outputs *out, bool keep, vf_error *err) {
  vf_status st = VF_OK;
  for (int k = 0; k < 2; k++) {
    if (out->f[k] && fclose(out->f[k]) && keep)
      st = vf_set_error(err, VF_EIO, "%s: write error: %s", out->tmp[k],
                        strerror(errno));
    out->f[k] = NULL;
  }
  for (int k = 0; k < 2; k++) {
    if (!out->tmp[k])
      continue;
    if (keep && !st && rename(out->tmp[k], out->path[k]))
      st = vf_set_error(err, VF_EIO, "%s: cannot rename: %s", out->path[k],
                        strerror(errno));
    if (!keep || st)
      unlink(out->tmp[k]);
  }
  if ((!keep || st) && out->made_dir)
    rmdir(out->made_dir);
  return st;
}

static void free_outputs(outputs *out) {
  for (int k = 0; k < 2; k++) {
    free(out->path[k]);
    free(out->tmp[k]);
    free(out->buf[k]); /* after close_outputs() */
  }
}

typedef struct state {
  score sc[2];
  vf_buf missing; /* "key, key, ..." */
  size_t nmissing, nerrors;
  size_t raised[2]; /* verdicts a raising check decided, strict and loose */
  size_t blank[2]; /* blank lines skipped: input_data, responses */
  vf_error first;
} state;

static int put_out(FILE *f, const char *s, size_t n) {
  return fwrite(s, 1, n, f) != n ? -1 : 0;
}

/* Consumes one evaluated item in input order. */
static vf_status finish_item(state *s, const vf_eval_opts *o, outputs *out,
                             item *it, vf_error *err) {
  if (it->err.code) {
    if (!s->nerrors++)
      s->first = it->err;
    if (o->log)
      fprintf(o->log, "verif: %s\n", it->err.msg);
    return VF_OK;
  }
  if (!it->resp) {
    s->nmissing++;
    if (vf_buf_printf(&s->missing, "%s%s", s->missing.len ? ", " : "",
                      it->key))
      return vf_set_error(err, VF_ENOMEM, "out of memory");
    return VF_OK;
  }
  for (int m = 0; m < 2; m++) {
    if (score_add(&s->sc[m], it->k, it->ids, it->ok + m * it->k))
      return vf_set_error(err, VF_ENOMEM, "out of memory");
    for (size_t i = 0; i < it->k; i++)
      s->raised[m] += it->raised[m * it->k + i];
    const vf_buf *line = &it->out[m], *strict = &it->out[0];
    if (put_out(out->f[m], line->data, line->len) ||
        (m == 1 && put_out(out->f[1], strict->data + it->tail,
                           strict->len - it->tail)))
      return vf_set_error(err, VF_EIO, "write error: %s", strerror(errno));
  }
  return VF_OK;
}

/* Above this, a slot's buffer is given back rather than kept. */
enum { KEEP_MAX = 1 << 16 };

static void shrink_buf(vf_buf *b) {
  if (b->cap > KEEP_MAX)
    vf_buf_free(b);
}

/* After the main thread has consumed a slot: drops oversized buffers (the
 * main thread frees only those, and the lines it allocated itself). */
static void release_item(item *it) {
  if (it->cap > KEEP_MAX) {
    free(it->line);
    it->line = NULL;
    it->cap = 0;
  }
  shrink_buf(&it->out[0]);
  shrink_buf(&it->out[1]);
}

static void free_items(item *items, size_t n) {
  for (size_t i = 0; items && i < n; i++) {
    free(items[i].line);
    free(items[i].ids);
    free(items[i].ok);
    free(items[i].raised);
    vf_buf_free(&items[i].out[0]);
    vf_buf_free(&items[i].out[1]);
  }
}

/* Reads up to BATCH non-blank lines into the slots; returns how many.
 * Blank lines are not prompts: counted in *blank and skipped. */
static size_t read_batch(FILE *f, item *items, size_t *lineno, size_t *blank) {
  size_t n = 0;
  while (n < BATCH) {
    item *it = &items[n];
    ssize_t len = getline(&it->line, &it->cap, f);
    if (len < 0)
      break;
    if (++*lineno == 1)
      len = (ssize_t)vf_utf8_strip_bom(it->line, (size_t)len);
    if (blank_line(it->line, (size_t)len)) {
      ++*blank;
      continue;
    }
    it->len = (size_t)len, it->lineno = *lineno;
    n++;
  }
  return n;
}

static vf_status verdict_of_run(state *s, const vf_eval_opts *o,
                                vf_error *err) {
  if (s->nerrors)
    return lines_error(err, &s->first, s->nerrors, o->input_data, o->log);
  if (s->nmissing && !o->skip_missing)
    return vf_set_error(err, VF_EMISSING,
                        "%s: %zu prompt(s) have no response in %s (keys: "
                        "%.300s); use --skip-missing to evaluate the rest",
                        o->input_data, s->nmissing, o->input_response_data,
                        s->missing.data);
  if (s->sc[0].prompts == 0)
    return vf_set_error(err, VF_EMISSING, "%s: no prompt to evaluate",
                        o->input_data);
  return VF_OK;
}

/* Blank lines are not items: skipped, and said so. */
static void log_blank(const vf_eval_opts *o, const size_t blank[2]) {
  const char *file[2] = {o->input_data, o->input_response_data};
  for (int k = 0; k < 2 && o->log; k++)
    if (blank[k])
      fprintf(o->log, "verif: %s: %zu blank line(s) skipped (blank lines "
                      "are not items)\n", file[k], blank[k]);
}

static void fill_stats(const state *s, vf_eval_stats *st) {
  memset(st, 0, sizeof *st);
  st->prompts = (size_t)s->sc[0].prompts;
  st->skipped = s->nmissing;
  st->blank_lines = s->blank[0] + s->blank[1];
  st->instructions = (size_t)s->sc[0].instr;
  st->raised_strict = s->raised[0];
  st->raised_loose = s->raised[1];
  if (!s->sc[0].prompts)
    return;
  st->prompt_strict = (double)s->sc[0].prompts_ok / (double)s->sc[0].prompts;
  st->prompt_loose = (double)s->sc[1].prompts_ok / (double)s->sc[1].prompts;
  st->instruction_strict = (double)s->sc[0].instr_ok / (double)s->sc[0].instr;
  st->instruction_loose = (double)s->sc[1].instr_ok / (double)s->sc[1].instr;
}

static int jobs_of(const vf_eval_opts *o) {
  return o->jobs > 0 ? o->jobs : vf_ncores();
}

/* Writes out (while st is VF_OK) and frees one evaluated batch, in input
 * order; returns the new status. */
static vf_status drain(run *b, state *s, outputs *out, vf_status st,
                       vf_error *err) {
  for (size_t i = 0; i < b->n; i++) {
    if (!st)
      st = finish_item(s, b->o, out, &b->items[i], err);
    release_item(&b->items[i]);
  }
  b->n = 0;
  return st;
}

/* The progress line on a terminal: prompts evaluated, and those skipped
 * for want of a response (so that the two add up to the prompts read). */
static void show_progress(FILE *log, const state *s) {
  fprintf(log, "\rverif: %ld prompts evaluated", s->sc[0].prompts);
  if (s->nmissing)
    fprintf(log, ", %zu skipped (no response)", s->nmissing);
}

/* Two batches in flight: while the helper threads evaluate one, this
 * thread writes out the one before and reads the one after, then joins
 * in.  slots holds 2 * BATCH items. */
static vf_status stream(const run *r, item *slots, FILE *in, state *s,
                        outputs *out, vf_error *err) {
  size_t lineno = 0;
  int jobs = jobs_of(r->o), cur = 0;
  bool tty = r->o->log && isatty(fileno(r->o->log));
  vf_status st = VF_OK;
  run b[2] = {*r, *r};
  b[0].items = slots, b[1].items = slots + BATCH;
  b[1].n = 0;
  b[0].n = read_batch(in, b[0].items, &lineno, &s->blank[0]);
  while (b[cur].n) {
    vf_par par;
    vf_parallel_start(&par, jobs, b[cur].n, eval_one, &b[cur]);
    size_t written = b[!cur].n;
    st = drain(&b[!cur], s, out, st, err);
    if (tty && written)
      show_progress(r->o->log, s);
    if (!st)
      b[!cur].n = read_batch(in, b[!cur].items, &lineno, &s->blank[0]);
    vf_parallel_finish(&par);
    cur = !cur;
  }
  size_t written = b[!cur].n;
  st = drain(&b[!cur], s, out, st, err);
  if (tty && written)
    show_progress(r->o->log, s);
  if (tty)
    fputc('\n', r->o->log);
  if (!st && ferror(in))
    st = vf_set_error(err, VF_EIO, "%s: read error: %s", r->o->input_data,
                      strerror(errno));
  return st;
}

/* The verdicts a raising check decided (IFBench's reference would have
 * stopped there), said after the report. */
static void note_raised(const state *s, FILE *log) {
  if (log && (s->raised[0] || s->raised[1]))
    fprintf(log,
            "verif: %zu strict and %zu loose instruction verdicts are \"not "
            "followed\" because the reference's check raises on the response "
            "(its run would stop there)\n",
            s->raised[0], s->raised[1]);
}

vf_status vf_eval_run(const vf_ctx *ctx, const vf_bench *b,
                      const vf_eval_opts *o, vf_eval_stats *stats,
                      vf_error *err) {
  if (!ctx || !b || !o || !o->input_data || !o->input_response_data ||
      !o->output_dir)
    return vf_set_error(err, VF_EINVAL,
                        "vf_eval_%s: input_data, input_response_data and "
                        "output_dir are required",
                        b ? b->name : "run");
  respmap map = {0};
  state s = {0};
  outputs out = {0};
  run r = {.ctx = ctx, .b = b, .o = o, .map = &map};
  FILE *in = NULL;
  char *inbuf = NULL;
  vf_status st = load_responses(b, o->input_response_data, &map, jobs_of(o),
                                o->log, &s.blank[1], err);
  if (!st) {
    in = open_big(o->input_data, "rb", &inbuf);
    if (!in)
      st = vf_set_error(err, VF_EIO, "%s: cannot open: %s", o->input_data,
                        strerror(errno));
  }
  item *slots = st ? NULL : calloc(2 * BATCH, sizeof *slots);
  if (!st && !slots)
    st = vf_set_error(err, VF_ENOMEM, "out of memory");
  if (!st)
    st = open_outputs(o->output_dir, &out, err);
  if (!st)
    st = stream(&r, slots, in, &s, &out, err);
  if (!st)
    st = verdict_of_run(&s, o, err);
  vf_status cst = close_outputs(&out, st == VF_OK, err);
  st = st ? st : cst;
  if (!st && o->skip_missing && s.nmissing && o->log)
    fprintf(o->log, "verif: skipped %zu prompt(s) without a response (keys: "
                    "%.300s)\n", s.nmissing, s.missing.data);
  if (!st)
    log_blank(o, s.blank);
  if (!st && o->report)
    for (int m = 0; m < 2; m++)
      print_report(o->report, out.path[m], &s.sc[m]);
  if (!st)
    note_raised(&s, o->log);
  if (!st && stats)
    fill_stats(&s, stats);
  if (in)
    fclose(in);
  free(inbuf);
  free_items(slots, 2 * BATCH);
  free(slots);
  free_outputs(&out);
  map_free(&map);
  for (int m = 0; m < 2; m++) {
    vf_tallies_free(&s.sc[m].tier0);
    vf_tallies_free(&s.sc[m].tier1);
  }
  vf_buf_free(&s.missing);
  return st;
}

vf_status vf_eval_ifeval(const vf_ctx *ctx, const vf_eval_opts *o,
                         vf_eval_stats *stats, vf_error *err) {
  static const vf_bench ifeval = {"ifeval", "ifeval", NULL};
  return vf_eval_run(ctx, &ifeval, o, stats, err);
}
