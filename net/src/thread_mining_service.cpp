#include "yournet/net/thread_mining_service.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

namespace yournet::net {

struct ThreadMiningService::Job {
  MiningRequest request;
  std::function<void(MiningResult)> done;
  // Keeps io_context::run() from returning while a result is still to come.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
};

ThreadMiningService::ThreadMiningService(boost::asio::io_context& io)
    : io_(io), worker_([this] { run(); }) {}

ThreadMiningService::~ThreadMiningService() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  cancel_ = true;
  wake_.notify_all();
  worker_.join();
}

void ThreadMiningService::mine(MiningRequest request, std::function<void(MiningResult)> done) {
  if (request.cancel == nullptr) request.cancel = &cancel_;
  auto job = std::make_shared<Job>(
      Job{std::move(request), std::move(done), boost::asio::make_work_guard(io_)});
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void ThreadMiningService::run() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    MiningResult result = yournet::mine(job->request);
    if (cancel_) return;
    boost::asio::post(io_,
                      [done = std::move(job->done), result = std::move(result)] { done(result); });
    job->work.reset();
  }
}

}  // namespace yournet::net
