// The process's registry of compiled Wasm modules (wasm_modules.h): shared between isolates,
// bounded by module bytes, least recently used out first.
#include "bindings/wasm_modules.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/limits.h"
#include "bindings/bare_isolate_test.h"

namespace atl::bindings {
namespace {

class WasmModulesTest : public BareIsolateTest {
 protected:
  void SetUp() override {
    BareIsolateTest::SetUp();
    dir_ = std::filesystem::path(::testing::TempDir()) / "wasm_modules_test";
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    SetWasmModuleCacheLimit(size_t{limits::CodeCacheLimits().wasm_mb} << 20);
    std::filesystem::remove_all(dir_);
    BareIsolateTest::TearDown();
  }

  // A 12-byte module (the header and a custom section named `tag`), as the file `tag`.wasm.
  std::filesystem::path Module(char tag) {
    std::filesystem::path path = dir_ / (std::string(1, tag) + ".wasm");
    std::ofstream(path, std::ios::binary) << std::string("\0asm\x01\0\0\0\0\x02\x01", 11) << tag;
    return path;
  }

  // Compilations the process made to get `path`'s module into this isolate.
  int CompilationsFor(const std::filesystem::path& path) {
    v8::Isolate::Scope scope(isolate_);
    v8::HandleScope handles(isolate_);
    v8::Local<v8::Context> context = v8::Context::New(isolate_);
    v8::Context::Scope context_scope(context);
    int before = WasmCompilations();
    EXPECT_TRUE(WasmModuleFor(isolate_, path).ok()) << path;
    return WasmCompilations() - before;
  }

  std::filesystem::path dir_;
};

TEST_F(WasmModulesTest, TheRegistryKeepsTheMostRecentlyUsedModulesWithinItsBytes) {
  auto a = Module('a'), b = Module('b'), c = Module('c');
  SetWasmModuleCacheLimit(0);  // what other tests left goes as soon as a module comes
  EXPECT_EQ(CompilationsFor(a), 1);
  EXPECT_EQ(WasmModuleCacheBytes(), 12u) << "the most recent module is always kept";
  EXPECT_EQ(CompilationsFor(a), 0) << "shared";
  SetWasmModuleCacheLimit(2 * 12);
  EXPECT_EQ(CompilationsFor(b), 1);
  EXPECT_EQ(CompilationsFor(a), 0) << "a is now more recent than b";
  EXPECT_EQ(CompilationsFor(c), 1);
  EXPECT_EQ(WasmModuleCacheBytes(), 24u);
  EXPECT_EQ(CompilationsFor(a), 0);
  EXPECT_EQ(CompilationsFor(c), 0);
  EXPECT_EQ(CompilationsFor(b), 1) << "b was the least recently used: dropped, compiled again";
  // A lower limit drops at once, down to the most recent module.
  SetWasmModuleCacheLimit(0);
  EXPECT_EQ(WasmModuleCacheBytes(), 12u);
  EXPECT_EQ(CompilationsFor(b), 0);
}

}  // namespace
}  // namespace atl::bindings
