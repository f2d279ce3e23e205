#include "yournet/net/request_guard.hpp"

#include <algorithm>
#include <charconv>

#include "yournet/printable.hpp"

namespace yournet::net {
namespace {

std::string lower(std::string_view text) {
  return lower_header_name(text);  // ASCII lower-casing, as for header names
}

// The default port of a scheme a browser page can have; 0 for another.
unsigned default_port(std::string_view scheme) {
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  return 0;
}

std::string describe(const HostName& host) {
  return host.port ? host.name + ":" + std::to_string(*host.port) : host.name;
}

}  // namespace

std::string_view refusal_name(Refusal refusal) {
  switch (refusal) {
    case Refusal::unknown_host:
      return "unknown_host";
    case Refusal::foreign_origin:
      return "foreign_origin";
    case Refusal::cross_site_fetch:
      return "cross_site_fetch";
    case Refusal::same_site_fetch:
      return "same_site_fetch";
  }
  return "unknown";
}

int refusal_status(Refusal refusal) {
  return refusal == Refusal::unknown_host ? 421 : 403;
}

std::optional<HostName> parse_host(std::string_view text) {
  HostName host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host.name = lower(text.substr(0, close + 1));
    text.remove_prefix(close + 1);
    if (!text.empty()) {
      if (text[0] != ':') return std::nullopt;
      port = text.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else {
    const auto colon = text.find(':');
    host.name = lower(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
  }
  const bool name_ok =
      host.name.size() > 0 && std::all_of(host.name.begin(), host.name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
               c == '_' || c == '[' || c == ']' || c == ':';
      });
  if (!name_ok || host.name == "[]") return std::nullopt;
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value > 65535) return std::nullopt;
    host.port = value;
  }
  return host;
}

std::optional<std::string> normalize_origin(std::string_view origin) {
  const auto separator = origin.find("://");
  if (separator == std::string_view::npos) return std::nullopt;
  const std::string scheme = lower(origin.substr(0, separator));
  auto host = parse_host(origin.substr(separator + 3));
  if (!host || scheme.empty()) return std::nullopt;
  if (!host->port) {
    const unsigned port = default_port(scheme);
    if (port == 0) return std::nullopt;
    host->port = port;
  }
  return scheme + "://" + describe(*host);
}

Expected<RequestGuardOptions, std::string> guard_options(const std::vector<std::string>& hosts,
                                                         const std::vector<std::string>& origins,
                                                         bool allow_same_site) {
  RequestGuardOptions options;
  options.allow_same_site = allow_same_site;
  for (const auto& text : hosts) {
    auto host = parse_host(text);
    if (!host) {
      return unexpected("--allowed-host must be NAME or NAME:PORT, not \"" + printable(text, 100) +
                        "\"");
    }
    options.allowed_hosts.push_back(*host);
  }
  for (const auto& text : origins) {
    auto origin = normalize_origin(text);
    if (!origin) {
      return unexpected("--allowed-origin must be scheme://host[:port], not \"" +
                        printable(text, 100) + "\"");
    }
    options.allowed_origins.push_back(*origin);
  }
  return options;
}

RequestGuard::RequestGuard(RequestGuardOptions options, std::string_view bind_host, unsigned port)
    : options_(std::move(options)) {
  // An IPv6 bind address is written as a Host header writes it: in brackets.
  std::string bound(bind_host);
  if (bound.find(':') != std::string::npos && !bound.starts_with('[')) bound = "[" + bound + "]";
  for (std::string name :
       {std::string("localhost"), std::string("127.0.0.1"), std::string("[::1]"), lower(bound)}) {
    HostName host{std::move(name), port};
    if (std::find(hosts_.begin(), hosts_.end(), host) == hosts_.end()) hosts_.push_back(host);
  }
  for (const auto& host : options_.allowed_hosts) hosts_.push_back(host);
  for (const auto& origin : options_.allowed_origins) {
    if (auto normalized = normalize_origin(origin)) origins_.push_back(*normalized);
  }
}

bool RequestGuard::serves(const HostName& host) const {
  return std::any_of(hosts_.begin(), hosts_.end(), [&](const HostName& served) {
    return served.name == host.name && (!served.port || !host.port || served.port == host.port);
  });
}

bool RequestGuard::ours(std::string_view origin) const {
  auto normalized = normalize_origin(origin);
  if (!normalized) return false;  // "null" (a sandboxed page, a file) or garbage
  if (std::find(origins_.begin(), origins_.end(), *normalized) != origins_.end()) return true;
  // A page served by this server under one of its names (the web app's own page).
  const auto separator = normalized->find("://");
  return normalized->starts_with("http") &&
         serves(*parse_host(std::string_view(*normalized).substr(separator + 3)));
}

bool RequestGuard::acts(const HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") return true;
  const auto route = target_path(request.target);
  return std::find(options_.acting_get_routes.begin(), options_.acting_get_routes.end(), route) !=
         options_.acting_get_routes.end();
}

std::optional<Refusal> RequestGuard::check(const HttpRequest& request) const {
  const auto origin = request.header("origin");
  const auto fetch_site = request.header("sec-fetch-site");
  const bool acting = acts(request);
  const bool from_browser = origin || fetch_site;
  // No Host at all is an HTTP/1.0 client, never a browser: nothing to rebind.
  if (auto host_header = request.header("host");
      host_header && (options_.check_host || (acting && from_browser))) {
    // A Host without a port (a raw client's "Host: 127.0.0.1") is judged by its name: the name is
    // what a rebinding attack changes.
    auto host = parse_host(*host_header);
    if (!host || !serves(*host)) return Refusal::unknown_host;
  }
  if (!acting) return std::nullopt;
  if (origin && !ours(*origin)) return Refusal::foreign_origin;
  if (fetch_site == "cross-site") return Refusal::cross_site_fetch;
  if (fetch_site == "same-site" && !options_.allow_same_site) return Refusal::same_site_fetch;
  return std::nullopt;
}

HttpResponse RequestGuard::refusal_answer(Refusal refusal, const HttpRequest& request) const {
  auto quoted = [&](std::string_view name) {
    auto value = request.header(name);
    return value ? printable(*value, 100) : std::string();
  };
  std::string names;
  for (const auto& host : hosts_) names += (names.empty() ? "" : ", ") + describe(host);
  std::string why;
  switch (refusal) {
    case Refusal::unknown_host:
      why = "Host " + quoted("host") + " is not a name this server serves (" + names +
            "); add it with --allowed-host";
      break;
    case Refusal::foreign_origin:
      why = "Origin " + quoted("origin") +
            " is not this server's: a page elsewhere cannot make it act; add it with "
            "--allowed-origin";
      break;
    case Refusal::cross_site_fetch:
      why = "Sec-Fetch-Site is cross-site: a page of another site cannot make this server act";
      break;
    case Refusal::same_site_fetch:
      why =
          "Sec-Fetch-Site is same-site: a page of another port or subdomain cannot make this "
          "server act";
      break;
  }
  return HttpResponse{refusal_status(refusal),
                      "Refused (" + std::string(refusal_name(refusal)) + "): " + why,
                      "text/plain; charset=utf-8"};
}

}  // namespace yournet::net
