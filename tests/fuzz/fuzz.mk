# tests/fuzz/fuzz.mk: libFuzzer harnesses for the parsers (tests/fuzz/fuzz_<target>.c), included by
# the top-level Makefile (or: make -f Makefile -f tests/fuzz/fuzz.mk fuzz). Needs Debian's clang
# and libclang-rt-<ver>-dev; not needed by `make test`.
#   make fuzz [FUZZ_SECONDS=30]     every harness for FUZZ_SECONDS on a copy of its seed corpus
#   make fuzz-smoke                 5 s per harness (CI)
#   make fuzz-build                 build only;   make fuzz-corpus   regenerate the seed corpora
# Objects and binaries go to build/fuzz (ASan + UBSan + libFuzzer instrumentation, no OpenMP);
# the working corpora grow in build/fuzz/corpus/<target>, crashes land in build/fuzz/crashes/.
# Any crash, leak, UB report, timeout or out-of-memory fails the target.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_BUILD := build/fuzz
FUZZ_OPTS ?= -timeout=10 -rss_limit_mb=2048 -max_len=1100000
FUZZ_PKGS := gsl inih libcjson libpcre2-8 zlib
FUZZ_PKG_CFLAGS := $(shell pkg-config --cflags $(FUZZ_PKGS) 2>/dev/null)
FUZZ_PKG_LIBS := $(shell pkg-config --libs $(FUZZ_PKGS) 2>/dev/null)
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -O1 -g -ffp-contract=off -D_GNU_SOURCE -Wall -Wno-unknown-pragmas \
    -Icommon -Imodels -Itests/fuzz -DBIASAMP_VERSION='"fuzz"' -DBIASAMP_GIT_REV='"fuzz"' \
    $(FUZZ_SAN) $(FUZZ_PKG_CFLAGS)
FUZZ_AVX2 := -mavx2 -mfma
FUZZ_AVX512 := -mavx2 -mfma -mavx512f -mavx512bw -mavx512dq -mavx512vl

FUZZ_TARGETS := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_LIB_SRC := $(wildcard common/*.c models/*.c)
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_LIB := $(FUZZ_BUILD)/libbiasamp_fuzz.a
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-corpus

# The library: instrumented for coverage (fuzzer-no-link) as well as the sanitizers.
$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
	    $(if $(findstring _avx512.c,$<),$(FUZZ_AVX512),$(if $(findstring _avx2.c,$<),$(FUZZ_AVX2))) \
	    -MMD -MP -c $< -o $@
$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(FUZZ_LIB)
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(FUZZ_PKG_LIBS) -lm

fuzz-build: fuzz-cc $(FUZZ_BINS)

# A clear message when clang or its libFuzzer runtime is missing (Debian: clang, libclang-rt-N-dev).
.PHONY: fuzz-cc
FUZZ_CC_MISSING = fuzz: '$(FUZZ_CC) -fsanitize=fuzzer' does not link; install Debian's clang and \
    libclang-rt-<version>-dev
fuzz-cc:
	@mkdir -p $(FUZZ_BUILD)
	@printf 'int LLVMFuzzerTestOneInput(const char *d, long n) { return (void)d, (void)n, 0; }\n' \
	    > $(FUZZ_BUILD)/cc_probe.c
	@$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $(FUZZ_BUILD)/cc_probe \
	    $(FUZZ_BUILD)/cc_probe.c >/dev/null 2>&1 || { echo "$(FUZZ_CC_MISSING)" >&2; exit 1; }

# One run per harness on build/fuzz/corpus/<t> (seeded from tests/fuzz/corpus/<t>; what the run
# finds stays there for the next run). Prints executions and the verdict per harness, then a
# summary line; fails if any harness found something (the input is in build/fuzz/crashes/).
define FUZZ_RUN
	@mkdir -p $(FUZZ_BUILD)/crashes $(FUZZ_BUILD)/logs; pass=0; fail=0; \
	for t in $(FUZZ_TARGETS); do \
	    work=$(FUZZ_BUILD)/corpus/$$t; mkdir -p $$work; \
	    if [ -d tests/fuzz/corpus/$$t ]; then cp -n tests/fuzz/corpus/$$t/* $$work/ 2>/dev/null; fi; \
	    log=$(FUZZ_BUILD)/logs/$$t.log; \
	    $(FUZZ_BUILD)/fuzz_$$t $(FUZZ_OPTS) -max_total_time=$(1) -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_BUILD)/crashes/$$t- $$work > $$log 2>&1; rc=$$?; \
	    execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
	    secs=$$(sed -n 's/.*Done [0-9]* runs in \([0-9]*\) second.*/\1/p' $$log); \
	    if [ $$rc -eq 0 ]; then pass=$$((pass+1)); v=ok; \
	    else fail=$$((fail+1)); v="FAILED (exit $$rc; see $$log)"; grep -m3 -E 'ERROR|SUMMARY|check failed' $$log; fi; \
	    printf '  fuzz_%-18s %10s execs %4s s  %s\n' $$t "$${execs:-?}" "$${secs:-$(1)}" "$$v"; \
	done; \
	echo "fuzz: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]
endef

fuzz: fuzz-cc $(FUZZ_BINS)
	$(call FUZZ_RUN,$(FUZZ_SECONDS))
fuzz-smoke: fuzz-cc $(FUZZ_BINS)
	$(call FUZZ_RUN,$(FUZZ_SMOKE_SECONDS))

# Seed corpora: written by the project's own writers (tests/fuzz/make_corpus.c, linked against
# the same instrumented library) plus the hand-made edge cases it also emits.
$(FUZZ_BUILD)/make_corpus: tests/fuzz/make_corpus.c $(FUZZ_LIB)
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -o $@ $< $(FUZZ_LIB) $(FUZZ_PKG_LIBS) -lm
fuzz-corpus: $(FUZZ_BUILD)/make_corpus
	@$(FUZZ_BUILD)/make_corpus tests/fuzz/corpus

-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
