#include "server/http_parser.h"

#include <llhttp.h>

namespace atl::server {

struct HttpParser::Impl {
  llhttp_t parser;
  llhttp_settings_t settings;
  Delegate* delegate;
  // The input of the Execute() call in progress, and how the current header value was seen:
  // a value arrives in more than one piece only when a read cut it (the piece before ended at
  // the end of its input, this one starts at the start of its own) or when it is folded.
  const char* input_begin = nullptr;
  const char* input_end = nullptr;
  uint64_t executes = 0;      // Execute() calls so far
  uint64_t value_execute = 0;  // the call that saw the last piece of the current value
  bool in_value = false;
  bool value_cut = false;

  static Delegate* DelegateOf(llhttp_t* p) { return static_cast<Impl*>(p->data)->delegate; }

  static int ToCode(Action action) {
    switch (action) {
      case Action::kContinue: return HPE_OK;
      case Action::kPause: return HPE_PAUSED;
      case Action::kError: return HPE_USER;
    }
    return HPE_USER;
  }
};

namespace {

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

bool IsToken(std::string_view s) {
  for (char c : s) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// llhttp needs plain function pointers: one static table of trampolines, as node's parser does.
int OnMessageBegin(llhttp_t* p) { return HttpParser::Impl::ToCode(HttpParser::Impl::DelegateOf(p)->OnMessageBegin()); }
int OnUrl(llhttp_t* p, const char* at, size_t n) {
  return HttpParser::Impl::ToCode(HttpParser::Impl::DelegateOf(p)->OnUrl({at, n}));
}
int OnHeaderField(llhttp_t* p, const char* at, size_t n) {
  if (!IsToken({at, n})) {
    llhttp_set_error_reason(p, "invalid character in header name");
    return HPE_USER;
  }
  return HttpParser::Impl::ToCode(HttpParser::Impl::DelegateOf(p)->OnHeaderField({at, n}));
}
int OnHeaderValue(llhttp_t* p, const char* at, size_t n) {
  auto* impl = static_cast<HttpParser::Impl*>(p->data);
  if (impl->in_value &&
      !(impl->value_cut && at == impl->input_begin && impl->value_execute + 1 == impl->executes)) {
    // Obsolete line folding (RFC 9112 §5.2): a proxy may join the lines differently; refuse it.
    llhttp_set_error_reason(p, "obsolete line folding in header value");
    return HPE_USER;
  }
  impl->in_value = true;
  impl->value_cut = at + n == impl->input_end;
  impl->value_execute = impl->executes;
  return HttpParser::Impl::ToCode(HttpParser::Impl::DelegateOf(p)->OnHeaderValue({at, n}));
}
int OnHeaderValueComplete(llhttp_t* p) {
  static_cast<HttpParser::Impl*>(p->data)->in_value = false;
  return 0;
}
int OnHeadersComplete(llhttp_t* p) {
  RequestHead head;
  head.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
  head.http_major = p->http_major;
  head.http_minor = p->http_minor;
  head.keep_alive = llhttp_should_keep_alive(p) != 0;
  head.upgrade = p->upgrade != 0;
  head.has_content_length = (p->flags & F_CONTENT_LENGTH) != 0;
  head.content_length = head.has_content_length ? p->content_length : 0;
  head.chunked = (p->flags & F_CHUNKED) != 0;
  HttpParser::Action action = HttpParser::Impl::DelegateOf(p)->OnHeadersComplete(head);
  if (action == HttpParser::Action::kError) return -1;
  return 0;  // pausing here is not supported by llhttp; the connection pauses at message end
}
int OnBody(llhttp_t* p, const char* at, size_t n) {
  return HttpParser::Impl::ToCode(HttpParser::Impl::DelegateOf(p)->OnBody({at, n}));
}
int OnMessageComplete(llhttp_t* p) {
  return HttpParser::Impl::ToCode(HttpParser::Impl::DelegateOf(p)->OnMessageComplete(llhttp_should_keep_alive(p) != 0));
}
}  // namespace

HttpParser::HttpParser(Delegate* delegate) : impl_(std::make_unique<Impl>()) {
  impl_->delegate = delegate;
  llhttp_settings_init(&impl_->settings);
  impl_->settings.on_message_begin = OnMessageBegin;
  impl_->settings.on_url = OnUrl;
  impl_->settings.on_header_field = OnHeaderField;
  impl_->settings.on_header_value = OnHeaderValue;
  impl_->settings.on_header_value_complete = OnHeaderValueComplete;
  impl_->settings.on_headers_complete = OnHeadersComplete;
  impl_->settings.on_body = OnBody;
  impl_->settings.on_message_complete = OnMessageComplete;
  llhttp_init(&impl_->parser, HTTP_REQUEST, &impl_->settings);
  impl_->parser.data = impl_.get();
}

HttpParser::~HttpParser() = default;

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


const char* HttpParser::error_reason() const {
  const char* reason = llhttp_get_error_reason(&impl_->parser);
  return reason ? reason : llhttp_errno_name(llhttp_get_errno(&impl_->parser));
}

}  // namespace atl::server
