#pragma once
// A node in a process of its own (chainnode, or a foreign program speaking the tutorial's
// protocol), driven through its public HTTP routes and seen through its GET /chain.
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "yournet/live/child_process.hpp"
#include "yournet/net/http_transport.hpp"
#include "yournet/sim/world.hpp"

namespace yournet::live {

struct ProcessNodeSpec {
  std::vector<std::string> argv;  // with the port filled in
  std::optional<std::filesystem::path> cwd;
  std::map<std::string, std::string> env;
  std::filesystem::path log_file;
  std::filesystem::path data_dir;  // wiped for a start without state; empty: none
  unsigned short port = 0;
  bool foreign = false;  // only the tutorial's routes: no /sync, no /metrics
};

class ProcessNode : public sim::RemoteNode {
 public:
  // `changed` runs when a poll finds another tip.
  ProcessNode(boost::asio::io_context& io, ProcessNodeSpec spec, ChainParams params,
              std::function<void()> changed);
  ~ProcessNode() override;

  // Starts the program and waits until it listens; `peers` are registered (foreign nodes, which
  // take no --peer option) through /register_node.
  void start(bool keep_state, const std::vector<std::string>& peers);
  void kill();
  bool running() const { return child_ != nullptr; }
  const std::string& address() const { return address_; }

  // Fetches /chain and /pending_tx (once at a time); `done` runs after the view is updated.
  void poll(std::function<void()> done = {});
  // Fetches what the summary needs (chain, pending posts, rejected blocks); blocking.
  void final_fetch();

  void post(const Json& post, std::function<void(int status)> done) override;
  void mine(std::function<void(std::string message)> done) override;
  bool sync() override;
  void register_with(const std::string& address, std::function<void(int status)> done) override;
  const BlockTree& view() const override { return *view_; }
  const std::vector<Json>& pending() const override { return pending_; }
  std::uint64_t blocks_rejected() const override { return blocks_rejected_; }

 private:
  void take_chain(const std::string& body);
  void take_pending(const std::string& body);
  void call(HttpRequest request, std::function<void(const std::optional<HttpResponse>&)> done);

  boost::asio::io_context& io_;
  ProcessNodeSpec spec_;
  ChainParams params_;
  std::function<void()> changed_;
  std::string address_;
  net::HttpTransport client_;
  std::unique_ptr<ChildProcess> child_;
  std::unique_ptr<BlockTree> view_;
  std::vector<Json> pending_;
  std::uint64_t blocks_rejected_ = 0;
  bool polling_ = false;
  std::uint64_t generation_ = 0;  // bumped by kill: answers from an older process are dropped
};

}  // namespace yournet::live
