/*
 * ctx.c: the context (read-only data every checker needs: Punkt parameters,
 * langdetect profiles, the sentence splitter, the families' compiled
 * patterns) and the status strings.
 * A context is built once, then shared freely between threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"

static const char *const status_text[VF_STATUS_COUNT] = {
    [VF_OK] = "success",
    [VF_ENOMEM] = "out of memory",
    [VF_EINVAL] = "invalid argument",
    [VF_EUTF8] = "invalid UTF-8",
    [VF_EJSON] = "malformed JSON",
    [VF_EUNKNOWN_ID] = "unknown instruction id",
    [VF_EKWARG] = "bad kwarg",
    [VF_EREGEX] = "bad regular expression",
    [VF_EIO] = "input/output error",
    [VF_EDATA] = "bundled data missing or corrupt",
    [VF_EMISSING] = "missing input",
    [VF_EINTERNAL] = "internal error",
};

const char *vf_strerror(vf_status code) {
  if ((unsigned)code >= VF_STATUS_COUNT || !status_text[code])
    return "unknown error";
  return status_text[code];
}

static char *join(const char *dir, const char *sub) {
  size_t n = strlen(dir) + strlen(sub) + 2;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s/%s", dir, sub);
  return p;
}

/* Loads one data set from dir/sub with the given loader. */
#define LOAD(loader, sub, dst)                                               \
  do {                                                                       \
    char *path = join(ctx->data_dir, sub);                                   \
    if (!path) {                                                             \
      st = vf_set_error(err, VF_ENOMEM, "out of memory");                    \
      goto fail;                                                             \
    }                                                                        \
    st = loader(path, dst, err);                                             \
    free(path);                                                              \
    if (st)                                                                  \
      goto fail;                                                             \
  } while (0)

vf_status vf_ctx_new(vf_ctx **out, const char *data_dir, vf_error *err) {
  vf_status st;
  *out = NULL;
  if (!data_dir || !*data_dir)
    data_dir = vf_data_dir();
  vf_ctx *ctx = calloc(1, sizeof *ctx);
  if (ctx)
    ctx->data_dir = strdup(data_dir);
  if (!ctx || !ctx->data_dir) {
    free(ctx);
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  }
  LOAD(vf_punkt_load, "punkt_tab/english", &ctx->punkt);
  LOAD(vf_langdetect_load, "langdetect", &ctx->lang);
  st = vf_sentsplit_new(&ctx->sents, err);
  if (!st)
    st = vf_recache_new(&ctx->recache, err);
  if (st)
    goto fail;
  st = vf_checks_init(ctx, err);
  if (st)
    goto fail;
  *out = ctx;
  return VF_OK;
fail:
  vf_ctx_free(ctx);
  return st;
}

void vf_ctx_free(vf_ctx *ctx) {
  if (!ctx)
    return;
  vf_checks_fini(ctx);
  vf_punkt_free(ctx->punkt);
  vf_langdetect_free(ctx->lang);
  vf_sentsplit_free(ctx->sents);
  vf_recache_free(ctx->recache);
  free(ctx->data_dir);
  free(ctx);
}
