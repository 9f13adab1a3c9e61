# Thin wrapper around Meson.  `make run` and `make check` are the two
# commands the README promises work on a fresh Debian 12 machine as root.
MESON ?= meson
BUILD ?= build

.PHONY: all deps firmware build run check check-asan check-tsan bench guests clean

all: build

deps:
	@scripts/install-deps.sh

# Configures a build directory: $(call configure,DIR,EXTRA-OPTIONS)
define configure
	@if [ ! -f $(1)/build.ninja ]; then \
		$(MESON) setup $(1) $(2) >/dev/null || { rm -rf $(1); exit 1; }; \
	fi
endef

# OpenSBI for the Linux tests: Debian 12's own (1.1) can hang -smp > 1
# boots (scripts/fetch-opensbi.sh says why), so the tests take a fixed one
# from bookworm-backports when it can be downloaded.
firmware:
	@scripts/fetch-opensbi.sh || echo "weft: warning: the Linux tests will use Debian 12's OpenSBI 1.1" >&2

build: deps
	$(call configure,$(BUILD),)
	@ninja -C $(BUILD)

# The embedded default guest (roms/demo): every hart greets on the UART,
# then hart 0 powers off.  RUN_ARGS="..." runs anything else.
RUN_ARGS ?= -M virt -smp 2 -nographic -bios none -kernel $(BUILD)/roms/demo.elf

run: build
	./$(BUILD)/weft $(RUN_ARGS)

build-asan/build.ninja:
	$(call configure,build-asan,-Db_sanitize=address,undefined -Db_lundef=false)

build-tsan/build.ninja:
	$(call configure,build-tsan,-Db_sanitize=thread -Db_lundef=false)

# The full suite on the normal build and under ASan+UBSan, then the
# concurrency suite under TSan (a TSan Linux boot takes minutes); one
# summary line over all of them.
check: build firmware build-asan/build.ninja build-tsan/build.ninja
	@ninja -C build-asan >/dev/null
	@ninja -C build-tsan >/dev/null
	@rm -f $(BUILD)/meson-logs/testlog.json build-asan/meson-logs/testlog.json build-tsan/meson-logs/testlog.json
	@$(MESON) test -C $(BUILD) --no-rebuild --print-errorlogs >$(BUILD)/check.log 2>&1 || true
	@ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(MESON) test -C build-asan --no-rebuild --print-errorlogs >build-asan/check.log 2>&1 || true
	@TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:allocator_may_return_null=1 \
		$(MESON) test -C build-tsan --no-rebuild --suite concurrency --print-errorlogs >build-tsan/check.log 2>&1 || true
	@grep -E '^ *[0-9]+/[0-9]+ ' $(BUILD)/check.log build-asan/check.log build-tsan/check.log | sed 's/^[^:]*check.log://' || true
	@python3 scripts/test-summary.py $(BUILD) build-asan build-tsan

check-asan: deps firmware build-asan/build.ninja
	@ninja -C build-asan
	@rm -f build-asan/meson-logs/testlog.json
	@ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(MESON) test -C build-asan --no-rebuild --print-errorlogs || true
	@python3 scripts/test-summary.py build-asan

check-tsan: deps firmware build-tsan/build.ninja
	@ninja -C build-tsan
	@rm -f build-tsan/meson-logs/testlog.json
	@TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:allocator_may_return_null=1 \
		$(MESON) test -C build-tsan --no-rebuild --print-errorlogs || true
	@python3 scripts/test-summary.py build-tsan

# Rebuilds the Linux test guests into the cache tests look in (as root,
# about 45 minutes on 2 cores); GUESTS_DIR=... builds elsewhere.
guests:
	@scripts/build-guests.sh $(GUESTS_DIR)

bench: build firmware
	@for b in tests/bench/*.sh; do echo "== $$b"; $$b || exit 1; done

clean:
	rm -rf $(BUILD) build-asan build-tsan
