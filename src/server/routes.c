/*
 * routes.c: the server's one route table, sorted by path then method and
 * looked up with bsearch (tests/unit/test_server.c asserts the order), and
 * the two small endpoints that belong to no protocol: /healthz, /metrics.
 * NeMo-Gym's rollout prefix (/ng-rollout/<id>/verify, which its
 * RolloutContextMiddleware strips) is taken off before the lookup.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

static const vf_route routes[] = {
    {"/aggregate_metrics", "POST", vf_proto_aggregate_metrics, VF_EP_AGGREGATE},
    {"/get_reward", "POST", vf_proto_get_reward, VF_EP_GET_REWARD},
    {"/healthz", "GET", vf_proto_healthz, VF_EP_HEALTHZ},
    {"/metrics", "GET", vf_proto_metrics, VF_EP_METRICS},
    {"/reverify_mode", "GET", vf_proto_reverify_mode, VF_EP_REVERIFY},
    {"/reward", "POST", vf_proto_reward, VF_EP_REWARD},
    {"/seed_session", "POST", vf_proto_seed_session, VF_EP_SEED_SESSION},
    {"/v1/score", "POST", vf_proto_score, VF_EP_SCORE},
    {"/verify", "POST", vf_proto_verify, VF_EP_VERIFY},
};

enum { NROUTES = sizeof routes / sizeof routes[0] };

const vf_route *vf_server_routes(size_t *n) {
  *n = NROUTES;
  return routes;
}

static int cmp_path(const void *key, const void *elem) {
  return strcmp(key, ((const vf_route *)elem)->path);
}

/* path without a leading /ng-rollout/<id> (nemo_gym/rollout_correlation.py:
 * an id is [A-Za-z0-9][A-Za-z0-9._-]*, and a path follows it). */
static const char *strip_rollout(const char *path) {
  static const char pre[] = "/ng-rollout/";
  if (strncmp(path, pre, sizeof pre - 1))
    return path;
  const char *p = path + sizeof pre - 1;
  if (!isalnum((unsigned char)*p))
    return path;
  while (isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-')
    p++;
  return *p == '/' ? p : path;
}

const vf_route *vf_server_route(const char *path, const char *method,
                                int *status, const char **allow) {
  path = strip_rollout(path);
  const vf_route *r = bsearch(path, routes, NROUTES, sizeof routes[0], cmp_path);
  *status = 404;
  *allow = NULL;
  if (!r)
    return NULL;
  while (r > routes && !strcmp(r[-1].path, path))
    r--; /* the first route of this path */
  for (const vf_route *m = r; m < routes + NROUTES && !strcmp(m->path, path);
       m++)
    if (!strcmp(m->method, method) ||
        (!strcmp(method, "HEAD") && !strcmp(m->method, "GET")))
      return m;
  *status = 405;
  *allow = r->method;
  return NULL;
}

void vf_proto_healthz(vf_req *r) {
  int draining = vf_server_draining(r->srv);
  r->status = draining ? 503 : 200;
  vf_buf_printf(&r->out, "{\"status\":\"%s\"}", draining ? "draining" : "ok");
}

void vf_proto_metrics(vf_req *r) {
  r->content_type = "text/plain; version=0.0.4; charset=utf-8";
  if (vf_server_render_metrics(r->srv, &r->out))
    vf_req_fail(r, 500, "out of memory");
}
