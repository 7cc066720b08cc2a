/*
 * sentsplit.h: instructions_util.split_into_sentences(), the regex-based
 * sentence splitter that IFBench (and IFEvalG) checkers use, ported pass
 * for pass: the same substitutions with the same "<prd>" and "<stop>"
 * markers (so a response that contains those strings splits exactly as
 * in Python), then the split, the strip and the dropped empty last piece.
 * The sentences are new strings: "\n" became " ", and `."`, `!"`, `?"`,
 * `.”` were swapped round.
 */
#ifndef VF_SENTSPLIT_H
#define VF_SENTSPLIT_H

#include <stddef.h>

#include "text/text.h"

typedef struct vf_sentsplit vf_sentsplit; /* compiled patterns; shareable */

vf_status vf_sentsplit_new(vf_sentsplit **out, vf_error *err);
void vf_sentsplit_free(vf_sentsplit *s);

/* The sentences: sentence i is text.data[b[i], e[i]) (already stripped).
 * Zero-initialise; reuse across calls; free with vf_sentences_free. */
typedef struct vf_sentences {
  vf_buf text, tmp;
  size_t *b, *e;
  size_t n, cap;
  size_t *cand, ncand, capcand; /* scratch: where a pattern may match */
} vf_sentences;

/* split_into_sentences(s[0..len)) (valid UTF-8).  Returns 0, or -1 when
 * out of memory or a pattern fails to run. */
int vf_split_sentences(const vf_sentsplit *ss, const char *s, size_t len,
                       vf_sentences *out);
void vf_sentences_free(vf_sentences *s);

#endif /* VF_SENTSPLIT_H */
