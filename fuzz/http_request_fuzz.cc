// libFuzzer: the HTTP/1.1 request parser (server/http_parser.h, kRequest) fed in pieces.
#include "fuzz/http_parser_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  atl::fuzz::FeedHttp(atl::server::HttpParser::Type::kRequest, data, size);
  return 0;
}
