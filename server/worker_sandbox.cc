// EnterWorkerSandbox (worker_sandbox.h): no new privileges, no core dumps, and the seccomp filter.
#include "server/worker_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "base/log.h"
#include "base/strings.h"

namespace atl::server {
namespace {

// What a worker calls after start-up: strace -f over the whole test suite (every suite, every
// worker), plus the calls glibc and libuv make on paths the suite may not reach (error paths,
// other clocks). Sorted by name.
constexpr const char* kWorkerSyscalls[] = {
    "accept", "accept4", "access", "brk", "clock_getres", "clock_gettime", "clock_nanosleep", "close",
    "connect", "dup", "dup2", "dup3", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_wait", "eventfd2",
    "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fallocate", "fchmod", "fchown", "fcntl",
    "fdatasync", "flock", "fstat", "fstatfs", "fsync", "ftruncate", "futex", "getcwd", "getdents64", "getegid",
    "geteuid", "getgid", "getpeername", "getpid", "getppid", "getrandom", "getrusage", "getsockname",
    "getsockopt", "gettid", "gettimeofday", "getuid", "ioctl", "lseek", "lstat", "madvise", "membarrier",
    "mincore", "mkdir", "mkdirat", "mmap", "mprotect", "mremap", "munmap", "nanosleep", "newfstatat", "open", "openat",
    "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "pread64", "preadv", "prlimit64", "pwrite64", "pwritev", "read",
    "readlink", "readlinkat", "readv", "recvfrom", "recvmmsg", "recvmsg", "rename", "renameat", "renameat2",
    "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait",
    "sched_getaffinity", "sched_yield", "select", "sendfile", "sendmmsg", "sendmsg", "sendto", "set_robust_list",
    "set_tid_address", "setpriority", "setsockopt", "shutdown", "sigaltstack", "stat", "statfs", "statx", "sysinfo",
    "timerfd_create", "timerfd_settime", "uname", "unlink", "unlinkat", "write", "writev",
};

// Calls that are never a worker's business after start-up: the process dies (SIGSYS).
constexpr const char* kFatalSyscalls[] = {
    "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev", "fork", "vfork", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module", "mount", "umount2", "pivot_root",
    "chroot", "setns", "unshare", "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
    "personality", "reboot", "swapon", "swapoff", "setuid", "setgid", "setreuid", "setregid", "setresuid",
    "setresgid", "setgroups", "capset", "iopl", "ioperm", "acct", "settimeofday", "clock_settime",
    "open_by_handle_at", "name_to_handle_at", "move_mount", "fsopen", "fsmount", "fsconfig", "open_tree",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "process_madvise", "pidfd_getfd",
};

std::atomic<int> denied_logged{0};
int audit_fd = -1;  // ATOLL_SANDBOX_AUDIT: a file that also gets the refusals (measuring the list)

// SIGSYS from the filter's default action: log the call (async-signal-safe: one write) and
// make it fail with EPERM.
void OnDenied(int, siginfo_t* info, void* context) {
  if (denied_logged.fetch_add(1) < 64) {
    char line[160];
    int n = 0;
    const char* head = "{\"level\":\"warn\",\"msg\":\"sandbox: a system call was refused (EPERM)\",\"syscall\":";
    for (const char* p = head; *p && n < 120; ++p) line[n++] = *p;
    char digits[12];
    int d = 0;
    unsigned v = static_cast<unsigned>(info->si_syscall);
    do {
      digits[d++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0 && d < 11);
    while (d > 0) line[n++] = digits[--d];
    line[n++] = '}';
    line[n++] = '\n';
    (void)!write(STDERR_FILENO, line, static_cast<size_t>(n));
    if (audit_fd >= 0) (void)!write(audit_fd, line, static_cast<size_t>(n));
  }
  auto* uc = static_cast<ucontext_t*>(context);
  uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
}

absl::Status Add(scmp_filter_ctx ctx, uint32_t action, const char* name) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return absl::OkStatus();  // not on this architecture
  int rc = seccomp_rule_add(ctx, action, nr, 0);
  if (rc != 0) return absl::InternalError(base::StrCat("sandbox: seccomp rule for ", name, ": ", strerror(-rc)));
  return absl::OkStatus();
}

// Landlock (kernel 5.13+): the files the process may still open. The system's read-only
// folders (libraries, CA certificates and those $SSL_CERT_FILE / $SSL_CERT_DIR name, resolver
// files, /proc of itself), the scripts' folders read
// only, data_dir read and write; nothing else.
absl::Status RestrictFiles(const WorkerSandboxPaths& paths) {
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 1) {
    base::LogLine(base::LogLevel::kWarn, "sandbox: this kernel has no Landlock: workers may open any file their user may")
        .Emit();
    return absl::OkStatus();
  }
  uint64_t handled = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
                     LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
                     LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                     LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
                     LANDLOCK_ACCESS_FS_MAKE_SYM;
  if (abi >= 2) handled |= LANDLOCK_ACCESS_FS_REFER;
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
  if (abi >= 3) handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = handled;
  int ruleset = static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0));
  if (ruleset < 0) return absl::InternalError(base::StrCat("sandbox: landlock_create_ruleset: ", strerror(errno)));
  struct Close {
    int fd;
    ~Close() { close(fd); }
  } closer{ruleset};
  const uint64_t read = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
  const uint64_t read_write = handled & ~static_cast<uint64_t>(LANDLOCK_ACCESS_FS_EXECUTE);
  auto allow = [&](const std::filesystem::path& path, uint64_t access) {
    int fd = open(path.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) return;  // not there: nothing to allow
    struct stat info {};
    // A file (not a folder) takes only the file rights.
    if (fstat(fd, &info) == 0 && !S_ISDIR(info.st_mode)) {
      access &= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
                | LANDLOCK_ACCESS_FS_TRUNCATE
#endif
          ;
    }
    landlock_path_beneath_attr rule{};
    rule.allowed_access = access & handled;
    rule.parent_fd = fd;
    syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
    close(fd);
  };
  for (const char* system : {"/etc", "/usr", "/lib", "/lib64", "/proc", "/sys", "/dev/urandom", "/dev/random"}) {
    allow(system, read);
  }
  allow("/dev/null", read | LANDLOCK_ACCESS_FS_WRITE_FILE);
  // The CA store OpenSSL is pointed at, wherever it is (tls.cc UseSystemCertificates): a bundle
  // in $SSL_CERT_FILE, folders in $SSL_CERT_DIR (colon-separated).
  if (const char* file = std::getenv("SSL_CERT_FILE")) allow(file, read);
  if (const char* dirs = std::getenv("SSL_CERT_DIR")) {
    std::string_view rest = dirs;
    while (!rest.empty()) {
      size_t colon = rest.find(':');
      allow(std::string(rest.substr(0, colon)), read);
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
  }
  for (const std::filesystem::path& path : paths.read_only) allow(path, read);
  for (const std::filesystem::path& path : paths.read_write) allow(path, read_write);
  if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
    return absl::InternalError(base::StrCat("sandbox: landlock_restrict_self: ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status EnterWorkerSandbox(const WorkerSandboxPaths& paths) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return absl::InternalError("sandbox: PR_SET_NO_NEW_PRIVS failed");
  // Tenants' data is in this process's memory: no core file, no ptrace attach by the same user.
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (absl::Status files = RestrictFiles(paths); !files.ok()) return files;

  if (const char* audit = std::getenv("ATOLL_SANDBOX_AUDIT")) {
    audit_fd = open(audit, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  struct sigaction action {};
  action.sa_sigaction = OnDenied;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGSYS, &action, nullptr) != 0) return absl::InternalError("sandbox: sigaction(SIGSYS) failed");

  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
  if (ctx == nullptr) return absl::InternalError("sandbox: seccomp_init failed");
  struct Release {
    scmp_filter_ctx ctx;
    ~Release() { seccomp_release(ctx); }
  } release{ctx};
  // Every thread of the process, not only this one.
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
  for (const char* name : kWorkerSyscalls) {
    if (absl::Status s = Add(ctx, SCMP_ACT_ALLOW, name); !s.ok()) return s;
  }
  for (const char* name : kFatalSyscalls) {
    if (absl::Status s = Add(ctx, SCMP_ACT_KILL_PROCESS, name); !s.ok()) return s;
  }
  // Threads only: a clone without CLONE_THREAD is a new process. clone3 takes its flags in
  // memory the filter cannot read, so it answers ENOSYS and glibc falls back to clone.
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                            SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
  rc = rc != 0 ? rc : seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
                                       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
  rc = rc != 0 ? rc : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  // Signals to itself only (raise, V8's and libuv's wake-ups); thread names only.
  pid_t self = getpid();
  rc = rc != 0 ? rc : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(self)));
  rc = rc != 0 ? rc : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(self)));
  for (int option : {PR_SET_NAME, PR_GET_NAME}) {
    rc = rc != 0 ? rc : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(option)));
  }
  // Sockets for outbound fetch() (and DNS) only.
  for (int domain : {AF_INET, AF_INET6, AF_UNIX}) {
    rc = rc != 0 ? rc : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(domain)));
  }
  rc = rc != 0 ? rc : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
  if (rc != 0) return absl::InternalError(base::StrCat("sandbox: seccomp rule: ", strerror(-rc)));
  rc = seccomp_load(ctx);
  if (rc != 0) return absl::InternalError(base::StrCat("sandbox: seccomp_load: ", strerror(-rc)));
  return absl::OkStatus();
}

absl::Status LimitWorkerMemory(uint32_t megabytes) {
  if (megabytes == 0) return absl::OkStatus();
  rlimit limit{};
  limit.rlim_cur = limit.rlim_max = static_cast<rlim_t>(megabytes) << 20;
  if (setrlimit(RLIMIT_DATA, &limit) != 0) {
    return absl::InternalError(base::StrCat("worker_memory_mb: setrlimit(RLIMIT_DATA) failed: ", strerror(errno)));
  }
  return absl::OkStatus();
}

bool SandboxProbeEnabled() { return std::getenv("ATOLL_TEST_SANDBOX_PROBE") != nullptr; }

void SandboxProbe() {
  std::string probe = std::getenv("ATOLL_TEST_SANDBOX_PROBE");
  if (probe.starts_with("open:")) {
    std::string path = probe.substr(5);
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    base::LogLine(base::LogLevel::kInfo, "sandbox probe: open")
        .Str("path", path)
        .Str("result", fd >= 0 ? "opened" : strerror(errno))
        .Emit();
    if (fd >= 0) close(fd);
    return;
  }
  char program[] = "/bin/true";
  char* argv[] = {program, nullptr};
  execve(program, argv, environ);
  _exit(99);  // the filter failed to stop it
}

}  // namespace atl::server
