#include "bindings/url.h"

#include <unicode/uidna.h>

#include "bindings/native_scope.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

const UIDNA* Uts46(bool be_strict) {
  auto open = [](uint32_t options) {
    UErrorCode status = U_ZERO_ERROR;
    UIDNA* idna = uidna_openUTS46(options, &status);
    return U_SUCCESS(status) ? idna : nullptr;
  };
  constexpr uint32_t kUrlOptions = UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ | UIDNA_NONTRANSITIONAL_TO_ASCII |
                                   UIDNA_NONTRANSITIONAL_TO_UNICODE;
  static const UIDNA* lenient = open(kUrlOptions);
  static const UIDNA* strict = open(kUrlOptions | UIDNA_USE_STD3_RULES);
  return be_strict ? strict : lenient;
}

void DomainToAsciiCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::optional<std::string> ascii = DomainToAscii(isolates::ToUtf8(isolate, info[0]), info[1]->IsTrue());
  if (ascii) {
    info.GetReturnValue().Set(isolates::NewString(isolate, *ascii));
  } else {
    info.GetReturnValue().SetNull();
  }
}

}  // namespace

std::optional<std::string> DomainToAscii(std::string_view domain, bool be_strict) {
  const UIDNA* idna = Uts46(be_strict);
  if (idna == nullptr || domain.size() > 1 << 20) return std::nullopt;
  std::string out(domain.size() * 2 + 64, '\0');
  for (int attempt = 0; attempt < 2; ++attempt) {
    UErrorCode status = U_ZERO_ERROR;
    UIDNAInfo result = UIDNA_INFO_INITIALIZER;
    int32_t length = uidna_nameToASCII_UTF8(idna, domain.data(), static_cast<int32_t>(domain.size()), out.data(),
                                            static_cast<int32_t>(out.size()), &result, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
      out.resize(static_cast<size_t>(length) + 1);
      continue;
    }
    if (U_FAILURE(status)) return std::nullopt;
    uint32_t errors = result.errors;
    if (!be_strict) {
      // CheckHyphens and VerifyDnsLength are off unless beStrict.
      errors &= ~(UIDNA_ERROR_EMPTY_LABEL | UIDNA_ERROR_LABEL_TOO_LONG | UIDNA_ERROR_DOMAIN_NAME_TOO_LONG |
                  UIDNA_ERROR_LEADING_HYPHEN | UIDNA_ERROR_TRAILING_HYPHEN | UIDNA_ERROR_HYPHEN_3_4);
    }
    if (errors != 0) return std::nullopt;
    out.resize(static_cast<size_t>(length));
    return out;
  }
  return std::nullopt;
}

void InstallUrl(NativeScope& scope) { scope.SetFunction("domainToASCII", DomainToAsciiCallback); }

}  // namespace atl::bindings
