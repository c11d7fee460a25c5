#include "server/response_writer.h"

#include <unistd.h>

#include <ctime>

#include "base/strings.h"
#include "server/isolation.h"

namespace atl::server {

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

std::string_view HttpDate() {
  static thread_local time_t cached_second = 0;
  static thread_local char buffer[40];
  static thread_local size_t length = 0;
  time_t now = time(nullptr);
  if (now != cached_second) {
    struct tm tm;
    gmtime_r(&now, &tm);
    length = strftime(buffer, sizeof(buffer), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return std::string_view(buffer, length);
}

bool IsServerOwnedHeader(std::string_view name) {
  switch (name.size()) {
    case 4: return name == "date";
    case 6: return name == "server";
    case 7: return name == "upgrade" || name == "trailer";
    case 10: return name == "connection" || name == "keep-alive";
    case 14: return name == "content-length";
    case 17: return name == "transfer-encoding";
    default: return false;
  }
}

void AppendResponseHead(const ResponseHead& head, std::string* out) {
  std::string_view reason = head.status_text.empty() ? ReasonPhrase(head.status) : head.status_text;
  base::StrAppend(out, "HTTP/1.1 ", head.status, " ", reason, "\r\n");
  bool has_node = head.node.empty();
  bool pid_header = PidHeaderEnabled();
  for (const auto& [name, value] : head.headers) {
    if (IsServerOwnedHeader(name)) continue;
    if (!has_node && name == "x-atoll-node") has_node = true;
    base::StrAppend(out, name, ": ", value, "\r\n");
    if (name == "x-atoll-pid") pid_header = false;  // a forwarded answer names its process
  }
  if (!has_node) base::StrAppend(out, "x-atoll-node: ", head.node, "\r\n");
  if (pid_header) base::StrAppend(out, "x-atoll-pid: ", static_cast<int64_t>(getpid()), "\r\n");
  if (head.chunked) {
    out->append("transfer-encoding: chunked\r\n");
  } else if (!head.no_body) {
    base::StrAppend(out, "content-length: ", head.content_length, "\r\n");
  }
  if (head.close) out->append("connection: close\r\n");
  else if (head.keep_alive_http10) out->append("connection: keep-alive\r\n");
  base::StrAppend(out, "date: ", HttpDate(), "\r\nserver: atoll\r\n\r\n");
}

void AppendChunk(std::string_view data, std::string* out) {
  if (data.empty()) return;
  char size[20];
  int n = snprintf(size, sizeof(size), "%zx\r\n", data.size());
  out->append(size, n);
  out->append(data);
  out->append("\r\n");
}

void AppendLastChunk(std::string* out) { out->append("0\r\n\r\n"); }

}  // namespace atl::server
