#pragma once
// A small JSON reader for the control plane's documents (etcd's v3 JSON gateway, the cluster's
// tenant records): a tree of values, strings decoded to UTF-8, numbers kept as their text, and
// every value's raw text span (so an object can be re-written without re-serializing its members).
// Recursive descent with bounded depth; no exceptions.
//
//   absl::StatusOr<JsonValue> doc = ParseJson(text);
//   const JsonValue* kvs = doc->Get("kvs");
//   int64_t rev = doc->Get("header")->Get("revision")->Int();   // "2" or 2

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace atl::base {

struct JsonMember;

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject } type = Type::kNull;
  bool boolean = false;
  std::string text;  // a string's decoded value, or a number's text
  std::vector<JsonValue> items;                              // an array's
  std::vector<JsonMember> members;                           // an object's, in order
  std::string_view raw;  // the value's text in the parsed document (valid while it lives)

  // The member `key` of an object (null if absent or not an object).
  const JsonValue* Get(std::string_view key) const;
  // A number, or a string of digits (protobuf's JSON writes int64 as a string); 0 otherwise.
  int64_t Int() const;
  const std::string& Str() const { return text; }
  bool IsObject() const { return type == Type::kObject; }
};

// Errors read "LABEL: what at offset N". A lone surrogate escape decodes to U+FFFD.
// An object's member (a struct, not std::pair: a pair of an incomplete JsonValue does not
// compile with clang's checks).
struct JsonMember {
  std::string first;  // the key
  JsonValue second;
};

absl::StatusOr<JsonValue> ParseJson(std::string_view text, std::string_view label = "JSON");

}  // namespace atl::base
