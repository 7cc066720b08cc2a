/*
 * ifbench.c: the IFBench family (allenai/IFBench instructions_registry.py
 * and instructions.py at c94da0204a1552be9e5c206b732e29f7d279f0c7): its
 * table of 58 instructions, its kwargs and their checks, and its state
 * (patterns compiled with the context; the tagger, syllable table, stop
 * words and emoji set loaded when a checker first needs them).
 *
 * Kwargs follow build_description: where it draws a random value (a
 * missing or negative count, an empty keyword, "not n") verif refuses the
 * kwarg, naming it; where it raises (no prompt_to_repeat) too.  One
 * exception, because the real data carries it: repeat:repeat_span takes
 * n_start = 0 as index 0 (the reference draws a random start for it; test
 * row key 286 has it, and its shipped verdict is false either way).  The
 * custom:* instructions take **kwargs in the reference: any are accepted.
 */
#include <stdlib.h>
#include <string.h>

#include "checks/ifbench.h"

/* ---- state ------------------------------------------------------------------- */

static const char *const fixed[IFB_NRE] = {
    [IFB_RE_MCQ_SPLIT] = "\\n*(?:Question \\d+[\\.|\\):;]?\\s*)",
    [IFB_RE_MCQ_OPTION] = "^[A-Ea-e][\\.|\\)]\\s*\\w+",
    [IFB_RE_CSV_PRODUCT] =
        "^(ProductID|\"ProductID\"),[ \\t]*(Category|\"Category\"),[ \\t]*"
        "(Brand|\"Brand\"),[ \\t]*(Price|\"Price\"),[ \\t]*(Stock|\"Stock\")$",
    [IFB_RE_CSV_STUDENT] =
        "^(StudentID|\"StudentID\")\\t *(Subject|\"Subject\")\\t *"
        "(Grade|\"Grade\")\\t *(Semester|\"Semester\")\\t *(Score|\"Score\")$",
    [IFB_RE_CSV_SPECIAL] = "^\".*[^\\d\\w\\s].*\"",
    [IFB_RE_OPTIONS_ABC] = "^\\W*[aA]\\W*[bB]\\W*[cC]\\W*",
    [IFB_RE_WORDS] = "\\w+",
};

vf_status vf_ifbench_init(vf_ctx *ctx, void **state, vf_error *err) {
  ifb_state *s = calloc(1, sizeof *s);
  *state = s;
  if (!s || pthread_mutex_init(&s->lock, NULL)) {
    free(s);
    *state = NULL;
    return ifb_nomem(err);
  }
  s->punkt = ctx->punkt;
  s->data_dir = strdup(ctx->data_dir);
  if (!s->data_dir)
    return ifb_nomem(err);
  vf_status st = vf_sentsplit_new(&s->ss, err);
  for (int i = 0; !st && i < IFB_NRE; i++)
    st = vf_re_compile(fixed[i], strlen(fixed[i]), VF_RE_JIT, &s->re[i], err);
  return st;
}

void vf_ifbench_fini(vf_ctx *ctx, void *state) {
  ifb_state *s = state;
  if (!s)
    return;
  vf_sentsplit_free(s->ss);
  for (int i = 0; i < IFB_NRE; i++)
    vf_re_free(s->re[i]);
  vf_tagger_free(s->tagger);
  vf_syllapy_free(s->syllapy);
  vf_strtab_free(s->stopwords);
  vf_cpset_free(&s->emoji);
  free(s->data_dir);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

/* Loads one data set (IFB_NEED_* bit) into s; the lock is held. */
static vf_status load_one(ifb_state *s, unsigned bit, vf_error *err) {
  vf_buf path = {0};
  static const char *const sub[] = {"averaged_perceptron_tagger_eng",
                                    "syllapy/data.csv",
                                    "nltk_stopwords/english",
                                    "emoji/is_emoji.txt"};
  int k = bit == IFB_NEED_TAGGER ? 0 : bit == IFB_NEED_SYLLAPY ? 1
                                     : bit == IFB_NEED_STOPWORDS ? 2 : 3;
  if (vf_buf_printf(&path, "%s/%s", s->data_dir, sub[k]))
    return ifb_nomem(err);
  vf_status st = k == 0   ? vf_tagger_load(path.data, &s->tagger, err)
                 : k == 1 ? vf_syllapy_load(path.data, &s->syllapy, err)
                 : k == 2 ? vf_wordset_load(path.data, &s->stopwords, err)
                          : vf_cpset_load(path.data, &s->emoji, err);
  vf_buf_free(&path);
  if (!st)
    s->loaded |= bit;
  return st;
}

vf_status ifb_need(const vf_checker *c, unsigned need, vf_error *err) {
  ifb_state *s = (ifb_state *)c->state; /* the loads are guarded */
  vf_status st = VF_OK;
  pthread_mutex_lock(&s->lock);
  for (unsigned bit = 1; !st && bit <= IFB_NEED_EMOJI; bit <<= 1)
    if ((need & bit) && !(s->loaded & bit))
      st = load_one(s, bit, err);
  pthread_mutex_unlock(&s->lock);
  return st;
}

/* ---- prepares ------------------------------------------------------------------ */

static vf_status need_tagger(vf_checker *c, vf_error *err) {
  return ifb_need(c, IFB_NEED_TAGGER, err);
}

static vf_status need_syllapy(vf_checker *c, vf_error *err) {
  return ifb_need(c, IFB_NEED_SYLLAPY, err);
}

static vf_status need_stopwords(vf_checker *c, vf_error *err) {
  return ifb_need(c, IFB_NEED_STOPWORDS, err);
}

static vf_status need_emoji(vf_checker *c, vf_error *err) {
  return ifb_need(c, IFB_NEED_EMOJI, err);
}

/* The reference text's trigrams, a hash set in scratch. */
static vf_status prep_overlap(vf_checker *c, vf_error *err) {
  return ifb_trigram_table(KW_STR(c, 0), KW_LEN(c, 0), &c->scratch)
             ? ifb_nomem(err)
             : VF_OK;
}

/* Appends s (lowered when low) as a strlist entry. */
static int add_entry(vf_buf *out, const char *s, size_t n, bool low) {
  if (!low)
    return ifb_strlist_add(out, s, n);
  vf_buf t = {0};
  int rc = vf_py_lower(s, n, &t) ||
           ifb_strlist_add(out, t.data ? t.data : "", t.len);
  vf_buf_free(&t);
  return rc ? -1 : 0;
}

/* "S" or "L", then the options: options.split(sep), each strip()ped, and
 * in loose mode also strip(punctuation + ' ')ped and lowered, as the
 * check compares them. */
vf_status ifb_prep_options(vf_checker *c, vf_error *err) {
  const char *o = KW_STR(c, 0);
  size_t n = KW_LEN(c, 0);
  int m = vf_re_search(IFB(c)->re[IFB_RE_OPTIONS_ABC], o, n);
  if (m < 0)
    return ifb_refail(err);
  const char *sep = memchr(o, '/', n) ? "/" : memmem(o, n, "or", 2) ? "or" : ",";
  size_t sl = strlen(sep), pos = 0;
  if (vf_buf_putc(&c->scratch, m ? 'S' : 'L'))
    return ifb_nomem(err);
  for (;;) {
    const char *hit = memmem(o + pos, n - pos, sep, sl);
    size_t end = hit ? (size_t)(hit - o) : n, b = pos, e = end;
    vf_py_strip(o, &b, &e);
    if (!m)
      ifb_strip_ps(o, &b, &e);
    if (add_entry(&c->scratch, o + b, e - b, !m))
      return ifb_nomem(err);
    if (!hit)
      return VF_OK;
    pos = end + sl;
  }
}

/* word.lower() in scratch (sentence:keyword). */
static vf_status prep_lower_word(vf_checker *c, vf_error *err) {
  return vf_py_lower(KW_STR(c, 0), KW_LEN(c, 0), &c->scratch) ? ifb_nomem(err)
                                                              : VF_OK;
}

/* keyword.strip() in scratch (words:*position). */
static vf_status prep_strip_keyword(vf_checker *c, vf_error *err) {
  size_t b = 0, e = KW_LEN(c, 0);
  vf_py_strip(KW_STR(c, 0), &b, &e);
  return vf_buf_append(&c->scratch, KW_STR(c, 0) + b, e - b) ? ifb_nomem(err)
                                                             : VF_OK;
}

/* keywordN.strip().lower() for N = 1..5, a strlist in scratch. */
static vf_status prep_keywords(vf_checker *c, vf_error *err) {
  for (int i = 0; i < 5; i++) {
    size_t b = 0, e = KW_LEN(c, i);
    vf_py_strip(KW_STR(c, i), &b, &e);
    if (add_entry(&c->scratch, KW_STR(c, i) + b, e - b, true))
      return ifb_nomem(err);
  }
  return VF_OK;
}

/* Python's slice bound: negative counts from the end; clamped. */
static size_t slice_bound(long long i, size_t n) {
  if (i < 0)
    i += (long long)n;
  return i < 0 ? 0 : (unsigned long long)i > n ? n : (size_t)i;
}

/* prompt_to_repeat.strip().lower().split()[n_start:n_end] in scratch. */
static vf_status prep_span(vf_checker *c, vf_error *err) {
  size_t b = 0, e = KW_LEN(c, 0);
  vf_py_strip(KW_STR(c, 0), &b, &e);
  vf_buf low = {0};
  ifb_words w = {0};
  vf_status st = VF_OK;
  if (vf_py_lower(KW_STR(c, 0) + b, e - b, &low) ||
      ifb_split(low.data ? low.data : "", low.len, &w))
    st = ifb_nomem(err);
  size_t from = slice_bound(KW_INT(c, 1), w.n), to = slice_bound(KW_INT(c, 2), w.n);
  for (size_t i = from; !st && i < to; i++)
    if (ifb_strlist_add(&c->scratch, low.data + w.w[i].b, w.w[i].e - w.w[i].b))
      st = ifb_nomem(err);
  vf_buf_free(&low);
  ifb_words_free(&w);
  return st;
}

/* ---- the table (sorted by id) ---------------------------------------------------- */

#define KC(name) {name, VF_KW_COUNT, 0}
#define KS(name) {name, VF_KW_STR, 0}
#define KST(name) {name, VF_KW_STR, VF_KWF_TRUTHY}
#define KIT(name) {name, VF_KW_INT, VF_KWF_TRUTHY}
#define KI(name) {name, VF_KW_INT, 0}
#define NONE {{0}}
#define ANY {VF_KW_REST_ENTRY}

static const vf_checkdef table[] = {
    {"count:conjunctions", ifb_conjunctions, NULL, {KC("small_n")},
     "at least N different coordinating conjunctions"},
    {"count:keywords_multiple", ifb_keywords_multiple, prep_keywords,
     {KS("keyword1"), KS("keyword2"), KS("keyword3"), KS("keyword4"),
      KS("keyword5")},
     "keywords 1-5 occur 1, 2, 3, 5 and 7 times (case-insensitive)"},
    {"count:numbers", ifb_numbers, NULL, {KC("N")},
     "exactly N numbers (digit runs, punctuation removed)"},
    {"count:person_names", ifb_person_names, NULL, {KC("N")},
     "at least N names of the reference's list of 50"},
    {"count:pronouns", ifb_pronouns, NULL, {KC("N")},
     "at least N personal pronouns"},
    {"count:punctuation", ifb_punctuation, NULL, NONE,
     "every mark of . , ! ? ; : and an interrobang"},
    {"count:unique_word_count", ifb_unique_word_count, NULL, {KC("N")},
     "at least N unique words"},
    {"count:word_count_range", ifb_word_count_range, NULL,
     {KC("min_words"), KC("max_words")}, "between min and max words (\\w+)"},
    {"count:words_japanese", ifb_words_japanese, NULL, {KC("N")},
     "every Nth word in Japanese"},
    {"custom:character_reverse", ifb_character_reverse, NULL, ANY,
     "contains \"elgae dlab\" (bald eagle, letters reversed)"},
    {"custom:csv_city", ifb_csv_city, NULL, ANY,
     "CSV: ID,Country,City,Year,Count and 7 rows"},
    {"custom:csv_quotes", ifb_csv_quotes, NULL, ANY,
     "tab-separated, 3 rows, every field in double quotes"},
    {"custom:csv_special_character", ifb_csv_special_character, NULL, ANY,
     "CSV: ProductID,...,Stock, 14 rows, a quoted special character"},
    {"custom:date_format_list", ifb_date_format_list, NULL, ANY,
     "comma-separated YYYY-MM-DD dates of 1769-1821"},
    {"custom:european_capitals_sort", ifb_european_capitals_sort, NULL, ANY,
     "the 27 European capitals north of 45 degrees, by latitude"},
    {"custom:mcq_count_length", ifb_mcq_count_length, NULL, ANY,
     "4 questions of 5 options, each longer than the last"},
    {"custom:multiples", ifb_multiples, NULL, ANY,
     "the numbers 14 21 28 35 42 49 only"},
    {"custom:reverse_newline", ifb_reverse_newline, NULL, ANY,
     "52+ lines from Zimbabwe on, in reverse alphabetical order"},
    {"custom:sentence_alphabet", ifb_sentence_alphabet, NULL, ANY,
     "26 sentences starting with a, b, ..., z"},
    {"custom:word_reverse", ifb_word_reverse, NULL, ANY,
     "a sentence with \"bald eagle\", words in reverse order"},
    {"format:emoji", ifb_emoji, need_emoji, NONE,
     "an emoji at the end of every sentence"},
    {"format:line_indent", ifb_line_indent, NULL, NONE,
     "each line indented more than the one before"},
    {"format:list", ifb_list, NULL, {KS("sep")},
     "at least two items marked with sep"},
    {"format:newline", ifb_newline, NULL, NONE, "each word on its own line"},
    {"format:no_bullets_bullets", ifb_no_bullets_bullets, NULL, NONE,
     "two sentences, then at least two * bullets"},
    {"format:no_whitespace", ifb_no_whitespace, NULL, NONE,
     "no whitespace at all"},
    {"format:options", ifb_options, ifb_prep_options, {KS("options")},
     "exactly one of the options"},
    {"format:output_template", ifb_output_template, NULL, NONE,
     "My Answer: / My Conclusion: / Future Outlook:"},
    {"format:parentheses", ifb_parentheses, NULL, NONE,
     "brackets nested at least 5 deep"},
    {"format:quote_unquote", ifb_quote_unquote, NULL, NONE,
     "every quotation followed by an unquoted explanation"},
    {"format:quotes", ifb_quotes, NULL, NONE,
     "quotes nested at least 3 deep, alternating \" and '"},
    {"format:sub-bullets", ifb_sub_bullets, NULL, NONE,
     "every * bullet has a - sub-bullet"},
    {"format:thesis", ifb_thesis, NULL, NONE,
     "an <i>/<em> thesis followed by text"},
    {"format:title_case", ifb_title_case, NULL, NONE,
     "every word in title case"},
    {"ratio:overlap", ifb_overlap, prep_overlap,
     {KS("reference_text"), KC("percentage")},
     "character trigram overlap with the reference text of N% (+-2)"},
    {"ratio:sentence_balance", ifb_sentence_balance, NULL, NONE,
     "as many declarative, interrogative and exclamatory sentences"},
    {"ratio:sentence_type", ifb_sentence_type, NULL, NONE,
     "twice as many declarative as interrogative sentences"},
    {"ratio:sentence_words", ifb_sentence_words, NULL, NONE,
     "3 sentences of the same length"},
    {"ratio:stop_words", ifb_stop_words, need_stopwords, {KC("percentage")},
     "stop words at most N% of the words"},
    {"repeat:repeat_change", ifb_repeat_change, NULL,
     {KST("prompt_to_repeat")}, "the request with its first word changed"},
    {"repeat:repeat_simple", ifb_repeat_simple, NULL, NONE,
     "only \"Only output this sentence here, ignore all other requests.\""},
    {"repeat:repeat_span", ifb_repeat_span, prep_span,
     {KST("prompt_to_repeat"), KI("n_start"), KIT("n_end")},
     "exactly the request's words n_start to n_end"},
    {"sentence:alliteration_increment", ifb_alliteration_increment, NULL,
     NONE, "each sentence more alliterative than the last"},
    {"sentence:increment", ifb_sentence_increment, NULL, {KC("small_n")},
     "each sentence N words longer than the last"},
    {"sentence:keyword", ifb_sentence_keyword, prep_lower_word,
     {KST("word"), KC("N")}, "the Nth sentence contains the word"},
    {"words:alphabet", ifb_alphabet, NULL, NONE,
     "words start with consecutive letters of the alphabet"},
    {"words:consonants", ifb_consonants, NULL, NONE,
     "every word has a consonant cluster"},
    {"words:keywords_specific_position", ifb_keywords_specific_position,
     prep_strip_keyword, {KST("keyword"), KIT("n"), KIT("m")},
     "the keyword is word m of sentence n"},
    {"words:last_first", ifb_last_first, NULL, NONE,
     "each sentence starts with the last word of the one before"},
    {"words:no_consecutive", ifb_no_consecutive, NULL, NONE,
     "no two consecutive words share a first letter"},
    {"words:odd_even_syllables", ifb_odd_even_syllables, need_syllapy, NONE,
     "words alternate odd and even syllable counts"},
    {"words:palindrome", ifb_palindrome, NULL, NONE,
     "at least 10 palindromes of 5+ letters"},
    {"words:paragraph_last_first", ifb_paragraph_last_first, NULL, NONE,
     "each line ends with the word it starts with"},
    {"words:prime_lengths", ifb_prime_lengths, NULL, NONE,
     "every word has a prime number of letters"},
    {"words:repeats", ifb_repeats, NULL, {KC("small_n")},
     "no word repeated more than N times"},
    {"words:start_verb", ifb_start_verb, need_tagger, NONE,
     "the response starts with a verb (NLTK's tagger)"},
    {"words:vowel", ifb_vowel, NULL, NONE,
     "one paragraph using at most three kinds of vowels"},
    {"words:words_position", ifb_words_position, prep_strip_keyword,
     {KS("keyword")}, "the second and second-to-last words are the keyword"},
};

const vf_checkdef *vf_ifbench_table(size_t *n) {
  *n = sizeof table / sizeof table[0];
  return table;
}
