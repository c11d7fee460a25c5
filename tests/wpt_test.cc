// Conformance: web-platform-tests data files (tests/wpt/) run through the real server by
// tests/wpt/runner.js. Each suite must reach its pass rate; the exact figures are printed and
// recorded (and copied into bindings/README.md).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/test_server.h"

namespace atl::testing {
namespace {

struct Suite {
  std::string name;
  std::string file;
  double min_pass_rate;
};

void PrintTo(const Suite& suite, std::ostream* out) { *out << suite.file; }

class WptTest : public ::testing::TestWithParam<Suite> {};

std::string ReadSource(const std::string& relative) {
  std::ifstream in(SourcePath(relative), std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_P(WptTest, PassRate) {
  const Suite& suite = GetParam();
  std::string data = ReadSource("tests/wpt/" + suite.file);
  ASSERT_FALSE(data.empty()) << suite.file;
  std::filesystem::path data_dir = std::filesystem::temp_directory_path() / ("atoll-wpt-" + std::to_string(::getpid()));
  TestServer server(SourcePath("tests/wpt/wpt.toml"), {"--data-dir", data_dir.string()});
  RawClient client(server.port());
  client.Send("POST /" + suite.name + " HTTP/1.1\r\nHost: test.local\r\nContent-Type: application/json\r\n" +
              "Content-Length: " + std::to_string(data.size()) + "\r\n\r\n" + data);
  HttpResponse r = client.ReadResponse();
  ASSERT_EQ(r.status, 200) << r.body << "\n" << server.log();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.body, m, std::regex(R"re("total":(\d+),"passed":(\d+))re"))) << r.body;
  int total = std::stoi(m[1]), passed = std::stoi(m[2]);
  ASSERT_GT(total, 0);
  double rate = static_cast<double>(passed) / total;
  std::printf("wpt %s: %d/%d passed (%.2f%%)\n", suite.name.c_str(), passed, total, 100 * rate);
  RecordProperty("passed", passed);
  RecordProperty("total", total);
  EXPECT_GE(rate, suite.min_pass_rate) << r.body;
  server.Stop();
  std::filesystem::remove_all(data_dir);
}

INSTANTIATE_TEST_SUITE_P(Wpt, WptTest,
                         ::testing::Values(Suite{"urltestdata", "url/resources/urltestdata.json", 0.99},
                                           Suite{"urltestdata", "url/resources/urltestdata-javascript-only.json", 1.0},
                                           Suite{"setters", "url/resources/setters_tests.json", 0.99},
                                           Suite{"toascii", "url/resources/toascii.json", 0.99},
                                           Suite{"idna", "url/resources/IdnaTestV2.json", 1.0},
                                           Suite{"percentencoding", "url/resources/percent-encoding.json", 1.0},
                                           Suite{"base64", "fetch/data-urls/resources/base64.json", 1.0}),
                         [](const auto& info) {
                           std::string name = info.param.file.substr(info.param.file.rfind('/') + 1);
                           name = name.substr(0, name.find('.'));
                           for (char& c : name) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace atl::testing
