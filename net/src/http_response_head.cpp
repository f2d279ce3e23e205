#include "yournet/net/http_response_head.hpp"

#include <boost/beast/http/status.hpp>
#include <charconv>

namespace yournet::net {

namespace {

void append_number(std::string& out, std::size_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

}  // namespace

void write_response_head(std::string& out, const HttpResponse& answer, unsigned version,
                         bool keep_alive) {
  namespace http = boost::beast::http;
  out.clear();
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  append_number(out, static_cast<std::size_t>(answer.status));
  out += ' ';
  const auto reason =
      http::obsolete_reason(http::int_to_status(static_cast<unsigned>(answer.status)));
  out.append(reason.data(), reason.size());
  out += "\r\nServer: yournet-chainnode\r\nContent-Type: ";
  out += answer.content_type;
  out += "\r\n";
  for (const auto& header : answer.headers) {
    out += header.name;
    out += ": ";
    out += header.value;
    out += "\r\n";
  }
  if (version == 10 && keep_alive) out += "Connection: keep-alive\r\n";
  if (version != 10 && !keep_alive) out += "Connection: close\r\n";
  out += "Content-Length: ";
  append_number(out, answer.body.size());
  out += "\r\n\r\n";
}

}  // namespace yournet::net
