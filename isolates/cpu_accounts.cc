#include "isolates/cpu_accounts.h"

#include <algorithm>

namespace atl::isolates {

CpuAccounts::CpuAccounts(uint32_t cpu_ms, const RuntimeCaps& caps)
    : budget_ns_(uint64_t{cpu_ms} * 1'000'000u),
      window_ns_(std::max<uint64_t>(1, uint64_t{caps.background_cpu_window_ms} * 1'000'000u)),
      max_log_bytes_(caps.max_log_bytes) {}

void CpuAccounts::Open(uint64_t id) {
  if (id == kBackground) return;
  ++accounts_[id].refs;
}

void CpuAccounts::Ref(uint64_t id) {
  auto it = accounts_.find(id);
  if (it != accounts_.end()) ++it->second.refs;
}

void CpuAccounts::Unref(uint64_t id) {
  auto it = accounts_.find(id);
  if (it != accounts_.end() && --it->second.refs == 0) accounts_.erase(it);
}

CpuAccounts::Account& CpuAccounts::Find(uint64_t id) {
  if (id == kBackground) return background_;
  auto it = accounts_.find(id);
  return it == accounts_.end() ? background_ : it->second;
}

const CpuAccounts::Account& CpuAccounts::Find(uint64_t id) const {
  if (id == kBackground) return background_;
  auto it = accounts_.find(id);
  return it == accounts_.end() ? background_ : it->second;
}

void CpuAccounts::Refill(uint64_t now_ns) {
  if (now_ns <= refilled_at_ns_) return;
  uint64_t elapsed = now_ns - refilled_at_ns_;
  refilled_at_ns_ = now_ns;
  // budget_ns_ per window_ns_; in two steps so that neither product overflows for any real
  // elapsed time (a long idle simply empties the bucket's usage).
  uint64_t back = elapsed >= window_ns_ ? budget_ns_ : static_cast<uint64_t>(
                                                           static_cast<double>(budget_ns_) * elapsed / window_ns_);
  background_.used_ns -= std::min(background_.used_ns, back);
  uint64_t log_back = elapsed >= window_ns_ ? max_log_bytes_ : static_cast<uint64_t>(
                                                                   static_cast<double>(max_log_bytes_) * elapsed / window_ns_);
  background_.log_bytes -= std::min(background_.log_bytes, log_back);
  if (background_.log_bytes == 0) background_.log_truncated = false;  // quiet for a while: log again
}

uint64_t CpuAccounts::Remaining(uint64_t id, uint64_t now_ns) {
  Account& account = Find(id);
  if (&account == &background_) Refill(now_ns);
  return budget_ns_ - std::min(budget_ns_, account.used_ns);
}

bool CpuAccounts::Charge(uint64_t id, uint64_t ns, uint64_t now_ns) {
  Account& account = Find(id);
  if (&account == &background_) Refill(now_ns);
  account.used_ns += ns;
  return account.used_ns >= budget_ns_;
}

uint64_t CpuAccounts::Used(uint64_t id) const { return Find(id).used_ns; }

CpuAccounts::LogVerdict CpuAccounts::ChargeLog(uint64_t id, size_t bytes, uint64_t now_ns) {
  Account& account = Find(id);
  if (&account == &background_) Refill(now_ns);
  if (!account.log_truncated && account.log_bytes + bytes <= max_log_bytes_) {
    account.log_bytes += bytes;
    return LogVerdict::kWrite;
  }
  account.log_bytes = max_log_bytes_;
  if (account.log_truncated) return LogVerdict::kDrop;
  account.log_truncated = true;
  return LogVerdict::kTruncate;
}

void CpuAccounts::Clear() {
  accounts_.clear();
  background_ = Account{};
}

}  // namespace atl::isolates
