// The snapshot's exercises (snapshot_exercises.h): the objects a tenant's first request makes
// (an incoming Request and its headers, Headers, Responses, streams) find their hidden classes
// already in a context made from the snapshot, instead of making new maps property by property.
#include "bindings/snapshot_exercises.h"

#include <gtest/gtest.h>
#include <v8-profiler.h>

#include <set>
#include <string>

#include "bindings/runtime_snapshot.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

// The heap snapshot ids of every map in `isolate`'s heap (a full GC first, as any heap snapshot).
std::set<v8::SnapshotObjectId> MapIds(v8::Isolate* isolate) {
  const v8::HeapSnapshot* snapshot = isolate->GetHeapProfiler()->TakeHeapSnapshot();
  std::set<v8::SnapshotObjectId> ids;
  for (int i = 0; i < snapshot->GetNodesCount(); ++i) {
    const v8::HeapGraphNode* node = snapshot->GetNode(i);
    v8::String::Utf8Value name(isolate, node->GetName());
    if (node->GetType() == v8::HeapGraphNode::kHidden && std::string_view(*name).starts_with("system / Map")) {
      ids.insert(node->GetId());
    }
  }
  const_cast<v8::HeapSnapshot*>(snapshot)->Delete();
  return ids;
}

// How many maps `code` (a function of the glue's `internal` returning the objects it made, kept
// alive in a global) makes in a context just made from the runtime's blob (or the streams one):
// maps alive after it that were not before. The context keeps the exercises' objects (a Worker's
// context drops them: worker.cc), so their maps survive the heap snapshots' GCs.
size_t MapsMadeBy(const char* code, bool streams) {
  auto blueprint = RuntimeBlueprint(128, streams);
  EXPECT_TRUE(blueprint.ok()) << blueprint.status();
  if (!blueprint.ok()) return SIZE_MAX;
  auto tenant = isolates::TenantIsolate::Create(*blueprint);
  v8::Isolate* isolate = tenant->isolate();
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> context = tenant->NewContext();
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Object> internal = context->GetDataFromSnapshotOnce<v8::Object>(kInternalSnapshotIndex).ToLocalChecked();
  std::set<v8::SnapshotObjectId> before = MapIds(isolate);
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> function, made;
  v8::Local<v8::Value> argv[] = {internal};
  bool ran = v8::Script::Compile(context, isolates::NewString(isolate, code)).ToLocalChecked()->Run(context).ToLocal(&function) &&
             function.As<v8::Function>()->Call(context, v8::Undefined(isolate), 1, argv).ToLocal(&made);
  EXPECT_TRUE(ran) << isolates::DescribeException(isolate, try_catch);
  if (!ran) return SIZE_MAX;
  isolate->PerformMicrotaskCheckpoint();
  EXPECT_TRUE(context->Global()->Set(context, isolates::NewString(isolate, "made"), made).FromMaybe(false));
  size_t maps = 0;
  for (v8::SnapshotObjectId id : MapIds(isolate)) maps += before.count(id) == 0;
  return maps;
}

// None here; a blob without the exercises' objects made 18 (glue) and 72 (streams) maps for the
// same code. A handful allows for a shape an exercise does not make.
constexpr size_t kAFew = 4;

TEST(SnapshotExercises, AFirstRequestsGlueObjectsFindTheirMapsInTheSnapshot) {
  EXPECT_LE(MapsMadeBy(R"((internal) => {
      const request = internal.newIncomingRequest("GET", "http://h/a", ["host", "h"], null, 0);
      const headers = new Headers({ "content-type": "text/plain" });
      headers.set("x-host", request.headers.get("host"));
      return [request, request.headers, headers, new Response("ok", { status: 200, headers }), new Response("plain")];
    })", /*streams=*/false), kAFew);
}

TEST(SnapshotExercises, AFirstStreamFindsItsMapsInTheStreamsSnapshot) {
  EXPECT_LE(MapsMadeBy(R"((internal) => {
      const t = new TransformStream({ transform(c, k) { k.enqueue(c.toUpperCase()); } });
      const rs = new ReadableStream({ start(c) { c.enqueue("ok"); c.close(); } });
      const reader = rs.pipeThrough(t).getReader();
      const read = reader.read();
      return [t, rs, reader, read];
    })", /*streams=*/true), kAFew);
}

}  // namespace
}  // namespace atl::bindings
