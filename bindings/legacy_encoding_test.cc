// The ICU converters behind TextDecoder's multi-byte legacy encodings: every WHATWG name has one
// that the system ICU opens, and each decodes a known sequence (the JS half and the streaming,
// fatal and replacement behaviour are tested by js/encoding_test.js).
#include "bindings/legacy_encoding.h"

#include <gtest/gtest.h>
#include <unicode/ucnv.h>

#include <string>

namespace atl::bindings {
namespace {

std::u16string Decode(std::string_view icu_name, const std::string& bytes) {
  UErrorCode status = U_ZERO_ERROR;
  UConverter* converter = ucnv_open(std::string(icu_name).c_str(), &status);
  if (U_FAILURE(status)) return u"<no converter>";
  std::u16string out(bytes.size() + 4, u'\0');
  int32_t length = ucnv_toUChars(converter, out.data(), static_cast<int32_t>(out.size()), bytes.data(),
                                 static_cast<int32_t>(bytes.size()), &status);
  ucnv_close(converter);
  if (U_FAILURE(status)) return u"<error>";
  out.resize(length);
  return out;
}

TEST(LegacyEncoding, EveryMultiByteEncodingHasAConverterThatDecodesAKnownSequence) {
  struct Case {
    const char* name;
    std::string bytes;
    std::u16string text;
  };
  const Case cases[] = {
      {"shift_jis", "\x93\xfa\x96\x7b", u"日本"},
      {"euc-jp", "\xc6\xfc\xcb\xdc", u"日本"},
      {"iso-2022-jp", "\x1b$BF|K\\\x1b(B", u"日本"},
      {"gbk", "\xc4\xe3\xba\xc3", u"你好"},
      {"gb18030", "\x94\x39\xfc\x36", u"😀"},
      {"big5", "\xa4\xa4\xa4\xe5", u"中文"},
      {"euc-kr", "\xc7\xd1\xb1\xdb\x81\x41", u"한글갂"},
  };
  for (const Case& c : cases) {
    std::string_view icu = IcuConverterFor(c.name);
    ASSERT_FALSE(icu.empty()) << c.name;
    EXPECT_EQ(Decode(icu, c.bytes), c.text) << c.name;
  }
  EXPECT_TRUE(IcuConverterFor("utf-8").empty());
  EXPECT_TRUE(IcuConverterFor("windows-1252").empty());
}

}  // namespace
}  // namespace atl::bindings
