#include "yournet/live/free_port.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace yournet::live {
namespace {

struct AddrInfoDeleter {
  void operator()(addrinfo* list) const noexcept { ::freeaddrinfo(list); }
};
using AddrInfoList = std::unique_ptr<addrinfo, AddrInfoDeleter>;

AddrInfoList resolve(const std::string& host, unsigned short port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (rc != 0 || list == nullptr)
    throw std::runtime_error("yournet::live: cannot resolve '" + host + "': " + ::gai_strerror(rc));
  return AddrInfoList(list);
}

class Socket {
 public:
  explicit Socket(const addrinfo& ai, int flags = 0)
      : fd_(::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC | flags, ai.ai_protocol)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// One connection attempt, at most `timeout` long.
bool try_connect(const addrinfo& ai, std::chrono::milliseconds timeout) {
  const Socket s(ai, SOCK_NONBLOCK);
  if (s.get() < 0) return false;
  if (::connect(s.get(), ai.ai_addr, ai.ai_addrlen) == 0) return true;
  if (errno != EINPROGRESS) return false;
  pollfd pfd{s.get(), POLLOUT, 0};
  int ready;
  do {
    ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return false;
  int error = 0;
  socklen_t len = sizeof error;
  return ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0;
}

}  // namespace

unsigned short free_tcp_port(const std::string& host) {
  const AddrInfoList list = resolve(host, 0);
  int error = EADDRNOTAVAIL;
  for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    const Socket s(*ai);
    if (s.get() < 0 || ::bind(s.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      error = errno;
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (::getsockname(s.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
      error = errno;
      continue;
    }
    if (bound.ss_family == AF_INET)
      return ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
    if (bound.ss_family == AF_INET6)
      return ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
    error = EAFNOSUPPORT;
  }
  throw std::system_error(error, std::generic_category(),
                          "yournet::live::free_tcp_port: cannot bind a TCP port on '" + host + "'");
}

bool wait_for_port(const std::string& host, unsigned short port, std::chrono::milliseconds timeout,
                   const std::function<bool()>& still_alive) {
  using std::chrono::milliseconds;
  const AddrInfoList list = resolve(host, port);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (still_alive && !still_alive()) return false;
    for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (try_connect(*ai, std::clamp(left, milliseconds(10), milliseconds(250)))) return true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(milliseconds(20), deadline - now));
  }
}

}  // namespace yournet::live
