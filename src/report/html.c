/*
 * html.c: writes a report page: the HTML skeleton, the document as JSON in
 * a <script type="application/json"> element (every '<' escaped, so no
 * text inside can close it), and the bundled CSS and script inlined.  The
 * page's Content-Security-Policy allows inline style and script and nothing
 * else, so it cannot reach the network even if a document held a URL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"
#include "text/text.h"

static vf_status read_asset(const char *data_dir, const char *name,
                            const char *closing, vf_buf *out, vf_error *err) {
  char path[1024];
  snprintf(path, sizeof path, "%s/report/%s", data_dir, name);
  FILE *f = fopen(path, "rb");
  if (!f)
    return vf_set_error(err, VF_EDATA, "cannot open %s: %s", path,
                        strerror(errno));
  char chunk[8192];
  int rc = 0;
  for (size_t n = fread(chunk, 1, sizeof chunk, f); !rc && n > 0;
       n = fread(chunk, 1, sizeof chunk, f))
    rc = vf_buf_append(out, chunk, n);
  int bad = ferror(f);
  fclose(f);
  if (rc || bad || vf_buf_putc(out, '\0'))
    return vf_set_error(err, rc ? VF_ENOMEM : VF_EIO, "cannot read %s", path);
  out->len--;
  if (strstr(out->data, closing))
    return vf_set_error(err, VF_EDATA, "%s contains \"%s\"", path, closing);
  return VF_OK;
}

/* Text with &, <, >, " escaped. */
static int put_escaped(FILE *f, const char *s) {
  for (; *s; s++) {
    const char *e = *s == '&'   ? "&amp;"
                    : *s == '<' ? "&lt;"
                    : *s == '>' ? "&gt;"
                    : *s == '"' ? "&quot;"
                                : NULL;
    if (e ? fputs(e, f) < 0 : putc(*s, f) == EOF)
      return -1;
  }
  return 0;
}

/* The JSON with every '<' written as \u003c. */
static int put_json(FILE *f, const char *s) {
  for (const char *lt = strchr(s, '<'); lt; lt = strchr(s, '<')) {
    if (fwrite(s, 1, (size_t)(lt - s), f) != (size_t)(lt - s) ||
        fputs("\\u003c", f) < 0)
      return -1;
    s = lt + 1;
  }
  return fputs(s, f) < 0 ? -1 : 0;
}

static const char head_open[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
    "'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src "
    "data:\">\n<meta name=\"generator\" content=\"verif " VF_VERSION "\">\n"
    "<title>";

static int write_page(FILE *f, const json_t *doc, const vf_buf *css,
                      const vf_buf *js) {
  const char *title = json_string_value(json_object_get(doc, "title"));
  char *data = json_dumps(doc, JSON_COMPACT);
  int rc = !data || fputs(head_open, f) < 0 ||
           put_escaped(f, title ? title : "verif report") ||
           fputs("</title>\n<style>\n", f) < 0 || fputs(css->data, f) < 0 ||
           fputs("</style>\n</head>\n<body>\n<main id=\"report\">"
                 "<noscript><p>This report draws its charts and table with "
                 "the script inside the page; the data is in the "
                 "report-data element of its source.</p></noscript></main>\n"
                 "<script type=\"application/json\" id=\"report-data\">",
                 f) < 0 ||
           put_json(f, data) || fputs("</script>\n<script>\n", f) < 0 ||
           fputs(js->data, f) < 0 ||
           fputs("</script>\n</body>\n</html>\n", f) < 0;
  free(data);
  return rc ? -1 : 0;
}

vf_status vf_report_write(const char *data_dir, const char *path,
                          const json_t *doc, vf_error *err) {
  vf_buf css = {0}, js = {0}, tmp = {0};
  vf_status st = read_asset(data_dir, "report.css", "</style", &css, err);
  if (!st)
    st = read_asset(data_dir, "report.js", "</script", &js, err);
  if (!st && vf_buf_printf(&tmp, "%s.tmp%ld", path, (long)getpid()))
    st = vf_set_error(err, VF_ENOMEM, "out of memory");
  FILE *f = st ? NULL : fopen(tmp.data, "wb");
  if (!st && !f)
    st = vf_set_error(err, VF_EIO, "cannot create %s: %s", tmp.data,
                      strerror(errno));
  if (f) {
    int bad = write_page(f, doc, &css, &js);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp.data, path)) {
      st = vf_set_error(err, VF_EIO, "cannot write %s: %s", path,
                        strerror(errno));
      unlink(tmp.data);
    }
  }
  vf_buf_free(&css);
  vf_buf_free(&js);
  vf_buf_free(&tmp);
  return st;
}
