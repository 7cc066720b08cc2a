/*
 * gen.c: probes an LLM writes (with --judge-url): for every audited
 * function, one response meant to satisfy its constraint and one meant to
 * violate it, from the prompt templates data/audit/satisfy.txt and
 * violate.txt ({prompt} and {constraint} filled in once each).  AutoIF's
 * cross-validation: a function must accept the first and refuse the
 * second.  Requests run concurrently; a failed one leaves its probe out and
 * is counted.
 */
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/parallel.h"

static const char *const tpl_file[2] = {"satisfy.txt", "violate.txt"};

static vf_status load(const char *path, char **out, vf_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return vf_set_error(err, VF_EDATA, "cannot open %s", path);
  vf_buf b = {0};
  char chunk[4096];
  int rc = 0;
  for (size_t n = fread(chunk, 1, sizeof chunk, f); !rc && n > 0;
       n = fread(chunk, 1, sizeof chunk, f))
    rc = vf_buf_append(&b, chunk, n);
  bool bad = ferror(f) || rc || vf_buf_putc(&b, '\0');
  fclose(f);
  if (bad) {
    vf_buf_free(&b);
    return vf_set_error(err, VF_EIO, "cannot read %s", path);
  }
  if (!strstr(b.data, "{prompt}") || !strstr(b.data, "{constraint}")) {
    vf_buf_free(&b);
    return vf_set_error(err, VF_EDATA, "%s: needs {prompt} and {constraint}",
                        path);
  }
  *out = b.data;
  return VF_OK;
}

vf_status au_gen_init(au_gen *g, const char *data_dir, au_gen_fn fn, void *ud,
                      int concurrency, vf_error *err) {
  memset(g, 0, sizeof *g);
  g->fn = fn;
  g->ud = ud;
  g->concurrency = concurrency > 0 ? concurrency : 16;
  for (int m = 0; m < 2; m++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/audit/%s", data_dir, tpl_file[m]);
    vf_status st = load(path, &g->tpl[m], err);
    if (st) {
      au_gen_free(g);
      return st;
    }
  }
  return VF_OK;
}

void au_gen_free(au_gen *g) {
  free(g->tpl[0]);
  free(g->tpl[1]);
  g->tpl[0] = g->tpl[1] = NULL;
}

/* The template with {prompt} and {constraint} filled in, once each. */
static int render(const char *tpl, const char *prompt, size_t plen,
                  const char *constraint, vf_buf *out) {
  const char *p = tpl;
  while (*p) {
    const char *a = strstr(p, "{prompt}"), *b = strstr(p, "{constraint}");
    const char *next = a && (!b || a < b) ? a : b;
    if (!next)
      return vf_buf_append(out, p, strlen(p));
    if (vf_buf_append(out, p, (size_t)(next - p)))
      return -1;
    int rc = next == a ? vf_buf_append(out, prompt, plen)
                       : vf_buf_append(out, constraint, strlen(constraint));
    if (rc)
      return -1;
    p = next + (next == a ? 8 : 12);
  }
  return 0;
}

typedef struct req {
  au_row *row;
  size_t k;
  au_gen_mode mode;
  char *reply;
} req;

typedef struct job {
  au_gen *g;
  req *r;
  pthread_mutex_t mu;
} job;

static void one(void *arg, size_t i) {
  job *j = arg;
  req *q = &j->r[i];
  vf_buf prompt = {0};
  vf_error e = {0};
  int rc = render(j->g->tpl[q->mode], q->row->it.prompt, q->row->it.prompt_len,
                  q->row->ktext[q->k], &prompt);
  if (!rc)
    rc = j->g->fn(j->g->ud, q->mode, prompt.data, prompt.len, &q->reply, &e);
  vf_buf_free(&prompt);
  pthread_mutex_lock(&j->mu);
  if (rc) {
    j->g->failed++;
    snprintf(j->g->last_error, sizeof j->g->last_error, "%.200s",
             e.msg[0] ? e.msg : "out of memory");
  } else {
    j->g->made++;
  }
  pthread_mutex_unlock(&j->mu);
}

static size_t collect(au_row *rows, size_t n, req *out) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; !rows[i].it.err.code && k < rows[i].it.nc; k++)
      if (rows[i].fn[k].audited)
        for (int mode = 0; mode < 2; mode++) {
          if (out)
            out[m] = (req){&rows[i], k, (au_gen_mode)mode, NULL};
          m++;
        }
  return m;
}

void au_gen_rows(au_gen *g, au_row *rows, size_t n) {
  size_t m = collect(rows, n, NULL);
  req *r = m ? calloc(m, sizeof *r) : NULL;
  if (!r) {
    g->failed += m;
    return;
  }
  collect(rows, n, r);
  job j = {g, r, PTHREAD_MUTEX_INITIALIZER};
  vf_parallel(g->concurrency, m, one, &j);
  for (size_t i = 0; i < m; i++) {
    if (!r[i].reply)
      continue;
    au_pclass cls = r[i].mode == AU_GEN_SATISFY ? AU_P_SATISFY : AU_P_VIOLATE;
    if (au_row_add_probe(r[i].row, cls, (int)r[i].k, -1, r[i].reply,
                         strlen(r[i].reply), r[i].reply))
      g->failed++;
  }
  pthread_mutex_destroy(&j.mu);
  free(r);
}
