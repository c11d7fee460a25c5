#pragma once
// Heap figures the bindings' tests compare (test code only).

#include <v8.h>

#include <cstddef>

namespace atl::bindings {

// The bytecode (and its metadata) in `isolate`'s heap, in bytes: grows when a function is
// compiled, so a test can tell whether a call found its bytecode already in the snapshot.
inline size_t BytecodeBytes(v8::Isolate* isolate) {
  v8::Isolate::Scope scope(isolate);
  v8::HeapCodeStatistics code;
  isolate->GetHeapCodeAndMetadataStatistics(&code);
  return code.bytecode_and_metadata_size();
}

}  // namespace atl::bindings
