/*
 * test_pyexec_fidelity.c: the sandboxed executor gives plain CPython's
 * verdicts.  Every [rule] function of VerInstruct's samples.jsonl runs on
 * every IFEval GPT-4 response (about 150,000 pairs) with its record's
 * prompt as `instruction`; the expected verdicts come from
 * scripts/pyexec-expected.py run by the machine's python3 at test time (no
 * python3 is a failure, not a skip).  The rule: truthy in both or in
 * neither (an exception counts as false); exact agreement (true / false /
 * error) is reported too.  The ASan build runs the whole set as well: the
 * workers' time is spent in CPython, which is not instrumented.
 */
#include <jansson.h>
#include <time.h>

#include "harness.h"
#include "pyexec/pyexec.h"

#define MAXF 4096
#define MAXR 4096

const char *__asan_default_options(void);
const char *__asan_default_options(void) {
  return "allocator_may_return_null=1";
}

typedef struct fn {
  char *prompt, *code;
} fn;

static size_t add_rules(json_t *rec, fn *out, size_t n) {
  json_t *ck = json_object_get(rec, "checkers");
  json_t *fs = json_object_get(rec, "functions");
  const char *prompt = json_string_value(json_object_get(rec, "prompt"));
  for (size_t i = 0; i < json_array_size(ck) && n < MAXF; i++) {
    const char *c = json_string_value(json_array_get(ck, i));
    const char *f = json_string_value(json_array_get(fs, i));
    if (c && f && prompt && strncmp(c, "[rule]", 6) == 0)
      out[n++] = (fn){strdup(prompt), strdup(f)};
  }
  return n;
}

static size_t load_rules(const char *path, fn *out) {
  FILE *f = fopen(path, "r");
  CHECKF(f != NULL, "cannot open %s: %s", path, strerror(errno));
  char *line = NULL;
  size_t cap = 0, n = 0;
  while (f && getline(&line, &cap, f) > 0) {
    json_t *rec = json_loads(line, 0, NULL);
    n = add_rules(rec, out, n);
    json_decref(rec);
  }
  free(line);
  if (f)
    fclose(f);
  return n;
}

static size_t load_responses(const char *path, char **out) {
  FILE *f = fopen(path, "r");
  CHECKF(f != NULL, "cannot open %s: %s", path, strerror(errno));
  char *line = NULL;
  size_t cap = 0, n = 0;
  while (f && n < MAXR && getline(&line, &cap, f) > 0) {
    json_t *rec = json_loads(line, 0, NULL);
    const char *r = json_string_value(json_object_get(rec, "response"));
    if (r)
      out[n++] = strdup(r);
    json_decref(rec);
  }
  free(line);
  if (f)
    fclose(f);
  return n;
}

/* Runs the reference; returns nr lines of nf verdict characters, or NULL. */
static char *expected(const char *samples, const char *responses, size_t nf,
                      size_t nr) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "python3 scripts/pyexec-expected.py '%s' '%s' %zu",
           samples, responses, nf);
  FILE *p = popen(cmd, "r");
  char *out = malloc(nf * nr + 1), *line = NULL;
  size_t cap = 0, r = 0;
  while (p && out && r < nr && getline(&line, &cap, p) > 0) {
    if (strlen(line) < nf)
      break;
    memcpy(out + r * nf, line, nf);
    r++;
  }
  free(line);
  int status = p ? pclose(p) : -1;
  CHECKF(p && status == 0 && r == nr,
         "python3 scripts/pyexec-expected.py: status %d, %zu of %zu lines "
         "(is python3 installed?)",
         status, r, nr);
  if (!p || status != 0 || r != nr) {
    free(out);
    return NULL;
  }
  return out;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Compares function i's verdicts on every response. */
static void compare(const vf_pycheck *c, const char *want, size_t nf,
                    size_t nr, size_t i, size_t *truthy, size_t *exact) {
  size_t bad = 0;
  for (size_t r = 0; r < nr; r++) {
    char w = want[r * nf + i];
    const vf_pycheck *k = &c[i * nr + r];
    int t = k->verdict == VF_PY_TRUE;
    int ok = t == (w == '1');
    *truthy += ok;
    *exact += (w == '1' && k->verdict == VF_PY_TRUE) ||
              (w == '0' && k->verdict == VF_PY_FALSE) ||
              (w == 'E' && k->verdict == VF_PY_ERROR);
    if (!ok && bad++ < 3)
      fprintf(stderr, "function %zu, response %zu: python3 says %c, verif "
              "says %d (%s)\n", i, r, w, k->verdict, k->error);
  }
  CHECKF(bad == 0, "function %zu disagrees on %zu responses", i, bad);
}

int main(void) {
  static fn fns[MAXF];
  static char *resp[MAXR];
  const char *samples = VF_VERINSTRUCT_SAMPLES;
  const char *responses = VF_IFEVAL_RESPONSES;
  size_t nf = load_rules(samples, fns), nr = load_responses(responses, resp);
  CHECKF(nf > 200 && nr > 500, "loaded %zu rule functions, %zu responses",
         nf, nr);
  char *want = nf && nr ? expected(samples, responses, nf, nr) : NULL;
  vf_pycheck *c = calloc(nf * nr + 1, sizeof *c);
  vf_pool *p = NULL;
  vf_error err;
  vf_pool_opts o = {0};
  CHECKF(vf_pool_new(&o, &p, &err) == VF_OK, "pool: %s", err.msg);
  if (!want || !c || !p)
    return vf_test_summary("pyexec_fidelity");
  size_t *unit = calloc(nf, sizeof *unit); /* one function, all responses */
  for (size_t i = 0; i < nf; i++)
    for (size_t r = 0; r < nr; r++)
      c[i * nr + r] = (vf_pycheck){fns[i].code, strlen(fns[i].code),
                                   fns[i].prompt, strlen(fns[i].prompt),
                                   resp[r], strlen(resp[r]), 0, 0, ""};
  for (size_t i = 0; unit && i < nf; i++)
    unit[i] = nr;
  double t0 = now();
  CHECK(unit && vf_pool_run_units(p, c, nf * nr, unit, nf, &err) == VF_OK);
  double dt = now() - t0;
  size_t truthy = 0, exact = 0;
  for (size_t i = 0; i < nf; i++)
    compare(c, want, nf, nr, i, &truthy, &exact);
  printf("pyexec_fidelity: same verdict as python3: %zu of %zu pairs passed "
         "(%zu exactly true/false/error); %zu functions x %zu responses in "
         "%.2f s\n",
         truthy, nf * nr, exact, nf, nr, dt);
  vf_pool_free(p);
  free(unit);
  free(c);
  free(want);
  return vf_test_summary("pyexec_fidelity");
}
