#pragma once
// The single-page app's files (web/static), embedded into the binary at build time.
#include <span>
#include <string_view>

namespace yournet::web {

struct Asset {
  std::string_view path;          // "/index.html"
  std::string_view content_type;  // from the file's extension
  std::string_view body;
};

// "text/html; charset=utf-8" for "x.html", and so on; "application/octet-stream" when unknown.
std::string_view content_type_for(std::string_view path);

// The asset served at a request path ("/" is "/index.html"); nullptr when there is none.
const Asset* find_asset(std::string_view path);

std::span<const Asset> all_assets();

}  // namespace yournet::web
