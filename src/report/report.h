/*
 * report.h: the one HTML report writer of verif, shared by `verif audit`
 * (src/audit/page.c) and `verif eval --html` (src/eval/report.c).  A report
 * is a JSON document; the writer embeds it in a single self-contained page
 * together with the CSS and the script that draw it (data/report/report.css
 * and report.js, written for verif and inlined: the page loads nothing and
 * its Content-Security-Policy forbids any request).
 *
 * The document (every member optional unless said):
 *   title, subtitle        strings
 *   notes                  [string]: paragraphs under the title
 *   summary                [{id, label, value, format}]: the key figures;
 *                          format "int", "pct" (a fraction shown as %),
 *                          "num" or "text"; id becomes the element id
 *   charts                 [chart]: horizontal bar charts, either
 *     {id, title, format, categories: [string],
 *      series: [{name, values: [number]}]}       the values given, or
 *     {id, title, count: KEY, item: FIELD, by: KEY, order: [string],
 *      top: N}                                    counted over the table's
 *                          rows: each row counts once per distinct
 *                          row[KEY][*][FIELD]; with by, one stacked bar
 *                          per value of row[by] (the top N)
 *   table                  {columns: [{key, label, type}], rows: [object],
 *                           details: [{key, label, type, fields}],
 *                           flag: KEY, flag_only: bool, page_size: N}
 *                          type: text, int, num, pct, list (of objects,
 *                          shown by their `item` field), code, records;
 *                          a row is flagged when row[flag] is a non-empty
 *                          list (flag_only: show only those at first);
 *                          details show under a row when it is opened.
 * The page computes its totals from the rows: #table-total, #table-flagged
 * and one .bar-value per bar, which tests read back in a browser.
 */
#ifndef VF_REPORT_H
#define VF_REPORT_H

#include <jansson.h>

#include "verif.h"

/* Writes doc as an HTML page to path (through a temporary file renamed
 * into place).  The assets come from <data_dir>/report/. */
vf_status vf_report_write(const char *data_dir, const char *path,
                          const json_t *doc, vf_error *err);

#endif
