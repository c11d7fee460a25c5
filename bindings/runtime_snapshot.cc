#include "bindings/runtime_snapshot.h"

#include <v8.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "base/strings.h"
#include "bindings/es_builtins.h"
#include "bindings/lazy_modules.h"
#include "bindings/native_scope.h"
#include "bindings/registry.h"
#include "bindings/snapshot_exercises.h"
#include "bindings/wasm_global.h"
#include "cache/startup_snapshot.h"
#include "isolates/platform.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

using isolates::NewString;

// A glue file's source as V8 compiles it, made once per process and never freed. The glue's
// scripts keep their source (lazy functions compile from it), and a source string in the snapshot
// would be copied into every isolate's heap (~110 KB per tenant). An external string whose
// resource is one of the snapshot's external references is serialized as that reference instead,
// so every isolate's script points at this one copy.
class GlueSource : public v8::String::ExternalOneByteStringResource {
 public:
  explicit GlueSource(std::string text) : text_(std::move(text)) {}
  const char* data() const override { return text_.data(); }
  size_t length() const override { return text_.size(); }
  void Dispose() override {}  // shared by every isolate: a string dying does not free it

 private:
  std::string text_;
};

// Each glue file's source (the body of `function (native, internal)`; line numbers stay aligned),
// in BindingUnits() order; null for a unit without one, or for one that is not ASCII (an external
// one-byte string is Latin-1: such a file is compiled from an ordinary string).
const std::vector<GlueSource*>& GlueSources() {
  static const std::vector<GlueSource*>* sources = [] {
    auto* list = new std::vector<GlueSource*>();
    for (const BindingUnit& unit : BindingUnits()) {
      std::string_view source = unit.js_file.empty() ? std::string_view() : EmbeddedJs(unit.js_file);
      bool ascii = !source.empty() &&
                   std::all_of(source.begin(), source.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
      list->push_back(ascii ? new GlueSource(base::StrCat("(function (native, internal) {", source, "\n})")) : nullptr);
    }
    return list;
  }();
  return *sources;
}

// Installs every native, then runs every glue file, into `context`.
absl::Status InstallBindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> internal) {
  v8::Local<v8::Object> native = v8::Object::New(isolate);
  NativeScope scope(isolate, context, native);
  v8::Local<v8::Value> args[] = {native, internal};
  // Every native first: a glue file may capture natives of units listed after it.
  std::span<const BindingUnit> units = BindingUnits();
  for (const BindingUnit& unit : units) {
    if (unit.install_native) unit.install_native(scope);
  }
  for (size_t i = 0; i < units.size(); ++i) {
    const BindingUnit& unit = units[i];
    if (unit.js_file.empty()) continue;
    std::string_view source = EmbeddedJs(unit.js_file);
    if (source.empty()) return absl::InternalError(base::StrCat("missing embedded ", unit.js_file));
    v8::Local<v8::String> text;
    if (GlueSource* shared = GlueSources()[i]) {
      if (!v8::String::NewExternalOneByte(isolate, shared).ToLocal(&text)) {
        return absl::InternalError(base::StrCat("glue source too long: ", unit.js_file));
      }
    } else {
      text = NewString(isolate, base::StrCat("(function (native, internal) {", source, "\n})"));
    }
    v8::TryCatch try_catch(isolate);
    v8::ScriptOrigin origin(isolate, NewString(isolate, base::StrCat("atoll:", unit.js_file)));
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> fn;
    if (!v8::Script::Compile(context, text, &origin).ToLocal(&script) ||
        !script->Run(context).ToLocal(&fn) ||
        fn.As<v8::Function>()->Call(context, v8::Undefined(isolate), 2, args).IsEmpty()) {
      return absl::InternalError(isolates::DescribeException(isolate, try_catch));
    }
  }
  absl::Status lazy = InstallLazyGlobals(isolate, context, internal);
  if (!lazy.ok()) return lazy;
  absl::Status es = DefineEsBuiltinPlaceholders(isolate, context);
  if (!es.ok()) return es;
  return DefineLazyWebAssembly(isolate, context);
}

// A request through the hello-world path of a throwaway context that ran the same glue: the
// glue sources hit V8's compilation cache, so both contexts share their functions' compiled
// form, and the bytecode the warm-up made is kept in the snapshot. Without it every tenant
// isolate would compile the dispatch path again on its first request.
absl::Status WarmUp(v8::Isolate* isolate) {
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> context = v8::Context::New(isolate);
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Object> internal = v8::Object::New(isolate);
  absl::Status installed = InstallBindings(isolate, context, internal);
  if (!installed.ok()) return installed;
  v8::TryCatch try_catch(isolate);
  const char* handler = R"(({ default: { async fetch(request, env, ctx) {
      const body = await request.text();
      const headers = new Headers(request.headers);
      headers.set("x-warm", String(body.length));
      headers.append("x-more", "1");
      let n = headers.has("x-more") ? 1 : 0;
      for (const [name, value] of headers) n += name.length + value.length;
      headers.forEach((value) => { n += value.length; });
      headers.delete("x-more");
      const json = await Response.json({ n }).json();
      return new Response("warm " + request.method + " " + request.url + headers.get("host") + json.n, {
        status: 200, headers: { "content-type": "text/plain" } });
    } } }))";
  auto get = [&](const char* name) {
    return internal->Get(context, NewString(isolate, name)).ToLocalChecked().As<v8::Function>();
  };
  v8::Local<v8::Value> ns;
  v8::Local<v8::Array> headers = v8::Array::New(isolate);
  headers->Set(context, 0, NewString(isolate, "host")).Check();
  headers->Set(context, 1, NewString(isolate, "warm.up")).Check();
  v8::Local<v8::Value> request[] = {v8::Number::New(isolate, 1), NewString(isolate, "GET"),
                                    NewString(isolate, "http://warm.up/"), headers, v8::Null(isolate),
                                    v8::Object::New(isolate)};
  v8::Local<v8::Script> script;
  if (!v8::Script::Compile(context, NewString(isolate, handler)).ToLocal(&script) ||
      !script->Run(context).ToLocal(&ns) ||
      get("setHandler")->Call(context, v8::Undefined(isolate), 1, &ns).IsEmpty() ||
      get("dispatch")->Call(context, v8::Undefined(isolate), 6, request).IsEmpty()) {
    return absl::InternalError(base::StrCat("snapshot warm-up: ", isolates::DescribeException(isolate, try_catch)));
  }
  isolate->PerformMicrotaskCheckpoint();
  return absl::OkStatus();
}

// A context with every unit installed (the snapshot's default context); `internal` gets its
// glue's `internal` object (in the caller's handle scope).
absl::StatusOr<v8::Local<v8::Context>> RuntimeContext(v8::Isolate* isolate, v8::Local<v8::Object>* internal) {
  v8::Local<v8::Context> context = v8::Context::New(isolate);
  v8::Context::Scope context_scope(context);
  // SPEC §3: no SharedArrayBuffer (Atomics.wait is refused per isolate).
  if (!context->Global()->Delete(context, NewString(isolate, "SharedArrayBuffer")).FromMaybe(false)) {
    return absl::InternalError("snapshot: could not delete SharedArrayBuffer");
  }
  v8::Local<v8::Object> made = v8::Object::New(isolate);
  absl::Status installed = InstallBindings(isolate, context, made);
  if (!installed.ok()) return installed;
  *internal = made;
  return context;
}

// Fails unless `context` loaded exactly SnapshotModules(streams): their sources must be shared
// resources (lazy_modules.cc), or the snapshot would copy them into every isolate.
absl::Status CheckLoadedModules(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> internal,
                                bool streams) {
  v8::Local<v8::Value> names_fn, names;
  if (!internal->Get(context, NewString(isolate, "loadedNames")).ToLocal(&names_fn) || !names_fn->IsFunction() ||
      !names_fn.As<v8::Function>()->Call(context, v8::Undefined(isolate), 0, nullptr).ToLocal(&names) ||
      !names->IsArray()) {
    return absl::InternalError("snapshot: no internal.loadedNames");
  }
  v8::Local<v8::Array> loaded = names.As<v8::Array>();
  std::span<const std::string_view> expected = SnapshotModules(streams);
  for (uint32_t i = 0; i < loaded->Length(); ++i) {
    std::string name = isolates::ToUtf8(isolate, loaded->Get(context, i).ToLocalChecked());
    if (std::find(expected.begin(), expected.end(), name) == expected.end()) {
      return absl::InternalError(
          base::StrCat("snapshot: the context loaded module ", name, ", which is not in SnapshotModules()"));
    }
  }
  if (loaded->Length() != expected.size()) return absl::InternalError("snapshot: the context lacks a module");
  return absl::OkStatus();
}

}  // namespace

const intptr_t* ExternalReferences() {
  static const std::vector<intptr_t>* references = [] {
    auto* list = new std::vector<intptr_t>();
    NativeScope collect(list);
    for (const BindingUnit& unit : BindingUnits()) {
      if (unit.install_native) unit.install_native(collect);
    }
    // The glue sources' resources: the snapshot refers to them by their index here.
    for (GlueSource* source : GlueSources()) {
      if (source != nullptr) list->push_back(reinterpret_cast<intptr_t>(source));
    }
    AddSharedSourceReferences(list);
    list->push_back(0);
    return list;
  }();
  return references->data();
}

namespace {

// One V8 blob: the runtime context as the default context, with "url", "encoding", "navigator" (and
// "streams" if `streams`) loaded, the glue's and those modules' exercises run and the objects they
// made kept (snapshot_exercises.h), after the warm-up request.
absl::StatusOr<std::string> MakeBlob(bool streams) {
  v8::SnapshotCreator creator(ExternalReferences());
  v8::Isolate* isolate = creator.GetIsolate();
  {
    v8::HandleScope handles(isolate);
    v8::Local<v8::Object> internal;
    v8::Local<v8::Array> kept;
    absl::StatusOr<v8::Local<v8::Context>> context = RuntimeContext(isolate, &internal);
    if (!context.ok()) return context.status();
    {
      v8::Context::Scope context_scope(*context);
      kept = v8::Array::New(isolate);
      absl::Status loaded = ExerciseGlue(isolate, *context, internal, kept);
      for (std::string_view module : {"url", "encoding", "navigator", "streams"}) {
        if (loaded.ok() && (streams || module != "streams")) loaded = Preload(isolate, *context, internal, module, kept);
      }
      if (loaded.ok()) loaded = CheckLoadedModules(isolate, *context, internal, streams);
      if (!loaded.ok()) return loaded;
    }
    if (creator.AddData(*context, internal) != kInternalSnapshotIndex) {
      return absl::InternalError("snapshot: unexpected data index for internal");
    }
    if (creator.AddData(*context, kept) != kExercisedSnapshotIndex) {
      return absl::InternalError("snapshot: unexpected data index for the exercises' objects");
    }
    creator.SetDefaultContext(*context);
  }
  absl::Status warmed = WarmUp(isolate);
  if (!warmed.ok()) return warmed;
  v8::StartupData blob = creator.CreateBlob(v8::SnapshotCreator::FunctionCodeHandling::kKeep);
  if (blob.data == nullptr) return absl::InternalError("snapshot: V8 could not serialize the context");
  std::string bytes(blob.data, static_cast<size_t>(blob.raw_size));
  delete[] blob.data;
  return bytes;
}

}  // namespace

absl::StatusOr<std::string> BuildStartupSnapshot() {
  // A hash seed of this build's own: the snapshot's hash tables are laid out for it, and the
  // binaries it is embedded in run V8 with it, so contexts are not rehashed when deserialized.
  // ATOLL_SNAPSHOT_HASH_SEED fixes it (to compare snapshot files in one binary:
  // bench/context_benchmark's ATOLL_SNAPSHOT_FILE).
  uint64_t seed = 0;
  if (const char* fixed = std::getenv("ATOLL_SNAPSHOT_HASH_SEED")) seed = std::strtoull(fixed, nullptr, 10);
  std::random_device random;
  // V8's flag parser takes --hash-seed only up to INT64_MAX (and ignores every flag after a
  // refused one), so the seed has 63 random bits.
  while (seed == 0) seed = ((uint64_t{random()} << 32) | random()) & 0x7fff'ffff'ffff'ffffu;
  isolates::UseHashSeed(seed);
  isolates::InitializeV8();
  absl::StatusOr<std::string> blob = MakeBlob(/*streams=*/false);
  if (!blob.ok()) return blob.status();
  absl::StatusOr<std::string> streams_blob = MakeBlob(/*streams=*/true);
  if (!streams_blob.ok()) return streams_blob.status();
  return cache::EncodeStartupSnapshot(seed, *blob, *streams_blob);
}

absl::StatusOr<isolates::IsolateBlueprint> RuntimeBlueprint(uint32_t heap_mb, bool streams) {
  static v8::StartupData data = [] {
    std::string_view bytes = cache::StartupSnapshotBlob(cache::EmbeddedStartupSnapshot());
    return v8::StartupData{bytes.data(), static_cast<int>(bytes.size())};
  }();
  static v8::StartupData streams_data = [] {
    std::string_view bytes = cache::StartupSnapshotStreamsBlob(cache::EmbeddedStartupSnapshot());
    return v8::StartupData{bytes.data(), static_cast<int>(bytes.size())};
  }();
  v8::StartupData* chosen = streams ? &streams_data : &data;
  if (chosen->raw_size == 0) return absl::FailedPreconditionError("this binary has no startup snapshot");
  return isolates::IsolateBlueprint{chosen, ExternalReferences(), heap_mb, streams};
}

}  // namespace atl::bindings
