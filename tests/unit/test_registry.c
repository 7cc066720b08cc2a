/*
 * test_registry.c: the checker registry is a set of families, each a
 * sorted table with no duplicate id; every id resolves in its own family
 * (qualified, or with the family given) to its own definition, and an
 * unqualified id to the first family in registry order that has it.
 */
#include "checks/checks.h"
#include "harness.h"

/* The first family (in registry order) holding id. */
static const vf_checkdef *first_holder(const char *id) {
  for (size_t f = 0; f < vf_checks_nfamilies(); f++) {
    size_t n;
    const vf_checkdef *defs = vf_checks_family(f, NULL, &n);
    for (size_t i = 0; i < n; i++)
      if (!strcmp(defs[i].id, id))
        return &defs[i];
  }
  return NULL;
}

static void check_family(size_t f) {
  const char *name;
  size_t n;
  const vf_checkdef *defs = vf_checks_family(f, &name, &n);
  CHECKF(strchr(name, '/') == NULL, "family name '%s' has no '/'", name);
  CHECKF(vf_checks_family_named(name, strlen(name)) == vf_checks_family_at(f),
         "family '%s' is found by name", name);
  for (size_t i = 0; i < n; i++) {
    const vf_checkdef *d = NULL;
    const vf_family *fam = NULL;
    char q[200];
    if (i)
      CHECKF(strcmp(defs[i - 1].id, defs[i].id) < 0,
             "family %s: '%s' must sort before '%s'", name, defs[i - 1].id,
             defs[i].id);
    CHECKF(vf_checks_lookup(name, defs[i].id, &d, &fam, NULL) == VF_OK &&
               d == &defs[i] && fam == vf_checks_family_at(f),
           "'%s' resolves in family %s", defs[i].id, name);
    snprintf(q, sizeof q, "%s/%s", name, defs[i].id);
    CHECKF(vf_checks_lookup(NULL, q, &d, NULL, NULL) == VF_OK && d == &defs[i],
           "'%s' resolves to its definition", q);
    CHECKF(vf_checks_find(defs[i].id) == first_holder(defs[i].id),
           "'%s' resolves to the first family that has it", defs[i].id);
    CHECKF(defs[i].check && defs[i].summary, "'%s' is complete", defs[i].id);
    for (int k = 0; k < VF_MAX_KW && defs[i].kwargs[k].name; k++)
      CHECKF(defs[i].kwargs[k].flags <= (VF_KWF_OPTIONAL | VF_KWF_TRUTHY) ||
                 (defs[i].kwargs[k].flags ==
                      (VF_KWF_REST | VF_KWF_OPTIONAL) &&
                  !strcmp(defs[i].kwargs[k].name, "**")),
             "'%s' kwarg '%s' flags", defs[i].id, defs[i].kwargs[k].name);
  }
}

static void check_errors(void) {
  const vf_checkdef *d;
  vf_error err = {0};
  CHECK(vf_checks_find("no:such_id") == NULL);
  CHECK(vf_checks_find("") == NULL);
  CHECK(vf_checks_lookup("nosuch", "punctuation:no_comma", &d, NULL, &err) ==
        VF_EINVAL);
  CHECKF(strstr(err.msg, "unknown checker family 'nosuch'") &&
             strstr(err.msg, "ifeval"),
         "unknown family names the families: %s", err.msg);
  CHECK(vf_checks_lookup(NULL, "nosuch/punctuation:no_comma", &d, NULL,
                         &err) == VF_EUNKNOWN_ID);
  CHECKF(strstr(err.msg, "no family 'nosuch'"), "qualified: %s", err.msg);
  CHECK(vf_checks_lookup("ifeval", "x:y", &d, NULL, &err) == VF_EUNKNOWN_ID);
  CHECKF(strstr(err.msg, "unknown instruction id 'x:y' in family 'ifeval'"),
         "in family: %s", err.msg);
  /* a qualified id names its own family, whatever family is given */
  CHECK(vf_checks_lookup("nosuch", "ifeval/punctuation:no_comma", &d, NULL,
                         &err) == VF_OK);
}

int main(void) {
  size_t total = 0;
  CHECK(vf_checks_nfamilies() >= 1 &&
        vf_checks_nfamilies() <= VF_MAX_FAMILIES);
  CHECK(!strcmp(vf_checks_family_at(0)->name, "ifeval"));
  CHECK(vf_checks_family_at(vf_checks_nfamilies()) == NULL);
  for (size_t f = 0; f < vf_checks_nfamilies(); f++) {
    size_t n;
    vf_checks_family(f, NULL, &n);
    total += n;
    check_family(f);
  }
  CHECK(total >= 25);
  check_errors();
  return vf_test_summary("registry");
}
