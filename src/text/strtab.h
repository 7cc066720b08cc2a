/*
 * strtab.h: a string table, mapping byte strings to 32-bit values.  Built
 * once (vf_strtab_put) while a data set loads, then only read, so threads
 * may share it.  Keys are copied into one arena; lookups are open
 * addressing on a 64-bit hash.  Used for the tagger's features and tag
 * dictionary, the syllable table and the stop words.
 */
#ifndef VF_STRTAB_H
#define VF_STRTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vf_strtab vf_strtab;

/* An empty table; NULL when out of memory. */
vf_strtab *vf_strtab_new(void);
void vf_strtab_free(vf_strtab *t);

/* Maps key[0..len) to val: 0 when added, 1 when the key was there (its
 * value is then replaced, as a later dict entry replaces an earlier one),
 * -1 when out of memory (the table is unchanged). */
int vf_strtab_put(vf_strtab *t, const char *key, size_t len, uint32_t val);

/* True when key[0..len) is in the table; its value goes to *val (if not
 * NULL). */
bool vf_strtab_get(const vf_strtab *t, const char *key, size_t len,
                   uint32_t *val);

/* Number of keys. */
size_t vf_strtab_count(const vf_strtab *t);

#endif /* VF_STRTAB_H */
