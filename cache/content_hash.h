#pragma once
// SHA-256 content hashes (OpenSSL 3), hex-encoded: the key of every cache entry. V8 10.2 accepts a
// code cache made for a different source of the same length, so entries are never keyed by name.

#include <string>
#include <string_view>

namespace atl::cache {

// Lower-case hex SHA-256 of the concatenation of `parts`.
std::string Sha256Hex(std::initializer_list<std::string_view> parts);

}  // namespace atl::cache
