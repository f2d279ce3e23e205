#include "yournet/http_message.hpp"

#include <algorithm>

namespace yournet {
namespace {

std::optional<std::string_view> find_header(const HttpHeaders& headers, std::string_view name) {
  const std::string wanted = lower_header_name(name);
  for (const auto& header : headers) {
    if (lower_header_name(header.name) == wanted) return std::string_view(header.value);
  }
  return std::nullopt;
}

}  // namespace

std::string lower_header_name(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return lower;
}

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  return find_header(headers, name);
}

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
  return find_header(headers, name);
}

}  // namespace yournet
