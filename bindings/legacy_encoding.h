#pragma once
// The multi-byte legacy decoders of TextDecoder (https://encoding.spec.whatwg.org/#legacy-multi-byte-chinese-(simplified)-encodings
// and the sections after it: gbk, gb18030, big5, euc-jp, iso-2022-jp, shift_jis, euc-kr), decoded
// by the system ICU's converters (libnode already loads ICU 72 with full converter data, so no
// index tables ship with atoll). The JS half is TextDecoder in js/lazy/encoding.js.
//
//   native.legacyDecoderNew(name) -> handle | null   name: the WHATWG encoding name; null if ICU
//                                                     has no converter for it
//   native.legacyDecode(handle, view, fatal, stream) -> string | null
// A handle keeps one ICU converter, so a sequence split across `stream` calls (and iso-2022-jp's
// mode) carries over to the next call. Malformed or unmapped input decodes to U+FFFD, or, when
// `fatal`, returns null (and the converter is reset). A call without `stream` flushes: a cut-off
// sequence at the end is an error then. The handle is an ArrayBuffer one byte long whose backing
// store owns the converter (compression.h's pattern): it is closed when the handle is collected.

#include <string_view>

namespace atl::bindings {
class NativeScope;

// The ICU converter name used for a WHATWG multi-byte encoding name, empty if it is not one.
std::string_view IcuConverterFor(std::string_view whatwg_name);

void InstallLegacyEncoding(NativeScope& scope);
}  // namespace atl::bindings
