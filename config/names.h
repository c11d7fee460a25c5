#pragma once
// The shapes of names the config file checks (tenant and KV namespace names, env binding names,
// environment variable names): plain string checks, shared by the parser and the env binding
// kinds (env_*.cc).

#include <string_view>

namespace atl::config {

// [a-z0-9-]{1,63}, with '_' too when `allow_underscore` (KV namespaces).
bool MatchesName(std::string_view s, bool allow_underscore);
// A binding name becomes a property of env (and a global of a service-worker script): as in
// Workers it need not be a JavaScript identifier (env["MY-VAR"]); 1-255 bytes, no control
// characters, not "__proto__" (which would set env's prototype).
bool IsBindingName(std::string_view s);
// An environment variable name ([A-Za-z_][A-Za-z0-9_]*).
bool IsEnvName(std::string_view s);

}  // namespace atl::config
