/*
 * batch.c: the batch wire format, both ends.  The parent (dispatch.c) packs
 * a run of checks into one frame whose string table holds each distinct
 * text once (a response checked by five functions travels once); the
 * worker (worker.c) validates a received frame before trusting any offset.
 * Strings are deduplicated by address and length: callers that share a
 * response between checks pass the same pointer.
 */
#include "pyexec/pyexec_int.h"

#include <stdlib.h>
#include <string.h>

#define SLOTS 8192 /* > 3 * VF_BATCH_MAX, a power of two */

typedef struct slot {
  const char *p;
  size_t len;
  uint32_t idx, gen;
} slot;

struct vf_batch_enc {
  slot table[SLOTS];
  uint32_t gen;
  vf_batch_str strs[3 * VF_BATCH_MAX];
  const char *ptrs[3 * VF_BATCH_MAX];
  vf_batch_check checks[VF_BATCH_MAX];
  uint32_t nstr;
  uint64_t bytes;
};

vf_batch_enc *vf_batch_enc_new(void) { return calloc(1, sizeof(vf_batch_enc)); }

void vf_batch_enc_free(vf_batch_enc *e) { free(e); }

static size_t hash_ref(const char *p, size_t len) {
  uint64_t h = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull ^ len;
  return (size_t)(h >> 40) & (SLOTS - 1);
}

/* The slot holding (p, len), or the empty slot where it would go. */
static slot *find(vf_batch_enc *e, const char *p, size_t len) {
  size_t i = hash_ref(p, len);
  for (;;) {
    slot *s = &e->table[i];
    if (s->gen != e->gen || (s->p == p && s->len == len))
      return s;
    i = (i + 1) & (SLOTS - 1);
  }
}

/* Bytes that adding (p, len) would add to the blob. */
static size_t extra(vf_batch_enc *e, const char *p, size_t len) {
  return find(e, p, len)->gen == e->gen ? 0 : len;
}

static uint32_t intern(vf_batch_enc *e, const char *p, size_t len) {
  slot *s = find(e, p, len);
  if (s->gen == e->gen)
    return s->idx;
  s->p = p;
  s->len = len;
  s->gen = e->gen;
  s->idx = e->nstr;
  e->ptrs[e->nstr] = p;
  e->strs[e->nstr].off = e->bytes;
  e->strs[e->nstr].len = len;
  e->bytes += len;
  return e->nstr++;
}

static void reset(vf_batch_enc *e) {
  if (++e->gen == 0) { /* wrapped: clear the stamps once */
    memset(e->table, 0, sizeof e->table);
    e->gen = 1;
  }
  e->nstr = 0;
  e->bytes = 0;
}

/* Adds checks while they fit; returns how many. */
static size_t collect(vf_batch_enc *e, const vf_pycheck *checks,
                      const uint32_t *idx, size_t n) {
  size_t k = 0;
  for (; k < n && k < VF_BATCH_MAX; k++) {
    const vf_pycheck *c = &checks[idx[k]];
    size_t add = extra(e, c->code, c->code_len) +
                 extra(e, c->prompt, c->prompt_len) +
                 extra(e, c->response, c->response_len);
    if (k > 0 && e->bytes + add > VF_BATCH_BYTES)
      break;
    e->checks[k].code = intern(e, c->code, c->code_len);
    e->checks[k].prompt = intern(e, c->prompt, c->prompt_len);
    e->checks[k].response = intern(e, c->response, c->response_len);
  }
  return k;
}

size_t vf_batch_encode(vf_batch_enc *e, uint32_t seq, const vf_pycheck *checks,
                       const uint32_t *idx, size_t n, vf_buf *out) {
  reset(e);
  size_t k = collect(e, checks, idx, n);
  vf_batch_hdr h = {seq, e->nstr, (uint32_t)k, 0, e->bytes};
  size_t len = sizeof h + e->nstr * sizeof(vf_batch_str) +
               k * sizeof(vf_batch_check) + e->bytes;
  if (len > VF_FRAME_MAX || vf_buf_reserve(out, sizeof(vf_frame_hdr) + len) ||
      vf_ipc_put_frame(out, VF_FR_BATCH, NULL, 0))
    return 0;
  /* patch the empty frame's length, then append the payload */
  vf_frame_hdr *fh = (vf_frame_hdr *)(out->data + out->len - sizeof *fh);
  fh->len = (uint32_t)len;
  vf_buf_append(out, (const char *)&h, sizeof h);
  vf_buf_append(out, (const char *)e->strs, e->nstr * sizeof(vf_batch_str));
  vf_buf_append(out, (const char *)e->checks, k * sizeof(vf_batch_check));
  for (uint32_t i = 0; i < e->nstr; i++)
    if (e->strs[i].len)
      vf_buf_append(out, e->ptrs[i], e->strs[i].len);
  return k;
}

int vf_batch_decode(const char *payload, size_t len, vf_batch_view *v) {
  if (len < sizeof(vf_batch_hdr))
    return -1;
  const vf_batch_hdr *h = (const vf_batch_hdr *)payload;
  if (h->ncheck > VF_BATCH_MAX || h->nstr > 3 * VF_BATCH_MAX)
    return -1;
  size_t head = sizeof *h + (size_t)h->nstr * sizeof(vf_batch_str) +
                (size_t)h->ncheck * sizeof(vf_batch_check);
  if (head > len || len - head != h->blob_len)
    return -1;
  v->hdr = h;
  v->strs = (const vf_batch_str *)(payload + sizeof *h);
  v->checks = (const vf_batch_check *)(v->strs + h->nstr);
  v->blob = payload + head;
  for (uint32_t i = 0; i < h->nstr; i++)
    if (v->strs[i].off > h->blob_len ||
        v->strs[i].len > h->blob_len - v->strs[i].off)
      return -1;
  for (uint32_t i = 0; i < h->ncheck; i++)
    if (v->checks[i].code >= h->nstr || v->checks[i].prompt >= h->nstr ||
        v->checks[i].response >= h->nstr)
      return -1;
  return 0;
}
