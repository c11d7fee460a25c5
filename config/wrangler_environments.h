#pragma once
// wrangler's environments (https://developers.cloudflare.com/workers/wrangler/environments/) for
// config/wrangler.cc: which of a file's keys make the tenant, with or without --env NAME.
//
//   absl::StatusOr<SelectedKeys> keys = SelectEnvironment(root, "staging", "wrangler.toml");
//   for (const auto& [key, value] : keys->entries) ...   // in the order they were written

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

namespace atl::config {

// A table's entries in the order they were written (toml::table iterates by key).
std::vector<std::pair<std::string_view, const toml::node*>> InOrder(const toml::table& table);

// One file's keys as the tenant is made from them, in the order they were written.
struct SelectedKeys {
  std::vector<std::pair<std::string_view, const toml::node*>> entries;
  std::unique_ptr<toml::value<std::string>> name;  // "NAME-ENV", when an environment makes it
};

// The top level alone (no --env: [env.*] is ignored, as `wrangler dev` does), or with
// [env.NAME] over it: its keys replace the top level's, the non-inheritable ones (bindings and
// vars) are its own only, and the Worker's name is "NAME-ENV" unless the environment names it.
// Errors start with `label` (the file).
absl::StatusOr<SelectedKeys> SelectEnvironment(const toml::table& root, std::string_view environment,
                                               const std::string& label);

}  // namespace atl::config
