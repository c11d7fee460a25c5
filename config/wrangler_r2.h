#pragma once
// wrangler's `r2_buckets` (https://developers.cloudflare.com/r2/api/workers/workers-api-reference/)
// as atoll's table (config/env_r2.h):
//   [[r2_buckets]] binding = "PHOTOS", bucket_name = "photos"   -> r2 = { PHOTOS = "photos" }
// `preview_bucket_name` (wrangler dev --remote) and `jurisdiction` (where R2 keeps the data) are
// accepted and ignored; any other key, or a value that is not a string, is refused.
//
//   std::string toml;
//   absl::Status st = WranglerR2ToToml(r2_buckets_node, &toml);  // errors: "r2_buckets[0]: ..."

#include <string>

#include "absl/status/status.h"
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

namespace atl::config {

absl::Status WranglerR2ToToml(const toml::node& r2_buckets, std::string* out);

}  // namespace atl::config
