#pragma once
// The responses the server makes itself (SPEC §4): a status, `content-type: application/json`
// and a body `{"error": CODE}`.

#include <string_view>

namespace atl::server {

enum class ServerError {
  kBadRequest,        // 400 bad_request
  kNoRoute,           // 404 no_route
  kRequestTimeout,    // 408 request_timeout
  kBodyTooLarge,      // 413 body_too_large
  kHeadersTooLarge,   // 431 headers_too_large
  kScriptError,       // 500 script_error
  kCpuLimit,          // 503 cpu_limit
  kMemoryLimit,       // 503 memory_limit
  kWallLimit,         // 503 wall_limit
  kOverloaded,        // 503 overloaded
};

int StatusOf(ServerError error);
std::string_view CodeOf(ServerError error);
// The JSON body, e.g. `{"error":"bad_request"}`.
std::string_view BodyOf(ServerError error);

}  // namespace atl::server
