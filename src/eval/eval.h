/*
 * eval.h: benchmark evaluation inside the library: IFEval-style prompts
 * built from parsed JSON (prompt.c), and the official evaluation run with
 * its output files and report (ifeval_run.c), which IFEval and the
 * benchmarks built on its evaluation_lib.py (IFBench: ifbench_run.c) share.
 */
#ifndef VF_EVAL_H
#define VF_EVAL_H

#include "text/text.h"
#include "verif.h"

/* What sets one benchmark's run apart. */
typedef struct vf_bench {
  const char *name;   /* "ifeval", "ifbench" (for messages) */
  const char *family; /* the checker family of the input's ids */
  /* The text to score from a responses line without a "response" string
   * (obj: its parsed json_t *): 1 with it appended to out, 0 when there is
   * none, -1 when out of memory.  NULL: such a line is an error. */
  int (*response_of)(const void *obj, vf_buf *out);
} vf_bench;

/* The official evaluation of benchmark b (see vf_eval_ifeval). */
vf_status vf_eval_run(const vf_ctx *ctx, const vf_bench *b,
                      const vf_eval_opts *opts, vf_eval_stats *stats,
                      vf_error *err);

/* vf_prompt_eval that also says which verdicts a raising check decided:
 * raised[i] (strict) and raised[n + i] (loose: not followed, and some
 * variant's check raised), n = vf_prompt_count(p); raised may be NULL.
 * The response must be valid UTF-8 (a string decoded from JSON is): it is
 * not checked again here. */
vf_status vf_prompt_eval_raised(const vf_prompt *p, const char *response,
                                size_t len, unsigned char *strict,
                                unsigned char *loose, unsigned char *raised,
                                vf_error *err);

/* The strict and loose verdicts of n checkers on one response, under
 * IFEval's evaluation_lib rules (strict: the response, unless blank;
 * loose: any of its eight variants); a NULL checker is not followed in
 * either.  raised (2n, or NULL) as for vf_prompt_eval_raised; why (n, or
 * NULL) receives each strict verdict (with its reason). */
vf_status vf_eval_checkers(const vf_checker *const *chk, size_t n,
                           const char *response, size_t len,
                           unsigned char *strict, unsigned char *loose,
                           unsigned char *raised, vf_verdict *why,
                           vf_error *err);

/* vf_follow_ifbench on parsed lists (json_t *), for the NeMo-Gym route. */
vf_status vf_follow_ifbench_list(const vf_ctx *ctx, const void *ids,
                                 const void *kwargs, const char *response,
                                 size_t len, vf_follow **strict,
                                 vf_follow **loose, size_t *n, vf_error *err);

/* The prompt's key as written (an integer's digits, a string key cut to 63
 * bytes, "" without one). */
const char *vf_prompt_key_text(const vf_prompt *p);

/* Builds a prompt from a parsed input_data object (a json_t *), its ids
 * resolved in family (see vf_checks_lookup: "ifeval" for IFEval input,
 * NULL for registry order); where ("file:line") prefixes error messages. */
vf_status vf_prompt_from_json(const vf_ctx *ctx, const char *family,
                              const void *obj, const char *where,
                              vf_prompt **out, vf_error *err);

size_t vf_prompt_text_len(const vf_prompt *p);

/* Hands checker i over to the caller (the prompt keeps a NULL there). */
vf_checker *vf_prompt_take_checker(vf_prompt *p, size_t i);

#endif
