#include "yournet/net/rate_limited_log.hpp"

namespace yournet::net {

void RateLimitedLog::log(spdlog::level::level_enum level, std::string_view kind,
                         const std::string& line, Clock::time_point now) {
  if (!spdlog::should_log(level)) return;
  tick(now);
  auto it = kinds_.find(kind);
  if (it == kinds_.end()) it = kinds_.emplace(std::string(kind), Kind{}).first;
  Kind& counter = it->second;
  if (counter.written < burst_) {
    ++counter.written;
    spdlog::log(level, "{}", line);
    return;
  }
  ++counter.suppressed;
  ++suppressed_total_;
  if (level > counter.level) counter.level = level;
}

void RateLimitedLog::tick(Clock::time_point now) {
  if (now - start_ >= interval_) flush(now);
}

void RateLimitedLog::flush(Clock::time_point now) {
  std::uint64_t total = 0;
  std::string detail;
  auto level = spdlog::level::trace;
  for (const auto& [kind, counter] : kinds_) {
    if (counter.suppressed == 0) continue;
    total += counter.suppressed;
    detail += (detail.empty() ? "" : ", ") + kind + " " + std::to_string(counter.suppressed);
    if (counter.level > level) level = counter.level;
  }
  if (total > 0) {
    const auto seconds = std::chrono::duration_cast<std::chrono::milliseconds>(now - start_);
    spdlog::log(level, "log_suppressed {} repeated lines in {:.1f} s: {}", total,
                static_cast<double>(seconds.count()) / 1000.0, detail);
  }
  kinds_.clear();
  start_ = now;
}

}  // namespace yournet::net
