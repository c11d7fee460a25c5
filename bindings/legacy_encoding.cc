#include "bindings/legacy_encoding.h"

#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/ucnv_err.h>

#include <memory>
#include <string>
#include <vector>

#include "bindings/buffers.h"
#include "bindings/native_args.h"
#include "bindings/native_scope.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

// One TextDecoder's converter. `pad` is the byte the handle's ArrayBuffer exposes.
struct LegacyDecoder {
  char pad = 0;
  UConverter* converter = nullptr;
  bool fatal = false;
  bool failed = false;  // the callback met malformed input while `fatal`
  ~LegacyDecoder() {
    if (converter != nullptr) ucnv_close(converter);
  }
};

// ICU's to-Unicode error callback: U+FFFD for every malformed or unmapped sequence (ICU's own
// substitution writes U+001A for unmapped single bytes), or stop when the decoder is fatal.
void OnError(const void* context, UConverterToUnicodeArgs* args, const char*, int32_t, UConverterCallbackReason reason,
             UErrorCode* error) {
  if (reason > UCNV_IRREGULAR) return;  // reset, close, clone: nothing to substitute
  auto* decoder = static_cast<LegacyDecoder*>(const_cast<void*>(context));
  if (decoder->fatal) {
    decoder->failed = true;
    return;  // *error stays set: ucnv_toUnicode stops
  }
  static const UChar kReplacement = 0xFFFD;
  *error = U_ZERO_ERROR;
  ucnv_cbToUWriteUChars(args, &kReplacement, 1, 0, error);
}

void LegacyDecoderNew(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "legacyDecoderNew");
  std::optional<std::string> name = args.String(0);
  if (!name) return;
  std::string_view icu_name = IcuConverterFor(*name);
  info.GetReturnValue().SetNull();
  if (icu_name.empty()) return;
  auto decoder = std::make_unique<LegacyDecoder>();
  UErrorCode status = U_ZERO_ERROR;
  decoder->converter = ucnv_open(std::string(icu_name).c_str(), &status);
  if (U_FAILURE(status)) return;
  ucnv_setToUCallBack(decoder->converter, OnError, decoder.get(), nullptr, nullptr, &status);
  if (U_FAILURE(status)) return;
  LegacyDecoder* raw = decoder.release();
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      &raw->pad, 1, [](void*, size_t, void* data) { delete static_cast<LegacyDecoder*>(data); }, raw);
  info.GetReturnValue().Set(v8::ArrayBuffer::New(info.GetIsolate(), std::move(store)));
}

LegacyDecoder* DecoderOf(v8::Local<v8::Value> handle) {
  if (!handle->IsArrayBuffer()) return nullptr;
  std::shared_ptr<v8::BackingStore> store = handle.As<v8::ArrayBuffer>()->GetBackingStore();
  if (store->ByteLength() != 1 || store->Data() == nullptr) return nullptr;
  // The backing store was made by LegacyDecoderNew: its data is the first member of a LegacyDecoder.
  return reinterpret_cast<LegacyDecoder*>(store->Data());
}

void LegacyDecode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "legacyDecode");
  v8::Isolate* isolate = info.GetIsolate();
  LegacyDecoder* decoder = DecoderOf(args[0]);
  if (decoder == nullptr) {
    ThrowTypeError(isolate, "legacyDecode: argument 0 must be a decoder handle");
    return;
  }
  BufferBytes input;
  if (!args.Bytes(1, &input)) return;
  decoder->fatal = args.Flag(2);
  decoder->failed = false;
  bool flush = !args.Flag(3);
  const char* source = reinterpret_cast<const char*>(input.data);
  const char* source_end = source + input.size;
  // Each input byte gives at most one UTF-16 unit, a 4-byte gb18030 sequence two; a flush adds at
  // most a few U+FFFD: the buffer grows if ICU asks for more anyway.
  std::vector<UChar> out(input.size + 16);
  size_t used = 0;
  UErrorCode status = U_ZERO_ERROR;
  for (;;) {
    UChar* target = out.data() + used;
    ucnv_toUnicode(decoder->converter, &target, out.data() + out.size(), &source, source_end, nullptr, flush, &status);
    used = static_cast<size_t>(target - out.data());
    if (status != U_BUFFER_OVERFLOW_ERROR) break;
    status = U_ZERO_ERROR;
    out.resize(out.size() * 2);
  }
  if (flush || U_FAILURE(status)) ucnv_resetToUnicode(decoder->converter);
  if (decoder->failed || U_FAILURE(status)) {
    info.GetReturnValue().SetNull();
    return;
  }
  v8::Local<v8::String> text;
  if (!v8::String::NewFromTwoByte(isolate, reinterpret_cast<const uint16_t*>(out.data()), v8::NewStringType::kNormal,
                                  static_cast<int>(used))
           .ToLocal(&text)) {
    return;
  }
  info.GetReturnValue().Set(text);
}

}  // namespace

std::string_view IcuConverterFor(std::string_view whatwg_name) {
  // The WHATWG encodings are the web's de-facto ones, which are Microsoft's code pages and
  // HKSCS for Big5; gbk decodes as gb18030 (the standard's gbk decoder is gb18030's).
  struct Entry {
    std::string_view whatwg;
    std::string_view icu;
  };
  static constexpr Entry kTable[] = {
      {"gbk", "gb18030"},
      {"gb18030", "gb18030"},
      {"big5", "Big5-HKSCS"},
      {"euc-jp", "EUC-JP"},
      {"iso-2022-jp", "ISO_2022,locale=ja,version=0"},
      {"shift_jis", "windows-31j"},
      {"euc-kr", "ibm-1363"},  // windows-949 (UHC); ICU's windows-949 maps 0x80 and 0xFF
  };
  for (const Entry& entry : kTable) {
    if (entry.whatwg == whatwg_name) return entry.icu;
  }
  return {};
}

void InstallLegacyEncoding(NativeScope& scope) {
  scope.SetFunction("legacyDecoderNew", LegacyDecoderNew);
  scope.SetFunction("legacyDecode", LegacyDecode);
}

}  // namespace atl::bindings
