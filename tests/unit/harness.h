/*
 * harness.h: the tiny test harness every tests/unit/test_*.c includes.
 *
 * CHECK() records a failure with file and line and carries on; a test file's
 * main() ends with `return vf_test_summary("name");`, which prints
 * "name: N passed, N failed[, N skipped]" (the line scripts/run-tests adds
 * up; a test sets vf_test_skipped for the cases it names and skips) and
 * returns non-zero when anything failed.
 */
#ifndef VF_TEST_HARNESS_H
#define VF_TEST_HARNESS_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verif.h"

static int vf_test_passed, vf_test_failed, vf_test_skipped;

#define CHECK(cond) CHECKF(cond, "%s", #cond)
#define CHECKF(cond, ...)                                                   \
  do {                                                                      \
    if (cond) {                                                             \
      vf_test_passed++;                                                     \
    } else {                                                                \
      vf_test_failed++;                                                     \
      fprintf(stderr, "%s:%d: FAILED: ", __FILE__, __LINE__);               \
      fprintf(stderr, __VA_ARGS__);                                         \
      fputc('\n', stderr);                                                  \
    }                                                                       \
  } while (0)

static inline int vf_test_summary(const char *name) {
  if (vf_test_skipped)
    printf("%s: %d passed, %d failed, %d skipped\n", name, vf_test_passed,
           vf_test_failed, vf_test_skipped);
  else
    printf("%s: %d passed, %d failed\n", name, vf_test_passed, vf_test_failed);
  return vf_test_failed ? 1 : 0;
}

/* Fixture paths, relative to the repository root (where tests run):
 * test fixtures under tests/data (sources in tests/data/NOTICE), run-time
 * data under data (data/NOTICE). */
#define VF_TEST_DATA "tests/data"
#define VF_IFEVAL_INPUTS "data/ifeval/input_data.jsonl"
#define VF_IFEVAL_RESPONSES \
  "data/ifeval/input_response_data_gpt4_20231107_145030.jsonl"
#define VF_VERINSTRUCT_SAMPLES VF_TEST_DATA "/verinstruct/samples.jsonl"

#endif
