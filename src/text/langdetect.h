/*
 * langdetect.h: a C port of Python's langdetect 1.0.9 detect(), run with
 * DetectorFactory.seed = 0, giving Python's answer bit for bit.
 *
 * The model (55 language profiles and the normalisation tables of
 * messages.properties) is loaded once and is read-only afterwards, so one
 * model serves any number of threads; each detection owns its random state
 * and scratch.  IFEval's language checkers are the callers.
 */
#ifndef VF_LANGDETECT_H
#define VF_LANGDETECT_H

#include <stddef.h>

#include "verif.h"

typedef struct vf_langdetect vf_langdetect; /* read-only once loaded */

/* Loads <dir>/profiles/ (every file not starting with '.', in sorted name
 * order: Python uses os.listdir order, which only matters for ties and the
 * order of summation) and <dir>/messages.properties.  dir is
 * <data_dir>/langdetect.  Errors name the file at fault. */
vf_status vf_langdetect_load(const char *dir, vf_langdetect **out,
                             vf_error *err);
void vf_langdetect_free(vf_langdetect *ld);

/* langdetect.detect(text) with DetectorFactory.seed = 0: writes the language
 * code ("en", "zh-cn", ... or "unknown") into lang (at least 8 bytes) and
 * returns 0; returns 1 when langdetect would raise LangDetectException (no
 * features in text); -1 on ENOMEM.  text is valid UTF-8 of len bytes. */
int vf_langdetect_detect(const vf_langdetect *ld, const char *text, size_t len,
                         char lang[8]);

/* Number of languages and the code of language i (in the model's order). */
size_t vf_langdetect_nlangs(const vf_langdetect *ld);
const char *vf_langdetect_lang(const vf_langdetect *ld, size_t i);

/* Bytes the loaded model holds on the heap (for memory budgets). */
size_t vf_langdetect_footprint(const vf_langdetect *ld);

#endif /* VF_LANGDETECT_H */
