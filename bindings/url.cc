#include "bindings/url.h"

#include <ada.h>

#include <cstring>

#include "bindings/native_scope.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

ParsedUrl FromAggregator(const ada::url_aggregator& url) {
  ParsedUrl out;
  out.href = std::string(url.get_href());
  const ada::url_components& c = url.get_components();
  uint32_t* o = out.components;
  o[0] = c.protocol_end;
  o[1] = c.username_end;
  o[2] = c.host_start;
  o[3] = c.host_end;
  o[4] = c.port;
  o[5] = c.pathname_start;
  o[6] = c.search_start;
  o[7] = c.hash_start;
  o[8] = static_cast<uint32_t>(url.type);
  return out;
}

// A JS string as UTF-8; lone surrogates become U+FFFD (the USVString conversion).
std::string Utf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  std::string out;
  if (value->IsString()) isolates::AppendUtf8(isolate, value.As<v8::String>(), &out);
  return out;
}

// A serialization is ASCII; one made of the input's own characters is handed back as it was.
v8::Local<v8::String> HrefString(v8::Isolate* isolate, const std::string& href, v8::Local<v8::Value> input,
                                 std::string_view input_utf8) {
  if (href == input_utf8 && input->IsString()) return input.As<v8::String>();
  return v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(href.data()), v8::NewStringType::kNormal,
                                    static_cast<int>(href.size()))
      .ToLocalChecked();
}

void WriteComponents(v8::Local<v8::Value> target, const ParsedUrl& url) {
  if (!target->IsUint32Array()) return;
  v8::Local<v8::Uint32Array> array = target.As<v8::Uint32Array>();
  if (array->Length() < 9) return;
  uint8_t* data = static_cast<uint8_t*>(array->Buffer()->Data()) + array->ByteOffset();
  std::memcpy(data, url.components, sizeof(url.components));
}

void ParseCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::string input = Utf8(isolate, info[1]);
  std::optional<ParsedUrl> url;
  if (info[2]->IsString()) {
    std::string base = Utf8(isolate, info[2]);
    std::string_view base_view = base;
    url = ParseUrl(input, &base_view);
  } else {
    url = ParseUrl(input, nullptr);
  }
  if (!url) return;
  WriteComponents(info[0], *url);
  info.GetReturnValue().Set(HrefString(isolate, url->href, info[1], input));
}

void CanParseCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::string input = Utf8(isolate, info[0]);
  bool ok;
  if (info[1]->IsString()) {
    std::string base = Utf8(isolate, info[1]);
    std::string_view base_view = base;
    ok = ada::can_parse(input, &base_view);
  } else {
    ok = ada::can_parse(input, nullptr);
  }
  info.GetReturnValue().Set(ok);
}

void UpdateCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::string href = Utf8(isolate, info[1]);
  int part = info[2]->Int32Value(isolate->GetCurrentContext()).FromMaybe(-1);
  if (part < static_cast<int>(UrlPart::kHref) || part > static_cast<int>(UrlPart::kHash)) return;
  std::string value = Utf8(isolate, info[3]);
  std::optional<ParsedUrl> url = UpdateUrl(href, static_cast<UrlPart>(part), value);
  if (!url) return;
  WriteComponents(info[0], *url);
  info.GetReturnValue().Set(HrefString(isolate, url->href, info[1], href));
}

void ParseFormCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::vector<std::string> parts = ParseUrlencoded(Utf8(isolate, info[0]));
  std::vector<v8::Local<v8::Value>> values;
  values.reserve(parts.size());
  for (const std::string& part : parts) values.push_back(isolates::NewString(isolate, part));
  info.GetReturnValue().Set(v8::Array::New(isolate, values.data(), values.size()));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// https://url.spec.whatwg.org/#percent-decode, after "+" became a space.
std::string FormDecode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < bytes.size() && HexValue(bytes[i + 1]) >= 0 && HexValue(bytes[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(bytes[i + 1]) * 16 + HexValue(bytes[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::optional<ParsedUrl> ParseUrl(std::string_view input, const std::string_view* base) {
  if (base == nullptr) {
    ada::result<ada::url_aggregator> url = ada::parse<ada::url_aggregator>(input, nullptr);
    if (!url) return std::nullopt;
    return FromAggregator(*url);
  }
  ada::result<ada::url_aggregator> base_url = ada::parse<ada::url_aggregator>(*base, nullptr);
  if (!base_url) return std::nullopt;
  ada::result<ada::url_aggregator> url = ada::parse<ada::url_aggregator>(input, &*base_url);
  if (!url) return std::nullopt;
  return FromAggregator(*url);
}

std::optional<ParsedUrl> UpdateUrl(std::string_view href, UrlPart part, std::string_view value) {
  ada::result<ada::url_aggregator> url = ada::parse<ada::url_aggregator>(href, nullptr);
  if (!url) return std::nullopt;
  bool ok = true;
  switch (part) {
    case UrlPart::kHref: ok = url->set_href(value); break;
    case UrlPart::kProtocol: ok = url->set_protocol(value); break;
    case UrlPart::kUsername: ok = url->set_username(value); break;
    case UrlPart::kPassword: ok = url->set_password(value); break;
    case UrlPart::kHost: ok = url->set_host(value); break;
    case UrlPart::kHostname: ok = url->set_hostname(value); break;
    case UrlPart::kPort: ok = url->set_port(value); break;
    case UrlPart::kPathname: ok = url->set_pathname(value); break;
    case UrlPart::kSearch: url->set_search(value); break;
    case UrlPart::kHash: url->set_hash(value); break;
  }
  if (!ok) return std::nullopt;
  return FromAggregator(*url);
}

std::vector<std::string> ParseUrlencoded(std::string_view input) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= input.size()) {
    size_t end = input.find('&', start);
    if (end == std::string_view::npos) end = input.size();
    std::string_view sequence = input.substr(start, end - start);
    if (!sequence.empty()) {
      size_t equals = sequence.find('=');
      std::string_view name = sequence.substr(0, equals);
      std::string_view value = equals == std::string_view::npos ? std::string_view() : sequence.substr(equals + 1);
      out.push_back(FormDecode(name));
      out.push_back(FormDecode(value));
    }
    start = end + 1;
  }
  return out;
}

void InstallUrl(NativeScope& scope) {
  scope.SetFunction("urlParse", ParseCallback);
  scope.SetFunction("urlCanParse", CanParseCallback);
  scope.SetFunction("urlUpdate", UpdateCallback);
  scope.SetFunction("urlParseForm", ParseFormCallback);
}

}  // namespace atl::bindings
