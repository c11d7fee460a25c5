#include "isolates/script_loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "isolates/tenant_isolate.h"
#include "isolates/v8_util.h"

namespace atl::isolates {
namespace {

namespace fs = std::filesystem;

class ScriptLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("atoll-loader-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "lib");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }

  // Loads `name` into a fresh context and returns the status and, on success, `expr` evaluated.
  std::string LoadAndEval(const std::string& name, const std::string& expr) {
    v8::Isolate* isolate = tenant_->isolate();
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope handles(isolate);
    v8::Local<v8::Context> context = tenant_->NewContext();
    v8::Context::Scope context_scope(context);
    ScriptLoader loader(&cache_, nullptr, host_);
    absl::StatusOr<v8::Local<v8::Value>> ns = loader.Load(context, dir_ / name);
    if (!ns.ok()) return "error: " + std::string(ns.status().message());
    context->Global()->Set(context, NewString(isolate, "ns"), *ns).Check();
    v8::TryCatch try_catch(isolate);
    // Compiled from C++ (not by a tenant), so the string-compilation block does not apply.
    v8::Local<v8::Script> script =
        v8::Script::Compile(context, NewString(isolate, expr)).ToLocalChecked();
    v8::Local<v8::Value> value;
    if (!script->Run(context).ToLocal(&value)) return "throws: " + DescribeException(isolate, try_catch);
    return ToUtf8(isolate, value);
  }

  fs::path dir_;
  ImportHost* host_ = nullptr;
  cache::CodeCache cache_;
  std::unique_ptr<TenantIsolate> tenant_ = TenantIsolate::Create(IsolateBlueprint{});
};

TEST_F(ScriptLoaderTest, LoadsModuleWithRelativeImports) {
  Write("lib/greet.js", "export const greet = (n) => `hi ${n}`;");
  Write("main.js", "import { greet } from './lib/greet.js';\nexport default { value: greet('a') };");
  EXPECT_EQ(LoadAndEval("main.js", "ns.default.value"), "hi a");
}

TEST_F(ScriptLoaderTest, ClassicScriptReturnsUndefinedNamespace) {
  Write("sw.js", "globalThis.seen = 41 + 1;");
  EXPECT_EQ(LoadAndEval("sw.js", "String(ns) + ' ' + seen"), "undefined 42");
}

TEST_F(ScriptLoaderTest, SyntaxErrorNamesFileAndLine) {
  Write("bad.js", "export default {\n  fetch() { return 1 +; }\n};");
  std::string result = LoadAndEval("bad.js", "1");
  EXPECT_NE(result.find("bad.js:2:"), std::string::npos) << result;
  EXPECT_NE(result.find("SyntaxError"), std::string::npos) << result;
}

TEST_F(ScriptLoaderTest, RefusesBareAndEscapingImports) {
  Write("bare.js", "import fs from 'fs'; export default {};");
  EXPECT_NE(LoadAndEval("bare.js", "1").find("only relative imports"), std::string::npos);
  Write("lib/escape.js", "import x from '../../etc/passwd'; export default {};");
  EXPECT_NE(LoadAndEval("lib/escape.js", "1").find("leaves the script's folder"), std::string::npos);
  Write("missing.js", "import x from './nope.js'; export default {};");
  // Named relative to the script's folder, as in stack traces: no host path.
  EXPECT_NE(LoadAndEval("missing.js", "1").find("missing.js: cannot import \"./nope.js\": there is no file \"nope.js\""),
            std::string::npos);
  EXPECT_EQ(LoadAndEval("missing.js", "1").find(dir_.string()), std::string::npos);
}

TEST_F(ScriptLoaderTest, EvalIsBlocked) {
  Write("evil.js", "export default { r: (() => { try { eval('1'); return 'ran'; } catch (e) { return e.name; } })() };");
  EXPECT_EQ(LoadAndEval("evil.js", "ns.default.r"), "EvalError");
}

TEST_F(ScriptLoaderTest, SecondLoadUsesCodeCache) {
  Write("main.js", "export default { v: 7 };");
  EXPECT_EQ(LoadAndEval("main.js", "ns.default.v"), "7");
  size_t entries = cache_.size();
  EXPECT_GE(entries, 1u);
  int hashes = ScriptLoader::SourceHashesForTesting();
  EXPECT_EQ(LoadAndEval("main.js", "ns.default.v"), "7");
  EXPECT_EQ(cache_.size(), entries);
  EXPECT_EQ(ScriptLoader::SourceHashesForTesting(), hashes) << "an unchanged file's source was hashed again";
  // Same length, new source (V8 10.2's code cache checks only the length): a new key, a new entry.
  Write("main.js", "export default { v: 8 };");
  EXPECT_EQ(LoadAndEval("main.js", "ns.default.v"), "8");
  EXPECT_EQ(cache_.size(), entries + 1);
  EXPECT_GT(ScriptLoader::SourceHashesForTesting(), hashes);
}

// Loads `file` into a new context of `tenant` through `code_cache`, remembering what it compiled
// in `memo`, then calls the module's export `work(1)` and returns how many bytes of bytecode and
// metadata that call added to the isolate's heap (what compiling `work` lazily costs).
size_t BytecodeAddedByWork(TenantIsolate* tenant, cache::CodeCache* code_cache, ScriptLoader::Memo* memo,
                           const fs::path& file) {
  v8::Isolate* isolate = tenant->isolate();
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> context = tenant->NewContext();
  v8::Context::Scope context_scope(context);
  ScriptLoader loader(code_cache, memo);
  absl::StatusOr<v8::Local<v8::Value>> ns = loader.Load(context, file);
  EXPECT_TRUE(ns.ok()) << ns.status();
  if (!ns.ok()) return 0;
  v8::Local<v8::Value> work = ns->As<v8::Object>()->Get(context, NewString(isolate, "work")).ToLocalChecked();
  v8::HeapCodeStatistics before, after;
  isolate->GetHeapCodeAndMetadataStatistics(&before);
  v8::Local<v8::Value> one = v8::Number::New(isolate, 1);
  EXPECT_FALSE(work.As<v8::Function>()->Call(context, v8::Undefined(isolate), 1, &one).IsEmpty());
  isolate->GetHeapCodeAndMetadataStatistics(&after);
  return after.bytecode_and_metadata_size() - before.bytecode_and_metadata_size();
}

// The entry made when the module was compiled holds its top level only; made again after `work`
// ran (compiled_scripts.h), it holds `work` too, and an isolate loading from it compiles nothing
// when it calls `work`, where one loading from the first entry compiles it again.
TEST_F(ScriptLoaderTest, ACodeCacheMadeAgainAfterARunSparesTheNextIsolateItsLazyCompiles) {
  std::string body;
  for (int i = 0; i < 300; ++i) body += "  x = (x * 31 + " + std::to_string(i) + ") % 1000003;\n";
  Write("main.js", "export function work(x) {\n" + body + "  return x;\n}\nexport default {};");
  ScriptLoader::Memo first_memo;
  size_t compiled_by_first = BytecodeAddedByWork(tenant_.get(), &cache_, &first_memo, dir_ / "main.js");
  EXPECT_GT(compiled_by_first, 4000u) << "work() was not compiled lazily on its first call";
  ASSERT_EQ(cache_.size(), 1u);
  cache::CodeCache stale;  // a copy of the entry made when the module was compiled
  {
    ScriptLoader::Memo probe;
    auto other = TenantIsolate::Create(IsolateBlueprint{});
    BytecodeAddedByWork(other.get(), &stale, &probe, dir_ / "main.js");
    probe.compiled.Clear();  // before its isolate goes
    ASSERT_EQ(stale.size(), 1u);
  }
  {
    v8::Isolate::Scope isolate_scope(tenant_->isolate());
    v8::HandleScope handles(tenant_->isolate());
    EXPECT_EQ(first_memo.compiled.RefreshCodeCache(tenant_->isolate(), &cache_), 1u);
    EXPECT_EQ(first_memo.compiled.RefreshCodeCache(tenant_->isolate(), &cache_), 0u) << "made twice";
    first_memo.compiled.Clear();
  }
  uint64_t hits = cache_.stats().hits;
  auto next = TenantIsolate::Create(IsolateBlueprint{});
  ScriptLoader::Memo next_memo;
  EXPECT_EQ(BytecodeAddedByWork(next.get(), &cache_, &next_memo, dir_ / "main.js"), 0u);
  EXPECT_EQ(cache_.stats().hits, hits + 1) << "the entry made after the run was not used";
  EXPECT_EQ(cache_.stats().rejected, 0u);
  {
    // The same script in another isolate of this process does not make the entry again.
    v8::Isolate::Scope isolate_scope(next->isolate());
    v8::HandleScope handles(next->isolate());
    EXPECT_EQ(next_memo.compiled.RefreshCodeCache(next->isolate(), &cache_), 0u);
    next_memo.compiled.Clear();
  }
  auto control = TenantIsolate::Create(IsolateBlueprint{});
  ScriptLoader::Memo control_memo;
  EXPECT_GT(BytecodeAddedByWork(control.get(), &stale, &control_memo, dir_ / "main.js"), 4000u)
      << "the entry made at compile time already held work()";
  control_memo.compiled.Clear();
}

TEST_F(ScriptLoaderTest, ThrowingTopLevelIsAnError) {
  Write("throws.js", "throw new TypeError('boom');\nexport default {};");
  EXPECT_NE(LoadAndEval("throws.js", "1").find("boom"), std::string::npos);
}

// A host with two modules: "test:answer" ({answer: 42, "not-an-identifier": 1}), "test:default"
// (with its own default export), and "test:flagged", which it refuses.
class FakeImportHost : public ImportHost {
 public:
  absl::StatusOr<bool> Provides(std::string_view specifier) override {
    ++provides_calls;
    if (specifier == "test:flagged") return absl::FailedPreconditionError("needs the test flag");
    return specifier == "test:answer" || specifier == "test:default";
  }
  v8::MaybeLocal<v8::Object> Exports(v8::Local<v8::Context> context, std::string_view specifier) override {
    v8::Isolate* isolate = context->GetIsolate();
    v8::Local<v8::Object> exports = v8::Object::New(isolate);
    if (specifier == "test:answer") {
      exports->Set(context, NewString(isolate, "answer"), v8::Number::New(isolate, 42)).Check();
      exports->Set(context, NewString(isolate, "not-an-identifier"), v8::Number::New(isolate, 1)).Check();
    } else {
      exports->Set(context, NewString(isolate, "default"), NewString(isolate, "own default")).Check();
    }
    return exports;
  }
  int provides_calls = 0;
};

TEST_F(ScriptLoaderTest, HostModulesBecomeSyntheticModules) {
  FakeImportHost host;
  host_ = &host;
  Write("lib/use.js", "import whole, { answer } from 'test:answer'; export const both = [answer, whole.answer];");
  Write("main.js",
        "import { both } from './lib/use.js';\n"
        "import * as ns from 'test:answer';\n"
        "import d from 'test:default';\n"
        "export default { value: [...both, ns['not-an-identifier'], d].join(',') };");
  EXPECT_EQ(LoadAndEval("main.js", "ns.default.value"), "42,42,1,own default");
  EXPECT_GT(host.provides_calls, 0);
}

TEST_F(ScriptLoaderTest, HostRefusalNamesTheImport) {
  FakeImportHost host;
  host_ = &host;
  Write("main.js", "import x from 'test:flagged';\nexport default { x };");
  std::string result = LoadAndEval("main.js", "1");
  EXPECT_NE(result.find("cannot import \"test:flagged\": needs the test flag"), std::string::npos) << result;
  Write("other.js", "import x from 'test:unknown';\nexport default { x };");
  result = LoadAndEval("other.js", "1");
  EXPECT_NE(result.find("only relative imports"), std::string::npos) << result;
}

// A host whose module rules say .txt is Text, .bin Data, .json JSON, and refuse .yaml.
class FileRulesHost : public FakeImportHost {
 public:
  absl::StatusOr<FileType> TypeOfFile(std::string_view path) override {
    seen.emplace_back(path);
    if (path.ends_with(".txt")) return FileType::kText;
    if (path.ends_with(".bin")) return FileType::kData;
    if (path.ends_with(".json")) return FileType::kJson;
    if (path.ends_with(".yaml")) return absl::InvalidArgumentError("no rule for yaml");
    return FileType::kJavaScript;
  }
  std::vector<std::string> seen;
};

TEST_F(ScriptLoaderTest, FilesOfModuleRulesBecomeDefaultExports) {
  FileRulesHost host;
  host_ = &host;
  Write("lib/t.txt", "text");
  Write("b.bin", "AB");
  Write("d.json", "[1, {\"a\": 2}]");
  Write("lib/use.js", "import t from './t.txt'; export { t };");
  Write("main.js",
        "import { t } from './lib/use.js';\n"
        "import again from './lib/t.txt';\n"
        "import b from './b.bin';\n"
        "import * as d from './d.json';\n"
        "export default { v: [t, t === again, b.constructor.name, b.byteLength, JSON.stringify(d.default), Object.keys(d)].join('|') };");
  EXPECT_EQ(LoadAndEval("main.js", "ns.default.v"), "text|true|ArrayBuffer|2|[1,{\"a\":2}]|default");
  // The rules see paths relative to the main script's folder ('/'-separated).
  EXPECT_NE(std::find(host.seen.begin(), host.seen.end(), "lib/t.txt"), host.seen.end());
  Write("y.yaml", "a: 1");
  Write("yaml.js", "import y from './y.yaml';\nexport default { y };");
  EXPECT_NE(LoadAndEval("yaml.js", "1").find("yaml.js: cannot import \"./y.yaml\": no rule for yaml"), std::string::npos);
}

}  // namespace
}  // namespace atl::isolates
