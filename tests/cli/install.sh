#!/usr/bin/env bash
# install.sh: `make install DESTDIR=... PREFIX=/usr` lays out bin/verif,
# lib/libverif.{a,so} (versioned SONAME and links), include/verif.h,
# share/verif (the run-time data), verif.pc and verif.1; from another
# directory, with no VERIF_DATA_DIR, the installed verif's `eval ifeval`
# gives build/verif's report and files; a five-line C program builds with
# `pkg-config --cflags --libs verif` and runs against the installed shared
# library; `make uninstall` removes it all; `pip install ./python` installs
# the client offline.  Uses the build dir and flags of the pass that runs it
# (VERIF_B, VERIF_OPT from the Makefile).
set -u
TEST_NAME=install
. "$(dirname "$0")/lib/harness.bash"
V=${VERIF:-build/verif}
B=${VERIF_B:-$(dirname "$V")}
ROOT=$(pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S=$T/stage
unset VERIF_DATA_DIR MAKEFLAGS MAKELEVEL

mk() { # the Makefile, with this pass's build dir and flags
  if [ -n "${VERIF_OPT:-}" ]; then make -s -C "$ROOT" B="$B" OPT="$VERIF_OPT" "$@"
  else make -s -C "$ROOT" B="$B" "$@"; fi
}

mk install DESTDIR="$S" PREFIX=/usr >"$T/install.log" 2>&1 ||
  { bad "make install failed: $(tail -5 "$T/install.log")"; finish; }
ok

# ---- the layout -----------------------------------------------------------
soname=$(readelf -d "$S/usr/lib/libverif.so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
for f in bin/verif lib/libverif.a include/verif.h lib/pkgconfig/verif.pc \
         share/man/man1/verif.1 share/verif/NOTICE \
         share/verif/punkt_tab/english/abbrev_types.txt \
         share/verif/langdetect/profiles/en share/verif/verif_prompt/llm_score.txt; do
  [ -f "$S/usr/$f" ] && ok || bad "not installed: $f"
done
case "$soname" in
  libverif.so.[0-9]*) ok ;;
  *) bad "SONAME of libverif.so: '$soname'" ;;
esac
[ -L "$S/usr/lib/libverif.so" ] && [ -L "$S/usr/lib/$soname" ] &&
  [ -f "$(readlink -f "$S/usr/lib/libverif.so")" ] &&
  [ "$(readlink "$S/usr/lib/$soname")" = "$(basename "$(readlink -f "$S/usr/lib/libverif.so")")" ] &&
  ok || bad "libverif.so links: $(ls -l "$S/usr/lib" | tr '\n' ' ')"
grep -qx 'prefix=/usr' "$S/usr/lib/pkgconfig/verif.pc" && ok || bad "verif.pc prefix"
grep -q '^\.TH VERIF 1' "$S/usr/share/man/man1/verif.1" && ok || bad "verif.1 is no man page"

# ---- the installed verif, from elsewhere, no environment ------------------
mkdir -p "$T/elsewhere"
in="$ROOT/data/ifeval/input_data.jsonl"
resp="$ROOT/data/ifeval/input_response_data_gpt4_20231107_145030.jsonl"
# the same --output_dir for both (the report names it); status 1: the
# bundled set has one prompt without a response, skipped
"$V" eval ifeval --input_data "$in" --input_response_data "$resp" \
  --output_dir "$T/out" --skip-missing >"$T/report1" 2>/dev/null
mv "$T/out" "$T/o1"
(cd "$T/elsewhere" && "$S/usr/bin/verif" eval ifeval --input_data "$in" \
  --input_response_data "$resp" --output_dir "$T/out" --skip-missing) >"$T/report2" 2>"$T/err2"
rc=$?
mv "$T/out" "$T/o2"
[ $rc -eq 1 ] && [ -s "$T/report2" ] && cmp -s "$T/report1" "$T/report2" && ok ||
  bad "installed eval ifeval (status $rc) differs from $V: $(diff "$T/report1" "$T/report2" | head -5) $(head -3 "$T/err2")"
cmp -s "$T/o1/eval_results_loose.jsonl" "$T/o2/eval_results_loose.jsonl" &&
  cmp -s "$T/o1/eval_results_strict.jsonl" "$T/o2/eval_results_strict.jsonl" && ok ||
  bad "installed eval ifeval: result files differ"
(cd "$T/elsewhere" && "$S/usr/bin/verif" --help) | grep -qF "now: $(readlink -f "$S/usr/share/verif")" && ok ||
  bad "installed verif does not use its share/verif: $("$S/usr/bin/verif" --help | grep VERIF_DATA_DIR)"

# ---- a C program against the installed library ----------------------------
cat >"$T/elsewhere/prog.c" <<'C'
#include <verif.h>
int main(void) { vf_ctx *c; vf_checker *k; vf_verdict v; vf_error e;
  if (vf_ctx_new(&c, NULL, &e) || vf_checker_new(c, "punctuation:no_comma", NULL, &k, &e) ||
      vf_checker_run(k, "no commas here", 14, &v, &e)) { puts(e.msg); return 1; }
  printf("%s %d\n", VF_VERSION, v.pass); vf_checker_free(k); vf_ctx_free(c); return 0; }
C
sed -i '1i #include <stdio.h>' "$T/elsewhere/prog.c"
flags=$(PKG_CONFIG_SYSROOT_DIR="$S" PKG_CONFIG_PATH="$S/usr/lib/pkgconfig" pkg-config --cflags --libs verif 2>"$T/pc.err")
[ -n "$flags" ] && ok || bad "pkg-config --cflags --libs verif: $(cat "$T/pc.err")"
# shellcheck disable=SC2086
(cd "$T/elsewhere" && cc ${VERIF_OPT:-} -o prog prog.c $flags) 2>"$T/cc.err" && ok ||
  bad "the C program does not build: $(head -5 "$T/cc.err")"
out=$(cd "$T/elsewhere" && LD_LIBRARY_PATH="$S/usr/lib" ./prog 2>&1)
[ "$out" = "$(sed -n 's/^#define VF_VERSION "\(.*\)"/\1/p' "$ROOT/include/verif.h") 1" ] && ok ||
  bad "the C program says: $out"
(cd "$T/elsewhere" && LD_LIBRARY_PATH="$S/usr/lib" ldd ./prog) | grep -q "$soname => $S/usr/lib/$soname" && ok ||
  bad "prog is not linked against the installed $soname: $(cd "$T/elsewhere" && LD_LIBRARY_PATH="$S/usr/lib" ldd ./prog | grep verif)"

# ---- make uninstall -------------------------------------------------------
mk uninstall DESTDIR="$S" PREFIX=/usr >"$T/uninstall.log" 2>&1 && ok || bad "make uninstall: $(tail -3 "$T/uninstall.log")"
left=$(find "$S" ! -type d | head -5)
[ -z "$left" ] && ok || bad "left after make uninstall: $left"

# ---- the Python client: pip install ./python, offline ---------------------
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if ! "$PY" -m pip --version >/dev/null 2>&1; then
  bad "$PY has no pip (scripts/install-deps installs python3-pip)"
else
  cp -r "$ROOT/python" "$T/pysrc"  # setuptools writes build/ beside the sources
  "$PY" -m pip install --no-index --no-deps --quiet --target "$T/py" "$T/pysrc" >"$T/pip.log" 2>&1 &&
    (cd "$T/elsewhere" && PYTHONPATH="$T/py" "$PY" -c 'import verif_client, sys; sys.exit(not verif_client.Client)') &&
    ok || bad "pip install ./python (offline): $(tail -5 "$T/pip.log")"
fi
finish
