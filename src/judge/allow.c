/*
 * allow.c: may a request name its own judge?  A per-request judge URL (an
 * item's "judge_url", e.g. the reward model verl hosts for its reward loop)
 * is taken only when the operator listed its host in --judge-url-allow:
 * entries "host" (any port) or "host:port" ("[v6]:port" for IPv6),
 * comma-separated, compared with the URL's host as libcurl parses it.
 * Everything else is refused before any connection is made.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "judge/judge.h"

/* The URL's scheme, host and port (the scheme's default when absent); -1
 * with why when it is not an http(s) URL. */
static int url_parts(const char *url, char *host, size_t hsize, long *port,
                     char *why, size_t wsize) {
  CURLU *u = curl_url();
  char *scheme = NULL, *h = NULL, *p = NULL;
  int rc = -1;
  if (!u || curl_url_set(u, CURLUPART_URL, url, 0) ||
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
      curl_url_get(u, CURLUPART_HOST, &h, 0) ||
      curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT)) {
    snprintf(why, wsize, "judge_url is not a URL: \"%.200s\"", url);
  } else if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https")) {
    snprintf(why, wsize, "judge_url must be http or https, got \"%.20s\"",
             scheme);
  } else {
    snprintf(host, hsize, "%s", h);
    *port = strtol(p, NULL, 10);
    rc = 0;
  }
  curl_free(scheme);
  curl_free(h);
  curl_free(p);
  curl_url_cleanup(u);
  return rc;
}

/* One allow-list entry e[0..n) against host and port. */
static int entry_matches(const char *e, size_t n, const char *host,
                         long port) {
  while (n && (*e == ' ' || *e == '\t'))
    e++, n--;
  while (n && (e[n - 1] == ' ' || e[n - 1] == '\t'))
    n--;
  const char *colon = NULL;
  if (n && e[0] == '[') { /* [v6] or [v6]:port; libcurl keeps the brackets */
    const char *close = memchr(e, ']', n);
    colon = close && close + 1 < e + n && close[1] == ':' ? close + 1 : NULL;
  } else {
    colon = memchr(e, ':', n);
  }
  size_t hlen = colon ? (size_t)(colon - e) : n;
  if (!hlen || hlen != strlen(host) || strncasecmp(e, host, hlen))
    return 0;
  if (!colon)
    return 1;
  char num[16];
  size_t plen = n - hlen - 1;
  if (!plen || plen >= sizeof num)
    return 0;
  memcpy(num, colon + 1, plen);
  num[plen] = '\0';
  char *end;
  long want = strtol(num, &end, 10);
  return !*end && want == port;
}

int vf_judge_url_allowed(const char *allow, const char *url, char *why,
                         size_t size) {
  char host[256];
  long port = 0;
  if (!allow || !*allow) {
    snprintf(why, size, "a per-request judge_url is refused: the server "
                        "allows none (start it with --judge-url-allow HOST)");
    return 0;
  }
  if (url_parts(url, host, sizeof host, &port, why, size))
    return 0;
  for (const char *p = allow; *p;) {
    size_t n = strcspn(p, ",");
    if (entry_matches(p, n, host, port))
      return 1;
    p += n + (p[n] == ',');
  }
  snprintf(why, size, "judge_url host %s:%ld is not in --judge-url-allow",
           host, port);
  return 0;
}
