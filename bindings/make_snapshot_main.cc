// atoll_make_snapshot OUTPUT: writes the runtime's startup snapshot (bindings/runtime_snapshot.h).
// Run by the build; the result is embedded into the binaries that serve.

#include <cstdio>
#include <fstream>

#include "bindings/runtime_snapshot.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: atoll_make_snapshot OUTPUT\n");
    return 2;
  }
  absl::StatusOr<std::string> blob = atl::bindings::BuildStartupSnapshot();
  if (!blob.ok()) {
    std::fprintf(stderr, "atoll_make_snapshot: %s\n", std::string(blob.status().message()).c_str());
    return 1;
  }
  std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
  out.write(blob->data(), static_cast<std::streamsize>(blob->size()));
  if (!out) {
    std::fprintf(stderr, "atoll_make_snapshot: cannot write %s\n", argv[1]);
    return 1;
  }
  return 0;
}
