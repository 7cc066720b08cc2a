/*
 * ifbench.h: what the files of the IFBench family share (ifbench.c: state,
 * kwargs and the table; ifbench_text.c: Python idioms; ifbench_count.c,
 * ifbench_words.c, ifbench_format.c, ifbench_custom.c: the checks).
 *
 * The family ports allenai/IFBench's instructions.py at commit c94da02.
 * Each check is that instruction's check_following(value); where the
 * reference raises (an IndexError on a word list that is empty, a division
 * by zero, csv.Error, ...) the check calls vf_raise: not followed, and
 * marked so that evaluations can count such verdicts.
 */
#ifndef VF_IFBENCH_H
#define VF_IFBENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "checks/checks.h"
#include "text/lexicon.h"
#include "text/sentsplit.h"
#include "text/syllapy.h"
#include "text/tagger.h"

/* Patterns the reference fixes, compiled once per context. */
enum {
  IFB_RE_MCQ_SPLIT,  /* \n*(?:Question \d+[\.|\):;]?\s*)  */
  IFB_RE_MCQ_OPTION, /* ^[A-Ea-e][\.|\)]\s*\w+            */
  IFB_RE_CSV_PRODUCT,
  IFB_RE_CSV_STUDENT,
  IFB_RE_CSV_SPECIAL, /* ".*[^\d\w\s].*"                */
  IFB_RE_OPTIONS_ABC, /* \W*[aA]\W*[bB]\W*[cC]\W*         */
  IFB_RE_WORDS,       /* \w+                              */
  IFB_NRE
};

/* Data loaded on first use (a context that never builds the checker that
 * needs it never reads the file). */
enum {
  IFB_NEED_TAGGER = 1,
  IFB_NEED_SYLLAPY = 2,
  IFB_NEED_STOPWORDS = 4,
  IFB_NEED_EMOJI = 8
};

typedef struct ifb_state {
  vf_sentsplit *ss;
  vf_re *re[IFB_NRE];
  const vf_punkt *punkt;
  char *data_dir;
  pthread_mutex_t lock; /* guards the loads below */
  unsigned loaded;      /* IFB_NEED_* bits */
  vf_tagger *tagger;
  vf_syllapy *syllapy;
  vf_strtab *stopwords;
  vf_cpset emoji;
} ifb_state;

#define IFB(c) ((const ifb_state *)(c)->state)
#define KW_INT(c, k) ((c)->kw[k].i)
#define KW_STR(c, k) ((c)->kw[k].s)
#define KW_LEN(c, k) ((c)->kw[k].slen)

/* The family's table and setup (registry.c's row). */
const vf_checkdef *vf_ifbench_table(size_t *n);
vf_status vf_ifbench_init(vf_ctx *ctx, void **state, vf_error *err);
void vf_ifbench_fini(vf_ctx *ctx, void *state);

/* Loads the data sets in need (IFB_NEED_*) into the checker's family state
 * unless already there; thread-safe.  VF_EIO/VF_EDATA name the file. */
vf_status ifb_need(const vf_checker *c, unsigned need, vf_error *err);

/* ---- ifbench_text.c: the reference's string idioms ---------------------- */

/* c is in string.punctuation (the 32 ASCII marks). */
bool ifb_ispunct(char c);

/* s.translate(str.maketrans('', '', string.punctuation)), appended. */
int ifb_drop_punct(const char *s, size_t n, vf_buf *out);

/* s.strip / lstrip / rstrip(string.punctuation + ' ') on [*b, *e). */
void ifb_strip_ps(const char *s, size_t *b, size_t *e);
void ifb_lstrip_ps(const char *s, size_t *b, size_t e);
void ifb_rstrip_ps(const char *s, size_t b, size_t *e);

/* The words of s.split(): spans into s.  Reuse; free with ifb_words_free. */
typedef struct ifb_words {
  vf_span *w;
  size_t n, cap;
} ifb_words;
int ifb_split(const char *s, size_t n, ifb_words *out);
void ifb_words_free(ifb_words *w);

/* Code points of s[0..n), and the first of them (-1 when empty). */
size_t ifb_ncp(const char *s, size_t n);
int32_t ifb_first_cp(const char *s, size_t n);

/* len(re.findall(r"\w+", s)): instructions_util.count_words; -1 on a
 * matching error. */
long ifb_count_words(const ifb_state *st, const char *s, size_t n);

/* The runs of Unicode decimal digits (re's \d+), in order: calls fn for
 * each; returns how many. */
size_t ifb_digit_runs(const char *s, size_t n,
                      void (*fn)(void *ud, const char *d, size_t len),
                      void *ud);

/* The set of trigrams of code points of s (nltk.ngrams(s, 3)) as a hash
 * table appended to out (ratio:overlap keeps its reference text's in the
 * checker's scratch).  0, or -1 when out of memory. */
int ifb_trigram_table(const char *s, size_t n, vf_buf *out);

/* A list of strings kept in a buffer (a checker's scratch): each entry is
 * its length (4 bytes) and its bytes.  ifb_strlist_next walks it from
 * *pos (start at 0); false at the end. */
int ifb_strlist_add(vf_buf *b, const char *s, size_t n);
bool ifb_strlist_next(const vf_buf *b, size_t *pos, const char **s,
                      size_t *n);

/* Python's list index i into a list of n (negative counts from the end):
 * the index, or -1 where Python raises IndexError. */
long ifb_pyindex(long long i, size_t n);

/* Marks v as "the reference raises here": not followed, with the reason. */
void ifb_raise(vf_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Error helpers for the checks. */
vf_status ifb_nomem(vf_error *err);
vf_status ifb_refail(vf_error *err);

/* ---- the checks ----------------------------------------------------------- */

#define IFB_CHECK(name)                                                      \
  vf_status name(const vf_checker *c, const char *r, size_t n, vf_verdict *v, \
                 vf_error *err)

/* ifbench_count.c */
IFB_CHECK(ifb_word_count_range);
IFB_CHECK(ifb_unique_word_count);
IFB_CHECK(ifb_stop_words);
IFB_CHECK(ifb_sentence_type);
IFB_CHECK(ifb_sentence_balance);
IFB_CHECK(ifb_conjunctions);
IFB_CHECK(ifb_person_names);
IFB_CHECK(ifb_overlap);
IFB_CHECK(ifb_numbers);
IFB_CHECK(ifb_punctuation);
IFB_CHECK(ifb_pronouns);
IFB_CHECK(ifb_keywords_multiple);
IFB_CHECK(ifb_sentence_words);
IFB_CHECK(ifb_words_japanese);

/* ifbench_words.c */
IFB_CHECK(ifb_alphabet);
IFB_CHECK(ifb_vowel);
IFB_CHECK(ifb_consonants);
IFB_CHECK(ifb_alliteration_increment);
IFB_CHECK(ifb_palindrome);
IFB_CHECK(ifb_prime_lengths);
IFB_CHECK(ifb_start_verb);
IFB_CHECK(ifb_repeats);
IFB_CHECK(ifb_sentence_keyword);
IFB_CHECK(ifb_odd_even_syllables);
IFB_CHECK(ifb_last_first);
IFB_CHECK(ifb_paragraph_last_first);
IFB_CHECK(ifb_sentence_increment);
IFB_CHECK(ifb_no_consecutive);
IFB_CHECK(ifb_keywords_specific_position);
IFB_CHECK(ifb_words_position);

/* ifbench_format.c */
IFB_CHECK(ifb_parentheses);
IFB_CHECK(ifb_quotes);
IFB_CHECK(ifb_options);
IFB_CHECK(ifb_newline);
IFB_CHECK(ifb_emoji);
IFB_CHECK(ifb_line_indent);
IFB_CHECK(ifb_quote_unquote);
IFB_CHECK(ifb_list);
IFB_CHECK(ifb_thesis);
IFB_CHECK(ifb_sub_bullets);
IFB_CHECK(ifb_no_bullets_bullets);
IFB_CHECK(ifb_title_case);
IFB_CHECK(ifb_output_template);
IFB_CHECK(ifb_no_whitespace);
IFB_CHECK(ifb_repeat_change);
IFB_CHECK(ifb_repeat_simple);
IFB_CHECK(ifb_repeat_span);

/* ifbench_custom.c */
IFB_CHECK(ifb_multiples);
IFB_CHECK(ifb_mcq_count_length);
IFB_CHECK(ifb_reverse_newline);
IFB_CHECK(ifb_word_reverse);
IFB_CHECK(ifb_character_reverse);
IFB_CHECK(ifb_sentence_alphabet);
IFB_CHECK(ifb_european_capitals_sort);
IFB_CHECK(ifb_csv_city);
IFB_CHECK(ifb_csv_special_character);
IFB_CHECK(ifb_csv_quotes);
IFB_CHECK(ifb_date_format_list);

/* Prepares (ifbench.c) that the check files' tables name. */
vf_status ifb_prep_options(vf_checker *c, vf_error *err);

#endif /* VF_IFBENCH_H */
