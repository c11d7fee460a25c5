#include "server/http_parser.h"

#include <llhttp.h>

#include <array>

#include "base/strings.h"

namespace atl::server {

struct HttpParser::Impl {
  llhttp_t parser;
  llhttp_settings_t settings;
  Type type;
  Delegate* delegate;
  // The head being parsed. Header strings are reused from message to message (no allocation per
  // header once warm); the first `header_count` entries belong to the current message.
  std::string method;
  std::string target;  // or the status text of a response
  std::vector<std::pair<std::string, std::string>> headers;
  size_t header_count = 0;
  bool value_next = false;  // the last header callback was a value
  size_t head_bytes = 0;
  size_t max_head_bytes = std::numeric_limits<size_t>::max();
  bool too_large = false;
  // The input of the Execute() call in progress, and how the current header value was seen:
  // a value arrives in more than one piece only when a read cut it (the piece before ended at
  // the end of its input, this one starts at the start of its own) or when it is folded.
  const char* input_begin = nullptr;
  const char* input_end = nullptr;
  uint64_t executes = 0;      // Execute() calls so far
  uint64_t value_execute = 0;  // the call that saw the last piece of the current value
  bool in_value = false;
  bool value_cut = false;

  static Impl* Of(llhttp_t* p) { return static_cast<Impl*>(p->data); }

  static int ToCode(Action action) {
    switch (action) {
      case Action::kContinue: return HPE_OK;
      case Action::kPause: return HPE_PAUSED;
      case Action::kError: return HPE_USER;
      case Action::kSkipBody: return HPE_OK;
    }
    return HPE_USER;
  }

  // False (and the error set) once the head is over its bound.
  bool Count(llhttp_t* p, size_t n) {
    head_bytes += n;
    if (head_bytes <= max_head_bytes) return true;
    too_large = true;
    llhttp_set_error_reason(p, "head too large");
    return false;
  }

  void Init() {
    llhttp_init(&parser, type == Type::kRequest ? HTTP_REQUEST : HTTP_RESPONSE, &settings);
    parser.data = this;
    in_value = false;
    too_large = false;
  }
};

namespace {

using Impl = HttpParser::Impl;

// RFC 9110 §5.6.2 tchar. llhttp 8.1 lets a space through inside a header name; we do not.
constexpr bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~': return true;
    default: return false;
  }
}

// Per byte of a header name: its lower-case form if a token may hold it (RFC 9110 §5.6.2), else
// 0. One lookup per byte checks a request's header name and lower-cases it.
constexpr std::array<char, 256> kHeaderNameBytes = [] {
  std::array<char, 256> table{};
  for (int c = 0; c < 256; ++c) {
    if (IsTokenChar(static_cast<unsigned char>(c))) table[c] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  return table;
}();

bool IsHeaderName(std::string_view s) {
  for (char c : s) {
    if (kHeaderNameBytes[static_cast<unsigned char>(c)] == 0) return false;
  }
  return true;
}

// llhttp needs plain function pointers: one static table of trampolines, as node's parser does.
int OnMessageBegin(llhttp_t* p) {
  Impl* impl = Impl::Of(p);
  impl->method.clear();
  impl->target.clear();
  impl->header_count = 0;
  impl->value_next = false;
  impl->head_bytes = 0;
  impl->too_large = false;
  impl->in_value = false;
  return Impl::ToCode(impl->delegate->OnMessageBegin());
}
int OnTarget(llhttp_t* p, const char* at, size_t n) {
  Impl* impl = Impl::Of(p);
  if (!impl->Count(p, n)) return HPE_USER;
  impl->target.append(at, n);
  return 0;
}
int OnHeaderField(llhttp_t* p, const char* at, size_t n) {
  Impl* impl = Impl::Of(p);
  if (impl->type == HttpParser::Type::kRequest && !IsHeaderName({at, n})) {
    llhttp_set_error_reason(p, "invalid character in header name");
    return HPE_USER;
  }
  if (!impl->Count(p, n)) return HPE_USER;
  if (impl->value_next || impl->header_count == 0) {
    if (impl->header_count == impl->headers.size()) impl->headers.emplace_back();
    impl->headers[impl->header_count].first.clear();
    impl->headers[impl->header_count].second.clear();
    ++impl->header_count;
    impl->value_next = false;
  }
  std::string& name = impl->headers[impl->header_count - 1].first;
  size_t start = name.size();
  name.resize(start + n);
  char* out = name.data() + start;
  for (size_t i = 0; i < n; ++i) {
    // A byte no token holds (a response's header name is not checked) is never A-Z: kept as is.
    char lower = kHeaderNameBytes[static_cast<unsigned char>(at[i])];
    out[i] = lower != 0 ? lower : at[i];
  }
  return 0;
}
int OnHeaderValue(llhttp_t* p, const char* at, size_t n) {
  Impl* impl = Impl::Of(p);
  if (impl->type == HttpParser::Type::kRequest && impl->in_value &&
      !(impl->value_cut && at == impl->input_begin && impl->value_execute + 1 == impl->executes)) {
    // Obsolete line folding (RFC 9112 §5.2): a proxy may join the lines differently; refuse it.
    llhttp_set_error_reason(p, "obsolete line folding in header value");
    return HPE_USER;
  }
  impl->in_value = true;
  impl->value_cut = at + n == impl->input_end;
  impl->value_execute = impl->executes;
  if (!impl->Count(p, n)) return HPE_USER;
  impl->value_next = true;
  if (impl->header_count == 0) return HPE_USER;
  impl->headers[impl->header_count - 1].second.append(at, n);
  return 0;
}
int OnHeaderValueComplete(llhttp_t* p) {
  Impl::Of(p)->in_value = false;
  return 0;
}
int OnHeadersComplete(llhttp_t* p) {
  Impl* impl = Impl::Of(p);
  MessageHead head;
  if (impl->type == HttpParser::Type::kRequest) {
    impl->method.assign(llhttp_method_name(static_cast<llhttp_method_t>(p->method)));
    head.method = impl->method;
    head.target = impl->target;
  } else {
    head.status = p->status_code;
    head.status_text = impl->target;
  }
  head.http_major = p->http_major;
  head.http_minor = p->http_minor;
  head.keep_alive = llhttp_should_keep_alive(p) != 0;
  head.upgrade = p->upgrade != 0;
  head.has_content_length = (p->flags & F_CONTENT_LENGTH) != 0;
  head.content_length = head.has_content_length ? p->content_length : 0;
  head.chunked = (p->flags & F_CHUNKED) != 0;
  for (size_t i = 0; i < impl->header_count; ++i) {
    // llhttp leaves trailing whitespace in a value; the field value excludes it (RFC 9110 §5.5).
    std::string& value = impl->headers[i].second;
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
  }
  head.headers = std::span(impl->headers.data(), impl->header_count);
  HttpParser::Action action = impl->delegate->OnHeadersComplete(head);
  if (action == HttpParser::Action::kError) return -1;
  return action == HttpParser::Action::kSkipBody ? 1 : 0;  // llhttp: 1 = no body
}
int OnBody(llhttp_t* p, const char* at, size_t n) {
  return Impl::ToCode(Impl::Of(p)->delegate->OnBody({at, n}));
}
int OnMessageComplete(llhttp_t* p) {
  return Impl::ToCode(Impl::Of(p)->delegate->OnMessageComplete(llhttp_should_keep_alive(p) != 0));
}
}  // namespace

HttpParser::HttpParser(Type type, Delegate* delegate) : impl_(std::make_unique<Impl>()) {
  impl_->type = type;
  impl_->delegate = delegate;
  impl_->headers.reserve(16);
  llhttp_settings_init(&impl_->settings);
  impl_->settings.on_message_begin = OnMessageBegin;
  if (type == Type::kRequest) {
    impl_->settings.on_url = OnTarget;
  } else {
    impl_->settings.on_status = OnTarget;
  }
  impl_->settings.on_header_field = OnHeaderField;
  impl_->settings.on_header_value = OnHeaderValue;
  impl_->settings.on_header_value_complete = OnHeaderValueComplete;
  impl_->settings.on_headers_complete = OnHeadersComplete;
  impl_->settings.on_body = OnBody;
  impl_->settings.on_message_complete = OnMessageComplete;
  impl_->Init();
}

HttpParser::~HttpParser() = default;

void HttpParser::set_max_head_bytes(size_t bytes) { impl_->max_head_bytes = bytes; }

HttpParser::Result HttpParser::Execute(std::string_view data, size_t* consumed) {
  ++impl_->executes;
  impl_->input_begin = data.data();
  impl_->input_end = data.data() + data.size();
  llhttp_errno_t err = llhttp_execute(&impl_->parser, data.data(), data.size());
  if (err == HPE_OK) {
    *consumed = data.size();
    return Result::kOk;
  }
  const char* stop = llhttp_get_error_pos(&impl_->parser);
  *consumed = stop ? static_cast<size_t>(stop - data.data()) : data.size();
  if (err == HPE_PAUSED) return Result::kPaused;
  if (err == HPE_PAUSED_UPGRADE) return Result::kUpgrade;
  return Result::kError;
}

void HttpParser::Resume() { llhttp_resume(&impl_->parser); }

bool HttpParser::Finish() { return llhttp_finish(&impl_->parser) == HPE_OK; }

void HttpParser::Reset() { impl_->Init(); }

const char* HttpParser::error_reason() const {
  const char* reason = llhttp_get_error_reason(&impl_->parser);
  return reason ? reason : llhttp_errno_name(llhttp_get_errno(&impl_->parser));
}

std::string HttpParser::LibraryVersion() {
  return base::StrCat("llhttp ", LLHTTP_VERSION_MAJOR, ".", LLHTTP_VERSION_MINOR, ".", LLHTTP_VERSION_PATCH);
}

bool HttpParser::head_too_large() const { return impl_->too_large; }

}  // namespace atl::server
