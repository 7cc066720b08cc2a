/*
 * db.c: the judge's persistent cache, one SQLite table of verdicts keyed
 * by the SHA-256 of model, template name and prompt bytes.  judge.c looks
 * every request up before calling a server and stores a batch's new
 * verdicts in one transaction.  WAL mode, so several processes may share
 * the file; our own mutex serialises the threads of one judge.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "judge/judge_int.h"

struct vf_judge_db {
  sqlite3 *db;
  sqlite3_stmt *get, *put;
  pthread_mutex_t lock;
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS judge_verdicts("
    " key BLOB PRIMARY KEY,"   /* SHA-256(model \0 template \0 prompt) */
    " status INTEGER NOT NULL," /* 0 parsed, 1 unparsed */
    " score INTEGER NOT NULL,"
    " created INTEGER NOT NULL DEFAULT (strftime('%s','now'))"
    ") WITHOUT ROWID;";

static vf_status prepare(vf_judge_db *d, const char *path, vf_error *err) {
  const char *get = "SELECT status, score FROM judge_verdicts WHERE key=?1";
  const char *put = "INSERT OR REPLACE INTO judge_verdicts(key, status, "
                    "score) VALUES (?1, ?2, ?3)";
  if (sqlite3_busy_timeout(d->db, 10000) != SQLITE_OK ||
      sqlite3_exec(d->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(d->db, get, -1, &d->get, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(d->db, put, -1, &d->put, NULL) != SQLITE_OK)
    return vf_set_error(err, VF_EIO, "judge cache %s: %s", path,
                        sqlite3_errmsg(d->db));
  return VF_OK;
}

vf_status vf_judge_db_open(const char *path, vf_judge_db **out,
                           vf_error *err) {
  *out = NULL;
  vf_judge_db *d = calloc(1, sizeof *d);
  if (!d)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  pthread_mutex_init(&d->lock, NULL);
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
              SQLITE_OPEN_NOMUTEX;
  vf_status st;
  if (sqlite3_open_v2(path, &d->db, flags, NULL) != SQLITE_OK)
    st = vf_set_error(err, VF_EIO, "judge cache %s: %s", path,
                      d->db ? sqlite3_errmsg(d->db) : "out of memory");
  else
    st = prepare(d, path, err);
  if (st) {
    vf_judge_db_close(d);
    return st;
  }
  *out = d;
  return VF_OK;
}

void vf_judge_db_close(vf_judge_db *d) {
  if (!d)
    return;
  sqlite3_finalize(d->get);
  sqlite3_finalize(d->put);
  sqlite3_close(d->db);
  pthread_mutex_destroy(&d->lock);
  free(d);
}

int vf_judge_db_get(vf_judge_db *d, const unsigned char key[32],
                    vf_judge_status *status, int *score) {
  int hit = 0;
  pthread_mutex_lock(&d->lock);
  sqlite3_bind_blob(d->get, 1, key, 32, SQLITE_STATIC);
  if (sqlite3_step(d->get) == SQLITE_ROW) {
    int s = sqlite3_column_int(d->get, 0);
    hit = s == VF_JUDGE_OK || s == VF_JUDGE_UNPARSED;
    *status = (vf_judge_status)s;
    *score = sqlite3_column_int(d->get, 1);
  }
  sqlite3_reset(d->get);
  sqlite3_clear_bindings(d->get);
  pthread_mutex_unlock(&d->lock);
  return hit;
}

static int put_row(vf_judge_db *d, const vf_judge_db_row *r) {
  sqlite3_bind_blob(d->put, 1, r->key, 32, SQLITE_STATIC);
  sqlite3_bind_int(d->put, 2, (int)r->status);
  sqlite3_bind_int(d->put, 3, r->score);
  int rc = sqlite3_step(d->put);
  sqlite3_reset(d->put);
  sqlite3_clear_bindings(d->put);
  return rc == SQLITE_DONE ? 0 : -1;
}

int vf_judge_db_put(vf_judge_db *d, const vf_judge_db_row *rows, size_t n) {
  int rc = 0;
  if (n == 0)
    return 0;
  pthread_mutex_lock(&d->lock);
  if (sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
    rc = -1;
    goto done;
  }
  for (size_t i = 0; i < n && rc == 0; i++)
    rc = put_row(d, &rows[i]);
  if (rc == 0 && sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    rc = -1;
  if (rc)
    sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
done:
  pthread_mutex_unlock(&d->lock);
  return rc;
}
