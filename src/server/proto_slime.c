/*
 * proto_slime.c: POST /reward, slime's remote reward model (--rm-type
 * remote_rm): {"prompt", "response", "label"} → {"reward", "hard", "soft",
 * "checks"}, with "error" (and --error-reward as the reward) when the item
 * could not be scored (a bad or null label too).  The prompt may be a string
 * (a chat template's last user turn is taken) or a chat (its last user
 * message; a multimodal content list gives its text parts); end markers
 * are removed from the response.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

/* The text of a message's content: a string, or the "text" parts of a
 * multimodal list (slime's _build_messages with --multimodal-keys), joined.
 * malloc'd; NULL when there is no text (or out of memory). */
static char *content_text(const json_t *c, size_t *len) {
  if (json_is_string(c)) {
    *len = json_string_length(c);
    return strndup(json_string_value(c), *len);
  }
  vf_buf b = {0};
  size_t i;
  const json_t *part;
  int found = 0;
  json_array_foreach(c, i, part) {
    const json_t *t = json_object_get(part, "text");
    const char *type = json_string_value(json_object_get(part, "type"));
    if (!json_is_string(t) || (type && strcmp(type, "text")))
      continue;
    found = 1;
    if (vf_buf_append(&b, json_string_value(t), json_string_length(t)))
      break;
  }
  if (!found || vf_buf_putc(&b, '\0')) {
    vf_buf_free(&b);
    return NULL;
  }
  *len = b.len - 1;
  return b.data;
}

/* The prompt text: a string, or the content of a chat's last user turn.
 * NULL when there is none. */
static char *prompt_text(const json_t *p, size_t *len) {
  if (!json_is_array(p))
    return json_is_string(p) ? content_text(p, len) : NULL;
  for (size_t i = json_array_size(p); i-- > 0;) {
    const json_t *m = json_array_get(p, i);
    const char *role = json_string_value(json_object_get(m, "role"));
    if (role && !strcmp(role, "user"))
      return content_text(json_object_get(m, "content"), len);
  }
  return NULL;
}

/* The item from the parsed label; NULL after a 500 answer. */
static char *make_item(vf_req *r, const json_t *body, json_t *label,
                       const char *ptext, size_t plen, size_t *len) {
  const json_t *resp = json_object_get(body, "response");
  char *rtext = strndup(json_string_value(resp), json_string_length(resp));
  size_t rlen = rtext ? vf_strip_markers(rtext, json_string_length(resp),
                                         r->srv->o.strip_tokens,
                                         r->srv->o.n_strip)
                      : 0;
  size_t ib = 0, ie = 0;
  if (ptext)
    vf_prompt_instruction(ptext, plen, &ib, &ie);
  char *item = rtext ? vf_item_build(label, json_object_get(body, "label"),
                                     ptext ? ptext + ib : NULL, ie - ib, rtext,
                                     rlen, len)
                     : NULL;
  free(rtext);
  if (!item)
    vf_req_fail(r, 500, "out of memory");
  return item;
}

/* The item; NULL after a 400/500 answer, or with *early set to the error
 * record of an item that cannot be scored (a bad or null label: slime
 * retries a failed request for minutes, so the label is this item's error,
 * not the request's). */
static char *build_item(vf_req *r, const json_t *body, size_t *len,
                        char **early) {
  char why[300], msg[400];
  const json_t *resp = json_object_get(body, "response");
  const json_t *p = json_object_get(body, "prompt");
  size_t plen = 0;
  char *ptext = prompt_text(p, &plen);
  if (!json_is_string(resp)) {
    vf_req_fail(r, 400, "field 'response': %s",
                resp ? "must be a string" : "missing");
    free(ptext);
    return NULL;
  }
  if (p && !json_is_null(p) && !ptext) {
    vf_req_fail(r, 400, "field 'prompt': must be a string or a chat with a "
                        "user message holding text, got %s", vf_json_kind(p));
    return NULL;
  }
  json_t *label = vf_label_parse(json_object_get(body, "label"), why, sizeof why);
  char *item = NULL;
  if (label) {
    item = make_item(r, body, label, ptext, plen, len);
  } else {
    snprintf(msg, sizeof msg, "label: %s", why);
    *early = vf_rec_error(NULL, msg);
    if (!*early)
      vf_req_fail(r, 500, "out of memory");
  }
  free(ptext);
  json_decref(label);
  return item;
}

/* {"reward", "hard", "soft", "checks"[, "error"]} from the record. */
static int write_answer(vf_req *r, const char *record) {
  vf_rec x;
  vf_rec_read(r->srv->metrics, record, r->srv->o.request_timeout_s, &x);
  json_t *rec = record ? json_loads(record, 0, NULL) : NULL;
  json_t *a = json_object();
  int rc = !a;
  rc = rc || json_object_set_new(a, "reward", json_real(x.ok ? x.reward
                                                        : r->srv->o.error_reward));
  static const char *const keys[] = {"hard", "soft", "checks"};
  for (size_t k = 0; k < 3 && !rc; k++) {
    json_t *v = json_object_get(rec, keys[k]);
    rc = json_object_set(a, keys[k], v ? v : json_null());
  }
  if (!x.ok && !rc)
    rc = json_object_set_new(a, "error", json_string(x.error));
  char *text = rc ? NULL : json_dumps(a, JSON_COMPACT);
  rc = !text || vf_buf_append(&r->out, text, strlen(text));
  if (x.ok)
    r->items_ok++;
  else
    r->items_err++;
  free(text);
  json_decref(a);
  json_decref(rec);
  return rc ? -1 : 0;
}

void vf_proto_reward(vf_req *r) {
  vf_batch b = {0};
  size_t len = 0;
  char *early = NULL;
  json_t *body = vf_req_body(r);
  char *item = body ? build_item(r, body, &len, &early) : NULL;
  if (early && write_answer(r, early))
    vf_req_fail(r, 500, "out of memory");
  if (!item)
    goto done;
  if (vf_batch_add(&b, item, len, "request")) {
    free(item);
    vf_req_fail(r, 500, "out of memory");
    goto done;
  }
  vf_qstatus st = vf_server_score(r, &b);
  if (st != VF_Q_OK)
    vf_req_refused(r, st);
  else if (write_answer(r, b.out[0]))
    vf_req_fail(r, 500, "out of memory");
done:
  free(early);
  vf_batch_free(&b);
  json_decref(body);
}
