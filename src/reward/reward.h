/*
 * reward.h: the reward engine's internals: items in their three formats
 * (item.c), and what the engine (engine.c) keeps per item and per response
 * while it runs the hard checks, asks for the soft verdict and combines them.
 */
#ifndef VF_REWARD_H
#define VF_REWARD_H

#include <jansson.h>
#include <stdbool.h>

#include "checks/checks.h"
#include "verif.h"

typedef enum {
  VF_CK_NATIVE, /* a native checker (IFEval instruction ids) */
  VF_CK_PYTHON, /* a [rule] constraint: its Python function, sandboxed */
  VF_CK_LLM     /* an [llm] constraint: the judge's */
} vf_ck_kind;

typedef struct vf_constraint {
  char *checker; /* the checker text, or the instruction id */
  char *category; /* "Digit", "Keyword", "keywords", ... for the summary */
  vf_ck_kind kind;
  const char *code; /* VF_CK_PYTHON: the function's text (in the item json) */
  size_t code_len;
  vf_checker *native; /* VF_CK_NATIVE */
} vf_constraint;

typedef struct vf_item {
  json_t *json; /* the parsed line; strings below point into it */
  json_t *id;   /* borrowed from json, or NULL */
  json_t *ground_truth; /* verl: the decoded reward_model.ground_truth */
  const char *prompt;
  size_t prompt_len;
  vf_constraint *c;
  size_t nc;
  const char **resp; /* the responses, as given */
  size_t *resp_len;
  size_t nresp;
  bool group;        /* "responses" (a list) rather than "response" */
  vf_error err;      /* code != VF_OK: the item cannot be scored */
} vf_item;

/* The verdict of one hard check of one response. */
typedef struct vf_check_result {
  signed char verdict; /* 1, 0, or -1: none (an error, or a soft check) */
  char *error;         /* malloc'd, or NULL */
} vf_check_result;

/* Parses one JSONL line into *it (which the caller zeroed); problems are
 * recorded in it->err (naming where and the field), never returned.
 * family (NULL: each format's own, e.g. "ifeval" for IFEval rows) is the
 * checker family instruction ids are resolved in. */
void vf_item_parse(const vf_ctx *ctx, vf_format format, const char *family,
                   const char *line, size_t len, const char *where,
                   vf_item *it);
void vf_item_free(vf_item *it);

/* The text that is scored: after the last "</think>" unless keep_reasoning. */
void vf_answer_span(const char *r, size_t n, bool keep_reasoning, size_t *b);

#endif
