#include "bindings/snapshot_exercises.h"

#include "base/strings.h"
#include "bindings/lazy_modules.h"
#include "bindings/registry.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

using isolates::NewString;

// Each exercise is a function of the glue's `internal` returning (or resolving to) the array of
// the objects it made; it throws if what it checks does not hold.

// The dispatch path and a handler's usual first steps, without the native side (request id 0,
// no body, nothing sent).
constexpr const char* kGlueExercise = R"((internal) => {
  const request = internal.newIncomingRequest("GET", "http://warm.up/a?b=1", ["host", "warm.up", "accept", "*/*"], null, 0);
  const host = request.headers.get("host");
  const headers = new Headers({ "content-type": "text/plain" });
  headers.set("x-host", host);
  headers.append("x-more", "1");
  const response = new Response("warm " + request.method + " " + request.url, { status: 200, headers });
  const plain = new Response("ok");
  const json = Response.json({ host });
  if (response.headers.get("x-host") !== "warm.up" || plain.status !== 200) {
    throw new Error("the glue exercise went wrong");
  }
  return [request, request.headers, headers, response, response.headers, plain, json];
})";

// URL: parse, every getter, a relative URL, setters, URLSearchParams.
constexpr const char* kUrlExercise = R"((internal) => {
  const url = new URL("https://user:pw@example.com:8080/a/b?x=1&y=2#h");
  const parts = [url.href, url.protocol, url.username, url.password, url.host, url.hostname, url.port,
                 url.pathname, url.search, url.hash, url.origin, url.searchParams.get("x"), String(url)];
  const relative = new URL("/c?z=3", url);
  relative.pathname = "/d";
  relative.searchParams.set("w", "4");
  const params = new URLSearchParams("a=1&b=2");
  params.append("c", "3");
  for (const [name, value] of params) parts.push(name + value);
  parts.push(params.toString(), relative.href, url.toJSON(), URL.canParse("x:"));
  if (!parts.join(" ").includes("/d?z=3&w=4")) throw new Error("the URL exercise went wrong");
  return [url, url.searchParams, relative, relative.searchParams, params];
})";

// Encoding: UTF-8 both ways, streaming decode, encodeInto, base64.
constexpr const char* kEncodingExercise = R"((internal) => {
  const encoder = new TextEncoder();
  const bytes = encoder.encode("h\u00e9llo \u{1F600}");
  const into = new Uint8Array(16);
  encoder.encodeInto("abc", into);
  const decoder = new TextDecoder();
  const text = decoder.decode(bytes.subarray(0, 3), { stream: true }) + decoder.decode(bytes.subarray(3));
  const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  if (text !== fatal.decode(bytes) || atob(btoa("ok")) !== "ok" || into[2] !== 99 || decoder.encoding !== "utf-8") {
    throw new Error("the encoding exercise went wrong");
  }
  return [encoder, decoder, fatal];
})";

// navigator: what libraries read of it (Hono's getRuntimeKey()).
constexpr const char* kNavigatorExercise = R"((internal) => {
  if (navigator.userAgent !== "Cloudflare-Workers" || !(navigator instanceof Navigator)) {
    throw new Error("the navigator exercise went wrong");
  }
  return [];
})";

// Streams: a reader, pipeThrough a TransformStream, tee, pipeTo a WritableStream, a byte stream,
// an identity transform, a Response's body read.
constexpr const char* kStreamsExercise = R"(async (internal) => {
  const rs = new ReadableStream({ start(c) { c.enqueue("a"); c.enqueue("b"); c.close(); } });
  const upper = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()); } });
  const [left, right] = rs.pipeThrough(upper).tee();
  const reader = left.getReader();
  while (!(await reader.read()).done) {}
  const sink = [];
  const writable = new WritableStream({ write(chunk) { sink.push(chunk); } });
  await right.pipeTo(writable);
  const bytes = new ReadableStream({ type: "bytes", pull(c) { c.enqueue(new Uint8Array([1, 2])); c.close(); } });
  const byteReader = bytes.getReader();
  while (!(await byteReader.read()).done) {}
  const identity = new TransformStream();
  const writer = identity.writable.getWriter();
  writer.write("q");
  writer.close();
  const identityReader = identity.readable.getReader();
  let text = "";
  for (let step; !(step = await identityReader.read()).done;) text += step.value;
  const response = new Response("body");
  const body = response.body.getReader();
  while (!(await body.read()).done) {}
  if (sink.join("") !== "AB" || text !== "q") throw new Error("the streams exercise went wrong");
  return [rs, upper, left, right, reader, writable, bytes, byteReader, identity, writer, identityReader, response, body];
})";

const char* ExerciseOf(std::string_view module) {
  if (module == "url") return kUrlExercise;
  if (module == "encoding") return kEncodingExercise;
  if (module == "navigator") return kNavigatorExercise;
  if (module == "streams") return kStreamsExercise;
  return nullptr;
}

// Runs `exercise` with `internal`, and its microtasks to the end; appends the objects it made to
// `kept`.
absl::Status Exercise(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> internal,
                      std::string_view name, const char* exercise, v8::Local<v8::Array> kept) {
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> function, result;
  v8::Local<v8::Value> argv[] = {internal};
  if (!v8::Script::Compile(context, NewString(isolate, exercise)).ToLocal(&script) ||
      !script->Run(context).ToLocal(&function) || !function->IsFunction() ||
      !function.As<v8::Function>()->Call(context, v8::Undefined(isolate), 1, argv)
           .ToLocal(&result)) {
    return absl::InternalError(
        base::StrCat("snapshot: ", name, " exercise: ", isolates::DescribeException(isolate, try_catch)));
  }
  isolate->PerformMicrotaskCheckpoint();
  if (result->IsPromise()) {
    v8::Local<v8::Promise> promise = result.As<v8::Promise>();
    if (promise->State() == v8::Promise::kRejected) {
      return absl::InternalError(base::StrCat("snapshot: ", name, " exercise: ",
                                              isolates::ToUtf8(isolate, promise->Result())));
    }
    if (promise->State() != v8::Promise::kFulfilled) {
      return absl::InternalError(base::StrCat("snapshot: the ", name, " exercise did not finish"));
    }
    result = promise->Result();
  }
  if (!result->IsArray()) return absl::InternalError(base::StrCat("snapshot: the ", name, " exercise returned no array"));
  v8::Local<v8::Array> made = result.As<v8::Array>();
  for (uint32_t i = 0; i < made->Length(); ++i) {
    if (kept->Set(context, kept->Length(), made->Get(context, i).ToLocalChecked()).IsNothing()) {
      return absl::InternalError("snapshot: could not keep an exercise's object");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ExerciseGlue(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> internal,
                          v8::Local<v8::Array> kept) {
  return Exercise(isolate, context, internal, "glue", kGlueExercise, kept);
}

absl::Status Preload(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> internal,
                     std::string_view module, v8::Local<v8::Array> kept) {
  const char* exercise = ExerciseOf(module);
  if (exercise == nullptr) return absl::InternalError(base::StrCat("snapshot: no exercise for module ", module));
  LazyCompileScope lazily;
  v8::TryCatch try_catch(isolate);
  for (const BindingUnit& unit : BindingUnits()) {
    if (unit.lazy_module != module) continue;
    for (std::string_view name : unit.lazy_globals) {
      v8::Local<v8::Value> value;
      if (!context->Global()->Get(context, NewString(isolate, name)).ToLocal(&value) || !value->IsObject()) {
        return absl::InternalError(base::StrCat("snapshot: ", module, " global ", name, ": ",
                                                isolates::DescribeException(isolate, try_catch)));
      }
    }
  }
  return Exercise(isolate, context, internal, module, exercise, kept);
}

}  // namespace atl::bindings
