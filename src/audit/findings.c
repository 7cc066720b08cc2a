/*
 * findings.c: from verdicts to findings.  Per function: timeouts, foreign
 * imports, exceptions, then what the pass pattern over phase one's probes
 * says (vacuous, never passes, gameable), disagreements between runs
 * (non-determinism, the `instruction` argument), the LLM-written probes
 * (AutoIF's cross-validation) and the tag.  Per item: pairs of constraints
 * that no probe passes together, after joint probes were tried (a passing
 * probe of one followed by a passing probe of the other, and the two
 * in short plain sentences, and overlaid: the second's words made plain,
 * then the first one's plain words after as many, in sentences of at most
 * 14 words; and each one's words in short sentences over the other's, as
 * long as the other: a length that one demands, the sentences the other
 * does); a pair left without joint probes by the budget is not flagged.
 * A finding implied by another is not repeated: a vacuous function is not
 * also gameable, and one that raises on every probe does not also "never
 * pass".
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

int au_add_finding(au_fn *f, vf_audit_kind k, int probe, const char *fmt, ...) {
  au_finding *nf = realloc(f->f, (f->nf + 1) * sizeof *nf);
  if (!nf)
    return -1;
  f->f = nf;
  char buf[700];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  char *d = strdup(buf);
  if (!d)
    return -1;
  f->f[f->nf++] = (au_finding){k, probe, d};
  return 0;
}

static const char *verdict_word(uint8_t v) {
  static const char *const w[] = {"fail", "pass", "error", "timeout",
                                  "not run"};
  return v <= AU_NOTRUN ? w[v] : "?";
}

static bool decided(uint8_t v) {
  return v == AU_PASS || v == AU_FAIL || v == AU_ERROR;
}

/* ---- errors -------------------------------------------------------------- */

static int first_timeout(const au_row *r, const au_fn *f) {
  for (size_t p = 0; p < r->np; p++)
    if (f->v1[p] == AU_TIMEOUT || f->v2[p] == AU_TIMEOUT ||
        f->vi[p] == AU_TIMEOUT)
      return (int)p;
  return -1;
}

static int static_imports(au_fn *f, const au_exec *x) {
  if (f->c->kind != VF_CK_PYTHON || f->imp)
    return 0;
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = au_scan_imports(f->c->code, f->c->code_len, &names, &n, &cap) < 0;
  for (size_t i = 0; i < n; i++) {
    if (!rc && au_exec_module_ok(x, names[i]) == 0)
      rc = au_add_finding(f, VF_AUDIT_FOREIGN_IMPORT, -1,
                          "imports '%s', a module the sandbox does not have "
                          "(no probe reached the import)",
                          names[i]);
    free(names[i]);
  }
  free(names);
  return rc ? -1 : 0;
}

static int error_findings(const au_row *r, au_fn *f, const au_exec *x) {
  int t = f->timed_out ? first_timeout(r, f) : -1;
  if (t >= 0 &&
      au_add_finding(f, VF_AUDIT_TIMEOUT, t, "runs past the check timeout"))
    return -1;
  if (f->imp && au_add_finding(f, VF_AUDIT_FOREIGN_IMPORT, f->imp_probe,
                               "%s (the sandbox does not have it)", f->imp))
    return -1;
  if (static_imports(f, x))
    return -1;
  if (f->err && au_add_finding(f, VF_AUDIT_RAISES, f->err_probe, "%s", f->err))
    return -1;
  return 0;
}

/* ---- the pass pattern ---------------------------------------------------- */

static const char *gaming_why(au_pclass c) {
  switch (c) {
  case AU_P_EMPTY:
    return "passes the empty response";
  case AU_P_BLANK:
    return "passes a response of whitespace only";
  case AU_P_PROMPT:
    return "passes the prompt echoed back";
  case AU_P_CONSTRAINT:
    return "passes the constraint text echoed back";
  default:
    return "passes a response whose only content is inside "
           "<think> (a trainer that does not strip reasoning "
           "rewards it)";
  }
}

/* The gaming probe a function passes, in order of how little it says. */
static int gaming_pass(const au_row *r, const au_fn *f) {
  static const au_pclass order[] = {AU_P_EMPTY, AU_P_BLANK, AU_P_CONSTRAINT,
                                    AU_P_PROMPT, AU_P_THINK};
  for (size_t o = 0; o < sizeof order / sizeof *order; o++)
    for (size_t p = 0; p < r->nphase1; p++)
      if (r->p[p].cls == order[o] && f->v1[p] == AU_PASS)
        return (int)p;
  return -1;
}

/* Vacuous, never passes, or gameable: a gaming probe passes while no
 * honest answer among the probes does, so gaming is the only way to the
 * reward the probes found (a prohibition or an upper bound that an honest
 * text also meets is not gameable, however often unrelated texts fail it). */
static int pattern_findings(const au_row *r, au_fn *f) {
  size_t n = r->nphase1, passed = 0, errors = 0, honest = 0, honest_pass = 0;
  for (size_t p = 0; p < n; p++) {
    passed += f->v1[p] == AU_PASS;
    errors += f->v1[p] == AU_ERROR || f->v1[p] == AU_TIMEOUT;
    if (au_probe_honest(r->p[p].cls)) {
      honest++;
      honest_pass += f->v1[p] == AU_PASS;
    }
  }
  f->passed = passed;
  if (passed == n)
    return au_add_finding(f, VF_AUDIT_VACUOUS, 0,
                          "passes all %zu probes, the empty response and "
                          "unrelated texts included",
                          n);
  if (!passed)
    return errors == n ? 0
                       : au_add_finding(f, VF_AUDIT_NEVER_PASSES, -1,
                                        "passes none of %zu probes", n);
  int g = gaming_pass(r, f);
  if (g < 0 || honest_pass)
    return 0;
  return au_add_finding(f, VF_AUDIT_GAMEABLE, g,
                        "%s, and none of the %zu honest answers among the "
                        "probes",
                        gaming_why(r->p[g].cls), honest);
}

/* ---- disagreements ------------------------------------------------------- */

static int run_findings(const au_row *r, au_fn *f) {
  for (size_t p = 0; p < r->nphase1; p++)
    if (decided(f->v1[p]) && decided(f->v2[p]) && f->v1[p] != f->v2[p]) {
      if (au_add_finding(f, VF_AUDIT_NONDETERMINISTIC, (int)p,
                         "two runs on the same probe: %s, then %s",
                         verdict_word(f->v1[p]), verdict_word(f->v2[p])))
        return -1;
      break;
    }
  for (size_t p = 0; p < r->nphase1; p++)
    if (decided(f->v1[p]) && decided(f->vi[p]) && f->v1[p] != f->vi[p])
      return au_add_finding(
          f, VF_AUDIT_READS_INSTRUCTION, (int)p,
          "with the prompt as `instruction`: %s; with the literal string "
          "\"instruction\" (VerIF's released code): %s",
          verdict_word(f->v1[p]), verdict_word(f->vi[p]));
  return 0;
}

static int generated_findings(const au_row *r, au_fn *f, int k) {
  for (size_t p = 0; p < r->nphase1; p++) {
    const au_probe *pr = &r->p[p];
    if (pr->owner != k || !decided(f->v1[p]))
      continue;
    if (pr->cls == AU_P_SATISFY && f->v1[p] != AU_PASS &&
        au_add_finding(f, VF_AUDIT_REJECTS_SATISFYING, (int)p,
                       "fails (%s) the response an LLM wrote to satisfy it",
                       verdict_word(f->v1[p])))
      return -1;
    if (pr->cls == AU_P_VIOLATE && f->v1[p] == AU_PASS &&
        au_add_finding(f, VF_AUDIT_ACCEPTS_VIOLATING, (int)p,
                       "passes the response an LLM wrote to violate it"))
      return -1;
  }
  return 0;
}

static int tag_findings(au_fn *f) {
  if (f->c->kind == VF_CK_LLM && f->code &&
      !au_scan_calls_llm(f->code, f->code_len))
    return au_add_finding(f, VF_AUDIT_TAG_MISMATCH, -1,
                          "tagged [llm] but its function is plain code (it "
                          "never asks the judge); if the code is right, it "
                          "is a [rule] check");
  if (f->c->kind == VF_CK_PYTHON && f->calls_llm)
    return au_add_finding(f, VF_AUDIT_TAG_MISMATCH, -1,
                          "tagged [rule] but calls the judge (llm_score & "
                          "co.): a hard check that needs an LLM; not run");
  return 0;
}

/* ---- contradictions ------------------------------------------------------ */

/* Over the first n probes (those whose verdicts exist). */
static bool any_pass(const au_fn *f, size_t n) {
  for (size_t p = 0; p < n; p++)
    if (f->v1[p] == AU_PASS)
      return true;
  return false;
}

static bool pass_together(const au_fn *a, const au_fn *b, size_t n) {
  for (size_t p = 0; p < n; p++)
    if (a->v1[p] == AU_PASS && b->v1[p] == AU_PASS)
      return true;
  return false;
}

/* Both audited, each passes some probe, never both: over the first n. */
static bool candidates(const au_row *r, size_t a, size_t b, size_t n) {
  const au_fn *fa = &r->fn[a], *fb = &r->fn[b];
  return fa->audited && fb->audited && any_pass(fa, n) && any_pass(fb, n) &&
         !pass_together(fa, fb, n);
}

/* Preference for the passing probe a joint probe starts from: the one with
 * the most to say about the constraint. */
static int rank(const au_probe *p, size_t k) {
  switch (p->cls) {
  case AU_P_SATISFY:
    return p->owner == (int)k ? 9 : 7;
  case AU_P_CONSTRAINT:
  case AU_P_QUOTED:
    return p->owner == (int)k ? 8 : 6;
  case AU_P_SIZED:
  case AU_P_WIDE:
    return 5;
  case AU_P_CORPUS:
  case AU_P_USER:
    return 5;
  case AU_P_LONG:
  case AU_P_PLAIN:
  case AU_P_TERSE:
    return 4;
  case AU_P_PROMPT:
    return 3;
  case AU_P_VIOLATE:
    return 2;
  default:
    return p->len ? 1 : 0;
  }
}

static int best_pass(const au_row *r, size_t k) {
  int best = -1, br = -1;
  for (size_t p = 0; p < r->nphase1; p++)
    if (r->fn[k].v1[p] == AU_PASS && rank(&r->p[p], k) > br) {
      br = rank(&r->p[p], k);
      best = (int)p;
    }
  return best;
}

/* Probe pa followed by probe pb, as they are. */
static int add_joint(au_row *r, size_t a, size_t b, int pa, int pb) {
  const au_probe *x = &r->p[pa], *y = &r->p[pb];
  vf_buf t = {0};
  if (vf_buf_append(&t, x->text, x->len) || vf_buf_append(&t, "\n\n", 2) ||
      vf_buf_append(&t, y->text, y->len) || vf_buf_putc(&t, '\0')) {
    vf_buf_free(&t);
    return -1;
  }
  return au_row_add_probe(r, AU_P_JOINT, (int)a, (int)b, t.data, t.len - 1,
                          t.data);
}

/* Probe pa followed by probe pb, made plain (hard words per sentence at
 * most): the words of both. */
static int add_plain_joint(au_row *r, size_t a, size_t b, int pa, int pb,
                           size_t hard) {
  vf_buf t = {0};
  size_t len, words;
  if (vf_buf_append(&t, r->p[pa].text, r->p[pa].len) ||
      vf_buf_append(&t, "\n\n", 2) ||
      vf_buf_append(&t, r->p[pb].text, r->p[pb].len)) {
    vf_buf_free(&t);
    return -1;
  }
  char *p = au_plainify(t.data ? t.data : "", t.len, hard, &len, &words);
  vf_buf_free(&t);
  return p ? au_row_add_probe(r, AU_P_JOINT, (int)a, (int)b, p, len, p) : -1;
}

/* Probe top made plain (hard words per sentence at most), then probe base
 * made plain without as many words as top has: about as many words as the
 * longer of the two, or with keep_base, as many as base (top cut to fit). */
static int add_overlay(au_row *r, size_t a, size_t b, int base, int top,
                       size_t hard, bool keep_base) {
  size_t tl, tw, bl, bw, pos = 0, wb, we = 0, skipped = 0;
  char *t = au_plainify(r->p[top].text, r->p[top].len, hard, &tl, &tw);
  char *u = au_plainify(r->p[base].text, r->p[base].len, hard, &bl, &bw);
  vf_buf o = {0};
  int rc = !t || !u;
  if (!rc && keep_base && tw > bw) {
    while (skipped < bw && vf_py_split_next(t, tl, &pos, &wb, &we))
      skipped++;
    tl = bw ? we : 0;
    pos = 0;
  }
  skipped = 0;
  while (!rc && skipped < tw && vf_py_split_next(u, bl, &pos, &wb, &we))
    skipped++;
  if (!rc && tw >= bw)
    we = bl;
  while (!rc && we < bl && (u[we] == '.' || u[we] == '\n' || u[we] == ' '))
    we++;
  rc = rc || vf_buf_append(&o, t, tl) ||
       (tl && t[tl - 1] != '.' && vf_buf_putc(&o, '.')) ||
       (we < bl &&
        (vf_buf_append(&o, "\n\n", 2) || vf_buf_append(&o, u + we, bl - we))) ||
       vf_buf_putc(&o, '\0');
  free(t);
  free(u);
  if (rc) {
    vf_buf_free(&o);
    return -1;
  }
  return au_row_add_probe(r, AU_P_JOINT, (int)a, (int)b, o.data, o.len - 1,
                          o.data);
}

static int grow_verdicts(au_row *r) {
  for (size_t k = 0; k < r->it.nc; k++) {
    au_fn *f = &r->fn[k];
    if (!f->audited)
      continue;
    uint8_t *v = realloc(f->v1, r->np);
    if (!v)
      return -1;
    f->v1 = v;
    memset(v + r->nphase1, AU_NOTRUN, r->np - r->nphase1);
  }
  return 0;
}

int au_find_joint_candidates(au_row *r, int budget) {
  if (r->it.err.code)
    return 0;
  int *used = calloc(r->it.nc ? r->it.nc : 1, sizeof *used);
  if (!used)
    return -1;
  int rc = 0;
  for (size_t a = 0; a < r->it.nc && !rc; a++)
    for (size_t b = a + 1; b < r->it.nc && !rc; b++) {
      if (used[a] + AU_JOINT_PER_PAIR > budget ||
          used[b] + AU_JOINT_PER_PAIR > budget ||
          !candidates(r, a, b, r->nphase1))
        continue;
      int pa = best_pass(r, a), pb = best_pass(r, b);
      rc = add_joint(r, a, b, pa, pb) ||
           add_plain_joint(r, a, b, pa, pb, AU_TERSE_WORDS) ||
           add_overlay(r, a, b, pa, pb, AU_PLAIN_WORDS, false) ||
           add_overlay(r, a, b, pb, pa, AU_TERSE_WORDS, true) ||
           add_overlay(r, a, b, pa, pb, AU_TERSE_WORDS, true);
      used[a] += AU_JOINT_PER_PAIR;
      used[b] += AU_JOINT_PER_PAIR;
    }
  free(used);
  return rc || (r->np > r->nphase1 && grow_verdicts(r)) ? -1 : 0;
}

static int first_joint(const au_row *r, size_t a, size_t b) {
  for (size_t p = r->nphase1; p < r->np; p++)
    if (r->p[p].owner == (int)a && r->p[p].owner2 == (int)b)
      return (int)p;
  return -1;
}

static int contradictions(au_row *r) {
  for (size_t a = 0; a < r->it.nc; a++)
    for (size_t b = a + 1; b < r->it.nc; b++) {
      int w = first_joint(r, a, b);
      if (w < 0 || !candidates(r, a, b, r->np))
        continue; /* no joint probe tried: untested, not flagged */
      size_t ks[2] = {a, b};
      for (int s = 0; s < 2; s++)
        if (au_add_finding(&r->fn[ks[s]], VF_AUDIT_CONTRADICTION, w,
                           "no probe passes it together with constraint "
                           "[%zu] (%.200s)",
                           ks[1 - s], r->fn[ks[1 - s]].c->checker))
          return -1;
    }
  return 0;
}

/* ---- the row ------------------------------------------------------------- */

int au_find_row(au_row *r, const au_exec *x) {
  if (r->it.err.code)
    return 0;
  for (size_t k = 0; k < r->it.nc; k++) {
    au_fn *f = &r->fn[k];
    if (tag_findings(f))
      return -1;
    if (!f->audited)
      continue;
    if (error_findings(r, f, x) || pattern_findings(r, f) ||
        run_findings(r, f) || generated_findings(r, f, (int)k))
      return -1;
  }
  return contradictions(r);
}
