/*
 * test_judge_allow.c: vf_judge_url_allowed, the --judge-url-allow gate a
 * per-request judge URL must pass: hosts with and without ports, IPv6,
 * case, spaces, schemes, and the refusals (nothing allowed, not a URL,
 * another host or port, a host that merely starts like an allowed one).
 */
#include "harness.h"
#include "judge/judge.h"

typedef struct allow_case {
  const char *allow, *url;
  int want;
  const char *why; /* a substring of the refusal */
} allow_case;

static const allow_case cases[] = {
    {"10.0.0.5", "http://10.0.0.5:8000/v1", 1, NULL},
    {"10.0.0.5:8000", "http://10.0.0.5:8000/v1", 1, NULL},
    {"10.0.0.5:8000", "http://10.0.0.5:8001/v1", 0, "10.0.0.5:8001"},
    {"judge.local, 10.0.0.5", "http://10.0.0.5/v1", 1, NULL},
    {"judge.local:443", "https://JUDGE.local/v1", 1, NULL},
    {"judge.local:80", "https://judge.local/v1", 0, "not in --judge-url-allow"},
    {"[::1]:9000", "http://[::1]:9000/v1", 1, NULL},
    {"[::1]", "http://[::1]:9/v1", 1, NULL},
    {"judge.local", "http://judge.local.evil.example/v1", 0, "evil"},
    {"judge.local", "http://evil.example/v1#judge.local", 0, "evil"},
    {"judge.local", "http://user@evil.example/v1", 0, "evil"},
    {"judge.local", "ftp://judge.local/v1", 0, "http or https"},
    {"judge.local", "not a url", 0, "not a URL"},
    {"", "http://judge.local/v1", 0, "allows none"},
    {NULL, "http://judge.local/v1", 0, "--judge-url-allow"},
    {",,", "http://judge.local/v1", 0, "not in"},
};

int main(void) {
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const allow_case *c = &cases[i];
    char why[400] = "";
    int got = vf_judge_url_allowed(c->allow, c->url, why, sizeof why);
    CHECKF(got == c->want && (got || strstr(why, c->why)),
           "allow '%s' url '%s': got %d (%s), want %d ('%s')",
           c->allow ? c->allow : "(null)", c->url, got, why, c->want,
           c->why ? c->why : "");
  }
  return vf_test_summary("judge_allow");
}
