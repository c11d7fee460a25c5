#include "server/error_response.h"

namespace atl::server {
namespace {

struct ErrorInfo {
  int status;
  std::string_view code;
  std::string_view body;
};

#define ATOLL_ERROR(status, code) {status, code, "{\"error\":\"" code "\"}"}
constexpr ErrorInfo kErrors[] = {
    ATOLL_ERROR(400, "bad_request"),     ATOLL_ERROR(404, "no_route"),
    ATOLL_ERROR(408, "request_timeout"), ATOLL_ERROR(413, "body_too_large"),
    ATOLL_ERROR(431, "headers_too_large"), ATOLL_ERROR(500, "script_error"),
    ATOLL_ERROR(503, "cpu_limit"),       ATOLL_ERROR(503, "memory_limit"),
    ATOLL_ERROR(503, "wall_limit"),      ATOLL_ERROR(503, "overloaded"),
};
#undef ATOLL_ERROR

const ErrorInfo& InfoOf(ServerError error) { return kErrors[static_cast<int>(error)]; }

}  // namespace

int StatusOf(ServerError error) { return InfoOf(error).status; }
std::string_view CodeOf(ServerError error) { return InfoOf(error).code; }
std::string_view BodyOf(ServerError error) { return InfoOf(error).body; }

}  // namespace atl::server
