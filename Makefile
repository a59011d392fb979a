# biasamp: one non-recursive makefile. Objects go to $(BUILD); sources are found by wildcard, so a
# new module is a new .c/.h pair and a new test suite is a new tests/check_<name>.c.
#   make [all|run|test|bench|deps|install|clean|paper]   knobs: OMP=0  SAN=1  CC=clang  PREFIX=...
#   make MPI=1 [all|test-mpi]: the Open MPI build (mpicc, -DBIASAMP_MPI) in build/mpi
.SUFFIXES:
SHELL := /bin/bash

OMP ?= 1
SAN ?= 0
MPI ?= 0
PREFIX ?= /usr/local
PKGS := gsl check inih libcjson libpcre2-8 zlib libedit
ifeq ($(MPI),1)
BUILD ?= build/mpi
CC := mpicc
else ifeq ($(SAN),1)
BUILD ?= build/san
else ifeq ($(OMP),0)
BUILD ?= build/noomp
else
BUILD ?= build
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
        -Wformat=2 -Wvla -Wno-unused-parameter
# gcc warns about intentional snprintf truncation; clang lacks the option
WARN += $(shell $(CC) -Werror -Wno-format-truncation -E -x c /dev/null >/dev/null 2>&1 && \
          echo -Wno-format-truncation)
CFLAGS ?= -O2 -g
BASE_CFLAGS := -std=c11 -ffp-contract=off -D_GNU_SOURCE -Icommon -Isim -Imodels -I$(BUILD) $(WARN) \
        -DBIASAMP_VERSION='"$(VERSION)"' -DBIASAMP_GIT_REV='"$(GIT_REV)"'
LDLIBS := -lm
ifeq ($(OMP),1)
BASE_CFLAGS += -fopenmp
LDFLAGS += -fopenmp
endif
ifeq ($(MPI),1)
BASE_CFLAGS += -DBIASAMP_MPI
endif
ifeq ($(SAN),1)
BASE_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
ALL_CFLAGS = $(BASE_CFLAGS) $(PKG_CFLAGS) $(CFLAGS)
# quiet by default; `make V=1` shows the full commands
ifeq ($(V),1)
Q :=
else
Q := @
endif

# ISA flags only on the variant files (STYLE.md): *_avx2.c and *_avx512.c.
AVX2_FLAGS := -mavx2 -mfma
AVX512_FLAGS := -mavx2 -mfma -mavx512f -mavx512bw -mavx512dq -mavx512vl

LIB_SRC := $(wildcard common/*.c sim/*.c models/*.c)
CLI_SRC := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/check_*.c)
BENCH_SRC := $(wildcard bench/bench_*.c)
SUITES := $(sort $(patsubst tests/check_%.c,%,$(filter-out tests/check_main.c,$(TEST_SRC))))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libbiasamp.a
BIN := $(BUILD)/biasamp
CHECK := $(BUILD)/check_biasamp
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all run test test-unit test-cli test-mpi bench deps install clean paper check-deps
all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/%_avx2.o: %_avx2.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC avx2 $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(AVX2_FLAGS) -MMD -MP -c $< -o $@
$(BUILD)/%_avx512.o: %_avx512.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC avx512 $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(AVX512_FLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^
$(BIN): $(CLI_OBJ) $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(PKG_LIBS) $(LDLIBS)

# The Check runner: one suite per tests/check_<name>.c, listed in a generated X-macro header.
$(BUILD)/suites.h: $(TEST_SRC) Makefile
	@mkdir -p $(dir $@)
	@printf '%s\n' $(foreach s,$(SUITES),'SUITE($(s))') > $@.tmp && mv $@.tmp $@
$(BUILD)/tests/check_main.o: $(BUILD)/suites.h
$(CHECK): $(TEST_OBJ) $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(LIB) $(PKG_LIBS) $(LDLIBS)

# Benchmarks may compare against OpenBLAS (linked first so its cblas_* win over gslcblas).
BENCH_LIBS = $(shell pkg-config --libs openblas 2>/dev/null)
$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(BENCH_LIBS) $(PKG_LIBS) $(LDLIBS)

deps:
	@scripts/deps.sh

# The main job: the paper's weighted-MLE demonstration (Fig. 10) and its unweighted twin (Fig. 11).
run: deps
	@$(MAKE) --no-print-directory all
	@$(BIN) sim configs/paper-fig10-wmle.ini -o results/paper-fig10-wmle
	@$(BIN) sim configs/paper-fig11-mle.ini -o results/paper-fig11-mle

# the SIGKILL campaign's trials in `make test` (.ci/run runs the full campaign: TRIALS=24)
KILL_TRIALS ?= 3
test: deps
	@$(MAKE) --no-print-directory test-unit test-cli
test-unit: $(CHECK) $(BIN)
	@BIASAMP_BIN=$(abspath $(BIN)) $(CHECK)
test-cli: $(BIN)
	@BIASAMP_BIN=$(abspath $(BIN)) tests/cli/smoke.sh
	@BIASAMP_BIN=$(abspath $(BIN)) tests/cli/bad_inputs.sh
	@BIASAMP_BIN=$(abspath $(BIN)) tests/cli/tokenizer_node.sh
	@BIASAMP_BIN=$(abspath $(BIN)) tests/cli/theory.sh
	@BIASAMP_BIN=$(abspath $(BIN)) tests/cli/experiment.sh
	@BIASAMP_BIN=$(abspath $(BIN)) tests/cli/explore.sh
	@BIASAMP_BIN=$(abspath $(BIN)) tests/cli/explore_tmux.sh
	@BIASAMP_BIN=$(abspath $(BIN)) tests/cli/determinism.sh
	@BIASAMP_BIN=$(abspath $(BIN)) TRIALS=$(KILL_TRIALS) tests/cli/kill_campaign.sh

# The 2-rank tests (mpirun --oversubscribe -n 2): byte-identical sweep/sim/decompose, training
# losses within float tolerance, a failing rank failing the job. Needs the MPI build.
test-mpi: deps
ifneq ($(MPI),1)
	$(error test-mpi needs the MPI build: make MPI=1 test-mpi)
endif
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory MPI=0 BUILD=build all
	@BIASAMP_BIN=$(abspath $(BIN)) BIASAMP_REF_BIN=$(abspath build/biasamp) tests/cli/mpi.sh

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@BIASAMP_BIN=$(abspath $(BIN)) BUILD=$(BUILD) bench/run.sh

# The reproduction report: paper/build/biasamp-report.pdf and its Markdown twin.
paper: deps
	@$(MAKE) --no-print-directory all
	@paper/build.sh $(BIN)

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/biasamp/plots \
	    $(DESTDIR)$(PREFIX)/share/biasamp/configs $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/biasamp
	install -m 644 plots/*.gp $(DESTDIR)$(PREFIX)/share/biasamp/plots/
	install -m 644 configs/*.ini $(DESTDIR)$(PREFIX)/share/biasamp/configs/
	install -m 644 biasamp.1 $(DESTDIR)$(PREFIX)/share/man/man1/biasamp.1

clean:
	rm -rf build

# libFuzzer harnesses (make fuzz FUZZ_SECONDS=N, make fuzz-smoke): clang, separate build folder
-include tests/fuzz/fuzz.mk

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
