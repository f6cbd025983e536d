# profiled - plain Makefile.
#   make               build build/profiled (release flags)
#   make run           install Debian deps if missing, build, start with demo data
#   make check         install deps, run every test (unit + integration, then again under ASan+UBSan)
#   make unit          unit tests only (cmocka)
#   make SANITIZE=1    build with AddressSanitizer + UndefinedBehaviorSanitizer into build-san/
#   make bench-quick   the benchmark in quick mode

PKGS     := libmicrohttpd jansson sqlite3 libsodium libxml-2.0 gnutls
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
SRC_DIRS := core codec model store auth http esign oauth admin soap pages cli
LIB_SRC  := $(foreach d,$(SRC_DIRS),$(wildcard src/$(d)/*.c))
LIB_HDR  := $(foreach d,$(SRC_DIRS),$(wildcard src/$(d)/*.h))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/*/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all run check unit integration deps clean bench bench-quick san
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

run: deps
	$(MAKE) all
	scripts/start-demo.sh

check: deps
	scripts/run-tests.sh

bench-quick: deps
	bench/run.sh --quick

bench: deps
	bench/run.sh

clean:
	rm -rf build build-san

# libFuzzer drivers (clang from Debian): make fuzz [FUZZ_TIME=seconds]
FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -Isrc -Wall -Wextra -Werror -Wno-unused-parameter -g -O1 \
              -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_TIME  ?= 30
FUZZERS     = b64 image multipart profile_body soap_envelope
# what each driver links: the code under test and nothing else
FUZZ_SRC_b64          = src/core/b64.c
FUZZ_SRC_image        = src/model/image.c
FUZZ_SRC_multipart    = src/codec/multipart.c
FUZZ_SRC_profile_body = src/model/profile.c src/codec/xml.c src/core/xmlsafe.c src/core/jsonutil.c src/core/error.c \
                        src/core/strutil.c
FUZZ_PKG_profile_body = jansson libxml-2.0 libsodium
FUZZ_SRC_soap_envelope = src/soap/envelope.c src/core/xmlsafe.c src/core/strutil.c
FUZZ_PKG_soap_envelope = libxml-2.0 libsodium libmicrohttpd jansson gnutls

.SECONDEXPANSION:
build/fuzz/fuzz_%: fuzz/fuzz_%.c $$(FUZZ_SRC_$$*) $(LIB_HDR)
	@mkdir -p build/fuzz
	clang $(FUZZ_CFLAGS) $(if $(FUZZ_PKG_$*),$(shell pkg-config --cflags $(FUZZ_PKG_$*))) \
	    -o $@ fuzz/fuzz_$*.c $(FUZZ_SRC_$*) \
	    $(if $(FUZZ_PKG_$*),$(shell pkg-config --libs $(FUZZ_PKG_$*)))

.PHONY: fuzz
fuzz: $(FUZZERS:%=build/fuzz/fuzz_%)
	@for m in $(FUZZERS); do \
	  mkdir -p build/fuzz/corpus_$$m; \
	  extra=; [ $$m = multipart ] && extra="-dict=fuzz/multipart.dict -max_len=16384"; \
	  build/fuzz/fuzz_$$m -max_total_time=$(FUZZ_TIME) $$extra \
	      build/fuzz/corpus_$$m fuzz/corpus/$$m || exit 1; \
	done
