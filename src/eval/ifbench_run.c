/*
 * ifbench_run.c: `verif eval ifbench`, a drop-in for allenai/IFBench's
 * run_eval.py at c94da02.  Its evaluation_lib.py is IFEval's (the same
 * strict and loose rules, output files and report), so the run is
 * ifeval_run.c's with IFBench's family; what is IFBench's own is here:
 *
 * - ids resolve in family "ifbench"; keys are strings ("0", "1", ...);
 * - IFBench's multi-turn rows (the constraint given in a later user turn)
 *   are scored on the model's last assistant turn: a responses line may
 *   carry the conversation ("messages") instead of "response";
 * - where the reference's check raises (an IndexError on an empty word
 *   list, a division by zero, csv.Error...), its run would stop; verif
 *   counts the instruction as not followed, as NeMo-Gym's IFBench server
 *   does, and says how many verdicts that decided.
 */
#include <jansson.h>
#include <string.h>

#include "eval/eval.h"

/* Appends a message's content: a string, or the "text" of each part of a
 * list ([{"type": "text", "text": ...}], the OpenAI form).  0, or -1. */
static int append_content(const json_t *content, vf_buf *out) {
  if (json_is_string(content))
    return vf_buf_append(out, json_string_value(content),
                         json_string_length(content));
  size_t i;
  const json_t *part;
  json_array_foreach(content, i, part) {
    const json_t *text = json_object_get(part, "text");
    if (json_is_string(text) &&
        vf_buf_append(out, json_string_value(text), json_string_length(text)))
      return -1;
  }
  return 0;
}

/* The content of the last {"role": "assistant"} message of "messages". */
static int last_assistant_turn(const void *obj, vf_buf *out) {
  const json_t *msgs = json_object_get(obj, "messages");
  for (size_t i = json_array_size(msgs); i-- > 0;) {
    const json_t *m = json_array_get(msgs, i);
    const json_t *role = json_object_get(m, "role");
    const json_t *content = json_object_get(m, "content");
    if (json_is_string(role) && !strcmp(json_string_value(role), "assistant") &&
        (json_is_string(content) || json_is_array(content)))
      return append_content(content, out) ? -1 : 1;
  }
  return 0;
}

vf_status vf_eval_ifbench(const vf_ctx *ctx, const vf_eval_opts *o,
                          vf_eval_stats *stats, vf_error *err) {
  static const vf_bench ifbench = {"ifbench", "ifbench", last_assistant_turn};
  return vf_eval_run(ctx, &ifbench, o, stats, err);
}
