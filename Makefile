# verif: plain Makefile.
#   make          build/verif, build/libverif.a, build/libverif.so
#   make test     every test, then again under ASan+UBSan
#   make bench    benchmarks            make run   IFEval report on bundled data
#   make install  PREFIX (/usr/local) and DESTDIR as usual; make uninstall
# Library sources are src/<concern>/*.c except src/cli; the command is
# src/cli/*.c linked against the static library.

CC      ?= cc
PKGS    := jansson libpcre2-8 libutf8proc python3-embed libseccomp libcurl \
           libmicrohttpd sqlite3
DEPS_OK := $(shell pkg-config --exists $(PKGS) 2>/dev/null && echo yes)
ifneq ($(DEPS_OK),yes)
  $(info verif: build dependencies missing; running scripts/install-deps)
  $(shell scripts/install-deps >&2)
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS)) -lm -lpthread

DATA_DIR ?= $(CURDIR)/data
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter
BASE_CFLAGS := -std=c17 -D_GNU_SOURCE -Iinclude -Isrc $(WARN) $(PKG_CFLAGS) \
           -DVF_DATA_DIR='"$(DATA_DIR)"' -fPIC
OPT     ?= -O2 -g
CFLAGS_ALL := $(BASE_CFLAGS) $(OPT) $(CFLAGS)

B       ?= build
LIB_SRC := $(sort $(filter-out src/cli/% $(LIB_EXCLUDE),$(wildcard src/*/*.c)))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
# Test servers (e.g. tests/judge_server/): one program per folder, built
# from all its .c files into build/<folder>, before the tests run.
SERVER_DIRS := $(sort $(dir $(wildcard tests/*_server/*.c)))
SERVERS := $(foreach d,$(SERVER_DIRS),$(B)/$(notdir $(patsubst %/,%,$(d))))
BENCH_SRC := $(sort $(wildcard bench/*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/obj/%.o)
TESTS   := $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)
BENCHES := $(BENCH_SRC:bench/%.c=$(B)/bench/%)

VERSION := $(shell sed -n 's/^\#define VF_VERSION "\(.*\)"/\1/p' include/verif.h)
SOMAJOR := $(firstword $(subst ., ,$(VERSION)))
SONAME  := libverif.so.$(SOMAJOR)

.SECONDEXPANSION:
.PHONY: all test test-plain test-asan bench run clean deps checksrc install \
        uninstall FORCE
all: $(B)/verif $(B)/libverif.a $(B)/libverif.so

# src/core/datadir.c is the one object that holds the data directory; a
# stamp holding the path rebuilds it when the path changes.
$(B)/data-dir.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DATA_DIR)' | cmp -s - $@ || echo '$(DATA_DIR)' > $@
$(B)/obj/src/core/datadir.o: $(B)/data-dir.stamp

$(B)/obj/%.o: %.c $(wildcard include/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DVF_BUILDING_LIBRARY -fvisibility=hidden -c $< -o $@

$(B)/libverif.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libverif.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) -o $@ $^ $(PKG_LIBS)

$(B)/verif: $(CLI_OBJ) $(B)/libverif.a
	$(CC) $(OPT) -o $@ $(CLI_OBJ) $(B)/libverif.a $(PKG_LIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/harness.h $(B)/libverif.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit -o $@ $< $(B)/libverif.a $(PKG_LIBS)

$(B)/%_server: $$(wildcard tests/%_server/*.c tests/%_server/*.h) $(B)/libverif.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/$*_server -o $@ $(filter %.c,$^) $(B)/libverif.a $(PKG_LIBS)

$(B)/bench/%: bench/%.c $(B)/libverif.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(B)/libverif.a $(PKG_LIBS)

# The whole suite runs twice: optimised, then under ASan+UBSan.  Both passes
# always run (the second also when the first failed); the closing lines
# repeat each pass's total, and the status is non-zero when the source check
# or either pass failed or did not build.
ASAN_B := build/asan
test:
	@rm -f $(B)/test-summary $(ASAN_B)/test-summary; rc=0; \
	scripts/checksrc || { rc=1; echo "checksrc: FAILED (see above)"; }; \
	$(MAKE) test-plain || rc=1; \
	$(MAKE) test-asan || rc=1; \
	echo "== make test: both passes"; \
	for p in "plain:$(B)" "asan+ubsan:$(ASAN_B)"; do \
	  if [ -f "$${p#*:}/test-summary" ]; then \
	    echo "$${p%%:*} $$(cat "$${p#*:}/test-summary")"; \
	  else echo "$${p%%:*} did not run to the end (see the build errors above)"; rc=1; fi; \
	done; \
	[ $$rc -eq 0 ] && echo "make test: passed" || echo "make test: FAILED"; \
	exit $$rc

# The build dir and flags go to the tests (tests/cli/install.sh runs `make
# install` with the same ones).
test-plain: all $(TESTS) $(SERVERS)
	@VERIF_B='$(B)' VERIF_OPT='$(OPT)' scripts/run-tests $(B)

test-asan:
	$(MAKE) B=$(ASAN_B) OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  CFLAGS="$(CFLAGS)" test-plain

checksrc:
	@scripts/checksrc

bench: all $(BENCHES) $(SERVERS)
	@scripts/run-bench $(B)

# The bundled input has one prompt without a response (key 2785): verif
# skips it and exits 1 ("some prompts skipped"), which is expected here.
run: all
	$(B)/verif eval ifeval --input_data data/ifeval/input_data.jsonl \
	  --input_response_data data/ifeval/input_response_data_gpt4_20231107_145030.jsonl \
	  --output_dir $(B)/run --skip-missing; [ $$? -le 1 ]

deps:
	scripts/install-deps

clean:
	rm -rf build

# ---- install ---------------------------------------------------------------
# The installed library and command differ from build/'s in one object: the
# data directory compiled in is $(DATADIR)/verif, not the tree's data/ (and
# a staged or moved tree still finds share/verif beside bin/ and lib/).
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INST        := $(B)/install
INST_OBJ    := $(filter-out $(B)/obj/src/core/datadir.o,$(LIB_OBJ)) $(INST)/datadir.o
DATA_FILES  := $(shell cd data && find . -type f | sed 's|^\./||' | sort)

$(INST)/data-dir.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DATADIR)/verif' | cmp -s - $@ || echo '$(DATADIR)/verif' > $@

$(INST)/datadir.o: src/core/datadir.c include/verif.h $(INST)/data-dir.stamp
	$(CC) $(filter-out -DVF_DATA_DIR=%,$(CFLAGS_ALL)) \
	  -DVF_DATA_DIR='"$(DATADIR)/verif"' -DVF_BUILDING_LIBRARY -fvisibility=hidden -c $< -o $@

$(INST)/libverif.a: $(INST_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(INST)/libverif.so.$(VERSION): $(INST_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) -o $@ $^ $(PKG_LIBS)

$(INST)/verif: $(CLI_OBJ) $(INST)/libverif.a
	$(CC) $(OPT) -o $@ $(CLI_OBJ) $(INST)/libverif.a $(PKG_LIBS)

$(INST)/verif.pc: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' \
	  'datadir=$(DATADIR)/verif' '' 'Name: verif' \
	  'Description: instruction-following verification (VerIF rewards, IFEval checkers)' \
	  'Version: $(VERSION)' 'Requires.private: $(PKGS)' \
	  'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lverif' \
	  'Libs.private: -lm -lpthread' > $@

install: $(INST)/verif $(INST)/libverif.a $(INST)/libverif.so.$(VERSION) $(INST)/verif.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
	  $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/verif
	install -m 755 $(INST)/verif $(DESTDIR)$(BINDIR)/verif
	install -m 644 $(INST)/libverif.a $(DESTDIR)$(LIBDIR)/libverif.a
	install -m 755 $(INST)/libverif.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libverif.so.$(VERSION)
	ln -sf libverif.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libverif.so
	install -m 644 include/verif.h $(DESTDIR)$(INCLUDEDIR)/verif.h
	install -m 644 $(INST)/verif.pc $(DESTDIR)$(PKGCONFIGDIR)/verif.pc
	install -m 644 docs/verif.1 $(DESTDIR)$(MANDIR)/man1/verif.1
	cd data && for f in $(DATA_FILES); do \
	  install -D -m 644 "$$f" "$(DESTDIR)$(DATADIR)/verif/$$f" || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/verif $(DESTDIR)$(LIBDIR)/libverif.a \
	  $(DESTDIR)$(LIBDIR)/libverif.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	  $(DESTDIR)$(LIBDIR)/libverif.so $(DESTDIR)$(INCLUDEDIR)/verif.h \
	  $(DESTDIR)$(PKGCONFIGDIR)/verif.pc $(DESTDIR)$(MANDIR)/man1/verif.1
	rm -rf $(DESTDIR)$(DATADIR)/verif
