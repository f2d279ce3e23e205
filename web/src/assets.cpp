#include "yournet/web/assets.hpp"

#include <array>

#include "yournet/web/embedded_assets.hpp"

namespace yournet::web {

std::string_view content_type_for(std::string_view path) {
  struct Type {
    std::string_view extension;
    std::string_view content_type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& type : kTypes) {
    if (path.ends_with(type.extension)) return type.content_type;
  }
  return "application/octet-stream";
}

namespace {

template <std::size_t N>
std::array<Asset, N> make_assets(const std::array<embedded::File, N>& files) {
  std::array<Asset, N> assets{};
  for (std::size_t i = 0; i < N; ++i) {
    assets[i] = Asset{files[i].path, content_type_for(files[i].path), files[i].bytes};
  }
  return assets;
}

const auto kAssets = make_assets(embedded::files);

}  // namespace

std::span<const Asset> all_assets() {
  return kAssets;
}

const Asset* find_asset(std::string_view path) {
  if (path == "/") path = "/index.html";
  for (const auto& asset : kAssets) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace yournet::web
