#pragma once
// Mines on a worker thread and posts the result back to the io_context, so serving never waits
// for a proof of work. Requests are mined one after another, in order. The destructor cancels the
// running search and joins the worker; jobs not yet started are dropped (their callbacks never
// run).
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "yournet/node/environment.hpp"

namespace yournet::net {

class ThreadMiningService : public MiningService {
 public:
  explicit ThreadMiningService(boost::asio::io_context& io);
  ~ThreadMiningService() override;
  ThreadMiningService(const ThreadMiningService&) = delete;
  ThreadMiningService& operator=(const ThreadMiningService&) = delete;

  void mine(MiningRequest request, std::function<void(MiningResult)> done) override;

 private:
  struct Job;
  void run();

  boost::asio::io_context& io_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> jobs_;
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};
  std::thread worker_;
};

}  // namespace yournet::net
