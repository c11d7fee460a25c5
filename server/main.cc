// atoll: a multi-tenant edge function server. The command line is SPEC §1.
#include <uv.h>

#include <cstdio>
#include <string>
#include <vector>

#include "isolates/platform.h"
#include "server/cli.h"
#include "server/control_plane.h"
#include "server/http_parser.h"
#include "server/serve.h"
#include "server/tls.h"

namespace {

void PrintVersion() {
  std::printf("atoll %s\nV8 %s\nlibuv %s\n%s\n%s\n", ATOLL_VERSION, atl::isolates::V8Version().c_str(),
              uv_version_string(), atl::server::HttpParser::LibraryVersion().c_str(),
              atl::server::TlsLibraryVersion().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  absl::StatusOr<atl::server::CommandLine> command_line =
      atl::server::ParseCommandLine(std::vector<std::string>(args.begin() + 1, args.end()));
  if (!command_line.ok()) {
    std::fprintf(stderr, "atoll: %s\n\n%s", std::string(command_line.status().message()).c_str(),
                 atl::server::UsageText());
    return 2;
  }
  switch (command_line->command) {
    case atl::server::CommandLine::Command::kServe:
      return atl::server::RunServe(command_line->serve, args);
    case atl::server::CommandLine::Command::kCheck:
      return atl::server::RunCheck(command_line->serve);
    case atl::server::CommandLine::Command::kControl:
      return atl::server::RunControl(command_line->control);
    case atl::server::CommandLine::Command::kVersion:
      PrintVersion();
      return 0;
    case atl::server::CommandLine::Command::kHelp:
      std::fputs(atl::server::UsageText(), stdout);
      return 0;
  }
  return 0;
}
