#pragma once
// ConfigTest: a fresh folder holding the files a config refers to, a fake environment, and the
// parse / error-message helpers the config parser's tests share (config_test.cc: what parses;
// config_errors_test.cc: what is refused, and how the message names the place).

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/strings.h"
#include "config/config.h"

namespace atl::config {

// A fresh folder with the files a config refers to, and a fake environment.
class ConfigTest : public testing::Test {
 protected:
  void SetUp() override {
    const testing::TestInfo* info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(testing::TempDir()) / base::StrCat("atoll_config_", getpid(), "_", info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    for (const char* name : {"hello.js", "auth.js", "img.wasm", "cert.pem", "key.pem"}) Write(name, "x");
    file_ = dir_ / "atoll.toml";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::filesystem::path& relative, std::string_view text) {
    std::filesystem::path p = dir_ / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }

  absl::StatusOr<Config> Parse(std::string_view text) {
    return ParseConfig(text, file_, [this](std::string_view name) -> std::optional<std::string> {
      auto it = env_.find(std::string(name));
      if (it == env_.end()) return std::nullopt;
      return it->second;
    });
  }

  // The error message of `text`, which must fail.
  std::string ErrorOf(std::string_view text) {
    absl::StatusOr<Config> config = Parse(text);
    if (config.ok()) return "<parsed fine>";
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(base::ToStd(config.status().message()));
  }

  // "<file>:<line>:" then, after the column, "<path>: ".
  testing::AssertionResult ErrorAt(std::string_view text, int line, std::string_view key_path,
                                   std::string_view also = "") {
    std::string message = ErrorOf(text);
    std::string prefix = base::StrCat(file_.string(), ":", line, ":");
    if (message.rfind(prefix, 0) != 0) return testing::AssertionFailure() << "expected line " << line << ": " << message;
    if (message.find(base::StrCat(": ", key_path, ": ")) == std::string::npos) {
      return testing::AssertionFailure() << "expected key path " << key_path << ": " << message;
    }
    if (message.find(also) == std::string::npos) {
      return testing::AssertionFailure() << "expected \"" << also << "\": " << message;
    }
    return testing::AssertionSuccess() << message;
  }

  std::filesystem::path dir_;
  std::filesystem::path file_;
  std::map<std::string, std::string> env_ = {{"HELLO_API_KEY", "s3cret"}};
};

}  // namespace atl::config
