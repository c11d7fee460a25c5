// The SQLite KV backend: KvStore's synchronous calls behind the KvBackend interface.
#include "kv/kv_backend.h"

namespace atl::kv {

void SqliteKvBackend::Get(std::string_view key, int64_t now, uint32_t, GetDone done) {
  bool answered = false;
  absl::StatusOr<bool> found = store_->Get(key, now, [&](const KvRow& row) {
    answered = true;
    done(&row);
  });
  if (answered) return;
  if (!found.ok()) {
    done(found.status());
  } else {
    done(static_cast<const KvRow*>(nullptr));
  }
}

void SqliteKvBackend::Put(std::string_view key, std::string_view value, int64_t expiration,
                          std::string_view metadata, int64_t now, WriteDone done) {
  done(store_->Put(key, value, expiration, metadata, now));
}

void SqliteKvBackend::Delete(std::string_view key, WriteDone done) { done(store_->Delete(key)); }

void SqliteKvBackend::List(std::string_view prefix, uint32_t limit, std::string_view cursor, int64_t now,
                           ListDone done) {
  done(store_->List(prefix, limit, cursor, now));
}

}  // namespace atl::kv
