// free_tcp_port and wait_for_port against a listener of our own and a child that dies.
#include "yournet/live/free_port.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "yournet/live/child_process.hpp"

using namespace std::chrono_literals;
namespace live = yournet::live;

namespace {

// A socket bound to 127.0.0.1:port, listening if asked; -1 if the bind failed.
int bind_loopback(unsigned short port, bool listening) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      (listening && ::listen(fd, 8) != 0)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TEST(FreePort, GivesAPortThatCanBeBound) {
  const unsigned short port = live::free_tcp_port();
  ASSERT_NE(port, 0);
  const int fd = bind_loopback(port, false);
  EXPECT_GE(fd, 0);
  ::close(fd);
}

TEST(FreePort, UnresolvableHostThrows) {
  EXPECT_THROW(live::free_tcp_port("no-such-host.invalid"), std::runtime_error);
}

TEST(WaitForPort, SeesAListener) {
  const unsigned short port = live::free_tcp_port();
  const int fd = bind_loopback(port, true);
  ASSERT_GE(fd, 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(live::wait_for_port("127.0.0.1", port, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  ::close(fd);
}

TEST(WaitForPort, GivesUpAfterTheTimeout) {
  const unsigned short port = live::free_tcp_port();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(live::wait_for_port("127.0.0.1", port, 200ms));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 2s);
}

TEST(WaitForPort, StopsWaitingWhenTheChildDies) {
  live::ChildSpec spec;
  spec.argv = {"/bin/sh", "-c", "sleep 0.1; exit 1"};
  live::ChildProcess child(spec);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(live::wait_for_port("127.0.0.1", live::free_tcp_port(), 30s,
                                   [&] { return child.running(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_TRUE(child.exit_status());
  EXPECT_EQ(child.exit_status()->code, 1);
}
