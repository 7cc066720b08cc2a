# verif: plain Makefile.
#   make          build/verif, build/libverif.a, build/libverif.so
#   make test     every test, then again under ASan+UBSan
#   make bench    benchmarks            make run   IFEval report on bundled data
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

.SECONDEXPANSION:
.PHONY: all test test-plain test-asan bench run clean deps checksrc
all: $(B)/verif $(B)/libverif.a $(B)/libverif.so

$(B)/obj/%.o: %.c $(wildcard include/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DVF_BUILDING_LIBRARY -fvisibility=hidden -c $< -o $@

$(B)/libverif.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libverif.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(PKG_LIBS)

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

test-plain: all $(TESTS) $(SERVERS)
	@scripts/run-tests $(B)

test-asan:
	$(MAKE) B=$(ASAN_B) OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  CFLAGS="$(CFLAGS)" test-plain

checksrc:
	@scripts/checksrc

bench: all $(BENCHES) $(SERVERS)
	@scripts/run-bench $(B)

run: all
	$(B)/verif eval ifeval --input_data data/ifeval/input_data.jsonl \
	  --input_response_data data/ifeval/input_response_data_gpt4_20231107_145030.jsonl \
	  --output_dir $(B)/run --skip-missing

deps:
	scripts/install-deps

clean:
	rm -rf build
