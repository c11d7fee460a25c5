#include "tests/tenant_fixture.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace atl::testing {

TenantFixture::TenantFixture() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  dir_ = std::filesystem::temp_directory_path() /
         ("atoll-" + std::string(info->name()) + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
}

TenantFixture::~TenantFixture() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string TenantFixture::Write(const std::string& name, const std::string& text) const {
  std::filesystem::path path = dir_ / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
  return path.string();
}

std::string TenantFixture::WriteConfig(const std::string& server_extra, const std::string& rest) const {
  return Write("atoll.toml", "[server]\ndata_dir = \"data\"\n" + server_extra + "\n" + rest);
}

int64_t PoolStat(const std::string& log, const std::string& field) {
  size_t line = log.rfind("\"msg\":\"pool stats\"");
  if (line == std::string::npos) return -1;
  size_t at = log.find("\"" + field + "\":", line);
  if (at == std::string::npos) return -1;
  return std::stoll(log.substr(at + field.size() + 3));
}

int64_t ResidentKb(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stoll(line.substr(6));
  }
  return -1;
}

}  // namespace atl::testing
