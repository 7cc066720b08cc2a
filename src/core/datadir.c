/*
 * datadir.c: where the bundled run-time data (Punkt parameters, langdetect
 * profiles, judge prompts) is found when the caller names no directory.
 * The one file compiled with VF_DATA_DIR: the build tree's data/ for build/,
 * PREFIX/share/verif for what `make install` installs, so only this object
 * differs between the two.  A staged or moved installation still finds its
 * data through share/verif beside the program or library.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verif.h"

#ifndef VF_DATA_DIR
#define VF_DATA_DIR "data"
#endif

static pthread_once_t found_once = PTHREAD_ONCE_INIT;
static char found[PATH_MAX];

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* file's directory, then /../share/verif: set in found when it exists. */
static int try_beside(const char *file) {
  char real[PATH_MAX], cand[PATH_MAX + 32];
  if (!file || file[0] != '/' || !realpath(file, real))
    return 0;
  char *slash = strrchr(real, '/');
  *slash = '\0';
  snprintf(cand, sizeof cand, "%s/../share/verif", real);
  if (!is_dir(cand) || !realpath(cand, found))
    return 0;
  return 1;
}

/* The shared library holding this code (when it is one), then the program:
 * the first with share/verif beside its bin/ or lib/; else VF_DATA_DIR. */
static void find_once(void) {
  Dl_info info;
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = '\0';
  if (dladdr((void *)vf_data_dir, &info) && try_beside(info.dli_fname))
    return;
  if (try_beside(exe))
    return;
  snprintf(found, sizeof found, "%s", VF_DATA_DIR);
}

const char *vf_data_dir(void) {
  const char *env = getenv("VERIF_DATA_DIR");
  if (env && *env)
    return env;
  pthread_once(&found_once, find_once);
  return found;
}
