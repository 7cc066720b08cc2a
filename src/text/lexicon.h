/*
 * lexicon.h: small tables read from data/ by the IFBench family: word sets
 * (NLTK's English stop words), sets of code points (the characters
 * emoji.is_emoji accepts), and the file and line readers the other loaders
 * (tagger.c, syllapy.c) share.
 */
#ifndef VF_LEXICON_H
#define VF_LEXICON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text/strtab.h"
#include "text/text.h"

/* Reads the whole file at path into out (NUL-terminated).  VF_EIO naming
 * the path when it cannot be read, VF_ENOMEM. */
vf_status vf_file_read(const char *path, vf_buf *out, vf_error *err);

/* The next line of s[0..len) at or after *pos, without its '\n', in
 * [*lb, *le); false at the end.  A final line without '\n' counts. */
bool vf_line_next(const char *s, size_t len, size_t *pos, size_t *lb,
                  size_t *le);

/* A set of words, one a line (blank lines ignored), as a table mapping
 * each word to its line number.  VF_EIO, VF_EDATA (invalid UTF-8, naming
 * the line), VF_ENOMEM. */
vf_status vf_wordset_load(const char *path, vf_strtab **out, vf_error *err);

/* A set of code points, read from lines "XXXX" or "XXXX..YYYY" (hex) in
 * ascending order; '#' lines are comments. */
typedef struct vf_cpset {
  int32_t (*r)[2]; /* inclusive ranges, ascending, disjoint */
  size_t n;
} vf_cpset;

vf_status vf_cpset_load(const char *path, vf_cpset *out, vf_error *err);
bool vf_cpset_has(const vf_cpset *s, int32_t cp);
void vf_cpset_free(vf_cpset *s);

#endif /* VF_LEXICON_H */
