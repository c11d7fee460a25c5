#pragma once
// The last layer around a worker process (issue 17): once it has started (listeners inherited,
// V8 and the snapshot loaded, the Durable Objects listener bound), the worker drops what it
// will never need again, so that code that escapes V8 finds a process that can do almost
// nothing:
// - PR_SET_NO_NEW_PRIVS; not dumpable and no core files (tenants' data is in its memory);
// - Landlock (where the kernel has it): files may be opened only in the system's read-only
//   folders (/etc, /usr, /proc, ...), the tenants' script folders (read only) and data_dir;
// - a seccomp filter (libseccomp): only the system calls a worker makes (measured with strace
//   over the whole test suite, kWorkerSyscalls in worker_sandbox.cc) are allowed; creating a
//   process or a namespace, execve, ptrace, reading another process's memory, loading kernel
//   code, bpf, mount... kill the process (SIGSYS: the supervisor logs it and starts another);
//   clone only makes threads; socket() only for AF_INET, AF_INET6 and AF_UNIX; no new listening
//   socket (bind/listen); signals only to itself; prctl only for thread names; every other call
//   fails with EPERM and is logged (the first 64).
// The filter covers the worker's threads (V8's platform threads, libuv's pool) too: they exist
// before it is installed and SECCOMP_FILTER_FLAG_TSYNC applies it to all of them.
//
//   absl::Status sandboxed = EnterWorkerSandbox();   // serve.cc, before the worker says ready

#include <filesystem>
#include <vector>

#include "absl/status/status.h"

namespace atl::server {

// The folders a worker still opens files in once sandboxed (Landlock), besides the system's
// read-only ones (/etc, /usr, /proc, ...): the scripts' folders, data_dir.
struct WorkerSandboxPaths {
  std::vector<std::filesystem::path> read_only;
  std::vector<std::filesystem::path> read_write;
};

absl::Status EnterWorkerSandbox(const WorkerSandboxPaths& paths);

// `[server] worker_memory_mb`: the process's writable private memory may not pass this many MB
// (RLIMIT_DATA, soft and hard: committed V8 heap pages, malloc, ArrayBuffers and Wasm memory
// count; V8's PROT_NONE reservations and guard regions do not). Past it an allocation fails, and
// V8 ends the process on a heap allocation it cannot make: a leak or a V8 heap bug costs one
// worker, which the supervisor restarts, never the machine. Set before V8 starts.
absl::Status LimitWorkerMemory(uint32_t megabytes);

// Tests (tests/sandbox_test.cc): with ATOLL_TEST_SANDBOX_PROBE in its environment a worker, on
// SIGUSR2, calls execve("/bin/true") (which the filter must punish), or with "open:PATH" tries
// to open PATH for reading and logs "sandbox probe: open" with the result.
bool SandboxProbeEnabled();
void SandboxProbe();

}  // namespace atl::server
