#pragma once
// Appends JSON text to a std::string without building a document first: used for log lines and
// the server's own error bodies, where a DOM would be an allocation per field.
//
//   std::string out;
//   JsonWriter w(&out);
//   w.BeginObject(); w.Key("error"); w.String("bad_request"); w.EndObject();

#include <cstdint>
#include <string>
#include <string_view>

namespace atl::base {

// Appends `text` to `out` as the body of a JSON string (no quotes): escapes quotes, backslashes
// and control characters; bytes that are not valid UTF-8 become U+FFFD.
void AppendJsonEscaped(std::string_view text, std::string* out);

// A streaming writer for one JSON value; commas between members are placed automatically.
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject();
  // Continues an object whose opening and first members are already in the output (written by
  // hand, as LogLine's first fields): the next member is preceded by a comma.
  void ContinueObject() { need_comma_ = true; }
  void EndObject();
  void Key(std::string_view key);
  void String(std::string_view value);
  void Int(int64_t value);
  void Double(double value);
  void Bool(bool value);

 private:
  void Separate();

  std::string* out_;
  bool need_comma_ = false;
};

}  // namespace atl::base
