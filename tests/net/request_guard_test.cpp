// The CSRF and DNS-rebinding policy of chainnode and the web app, as pure decisions on requests.
#include "yournet/net/request_guard.hpp"

#include <gtest/gtest.h>

using namespace yournet;
using net::Refusal;

namespace {

HttpRequest request(std::string method, std::string target, HttpHeaders headers = {}) {
  return HttpRequest{std::move(method), std::move(target), "", std::move(headers)};
}

// chainnode's policy: Host checked only on acting browser requests.
net::RequestGuard node_guard(net::RequestGuardOptions options = {}) {
  options.check_host = false;
  options.acting_get_routes = {"/mine"};
  return net::RequestGuard(std::move(options), "127.0.0.1", 8000);
}

// The web app's: Host checked on every request.
net::RequestGuard app_guard(net::RequestGuardOptions options = {}) {
  options.check_host = true;
  options.acting_get_routes = {"/api/mine"};
  return net::RequestGuard(std::move(options), "0.0.0.0", 5000);
}

}  // namespace

TEST(RequestGuard, HeaderlessRequestsOfNonBrowsersPass) {
  auto guard = node_guard();
  // The tutorial's Python nodes: no Content-Type, no Origin; a peer addresses us by any address.
  EXPECT_EQ(guard.check(request("POST", "/add_block", {{"host", "10.1.2.3:8000"}})), std::nullopt);
  EXPECT_EQ(guard.check(request("GET", "/mine", {{"host", "192.168.0.7:8000"}})), std::nullopt);
  EXPECT_EQ(guard.check(request("POST", "/new_transaction")), std::nullopt);
}

TEST(RequestGuard, AForeignOriginCannotMakeTheNodeAct) {
  auto guard = node_guard();
  for (const char* origin : {"http://evil.example", "http://localhost:9999", "null",
                             "https://127.0.0.1:8001", "garbage"}) {
    EXPECT_EQ(guard.check(request("POST", "/new_transaction", {{"origin", origin}})),
              Refusal::foreign_origin)
        << origin;
    EXPECT_EQ(guard.check(request("GET", "/mine?now", {{"origin", origin}})),
              Refusal::foreign_origin)
        << origin;
  }
  // Reading is not acting (and a page elsewhere cannot read the answer without CORS anyway).
  EXPECT_EQ(guard.check(request("GET", "/chain", {{"origin", "http://evil.example"}})),
            std::nullopt);
}

TEST(RequestGuard, OurOwnOriginsMayAct) {
  auto guard = node_guard(*net::guard_options({}, {"https://Explorer.example"}, false));
  for (const char* origin : {"http://127.0.0.1:8000", "http://LOCALHOST:8000", "http://[::1]:8000",
                             "https://explorer.example", "https://explorer.example:443"}) {
    EXPECT_EQ(guard.check(request("POST", "/register_with",
                                  {{"origin", origin}, {"sec-fetch-site", "same-origin"}})),
              std::nullopt)
        << origin;
  }
}

TEST(RequestGuard, SecFetchSiteRefusesCrossAndSameSiteUnlessAllowed) {
  auto guard = node_guard();
  EXPECT_EQ(guard.check(request("POST", "/sync", {{"sec-fetch-site", "cross-site"}})),
            Refusal::cross_site_fetch);
  EXPECT_EQ(guard.check(request("GET", "/mine", {{"sec-fetch-site", "same-site"}})),
            Refusal::same_site_fetch);
  EXPECT_EQ(guard.check(request("GET", "/mine", {{"sec-fetch-site", "same-origin"}})),
            std::nullopt);
  EXPECT_EQ(guard.check(request("GET", "/mine", {{"sec-fetch-site", "none"}})), std::nullopt);
  auto lenient = node_guard(*net::guard_options({}, {}, true));
  EXPECT_EQ(lenient.check(request("GET", "/mine", {{"sec-fetch-site", "same-site"}})),
            std::nullopt);
  EXPECT_EQ(lenient.check(request("GET", "/mine", {{"sec-fetch-site", "cross-site"}})),
            Refusal::cross_site_fetch);
}

TEST(RequestGuard, ARebindingNameCannotMakeTheNodeActEvenSameOrigin) {
  auto guard = node_guard();
  // evil.example resolved to 127.0.0.1: the page is same-origin with itself, and says so.
  EXPECT_EQ(
      guard.check(request("GET", "/mine",
                          {{"host", "evil.example:8000"}, {"sec-fetch-site", "same-origin"}})),
      Refusal::unknown_host);
  EXPECT_EQ(
      guard.check(request("POST", "/new_transaction",
                          {{"host", "evil.example:8000"}, {"origin", "http://evil.example:8000"}})),
      Refusal::unknown_host);
  // Reads stay open to any name: chainnode's Host is checked on every request only if configured.
  EXPECT_EQ(guard.check(request("GET", "/chain", {{"host", "evil.example:8000"}})), std::nullopt);
  auto strict = net::RequestGuard(
      [] {
        auto options = *net::guard_options({"node.example"}, {}, false);
        options.acting_get_routes = {"/mine"};
        return options;
      }(),
      "127.0.0.1", 8000);
  EXPECT_EQ(strict.check(request("GET", "/chain", {{"host", "evil.example:8000"}})),
            Refusal::unknown_host);
  EXPECT_EQ(strict.check(request("GET", "/chain", {{"host", "node.example:80"}})), std::nullopt);
}

TEST(RequestGuard, TheWebAppServesOnlyItsOwnNamesOnEveryRequest) {
  auto guard = app_guard(*net::guard_options({"yournet.lan:8080"}, {}, false));
  // Without a port (a raw client), the name alone is judged.
  for (const char* host : {"127.0.0.1:5000", "localhost:5000", "[::1]:5000", "0.0.0.0:5000",
                           "127.0.0.1", "yournet.lan:8080"}) {
    EXPECT_EQ(guard.check(request("GET", "/", {{"host", host}})), std::nullopt) << host;
  }
  for (const char* host : {"evil.example:5000", "localhost:5001", "yournet.lan:5000",
                           "evil.example", "127.0.0.1:5000/x", ""}) {
    EXPECT_EQ(guard.check(request("GET", "/api/feed", {{"host", host}})), Refusal::unknown_host)
        << host;
  }
  // The page's own same-origin requests.
  EXPECT_EQ(guard.check(request("POST", "/api/new_transaction",
                                {{"host", "localhost:5000"},
                                 {"origin", "http://localhost:5000"},
                                 {"sec-fetch-site", "same-origin"}})),
            std::nullopt);
  EXPECT_EQ(guard.check(request("GET", "/api/mine",
                                {{"host", "127.0.0.1:5000"}, {"origin", "http://evil.example"}})),
            Refusal::foreign_origin);
}

TEST(RequestGuard, RefusalsAreAnsweredWithTheirStatusNamingTheReason) {
  auto guard = app_guard();
  const auto hostile = request("GET", "/", {{"host", "evil.example:5000"}});
  const HttpResponse answer = guard.refusal_answer(Refusal::unknown_host, hostile);
  EXPECT_EQ(answer.status, 421);
  EXPECT_NE(answer.body.find("unknown_host"), std::string::npos) << answer.body;
  EXPECT_NE(answer.body.find("evil.example:5000"), std::string::npos) << answer.body;
  for (Refusal refusal : net::kRefusals) {
    if (refusal != Refusal::unknown_host) {
      EXPECT_EQ(guard.refusal_answer(refusal, hostile).status, 403);
    }
    EXPECT_NE(guard.refusal_answer(refusal, hostile).body.find(net::refusal_name(refusal)),
              std::string::npos);
  }
}

TEST(RequestGuard, HostsAndOriginsAreParsedStrictly) {
  EXPECT_EQ(net::parse_host("LocalHost:80"), (net::HostName{"localhost", 80}));
  EXPECT_EQ(net::parse_host("[::1]:5000"), (net::HostName{"[::1]", 5000}));
  EXPECT_EQ(net::parse_host("example.com"), (net::HostName{"example.com", std::nullopt}));
  for (const char* bad : {"", ":80", "a:", "a:99999", "a:8x", "a/b", "[::1", "[]:80", "a b"}) {
    EXPECT_EQ(net::parse_host(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(net::normalize_origin("HTTP://Example.com"),
            std::optional<std::string>("http://example.com:80"));
  EXPECT_EQ(net::normalize_origin("null"), std::nullopt);
  EXPECT_EQ(net::normalize_origin("ftp://example.com"), std::nullopt);
  EXPECT_FALSE(net::guard_options({"a/b"}, {}, false).has_value());
  EXPECT_FALSE(net::guard_options({}, {"example.com"}, false).has_value());
}
