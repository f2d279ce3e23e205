#pragma once
// TCP ports for children that serve: pick a free one to pass on the child's command line, then
// wait until the child accepts connections on it.
#include <chrono>
#include <functional>
#include <string>

namespace yournet::live {

// A TCP port that is free on `host` right now: binds port 0 there, reads the port the kernel
// chose and closes the socket. Nothing reserves it afterwards, so another process may take it
// before the child binds it (rare: the kernel hands ephemeral ports out in turn). Throws
// std::system_error (or std::runtime_error for a host that does not resolve).
unsigned short free_tcp_port(const std::string& host = "127.0.0.1");

// Tries to connect to host:port until a connection succeeds (true) or `timeout` has passed
// (false). Returns false early as soon as `still_alive` (if given) returns false, e.g.
// [&] { return child.running(); }, so a child that died on start is not waited for. Throws
// std::runtime_error for a host that does not resolve.
bool wait_for_port(const std::string& host, unsigned short port, std::chrono::milliseconds timeout,
                   const std::function<bool()>& still_alive = {});

}  // namespace yournet::live
