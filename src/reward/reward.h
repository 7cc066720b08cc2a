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
  const char *judge_url;   /* "judge_url": the item's own judge, or NULL */
  const char *judge_model; /* "judge_model", or NULL */
  bool verbatim;     /* "verbatim": true: the response is checked as given
                        (no reasoning cut, no empty-answer rule), as
                        NeMo-Gym's servers check it */
  bool oi;           /* an open-instruct item (item_oi.c) */
  char **answers;    /* oi: the responses after remove_thinking_section
                        (owned; resp[] points at them) */
  vf_error err;      /* code != VF_OK: the item cannot be scored */
  const char *err_kind; /* a VF_IE_* name (NULL: vf_strerror(err.code)) */
} vf_item;

/* What kind of problem makes an item unscorable, as the summary files it. */
#define VF_IE_JSON "malformed JSON"
#define VF_IE_NOT_OBJECT "not a JSON object"
#define VF_IE_FORMAT "unknown item format"
#define VF_IE_PROMPT "bad prompt"
#define VF_IE_NO_RESPONSE "missing response"
#define VF_IE_RESPONSE "bad response"
#define VF_IE_CHECKERS "bad checkers or functions"
#define VF_IE_MISMATCH "mismatched checkers/functions"
#define VF_IE_UNTAGGED "untagged checker"
#define VF_IE_GROUND_TRUTH "bad reward_model.ground_truth"
#define VF_IE_OI_LABEL "bad open-instruct label"
#define VF_IE_OPTIONS "bad item option"
#define VF_IE_COMPILE "function does not compile"
#define VF_IE_NO_FUNCTION "no check_following function"

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
/* The same without the responses (verif audit reads datasets that have
 * none): "response"/"responses" are neither required nor read. */
void vf_item_parse_constraints(const vf_ctx *ctx, vf_format format,
                               const char *family, const char *line,
                               size_t len, const char *where, vf_item *it);
void vf_item_free(vf_item *it);

/* open-instruct items (item_oi.c).  vf_oi_is_label: a decoded ground
 * truth in open-instruct's form (a list, or an object with
 * "instruction_id" or "func_name").  vf_item_read_oi reads a row whose
 * format is VF_FORMAT_OPENINSTRUCT ("ground_truth", or a bare label);
 * vf_item_read_oi_label one label (JSON, Python literal or object) found
 * in field; both record problems in it->err.  vf_item_oi_answers replaces
 * the responses by open-instruct's answers, once they are read. */
bool vf_oi_is_label(const json_t *g);
void vf_item_read_oi(const vf_ctx *ctx, const char *family, vf_item *it,
                     const char *where);
void vf_item_read_oi_label(const vf_ctx *ctx, const char *family, vf_item *it,
                           const json_t *label, const char *where,
                           const char *field);
void vf_item_oi_answers(vf_item *it);

/* The text that is scored: after the last "</think>" unless keep_reasoning. */
void vf_answer_span(const char *r, size_t n, bool keep_reasoning, size_t *b);

#endif
