# Thin wrapper over scripts/setup.sh + CMake + ctest. `make run` and `make test` are the two
# commands of the README; both set up the machine on first use.
BUILD ?= build
JOBS ?= 2
LISTEN ?= 127.0.0.1:8080
# The stamp scripts/setup.sh writes (its version changes when the script's packages do).
SETUP_STAMP := third_party/sysroot/$(shell grep -o '\.setup-done-v[0-9]*' scripts/setup.sh)

.PHONY: all setup build run test test-asan bench clean

all: build

$(SETUP_STAMP): scripts/setup.sh package-lock.json
	bash scripts/setup.sh --force

setup: $(SETUP_STAMP)

$(BUILD)/CMakeCache.txt: $(SETUP_STAMP)
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/atoll serve examples/hello.js --listen $(LISTEN)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 300

# The same tests on a build with ASan + UBSan (build-asan/; slower, not run by CI).
test-asan: $(SETUP_STAMP)
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Asan
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=0:handle_segv=0:allow_user_segv_handler=1 \
	  UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j$(JOBS) --timeout 600

bench: build
	bash bench/run.sh
	BENCH_WORKLOAD=json bash bench/run.sh
	bash bench/churn.sh

clean:
	rm -rf $(BUILD)
