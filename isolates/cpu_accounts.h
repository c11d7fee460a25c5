#pragma once
// The CPU budgets a tenant's JS is charged to. Every run of JS is charged to one account:
// - a request's: `cpu_ms` for its handler and everything it causes, before and after the
//   response (continuations, timers armed by its JS and the timers those arm, stream callbacks,
//   fetch events, waitUntil work), as Workers counts a request's CPU;
// - the isolate's background account (kBackground): JS that belongs to no request (timers armed
//   by the script's top level and their chains). A bucket of `cpu_ms` refilled at `cpu_ms` per
//   RuntimeCaps::background_cpu_window_ms, so a top-level setInterval may run forever if it is
//   cheap, and a busy chain runs dry.
// A request's account lives while something it caused can still run: each such thing (the
// request in flight, a timer armed under it, a fetch it started, a run in progress) holds a
// reference. An account that runs dry means the isolate is killed; the caller does that.
// Each account also counts the console bytes its JS wrote (RuntimeCaps::max_log_bytes).
// Times are nanoseconds on a monotonic clock the caller reads.
//
//   CpuAccounts accounts(limits.cpu_ms, RuntimeCaps());
//   accounts.Open(7);                               // request 7, referenced by its being in flight
//   accounts.Ref(7);                                // a timer its JS armed
//   uint64_t budget = accounts.Remaining(7, now);   // the watchdog's budget for the next run
//   if (accounts.Charge(7, run_ns, now)) { /* kill the isolate */ }
//   accounts.Unref(7); accounts.Unref(7);           // answered, timer fired: the account is gone

#include <cstddef>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "isolates/limits.h"

namespace atl::isolates {

class CpuAccounts {
 public:
  static constexpr uint64_t kBackground = 0;
  // What ChargeLog says about a console line.
  enum class LogVerdict { kWrite, kTruncate, kDrop };  // kTruncate: write "truncated" instead, once

  CpuAccounts(uint32_t cpu_ms, const RuntimeCaps& caps);

  // Request `id`'s account, with one reference; a second Open of a live id adds a reference.
  void Open(uint64_t id);
  // References to request accounts; kBackground and unknown ids are ignored.
  void Ref(uint64_t id);
  void Unref(uint64_t id);
  bool Has(uint64_t id) const { return id == kBackground || accounts_.contains(id); }

  // What `id` may still use (an unknown id is the background account's).
  uint64_t Remaining(uint64_t id, uint64_t now_ns);
  // Adds `ns` to `id`; true if the account is now dry.
  bool Charge(uint64_t id, uint64_t ns, uint64_t now_ns);
  uint64_t Used(uint64_t id) const;

  // `bytes` more of console output from `id`'s JS.
  LogVerdict ChargeLog(uint64_t id, size_t bytes, uint64_t now_ns);

  // Request accounts alive.
  size_t open() const { return accounts_.size(); }
  void Clear();

 private:
  struct Account {
    uint32_t refs = 0;
    uint64_t used_ns = 0;
    uint64_t log_bytes = 0;
    bool log_truncated = false;
  };
  Account& Find(uint64_t id);
  const Account& Find(uint64_t id) const;
  // Lets the background bucket refill up to `now_ns`.
  void Refill(uint64_t now_ns);

  uint64_t budget_ns_;
  uint64_t window_ns_;
  uint64_t max_log_bytes_;
  Account background_;
  uint64_t refilled_at_ns_ = 0;
  absl::flat_hash_map<uint64_t, Account> accounts_;
};

}  // namespace atl::isolates
