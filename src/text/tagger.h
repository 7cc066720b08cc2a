/*
 * tagger.h: NLTK's averaged-perceptron part-of-speech tagger (the English
 * model behind nltk.pos_tag, NLTK 3.8), ported exactly: the same features,
 * the same weights (data/averaged_perceptron_tagger_eng/, written by
 * scripts/gen-tagger-data.py), the same floating-point sums in the same
 * order and the same tie-break, so every tag equals NLTK's.  Used by
 * IFBench's words:start_verb.
 */
#ifndef VF_TAGGER_H
#define VF_TAGGER_H

#include <stddef.h>

#include "text/punkt.h"
#include "text/text.h"
#include "verif.h"

typedef struct vf_tagger vf_tagger; /* read-only once loaded; thread-safe */

/* A token: len bytes of valid UTF-8 (need not be NUL-terminated). */
typedef struct vf_token {
  const char *s;
  size_t len;
} vf_token;

/* A list of tokens in one buffer (e.g. the words of nltk.word_tokenize);
 * zero-initialise, fill, then read tok[0..n). */
typedef struct vf_toklist {
  vf_token *tok;
  size_t n, cap;
  vf_buf text;  /* the tokens' bytes, back to back */
  size_t *end;  /* end offset of each token in text */
} vf_toklist;

/* Replaces the list's contents with nltk.word_tokenize(s[0..len)) (Punkt
 * sentences, then Treebank words).  Returns 0, or -1 when out of memory. */
int vf_toklist_words(vf_toklist *l, const vf_punkt *p, const char *s,
                     size_t len);
/* The same for the first sentences of s only, as many as hold the first
 * upto tokens (vf_word_tokenize_upto): enough for vf_tagger_tag(..., k)
 * with upto = k + 2, whose tags read two words ahead and no further. */
int vf_toklist_words_upto(vf_toklist *l, const vf_punkt *p, const char *s,
                          size_t len, size_t upto);
void vf_toklist_free(vf_toklist *l);

/* Loads classes.txt, tagdict.tsv and weights.tsv from dir.  VF_EIO when a
 * file cannot be read, VF_EDATA (naming file and line) when one is
 * malformed, VF_ENOMEM. */
vf_status vf_tagger_load(const char *dir, vf_tagger **out, vf_error *err);
void vf_tagger_free(vf_tagger *t);

/* PerceptronTagger.tag(tokens) for the first upto of the n tokens (upto <=
 * n; each tag depends only on the tokens up to two places after it and on
 * the tags before it, so a prefix is tagged exactly as in the whole list).
 * tags[i] receives its tag ("NN", "VB", ..., owned by t).  Returns 0, or -1
 * when out of memory. */
int vf_tagger_tag(const vf_tagger *t, const vf_token *toks, size_t n,
                  size_t upto, const char **tags);

#endif /* VF_TAGGER_H */
