// libFuzzer: the HTTP/1.1 response parser behind fetch() (server/http_parser.h, kResponse),
// chunked decoding included, fed in pieces.
#include "fuzz/http_parser_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  atl::fuzz::FeedHttp(atl::server::HttpParser::Type::kResponse, data, size);
  return 0;
}
