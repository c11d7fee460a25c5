#pragma once
// What a tenant's first request commonly does, run in the snapshot's context before it is saved
// (runtime_snapshot.cc). Two things reach the blob that would otherwise be made again in every
// tenant isolate on its first request:
//  - bytecode: the functions an exercise runs are compiled (the rest of a preloaded module stays
//    uncompiled, LazyCompileScope);
//  - maps: each exercise returns the objects it made, which the snapshot keeps (`kept`, data
//    kExercisedSnapshotIndex), so their hidden classes and the transitions to them from the
//    constructors' initial maps are serialized. Without them a fresh context adds every private
//    field and property of its first Request, Response, Headers or stream by making new maps
//    (V8's Map::TransitionToDataProperty), ~35% of a plain first request's instructions.

#include <v8.h>

#include <string_view>

#include "absl/status/status.h"

namespace atl::bindings {

// Runs the glue's exercise (an incoming Request and its headers, Headers, Responses) in
// `context`; its objects are appended to `kept`.
absl::Status ExerciseGlue(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> internal,
                          v8::Local<v8::Array> kept);

// Loads lazy module `module` ("url", "encoding", "navigator" or "streams") into `context` as a
// tenant's first read of one of its globals would, reads every global of it (so each is a plain
// data property already, with the lazy path's attributes), and runs its exercise, compiling only
// what the exercise runs; the exercise's objects are appended to `kept`.
absl::Status Preload(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> internal,
                     std::string_view module, v8::Local<v8::Array> kept);

}  // namespace atl::bindings
