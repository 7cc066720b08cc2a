/*
 * test_server_guard.c: the server library's own guards, in this process
 * with a stub scorer: vf_server_new refuses a token that would turn
 * authentication off or lock every client out; a connection idle past the
 * handshake allowance before any request passes the token is closed,
 * while an authenticated keep-alive connection is not; vf_server_drain
 * with no timeout of its own waits for a request until its deadline.
 * tests/cli/serve_guard.sh drives the same through `verif serve`.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "server/server.h"

static atomic_int scoring; /* calls begun */

/* Every item passes, after "sleep:N" milliseconds when its response says
 * so. */
static vf_status stub_score(void *ud, const char *const *items,
                            const size_t *lens, const char *const *where,
                            size_t n, char **out, vf_error *err) {
  atomic_fetch_add(&scoring, 1);
  for (size_t i = 0; i < n; i++) {
    json_t *it = json_loadb(items[i], lens[i], 0, NULL);
    const char *r = json_string_value(json_object_get(it, "response"));
    if (r && !strncmp(r, "sleep:", 6)) {
      long ms = strtol(r + 6, NULL, 10);
      struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
      nanosleep(&ts, NULL);
    }
    out[i] = strdup("{\"id\":null,\"reward\":1.0,\"hard\":null,\"soft\":null,"
                    "\"checks\":[],\"error\":null}");
    json_decref(it);
  }
  return VF_OK;
}

static vf_server *start(vf_server_opts *o, vf_error *err) {
  vf_server *s = NULL;
  o->score = stub_score;
  return vf_server_new(o, &s, err) == VF_OK ? s : NULL;
}

/* A loopback connection with a receive timeout of secs. */
static int dial(int port, int secs) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct timeval tv = {secs, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Sends a keep-alive request on fd and reads one answer; its status. */
static int exchange(int fd, const char *token) {
  char req[512], buf[4096];
  const char *body = "{\"items\":[]}";
  int n = snprintf(req, sizeof req,
                   "POST /v1/score HTTP/1.1\r\nHost: x\r\nAuthorization: "
                   "Bearer %s\r\nContent-Length: %zu\r\n\r\n%s",
                   token, strlen(body), body);
  if (write(fd, req, (size_t)n) != n)
    return -1;
  ssize_t got = read(fd, buf, sizeof buf - 1); /* one small answer */
  if (got <= 0)
    return -1;
  buf[got] = '\0';
  return strncmp(buf, "HTTP/1.1 ", 9) ? -1 : (int)strtol(buf + 9, NULL, 10);
}

static void test_tokens(void) {
  static const char *const refused[] = {"", "two words", "tab\there",
                                        "del\x7f", "caf\xc3\xa9"};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    vf_server_opts o = {.token = refused[i]};
    vf_error err = {0};
    vf_server *s = start(&o, &err);
    CHECKF(!s && err.code == VF_EINVAL && strstr(err.msg, "token"),
           "token '%s' accepted (%s)", refused[i], err.msg);
    vf_server_free(s, 5);
  }
  vf_server_opts o = {.token = "Abc-123_~+/="};
  vf_error err = {0};
  vf_server *s = start(&o, &err);
  CHECKF(s != NULL, "a sound token refused: %s", err.msg);
  vf_server_free(s, 5);
}

static void test_idle(void) {
  vf_server_opts o = {.token = "sekrit", .handshake_timeout_s = 1};
  vf_error err = {0};
  vf_server *s = start(&o, &err);
  CHECKF(s != NULL, "server: %s", err.msg);
  if (!s)
    return;
  int port = vf_server_port(s);
  int keep = dial(port, 20);
  CHECK(keep >= 0 && exchange(keep, "sekrit") == 200);
  int wrong = dial(port, 20);
  CHECK(wrong >= 0 && exchange(wrong, "wrong") == 401);
  int idle = dial(port, 20);
  char c;
  double t0 = vf_now();
  CHECKF(idle >= 0 && read(idle, &c, 1) == 0, "the idle connection was not "
                                               "closed by the server");
  CHECKF(vf_now() - t0 < 15, "closed after %.1f s", vf_now() - t0);
  CHECKF(read(wrong, &c, 1) == 0, "a connection with a wrong token was kept");
  CHECKF(exchange(keep, "sekrit") == 200,
         "the authenticated connection was closed with the idle one");
  close(idle);
  close(wrong);
  close(keep);
  CHECK(vf_server_free(s, 5) == 0);
}

static void test_drain_default(void) {
  vf_server_opts o = {.request_timeout_s = 0.5, .scorers = 1};
  vf_error err = {0};
  vf_server *s = start(&o, &err);
  CHECKF(s != NULL, "server: %s", err.msg);
  if (!s)
    return;
  int fd = dial(vf_server_port(s), 20);
  const char *body = "{\"prompt\":\"p\",\"response\":\"sleep:1500\",\"label\":\"{}\"}";
  char req[512];
  int n = snprintf(req, sizeof req, "POST /reward HTTP/1.1\r\nHost: x\r\n"
                   "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
  atomic_store(&scoring, 0);
  CHECK(fd >= 0 && write(fd, req, (size_t)n) == n);
  for (int i = 0; i < 10000 && !atomic_load(&scoring); i++) { /* scoring */
    struct timespec ts = {0, 1000000L};
    nanosleep(&ts, NULL);
  }
  CHECK(atomic_load(&scoring) == 1);
  CHECKF(vf_server_drain(s, 0) == 0, "drain(0) gave up on a request before "
                                     "its deadline");
  char buf[512];
  ssize_t got = read(fd, buf, sizeof buf - 1);
  buf[got > 0 ? got : 0] = '\0';
  CHECKF(!strncmp(buf, "HTTP/1.1 200", 12), "the answer: %s", buf);
  close(fd);
  CHECK(vf_server_free(s, 5) == 0);
}

int main(void) {
  test_tokens();
  test_idle();
  test_drain_default();
  return vf_test_summary("server_guard");
}
