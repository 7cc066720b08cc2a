/*
 * syllapy.h: syllable counts as syllapy 0.7.2's count(word) gives them: a
 * look-up in its table of known words (data/syllapy/data.csv), else a
 * hyphenated compound as the sum of its parts, else a vowel-group
 * heuristic.  Used by IFBench's words:odd_even_syllables.
 */
#ifndef VF_SYLLAPY_H
#define VF_SYLLAPY_H

#include <stddef.h>

#include "text/strtab.h"
#include "verif.h"

typedef struct vf_syllapy vf_syllapy; /* read-only once loaded */

/* Loads the "word,count" lines of path.  VF_EIO, VF_EDATA naming the line,
 * VF_ENOMEM. */
vf_status vf_syllapy_load(const char *path, vf_syllapy **out, vf_error *err);
void vf_syllapy_free(vf_syllapy *s);

/* syllapy.count(word) for word[0..len) (valid UTF-8); -1 when out of
 * memory. */
long vf_syllapy_count(const vf_syllapy *s, const char *word, size_t len);

#endif /* VF_SYLLAPY_H */
