#pragma once
// Writes a V8 heap snapshot to a file, as DevTools reads it (bench/heap_types.py compares two):
// for the benchmarks that take ATOLL_BENCH_HEAP_SNAPSHOT=path.

#include <v8-profiler.h>

#include <fstream>

namespace atl::bench {

inline void WriteHeapSnapshot(const v8::HeapSnapshot* snapshot, const char* path) {
  struct FileStream : v8::OutputStream {
    std::ofstream out;
    void EndOfStream() override {}
    WriteResult WriteAsciiChunk(char* data, int size) override {
      out.write(data, size);
      return kContinue;
    }
  } stream;
  stream.out.open(path);
  snapshot->Serialize(&stream);
}

}  // namespace atl::bench
