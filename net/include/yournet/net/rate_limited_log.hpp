#pragma once
// Log lines that a flood would repeat (refused requests, a full pool) written at most
// kLogBurstPerInterval times a kind per kLogSummaryInterval; the rest are counted and reported in
// one summary line per interval ("suppressed 179996 lines in 10 s: request_rejected 179996"), so a
// load test cannot fill the disk with logs. Over spdlog; not thread-safe (one io_context thread).
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace yournet::net {

inline constexpr std::chrono::seconds kLogSummaryInterval{10};
inline constexpr std::uint64_t kLogBurstPerInterval = 20;

// The --log-level help of the servers that log through it (chainnode, webapp).
inline std::string log_level_help() {
  return "trace, debug, info, warn, error, critical or off; lines a flood repeats (refused "
         "requests) are written " +
         std::to_string(kLogBurstPerInterval) + " times a kind per " +
         std::to_string(kLogSummaryInterval.count()) + " s, then summed in one line";
}

class RateLimitedLog {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimitedLog(Clock::duration interval = kLogSummaryInterval,
                          std::uint64_t burst = kLogBurstPerInterval)
      : interval_(interval), burst_(burst), start_(Clock::now()) {}
  ~RateLimitedLog() { flush(); }
  RateLimitedLog(const RateLimitedLog&) = delete;
  RateLimitedLog& operator=(const RateLimitedLog&) = delete;

  // Writes `line` unless `kind` has written its burst this interval; then only counts it.
  void log(spdlog::level::level_enum level, std::string_view kind, const std::string& line,
           Clock::time_point now = Clock::now());
  // Ends the interval if it is over: writes the summary of what it suppressed, if anything.
  // Call it from a timer too, so a flood that stops is still reported.
  void tick(Clock::time_point now = Clock::now());
  // Writes the summary now, whatever the time.
  void flush(Clock::time_point now = Clock::now());

  std::uint64_t suppressed_total() const { return suppressed_total_; }

 private:
  struct Kind {
    std::uint64_t written = 0;
    std::uint64_t suppressed = 0;
    spdlog::level::level_enum level = spdlog::level::info;
  };
  Clock::duration interval_;
  std::uint64_t burst_;
  Clock::time_point start_;
  std::map<std::string, Kind, std::less<>> kinds_;
  std::uint64_t suppressed_total_ = 0;
};

}  // namespace yournet::net
