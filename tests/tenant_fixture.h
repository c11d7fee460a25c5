#pragma once
// Writes a throwaway atoll.toml and tenant scripts into a fresh temp folder for an integration
// test, and reads the "pool stats" line a stopped server logged.

#include <cstdint>
#include <filesystem>
#include <string>

namespace atl::testing {

class TenantFixture {
 public:
  TenantFixture();   // a fresh folder named after the running test
  ~TenantFixture();  // removes it

  const std::filesystem::path& dir() const { return dir_; }
  // Writes `text` to `name` under the folder; returns the absolute path.
  std::string Write(const std::string& name, const std::string& text) const;
  // Writes atoll.toml from `body` (a data_dir in the folder is added to [server]).
  std::string WriteConfig(const std::string& server_extra, const std::string& rest) const;

 private:
  std::filesystem::path dir_;
};

// A numeric field of the last "pool stats" log line in `log`; -1 if absent.
int64_t PoolStat(const std::string& log, const std::string& field);

// Resident memory of `pid` in KB.
int64_t ResidentKb(int pid);

}  // namespace atl::testing
