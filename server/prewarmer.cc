#include "server/prewarmer.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

#include "base/log.h"
#include "base/strings.h"
#include "server/tenant_manager.h"

namespace atl::server {
namespace {

// Tenants prewarmed between two malloc_trim calls.
constexpr uint32_t kTrimEvery = 16;

}  // namespace

int64_t SelfResidentKb() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long long size = 0, resident = 0;
  int got = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  return got == 2 ? resident * (sysconf(_SC_PAGESIZE) / 1024) : 0;
}

Prewarmer::Prewarmer(uv_loop_t* loop, TenantManager* tenants, uint64_t budget_kb, uint32_t max_isolates)
    : loop_(loop), tenants_(tenants), budget_kb_(budget_kb), max_isolates_(max_isolates) {
  uv_idle_init(loop_, &idle_);
  idle_.data = this;
}

Prewarmer::~Prewarmer() { Stop(); }

void Prewarmer::Start() {
  start_rss_kb_ = SelfResidentKb();
  start_ms_ = uv_now(loop_);
  uv_idle_start(&idle_, [](uv_idle_t* h) { static_cast<Prewarmer*>(h->data)->Step(); });
}

void Prewarmer::Stop() {
  auto* handle = reinterpret_cast<uv_handle_t*>(&idle_);
  if (!uv_is_closing(handle)) uv_close(handle, nullptr);
}

void Prewarmer::Step() {
  stats_.rss_added_kb = SelfResidentKb() - start_rss_kb_;
  if (next_ >= tenants_->tenant_slots()) return Finish("all");
  if (stats_.rss_added_kb >= static_cast<int64_t>(budget_kb_)) return Finish("budget");
  if (tenants_->live_isolates() >= max_isolates_) return Finish("max_isolates");
  uint32_t index = next_++;
  absl::Status warmed = tenants_->Prewarm(index);
  if (absl::IsAlreadyExists(warmed)) return;  // loaded already, removed, or another process's
  if (warmed.ok()) {
    // What the loads' GCs freed in malloc'd memory goes back to the OS (glibc keeps it
    // otherwise), as after the idle GCs: the budget counts what the tenants keep.
    if (++stats_.warmed % kTrimEvery == 0) malloc_trim(0);
  } else {
    ++stats_.failed;
    base::LogLine(base::LogLevel::kWarn, "prewarm: the script did not load")
        .Str("tenant", tenants_->TenantName(index))
        .Str("error", base::ToStd(warmed.message()))
        .Emit();
  }
}

void Prewarmer::Finish(const char* why) {
  uv_idle_stop(&idle_);
  malloc_trim(0);
  // rss_added_kb stays the figure the stop was decided on: "budget" means it reached the budget.
  stats_.rss_kept_kb = SelfResidentKb() - start_rss_kb_;
  stats_.stopped_by = why;
  stats_.ms = uv_now(loop_) - start_ms_;
  base::LogLine(base::LogLevel::kInfo, "prewarm done")
      .Int("tenants", stats_.warmed)
      .Int("failed", stats_.failed)
      .Int("ms", static_cast<int64_t>(stats_.ms))
      .Int("budget_kb", static_cast<int64_t>(budget_kb_))
      .Int("rss_added_kb", stats_.rss_added_kb)
      .Int("rss_kept_kb", stats_.rss_kept_kb)
      .Str("stopped_by", why)
      .Emit();
}

}  // namespace atl::server
