#include "process_node.hpp"

#include <chrono>
#include <sstream>
#include <stdexcept>

#include "yournet/live/free_port.hpp"

namespace yournet::live {
namespace {
constexpr auto kStartTimeout = std::chrono::seconds(20);
constexpr auto kClientTimeout = std::chrono::seconds(120);  // a /mine waits for proof of work

net::HttpTransportOptions client_options() {
  net::HttpTransportOptions options;
  options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kClientTimeout);
  options.body_limit = 64u * 1024u * 1024u;
  return options;
}
}  // namespace

ProcessNode::ProcessNode(boost::asio::io_context& io, ProcessNodeSpec spec, ChainParams params,
                         std::function<void()> changed)
    : io_(io),
      spec_(std::move(spec)),
      params_(params),
      changed_(std::move(changed)),
      address_("http://127.0.0.1:" + std::to_string(spec_.port) + "/"),
      client_(io, client_options()),
      view_(std::make_unique<BlockTree>(params_)) {}

ProcessNode::~ProcessNode() = default;

void ProcessNode::start(bool keep_state, const std::vector<std::string>& peers) {
  if (!keep_state && !spec_.data_dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(spec_.data_dir, ignored);
  }
  ChildSpec child;
  child.argv = spec_.argv;
  if (!spec_.foreign) {  // the peers it is configured with, as an operator would start it
    for (const auto& peer : peers) {
      child.argv.push_back("--peer");
      child.argv.push_back(peer);
    }
  }
  child.working_directory = spec_.cwd;
  child.env = spec_.env;
  child.log_file = spec_.log_file;
  child_ = std::make_unique<ChildProcess>(child);
  ChildProcess* started = child_.get();
  if (!wait_for_port("127.0.0.1", spec_.port, kStartTimeout,
                     [started] { return started->running(); })) {
    std::string why = started->running() ? "did not listen within 20 s" : "exited";
    child_.reset();
    throw std::runtime_error(spec_.argv[0] + " on port " + std::to_string(spec_.port) + " " + why +
                             " (its log: " + spec_.log_file.string() + ")");
  }
  view_ = std::make_unique<BlockTree>(params_);
  // The view starts as what it loaded from its store, before the run goes on.
  bool fetched = false;
  poll([&fetched] { fetched = true; });
  while (!fetched && !io_.stopped()) io_.run_one();
  if (spec_.foreign) {
    for (const auto& peer : peers) {
      Json body{{"node_address", peer}};
      call(HttpRequest{"POST", "/register_node", body.dump()}, [](const auto&) {});
    }
  }
}

void ProcessNode::kill() {
  ++generation_;
  polling_ = false;
  if (child_) child_->kill();
  child_.reset();
}

void ProcessNode::call(HttpRequest request,
                       std::function<void(const std::optional<HttpResponse>&)> done) {
  const std::uint64_t generation = generation_;
  client_.send(
      address_, std::move(request),
      [this, generation, done](const std::optional<HttpResponse>& response, const std::string&) {
        if (generation != generation_) return;  // killed meanwhile
        done(response);
      });
}

void ProcessNode::take_chain(const std::string& body) {
  Json json;
  try {
    json = parse_json(body);
  } catch (const JsonError&) {
    return;
  }
  auto chain = json.find("chain");
  if (chain == json.end() || !chain->is_array() || chain->empty()) return;
  const std::string before = view_->tip().hash;
  auto add_all = [&](BlockTree& tree) {
    for (const auto& item : *chain) {
      auto block = block_from_json(item);
      if (block && block->index > 0 && !tree.contains(block->hash)) tree.add(*block);
    }
  };
  add_all(*view_);
  auto tip = chain->back().find("hash");
  if (tip != chain->back().end() && tip->is_string() && view_->tip().hash != *tip) {
    // It holds another chain than the one we followed (a wiped restart): start the view afresh.
    auto fresh = std::make_unique<BlockTree>(params_);
    add_all(*fresh);
    view_ = std::move(fresh);
  }
  if (view_->tip().hash != before && changed_) changed_();
}

void ProcessNode::poll(std::function<void()> done) {
  if (!child_ || (polling_ && !done)) return;
  polling_ = true;
  call(HttpRequest{"GET", "/chain", ""}, [this, done](const std::optional<HttpResponse>& response) {
    if (response && response->status == 200) take_chain(response->body);
    // Its pending posts too: they are what a crash without state would take with it.
    call(HttpRequest{"GET", "/pending_tx", ""},
         [this, done](const std::optional<HttpResponse>& pending) {
           polling_ = false;
           if (pending && pending->status == 200) take_pending(pending->body);
           if (done) done();
         });
  });
}

void ProcessNode::take_pending(const std::string& body) {
  try {
    Json posts = parse_json(body);
    if (posts.is_array()) pending_.assign(posts.begin(), posts.end());
  } catch (const JsonError&) {
  }
}

void ProcessNode::final_fetch() {
  if (!child_) return;
  int outstanding = 2;
  poll([&outstanding] { --outstanding; });
  if (spec_.foreign) {
    --outstanding;
  } else {
    call(HttpRequest{"GET", "/metrics", ""},
         [this, &outstanding](const std::optional<HttpResponse>& response) {
           --outstanding;
           if (!response || response->status != 200) return;
           std::istringstream lines(response->body);
           for (std::string line; std::getline(lines, line);) {
             const std::string name = "yournet_blocks_rejected_total ";
             if (line.rfind(name, 0) == 0) blocks_rejected_ = std::stoull(line.substr(name.size()));
           }
         });
  }
  while (outstanding > 0 && !io_.stopped()) io_.run_one();
}

void ProcessNode::post(const Json& post, std::function<void(int status)> done) {
  call(HttpRequest{"POST", "/new_transaction", post.dump()},
       [done](const std::optional<HttpResponse>& response) {
         done(response ? response->status : 0);
       });
}

void ProcessNode::mine(std::function<void(std::string message)> done) {
  call(HttpRequest{"GET", "/mine", ""}, [this, done](const std::optional<HttpResponse>& response) {
    std::string message = response ? response->body : "no answer";
    poll([done, message] { done(message); });  // the block it names is in the view
  });
}

bool ProcessNode::sync() {
  if (spec_.foreign) return false;  // the tutorial has no route for consensus
  call(HttpRequest{"POST", "/sync", ""}, [](const auto&) {});
  return true;
}

void ProcessNode::register_with(const std::string& address, std::function<void(int status)> done) {
  // The tutorial appends "/register_node" to the address it is given: give it none of its own.
  std::string target = address;
  if (spec_.foreign && !target.empty() && target.back() == '/') target.pop_back();
  Json body{{"node_address", target}};
  call(HttpRequest{"POST", "/register_with", body.dump()},
       [done](const std::optional<HttpResponse>& response) {
         done(response ? response->status : 0);
       });
}

}  // namespace yournet::live
