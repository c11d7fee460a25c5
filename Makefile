# Thin wrapper over scripts/setup.sh + CMake + ctest. `make run` and `make test` are the two
# commands of the README; both set up the machine on first use.
BUILD ?= build
JOBS ?= 2
LISTEN ?= 127.0.0.1:8080
SETUP_STAMP := third_party/sysroot/.setup-done-v2

.PHONY: all setup build run test bench clean

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

bench: build
	bash bench/run.sh
	BENCH_WORKLOAD=json bash bench/run.sh
	bash bench/churn.sh

clean:
	rm -rf $(BUILD)
