/*
 * punkt.h: NLTK's Punkt sentence splitter (English punkt_tab parameters) and
 * nltk.word_tokenize, re-implemented so that sentence counts and word tokens
 * equal NLTK's (>= 3.8.2 / 3.9.x) exactly.  Used by the IFEval checkers
 * length_constraints:number_sentences and change_case:capital_word_frequency.
 * punkt.c holds the parameters and the sentence splitter, wordtok.c the
 * Treebank word tokenizer that runs over each sentence.
 */
#ifndef VF_PUNKT_H
#define VF_PUNKT_H

#include <stddef.h>

#include "verif.h"

typedef struct vf_punkt vf_punkt; /* read-only once loaded; thread-safe */

/* Loads abbrev_types.txt, collocations.tab, sent_starters.txt and
 * ortho_context.tab from dir (= <data_dir>/punkt_tab/english).  VF_EIO when
 * a file cannot be read, VF_EDATA when one is malformed, VF_ENOMEM. */
vf_status vf_punkt_load(const char *dir, vf_punkt **out, vf_error *err);
void vf_punkt_free(vf_punkt *p);

/* Sentence spans of text (valid UTF-8, len bytes) as
 * PunktSentenceTokenizer.span_tokenize gives them, as byte offsets.
 * *spans is malloc'd (caller frees; NULL when *n is 0); returns 0, or -1 on
 * ENOMEM. */
typedef struct vf_span {
  size_t b, e;
} vf_span;
int vf_punkt_sentences(const vf_punkt *p, const char *text, size_t len,
                       vf_span **spans, size_t *n);

/* len(tokenize(text)); (size_t)-1 on ENOMEM. */
size_t vf_punkt_count_sentences(const vf_punkt *p, const char *text,
                                size_t len);

/* nltk.word_tokenize(text): calls fn once per token, in order, with the
 * token's bytes (tokens can differ from the source text, e.g. `"` becomes ``
 * or '').  Tokens never contain whitespace.  Returns 0, or -1 on ENOMEM. */
int vf_word_tokenize(const vf_punkt *p, const char *text, size_t len,
                     void (*fn)(void *ud, const char *tok, size_t toklen),
                     void *ud);

/* The first tokens of nltk.word_tokenize(text): as vf_word_tokenize, but
 * stops after the sentence in which the upto-th token was emitted (upto 0:
 * every token), so fn sees at least upto tokens where there are that many,
 * each the same as vf_word_tokenize's. */
int vf_word_tokenize_upto(const vf_punkt *p, const char *text, size_t len,
                          size_t upto,
                          void (*fn)(void *ud, const char *tok, size_t toklen),
                          void *ud);

/* NLTKWordTokenizer().tokenize(sentence) for one sentence (no Punkt): the
 * same callback contract as vf_word_tokenize. */
int vf_word_tokenize_sentence(const char *s, size_t len,
                         void (*fn)(void *ud, const char *tok, size_t toklen),
                         void *ud);

#endif /* VF_PUNKT_H */
