// Repeated log lines: a burst written, the rest summed into one line per interval.
#include "yournet/net/rate_limited_log.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <memory>
#include <sstream>

using namespace yournet;
using namespace std::chrono_literals;

namespace {

// Routes spdlog's default logger to a string for the test's life.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::size_t lines() const {
    const std::string text = out_.str();
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace

TEST(RateLimitedLog, AFloodBecomesABurstAndOneSummaryLinePerInterval) {
  CapturedLog captured;
  {
    net::RateLimitedLog log(10s, 3);
    const auto start = net::RateLimitedLog::Clock::now();  // the interval began before this
    for (int i = 0; i < 1000; ++i) {
      log.log(spdlog::level::info, "request_rejected", "request_rejected " + std::to_string(i),
              start + std::chrono::milliseconds(i));
    }
    log.log(spdlog::level::info, "connection_refused", "connection_refused", start + 1s);
    EXPECT_EQ(captured.lines(), 4u) << captured.text();  // 3 of one kind, 1 of the other
    EXPECT_EQ(log.suppressed_total(), 997u);
    log.tick(start + 5s);  // the interval is not over
    EXPECT_EQ(captured.lines(), 4u);
    log.tick(start + 10s);
    EXPECT_EQ(captured.lines(), 5u);
    EXPECT_NE(captured.text().find("log_suppressed 997 repeated lines"), std::string::npos)
        << captured.text();
    EXPECT_NE(captured.text().find("request_rejected 997"), std::string::npos);
    // A new interval writes its burst again.
    log.log(spdlog::level::info, "request_rejected", "again", start + 11s);
    EXPECT_EQ(captured.lines(), 6u);
  }
  EXPECT_EQ(captured.lines(), 6u);  // nothing left to summarize
}
