/*
 * eval.h: benchmark evaluation inside the library: IFEval prompts built
 * from parsed JSON (prompt.c) and the official evaluation run with its
 * output files and report (ifeval_run.c).
 */
#ifndef VF_EVAL_H
#define VF_EVAL_H

#include "verif.h"

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
