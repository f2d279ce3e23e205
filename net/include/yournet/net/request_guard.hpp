#pragma once
// CSRF and DNS-rebinding protection, one policy for chainnode and the web app. Non-browser clients
// (peers, curl, the tutorial's Python nodes, which POST /add_block with no Content-Type and no
// Origin) send none of the browser's signals and pass; a request a browser sent on behalf of a page
// elsewhere is refused by those signals:
// - a request that acts (any method but GET and HEAD, and the GET routes named as acting, such as
//   /mine) is refused when its Origin is not one of ours, or when Sec-Fetch-Site says cross-site
//   (or same-site: another port of the same host is the same site, unless allowed);
// - Host must name this server (a name it serves, DNS rebinding aside): on every request when
//   `check_host` is set (the web app), else only on acting requests that carry a browser signal
//   (chainnode: peers reach it by any address of the machine, and never send those signals).
// Pure: no socket, clock or logging; the servers answer and count refusals.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "yournet/expected.hpp"
#include "yournet/http_message.hpp"

namespace yournet::net {

enum class Refusal {
  unknown_host,      // Host names no name this server serves (a DNS-rebound name)
  foreign_origin,    // Origin is not one of ours (a page elsewhere: cross-site request forgery)
  cross_site_fetch,  // Sec-Fetch-Site: cross-site
  same_site_fetch,   // Sec-Fetch-Site: same-site (another port or subdomain), not allowed
};
inline constexpr Refusal kRefusals[] = {Refusal::unknown_host, Refusal::foreign_origin,
                                        Refusal::cross_site_fetch, Refusal::same_site_fetch};

// "unknown_host", ...: the label in logs and metrics.
std::string_view refusal_name(Refusal refusal);
// 421 Misdirected Request for a Host we do not serve, 403 Forbidden for the others.
int refusal_status(Refusal refusal);

// A host name with an optional port: "localhost", "127.0.0.1:8000", "[::1]:5000". Names are
// lower-cased; an IPv6 address keeps its brackets.
struct HostName {
  std::string name;
  std::optional<unsigned> port;  // nullopt: any port
  bool operator==(const HostName&) const = default;
};
// "name", "name:port" or "[v6]:port" -> HostName; nullopt for anything else (a path, a scheme, a
// port past 65535, an empty name).
std::optional<HostName> parse_host(std::string_view text);

struct RequestGuardOptions {
  // Extra names served (--allowed-host NAME[:PORT]; without a port, any port), beside the
  // defaults: localhost, 127.0.0.1, [::1] and the bind address, each with the served port.
  std::vector<HostName> allowed_hosts;
  // Extra origins whose pages may make this server act (--allowed-origin scheme://host[:port]).
  std::vector<std::string> allowed_origins;
  bool check_host = true;        // Host on every request (else only on acting browser requests)
  bool allow_same_site = false;  // accept Sec-Fetch-Site: same-site
  // GET routes that change state (the tutorial's GET /mine); every other GET and HEAD does not.
  std::vector<std::string> acting_get_routes;
};

class RequestGuard {
 public:
  // `bind_host` and `port`: what the server listens on.
  RequestGuard(RequestGuardOptions options, std::string_view bind_host, unsigned port);

  // Why the request must be refused, or nullopt to serve it.
  std::optional<Refusal> check(const HttpRequest& request) const;
  // Whether the request may change state: anything but GET and HEAD, and the acting GET routes.
  bool acts(const HttpRequest& request) const;
  // The answer to a refused request: refusal_status, naming the reason and the value at fault.
  HttpResponse refusal_answer(Refusal refusal, const HttpRequest& request) const;

  const std::vector<HostName>& hosts() const { return hosts_; }

 private:
  bool serves(const HostName& host) const;
  bool ours(std::string_view origin) const;

  RequestGuardOptions options_;
  std::vector<HostName> hosts_;       // every name served, defaults first
  std::vector<std::string> origins_;  // the allowed origins, normalized
};

// The options from the command line's --allowed-host and --allowed-origin values; an error names
// the value that is not a host (NAME or NAME:PORT) or an origin (scheme://host[:port]).
Expected<RequestGuardOptions, std::string> guard_options(const std::vector<std::string>& hosts,
                                                         const std::vector<std::string>& origins,
                                                         bool allow_same_site);

// "HTTP://Example.com:80" -> "http://example.com:80"; the default port made explicit; nullopt for
// what is not scheme://host[:port] ("null", a path...).
std::optional<std::string> normalize_origin(std::string_view origin);

}  // namespace yournet::net
