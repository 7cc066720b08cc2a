/*
 * langdetect_load.c: builds a langdetect model from <dir>/profiles/ (JSON,
 * one file per language) and <dir>/messages.properties, as langdetect's
 * DetectorFactory.load_profile and its NGram class tables do.
 *
 * Called once per vf_ctx; the model is read-only afterwards.  Profiles are
 * read one at a time (jansson) and their grams go into one open-addressing
 * table, so the peak is one parsed profile plus the sparse model.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "text/langdetect_model.h"
#include "text/text.h"

/* (gram, language, p) as read; sorted by gram into the model at the end. */
typedef struct triple {
  uint32_t gram;
  uint32_t lang;
  double p;
} triple;

/* A load-time slot: the gram's key and its id in order of first sight. */
typedef struct build_slot {
  uint64_t key;
  uint32_t id;
} build_slot;

typedef struct builder {
  build_slot *slots; /* same hash and probing as the final table */
  size_t mask, ngrams;
  triple *t;
  size_t n, cap;
} builder;

/* ---- the gram table ----------------------------------------------------- */

static int grow_slots(builder *b) {
  size_t cap = b->slots ? (b->mask + 1) * 2 : 4096;
  build_slot *slots = calloc(cap, sizeof *slots);
  if (!slots)
    return -1;
  for (size_t i = 0; b->slots && i <= b->mask; i++) {
    if (b->slots[i].key == 0)
      continue;
    size_t j = vf_langdetect_gram_hash(b->slots[i].key, cap - 1);
    while (slots[j].key != 0)
      j = (j + 1) & (cap - 1);
    slots[j] = b->slots[i];
  }
  free(b->slots);
  b->slots = slots;
  b->mask = cap - 1;
  return 0;
}

/* The id of key, adding it if new; UINT32_MAX when out of memory.  The
 * table stays at most 70% full. */
static uint32_t intern_gram(builder *b, uint64_t key) {
  if (!b->slots || (b->ngrams + 1) * 10 > (b->mask + 1) * 7) {
    if (grow_slots(b) != 0)
      return UINT32_MAX;
  }
  size_t i = vf_langdetect_gram_hash(key, b->mask);
  while (b->slots[i].key != 0 && b->slots[i].key != key)
    i = (i + 1) & b->mask;
  if (b->slots[i].key == 0) {
    b->slots[i].key = key;
    b->slots[i].id = (uint32_t)b->ngrams++;
  }
  return b->slots[i].id;
}

static int push_triple(builder *b, uint32_t gram, size_t lang, double p) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 65536;
    triple *t = realloc(b->t, cap * sizeof *t);
    if (!t)
      return -1;
    b->t = t;
    b->cap = cap;
  }
  b->t[b->n++] = (triple){gram, (uint32_t)lang, p};
  return 0;
}

/* Copies the load-time table into the model's key array (same slots, so
 * no rehash) and returns the map from load-time id to slot. */
static uint32_t *finish_keys(vf_langdetect *ld, const builder *b) {
  uint32_t *slot_of = malloc((b->ngrams ? b->ngrams : 1) * sizeof *slot_of);
  ld->keys = calloc(b->mask + 1, sizeof *ld->keys);
  if (!slot_of || !ld->keys) {
    free(slot_of);
    return NULL;
  }
  for (size_t i = 0; i <= b->mask; i++) {
    ld->keys[i] = b->slots[i].key;
    if (b->slots[i].key != 0)
      slot_of[b->slots[i].id] = (uint32_t)i;
  }
  ld->mask = b->mask;
  ld->ngrams = b->ngrams;
  return slot_of;
}

/* Dense rows (p, or 0.0 for a language without the gram, padded to a
 * multiple of 4) for the grams held by at least VF_LD_DENSE_MIN languages:
 * the common ones, which detection updates most and fastest this way. */
static int make_dense(vf_langdetect *ld) {
  size_t width = (ld->nlangs + 3) & ~(size_t)3, rows = 0;
  ld->dense_of = calloc(ld->mask + 1, sizeof *ld->dense_of);
  if (!ld->dense_of)
    return -1;
  for (size_t g = 0; g <= ld->mask; g++)
    rows += ld->gram_first[g + 1] - ld->gram_first[g] >= VF_LD_DENSE_MIN;
  ld->dense = calloc(rows ? rows * width : 1, sizeof *ld->dense);
  if (!ld->dense || rows >= UINT16_MAX)
    return -1;
  size_t r = 0;
  for (size_t g = 0; g <= ld->mask; g++) {
    uint32_t b = ld->gram_first[g], e = ld->gram_first[g + 1];
    if (e - b < VF_LD_DENSE_MIN)
      continue;
    for (uint32_t k = b; k < e; k++)
      ld->dense[r * width + ld->ent_lang[k]] = ld->ent_p[k];
    ld->dense_of[g] = (uint16_t)++r;
  }
  ld->ndense = rows;
  ld->dense_width = width;
  return 0;
}

/* Counting sort of the triples by slot; stable, so each gram's languages
 * stay in load order, which is language order. */
static int finish_entries(vf_langdetect *ld, const builder *b) {
  if (!b->slots)
    return -1;
  uint32_t *slot_of = finish_keys(ld, b);
  size_t nslots = b->mask + 1;
  ld->gram_first = calloc(nslots + 1, sizeof *ld->gram_first);
  ld->ent_lang = malloc(b->n ? b->n : 1);
  ld->ent_p = malloc((b->n ? b->n : 1) * sizeof *ld->ent_p);
  uint32_t *next = malloc(nslots * sizeof *next);
  int rc = -1;
  if (!slot_of || !ld->gram_first || !ld->ent_lang || !ld->ent_p || !next)
    goto done;
  for (size_t i = 0; i < b->n; i++)
    ld->gram_first[slot_of[b->t[i].gram] + 1]++;
  for (size_t g = 0; g < nslots; g++)
    ld->gram_first[g + 1] += ld->gram_first[g];
  memcpy(next, ld->gram_first, nslots * sizeof *next);
  for (size_t i = 0; i < b->n; i++) {
    uint32_t k = next[slot_of[b->t[i].gram]]++;
    ld->ent_lang[k] = (uint8_t)b->t[i].lang;
    ld->ent_p[k] = b->t[i].p;
  }
  ld->nentries = b->n;
  rc = 0;
done:
  free(next);
  free(slot_of);
  return rc;
}

/* ---- profiles ------------------------------------------------------------ */

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

/* Appends a copy of name; 0, or -1 when out of memory. */
static int add_name(char ***names, size_t *n, size_t *cap, const char *name) {
  if (*n == *cap) {
    size_t ncap = *cap ? *cap * 2 : 64;
    char **nn = realloc(*names, ncap * sizeof *nn);
    if (!nn)
      return -1;
    *names = nn;
    *cap = ncap;
  }
  (*names)[*n] = strdup(name);
  if (!(*names)[*n])
    return -1;
  (*n)++;
  return 0;
}

/* Regular files of dir not starting with '.', sorted by name (Python uses
 * os.listdir order; see langdetect.h). */
static vf_status list_profiles(const char *dir, char ***out, size_t *nout,
                               vf_error *err) {
  char **names = NULL;
  size_t n = 0, cap = 0;
  vf_status st = VF_OK;
  vf_buf path = {0};
  DIR *d = opendir(dir);
  if (!d)
    return vf_set_error(err, VF_EDATA,
                        "%s: cannot open profile directory: %s", dir,
                        strerror(errno));
  for (struct dirent *e = readdir(d); e; e = readdir(d)) {
    struct stat sb;
    if (e->d_name[0] == '.')
      continue;
    vf_buf_reset(&path);
    if (vf_buf_printf(&path, "%s/%s", dir, e->d_name) != 0)
      goto nomem;
    if (stat(path.data, &sb) != 0 || !S_ISREG(sb.st_mode))
      continue;
    if (add_name(&names, &n, &cap, e->d_name) != 0)
      goto nomem;
  }
  if (n < 2) {
    st = vf_set_error(err, VF_EDATA, "%s: need at least 2 profiles", dir);
    goto fail;
  }
  qsort(names, n, sizeof *names, cmp_names);
  closedir(d);
  vf_buf_free(&path);
  *out = names;
  *nout = n;
  return VF_OK;
nomem:
  st = vf_set_error(err, VF_ENOMEM, "%s: out of memory", dir);
fail:
  closedir(d);
  vf_buf_free(&path);
  free_names(names, n);
  return st;
}

/* Decodes a gram (valid UTF-8 from jansson); returns its length in code
 * points, or 4 for "longer than 3" (such grams can never be looked up). */
static size_t gram_cps(const char *s, int32_t cps[3]) {
  size_t len = strlen(s), n = 0;
  for (size_t i = 0; i < len && n < 4; n++) {
    int32_t cp;
    i += vf_utf8_decode(s, len, i, &cp);
    if (n < 3)
      cps[n] = cp;
  }
  return n;
}

/* Adds every 1..3-character gram of a profile's "freq" object. */
static vf_status add_freqs(vf_langdetect *ld, builder *b, json_t *freq,
                           const double n_words[3], const char *path,
                           vf_error *err) {
  const char *word;
  json_t *count;
  json_object_foreach(freq, word, count) {
    int32_t cps[3];
    size_t n = gram_cps(word, cps);
    if (n < 1 || n > 3)
      continue;
    if (!json_is_number(count) || n_words[n - 1] == 0.0)
      return vf_set_error(err, VF_EDATA, "%s: bad count for a %zu-gram", path,
                          n);
    uint32_t id = intern_gram(b, vf_langdetect_gram_key(cps, n));
    if (id == UINT32_MAX ||
        push_triple(b, id, ld->nlangs,
                    json_number_value(count) / n_words[n - 1]) != 0)
      return vf_set_error(err, VF_ENOMEM, "%s: out of memory", path);
  }
  return VF_OK;
}

/* Checks {"name", "freq", "n_words"} and registers the language name. */
static vf_status check_profile(vf_langdetect *ld, json_t *root,
                               double n_words[3], const char *path,
                               vf_error *err) {
  json_t *name = json_object_get(root, "name");
  json_t *nw = json_object_get(root, "n_words");
  if (!json_is_string(name) || !json_is_object(json_object_get(root, "freq")) ||
      !json_is_array(nw) || json_array_size(nw) < 3)
    return vf_set_error(err, VF_EDATA, "%s: profile format error", path);
  for (size_t i = 0; i < 3; i++) {
    if (!json_is_number(json_array_get(nw, i)))
      return vf_set_error(err, VF_EDATA, "%s: n_words[%zu] is not a number",
                          path, i);
    n_words[i] = json_number_value(json_array_get(nw, i));
  }
  const char *lang = json_string_value(name);
  if (strlen(lang) >= VF_LD_LANG_CAP || ld->nlangs >= VF_LD_MAX_LANGS)
    return vf_set_error(err, VF_EDATA, "%s: language \"%s\" not supported",
                        path, lang);
  for (size_t i = 0; i < ld->nlangs; i++) {
    if (strcmp(ld->langs[i], lang) == 0)
      return vf_set_error(err, VF_EDATA, "%s: duplicate language \"%s\"", path,
                          lang);
  }
  memcpy(ld->langs[ld->nlangs], lang, strlen(lang) + 1);
  return VF_OK;
}

static vf_status load_profile(vf_langdetect *ld, builder *b, const char *path,
                              vf_error *err) {
  json_error_t jerr;
  double n_words[3];
  json_t *root = json_load_file(path, 0, &jerr);
  if (!root)
    return vf_set_error(err, VF_EDATA, "%s:%d: %s", path, jerr.line, jerr.text);
  vf_status st = check_profile(ld, root, n_words, path, err);
  if (st == VF_OK)
    st = add_freqs(ld, b, json_object_get(root, "freq"), n_words, path, err);
  if (st == VF_OK)
    ld->nlangs++;
  json_decref(root);
  return st;
}

static vf_status load_profiles(vf_langdetect *ld, const char *dir,
                               vf_error *err) {
  char **names = NULL;
  size_t n = 0;
  builder b = {0};
  vf_buf path = {0};
  vf_status st = vf_buf_printf(&path, "%s/profiles", dir) == 0
                     ? list_profiles(path.data, &names, &n, err)
                     : vf_set_error(err, VF_ENOMEM, "out of memory");
  for (size_t i = 0; st == VF_OK && i < n; i++) {
    vf_buf_reset(&path);
    if (vf_buf_printf(&path, "%s/profiles/%s", dir, names[i]) != 0)
      st = vf_set_error(err, VF_ENOMEM, "out of memory");
    else
      st = load_profile(ld, &b, path.data, err);
  }
  if (st == VF_OK && (finish_entries(ld, &b) != 0 || make_dense(ld) != 0))
    st = vf_set_error(err, VF_ENOMEM, "%s: out of memory", dir);
  free(b.t);
  free(b.slots);
  free_names(names, n);
  vf_buf_free(&path);
  return st;
}

/* ---- messages.properties ------------------------------------------------ */

/* Reads a whole file into a NUL-terminated buffer. */
static vf_status read_file(const char *path, vf_buf *out, vf_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return vf_set_error(err, VF_EDATA, "%s: cannot open: %s", path,
                        strerror(errno));
  char chunk[8192];
  size_t got;
  vf_status st = VF_OK;
  do {
    got = fread(chunk, 1, sizeof chunk, f);
    if (got && vf_buf_append(out, chunk, got) != 0)
      st = vf_set_error(err, VF_ENOMEM, "%s: out of memory", path);
  } while (st == VF_OK && got == sizeof chunk);
  if (st == VF_OK && ferror(f))
    st = vf_set_error(err, VF_EIO, "%s: read error: %s", path,
                      strerror(errno));
  fclose(f);
  if (st == VF_OK && !out->data)
    st = vf_set_error(err, VF_EDATA, "%s: empty", path);
  return st;
}

static bool is_space_byte(char c) {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' ||
         c == '\n';
}

/* The next line of s[*pos..len) (split at \n or \r, as Python's universal
 * newlines do) with surrounding white space removed. */
static bool next_line(const char *s, size_t len, size_t *pos, size_t *b,
                      size_t *e) {
  if (*pos >= len)
    return false;
  size_t i = *pos;
  while (i < len && s[i] != '\n' && s[i] != '\r')
    i++;
  *b = *pos;
  *e = i;
  *pos = (i + 1 < len && s[i] == '\r' && s[i + 1] == '\n') ? i + 2 : i + 1;
  while (*b < *e && is_space_byte(s[*b]))
    (*b)++;
  while (*e > *b && is_space_byte(s[*e - 1]))
    (*e)--;
  return true;
}

/* The value of the last line "key=value" (Python's dict keeps the last). */
static bool find_value(const vf_buf *f, const char *key, size_t *vb,
                       size_t *ve) {
  size_t pos = 0, b, e, klen = strlen(key);
  bool found = false;
  while (next_line(f->data, f->len, &pos, &b, &e)) {
    if (e - b > klen && f->data[b + klen] == '=' &&
        memcmp(f->data + b, key, klen) == 0) {
      *vb = b + klen + 1;
      *ve = e;
      found = true;
    }
  }
  return found;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes a value made of ASCII and \uXXXX escapes into code points;
 * returns the count, or -1 when it holds anything else or exceeds max. */
static long decode_value(const char *s, size_t len, int32_t *out, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < len; n++) {
    int32_t cp = (unsigned char)s[i];
    if (cp >= 0x80 || n >= max)
      return -1;
    if (cp == '\\') {
      if (i + 6 > len || s[i + 1] != 'u')
        return -1;
      cp = 0;
      for (size_t k = 2; k < 6; k++) {
        int d = hex_digit(s[i + k]);
        if (d < 0)
          return -1;
        cp = cp * 16 + d;
      }
      i += 6;
    } else {
      i++;
    }
    out[n] = cp;
  }
  return (long)n;
}

/* Looks up key and decodes it into out (at most max code points). */
static vf_status get_chars(const vf_buf *f, const char *key, int32_t *out,
                           size_t max, size_t *n, const char *path,
                           vf_error *err) {
  size_t vb, ve;
  if (!find_value(f, key, &vb, &ve))
    return vf_set_error(err, VF_EDATA, "%s: no %s", path, key);
  long got = decode_value(f->data + vb, ve - vb, out, max);
  if (got < 0)
    return vf_set_error(err, VF_EDATA, "%s: bad value for %s", path, key);
  *n = (size_t)got;
  return VF_OK;
}

/* NGram.KANJI_* classes, in file order (ngram.py lists them in that same
 * order): every member maps to the class's first character. */
static vf_status load_cjk(vf_langdetect *ld, const vf_buf *f, const char *path,
                          vf_error *err) {
  static const char prefix[] = "NGram.KANJI_";
  size_t pos = 0, b, e, cap = 8192;
  int32_t *cls = malloc(cap * sizeof *cls);
  vf_status st = cls ? VF_OK : vf_set_error(err, VF_ENOMEM, "out of memory");
  while (st == VF_OK && next_line(f->data, f->len, &pos, &b, &e)) {
    const char *eq = memchr(f->data + b, '=', e - b);
    if (!eq || strncmp(f->data + b, prefix, sizeof prefix - 1) != 0)
      continue;
    size_t vb = (size_t)(eq - f->data) + 1;
    long n = decode_value(f->data + vb, e - vb, cls, cap);
    if (n < 0) {
      st = vf_set_error(err, VF_EDATA, "%s: bad KANJI class", path);
      break;
    }
    for (long i = 0; i < n; i++) {
      if (cls[i] >= VF_LD_CJK_LO && cls[i] <= VF_LD_CJK_HI)
        ld->cjk[cls[i] - VF_LD_CJK_LO] = (uint16_t)cls[0];
    }
  }
  free(cls);
  return st;
}

/* True when cps could stand inside a regex character class unchanged (the
 * Vietnamese pattern is built as '[' + chars + ']'). */
static bool plain_class(const int32_t *cps, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (cps[i] == '-' || cps[i] == ']' || cps[i] == '[' || cps[i] == '\\' ||
        (i == 0 && cps[i] == '^'))
      return false;
  }
  return n > 0;
}

static vf_status load_vi(vf_langdetect *ld, const vf_buf *f, const char *path,
                         vf_error *err) {
  static const char *const norm_keys[VF_LD_VI_MARKS] = {
      "NORMALIZED_VI_CHARS_0300", "NORMALIZED_VI_CHARS_0301",
      "NORMALIZED_VI_CHARS_0303", "NORMALIZED_VI_CHARS_0309",
      "NORMALIZED_VI_CHARS_0323"};
  size_t nm, nn;
  vf_status st = get_chars(f, "TO_NORMALIZE_VI_CHARS", ld->vi_alpha,
                           VF_LD_VI_ALPHA_MAX, &ld->nvi_alpha, path, err);
  if (st == VF_OK)
    st = get_chars(f, "DMARK_CLASS", ld->vi_marks, VF_LD_VI_MARKS, &nm, path,
                   err);
  if (st == VF_OK && (nm != VF_LD_VI_MARKS || !plain_class(ld->vi_marks, nm) ||
                      !plain_class(ld->vi_alpha, ld->nvi_alpha)))
    st = vf_set_error(err, VF_EDATA, "%s: unexpected Vietnamese classes", path);
  for (size_t m = 0; st == VF_OK && m < VF_LD_VI_MARKS; m++) {
    st = get_chars(f, norm_keys[m], ld->vi_norm[m], VF_LD_VI_ALPHA_MAX, &nn,
                   path, err);
    if (st == VF_OK && nn < ld->nvi_alpha)
      st = vf_set_error(err, VF_EDATA, "%s: %s is too short", path,
                        norm_keys[m]);
  }
  return st;
}

static vf_status load_messages(vf_langdetect *ld, const char *dir,
                               vf_error *err) {
  vf_buf path = {0}, file = {0};
  vf_status st = VF_OK;
  if (vf_buf_printf(&path, "%s/messages.properties", dir) != 0) {
    st = vf_set_error(err, VF_ENOMEM, "out of memory");
    goto done;
  }
  st = read_file(path.data, &file, err);
  if (st == VF_OK)
    st = get_chars(&file, "NGram.LATIN1_EXCLUDE", ld->latin1_excluded,
                   VF_LD_LATIN1_MAX, &ld->nlatin1_excluded, path.data, err);
  if (st == VF_OK)
    st = load_cjk(ld, &file, path.data, err);
  if (st == VF_OK)
    st = load_vi(ld, &file, path.data, err);
done:
  vf_buf_free(&path);
  vf_buf_free(&file);
  return st;
}

/* The seeded generator's first VF_LD_DRAWS outputs, shared by every
 * detection, and the generator state after them. */
static int make_draws(vf_langdetect *ld) {
  ld->draws = malloc(VF_LD_DRAWS * sizeof *ld->draws);
  if (!ld->draws)
    return -1;
  ld->after_draws = ld->seeded;
  for (size_t i = 0; i < VF_LD_DRAWS; i++)
    ld->draws[i] = vf_pyrandom_u32(&ld->after_draws);
  ld->ndraws = VF_LD_DRAWS;
  return 0;
}

/* ---- public -------------------------------------------------------------- */

vf_status vf_langdetect_load(const char *dir, vf_langdetect **out,
                             vf_error *err) {
  *out = NULL;
  vf_langdetect *ld = calloc(1, sizeof *ld);
  if (!ld)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  vf_status st = load_messages(ld, dir, err);
  if (st == VF_OK)
    st = load_profiles(ld, dir, err);
  vf_pyrandom_seed_u64(&ld->seeded, 0); /* DetectorFactory.seed = 0 */
  if (st == VF_OK && make_draws(ld))
    st = vf_set_error(err, VF_ENOMEM, "out of memory");
  if (st != VF_OK) {
    vf_langdetect_free(ld);
    return st;
  }
  *out = ld;
  return VF_OK;
}

void vf_langdetect_free(vf_langdetect *ld) {
  if (!ld)
    return;
  free(ld->keys);
  free(ld->gram_first);
  free(ld->ent_lang);
  free(ld->ent_p);
  free(ld->draws);
  free(ld->dense);
  free(ld->dense_of);
  free(ld);
}

size_t vf_langdetect_nlangs(const vf_langdetect *ld) { return ld->nlangs; }

const char *vf_langdetect_lang(const vf_langdetect *ld, size_t i) {
  return i < ld->nlangs ? ld->langs[i] : NULL;
}

size_t vf_langdetect_footprint(const vf_langdetect *ld) {
  return sizeof *ld + (ld->mask + 1) * sizeof *ld->keys +
         (ld->mask + 2) * sizeof *ld->gram_first +
         ld->nentries * (sizeof *ld->ent_lang + sizeof *ld->ent_p) +
         ld->ndraws * sizeof *ld->draws +
         (ld->mask + 1) * sizeof *ld->dense_of +
         ld->ndense * ld->dense_width * sizeof *ld->dense;
}
