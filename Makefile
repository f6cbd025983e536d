# profiled - plain Makefile.
#   make               build build/profiled (release flags)
#   make run           install Debian deps if missing, build, start with demo data
#   make check         install deps, run every test (unit + integration, then again under ASan+UBSan)
#   make unit          unit tests only (cmocka)
#   make SANITIZE=1    build with AddressSanitizer + UndefinedBehaviorSanitizer into build-san/
#   make bench-quick   the benchmark in quick mode
#   make layers        check that no folder includes a higher layer (docs/design.md)

PKGS     := libmicrohttpd jansson sqlite3 libsodium libxml-2.0 gnutls libpq
CC       ?= cc
ifeq ($(SANITIZE),1)
BUILD    ?= build-san
OPTFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDSAN    := -fsanitize=address,undefined
else
BUILD    ?= build
OPTFLAGS := -O2 -g -D_FORTIFY_SOURCE=2
LDSAN    :=
endif
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter -Wvla -Wimplicit-fallthrough
HARDEN   := -fstack-protector-strong -fPIE -fstack-clash-protection -fcf-protection
CPPFLAGS += -D_GNU_SOURCE -Isrc $(shell pkg-config --cflags $(PKGS))
CFLAGS   += -std=c17 $(OPTFLAGS) $(WARN) $(HARDEN) -pthread
LDFLAGS  += -pie -Wl,-z,relro,-z,now -pthread $(LDSAN)
LDLIBS   += $(shell pkg-config --libs $(PKGS)) -lm

VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CPPFLAGS += -DPROFILED_VERSION=\"$(VERSION)\"

# Sources are found by folder (docs/design.md): every src/FOLDER/*.c goes
# into the library; tests/unit/FOLDER/test_*.c mirror them.
SRC_DIRS := core codec model store auth http esign oauth admin soap pages control cli
LIB_SRC  := $(foreach d,$(SRC_DIRS),$(wildcard src/$(d)/*.c))
LIB_HDR  := $(foreach d,$(SRC_DIRS),$(wildcard src/$(d)/*.h))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/*/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all run check unit integration deps clean bench bench-quick san layers man
all: $(BUILD)/profiled

$(BUILD)/obj/%.o: src/%.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libprofiled.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/profiled: $(BUILD)/obj/main.o $(BUILD)/libprofiled.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libprofiled.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(shell pkg-config --cflags cmocka) $(LDFLAGS) -o $@ $< \
	    $(BUILD)/libprofiled.a $(LDLIBS) $(shell pkg-config --libs cmocka)

unit: $(UNIT_BIN)
	@set -e; fail=0; for t in $(UNIT_BIN); do echo "== $$t"; ./$$t || fail=1; done; \
	if [ $$fail -ne 0 ]; then echo "unit tests FAILED"; exit 1; fi

integration: $(BUILD)/profiled
	PROFILED_BIN=$(abspath $(BUILD)/profiled) node --test --test-concurrency=1 tests/integration/

deps:
	scripts/install-deps.sh

layers:
	scripts/check-layers.sh

run: deps
	$(MAKE) all
	scripts/start-demo.sh

check: deps
	scripts/run-tests.sh

bench-quick: deps
	bench/run.sh --quick

bench: deps
	bench/run.sh

# the man page, generated from the program's --help texts (tests/integration/man.test.mjs
# fails when the committed one is stale)
man: $(BUILD)/profiled
	scripts/gen-man.sh $(BUILD)/profiled > docs/profiled.1

clean:
	rm -rf build build-san

# libFuzzer drivers (clang from Debian): make fuzz [FUZZ_TIME=seconds per driver]
# Every driver (fuzz/fuzz_NAME.c) links build-fuzz/libprofiled.a: the same
# library, built by clang with the fuzzer's coverage and ASan+UBSan.
FUZZ_OPT   := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_TIME  ?= 30
FUZZERS    := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))

.PHONY: fuzz fuzz-lib
fuzz-lib:
	$(MAKE) BUILD=build-fuzz CC=clang OPTFLAGS="$(FUZZ_OPT)" build-fuzz/libprofiled.a

build/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz-lib
	@mkdir -p build/fuzz
	clang $(CPPFLAGS) -std=c17 -Wall -Wextra -Werror -Wno-unused-parameter -g -O1 \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -o $@ $< build-fuzz/libprofiled.a $(LDLIBS)

# Runs each driver for FUZZ_TIME seconds on its seeds (fuzz/corpus/NAME, in
# git) and what it found before (build/fuzz/corpus_NAME); fails on a crash,
# leaving the crashing input in crash-* and the driver's log.
fuzz: deps $(FUZZERS:%=build/fuzz/fuzz_%)
	@for m in $(FUZZERS); do \
	  mkdir -p build/fuzz/corpus_$$m fuzz/corpus/$$m; \
	  extra=; [ $$m = multipart ] && extra="-dict=fuzz/multipart.dict -max_len=16384"; \
	  build/fuzz/fuzz_$$m -max_total_time=$(FUZZ_TIME) -print_final_stats=1 $$extra \
	      build/fuzz/corpus_$$m fuzz/corpus/$$m > build/fuzz/$$m.log 2>&1; rc=$$?; \
	  runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' build/fuzz/$$m.log); \
	  echo "fuzz_$$m: $${runs:-?} inputs in $(FUZZ_TIME) s, exit $$rc"; \
	  if [ $$rc -ne 0 ]; then tail -40 build/fuzz/$$m.log; echo "fuzz_$$m FAILED"; exit 1; fi; \
	done
