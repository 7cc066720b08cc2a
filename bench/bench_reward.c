/*
 * bench_reward.c: what the reward engine spares the judge (`make bench`).
 * A GRPO batch of 512 prompts x 16 responses in VerInstruct form, each item
 * with one [rule] and one [llm] constraint; a third of the responses fail
 * the hard check (the product needs no judge call for them) and a quarter
 * repeat the response before them (the same judge prompt: deduplicated in
 * flight or answered by the cache).  The test judge server answers after
 * 200 ms; concurrency 256.  Prints the wall time against the ideal for the
 * calls actually made, and the calls saved by each mechanism.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/judge_server/spawn.h"
#include "verif.h"

enum { PROMPTS = 512, GROUP = 16, LATENCY_MS = 200, CONCURRENCY = 256 };

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Item i as one JSONL line; counts the failing and repeated responses. */
static char *make_item(int i, int *fails, int *repeats) {
  json_t *resps = json_array();
  char text[160];
  for (int r = 0; r < GROUP; r++) {
    int g = i * GROUP + r;
    if (g % 4 == 1) { /* the response before, again */
      ++*repeats;
    } else if (g % 3 == 0) {
      snprintf(text, sizeof text, "no %d", g); /* too short: hard fails */
    } else {
      snprintf(text, sizeof text, "a long enough answer number %d JUDGE:PASS", g);
    }
    *fails += (g % 4 == 1 ? (g - 1) % 3 == 0 : g % 3 == 0);
    json_array_append_new(resps, json_string(text));
  }
  char prompt[64];
  snprintf(prompt, sizeof prompt, "Prompt %d: write something polite.", i);
  json_t *item = json_pack(
      "{s:i, s:s, s:[s, s], s:[s, s], s:o}", "id", i, "prompt", prompt,
      "checkers", "[rule] Length: more than 20 characters",
      "[llm] Style: polite", "functions",
      "def check_following(instruction, response):\n"
      "    return len(response) > 20\n",
      "from llm_call import llm_score\n"
      "def check_following(instruction, response):\n"
      "    return llm_score(instruction, response, 'Style: polite')\n",
      "responses", resps);
  char *line = json_dumps(item, JSON_COMPACT);
  json_decref(item);
  return line;
}

int main(int argc, char **argv) {
  char exe[1024];
  judge_srv srv;
  judge_srv_path(argv[0], exe, sizeof exe);
  if (judge_srv_start(&srv, exe, NULL, LATENCY_MS)) {
    fprintf(stderr, "bench_reward: cannot start %s\n", exe);
    return 1;
  }
  static char *lines[PROMPTS];
  static size_t lens[PROMPTS];
  static char *out[PROMPTS];
  int fails = 0, repeats = 0, rc = 1;
  for (int i = 0; i < PROMPTS; i++) {
    lines[i] = make_item(i, &fails, &repeats);
    lens[i] = strlen(lines[i]);
  }
  vf_ctx *ctx = NULL;
  vf_engine *e = NULL;
  vf_error err = {0};
  vf_engine_opts o = {.judge_urls = srv.url, .judge_model = "bench",
                      .judge_concurrency = CONCURRENCY, .judge_timeout_s = 60};
  if (vf_ctx_new(&ctx, NULL, &err) || vf_engine_new(ctx, &o, &e, &err))
    goto done;
  double t0 = now();
  if (vf_engine_score(e, (const char *const *)lines, lens, NULL, PROMPTS, out,
                      &err))
    goto done;
  double wall = now() - t0;
  long calls = judge_srv_stat(&srv, "requests");
  int responses = PROMPTS * GROUP;
  double ideal = (double)((calls + CONCURRENCY - 1) / CONCURRENCY) *
                 LATENCY_MS / 1000.0;
  printf("reward engine + judge: %d responses (%d fail the hard check, %d "
         "repeat the one before), judge latency %d ms, concurrency %d\n",
         responses, fails, repeats, LATENCY_MS, CONCURRENCY);
  printf("  judge calls made: %ld of %d responses (%d spared by the "
         "short-circuit, %ld by in-flight dedupe and the cache)\n",
         calls, responses, fails, (long)(responses - fails) - calls);
  printf("  wall time %.2f s; ideal for %ld calls %.2f s (x%.2f)\n", wall,
         calls, ideal, ideal > 0 ? wall / ideal : 0.0);
  vf_engine_report(e, stdout);
  rc = 0;
done:
  if (rc)
    fprintf(stderr, "bench_reward: %s\n", err.msg);
  for (int i = 0; i < PROMPTS; i++) {
    free(lines[i]);
    free(out[i]);
  }
  vf_engine_free(e);
  vf_ctx_free(ctx);
  judge_srv_stop(&srv);
  return rc;
}
