#pragma once
// report.html for a netsim run: self-contained (inline SVG, CSS, data and script; nothing fetched),
// for a person who would rather look than read the trace, with a time control (time_view). The
// trace is consumed one line at a time and only aggregates are kept, so a 10,000-node run's trace
// never has to be in memory at once.
#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "yournet/json.hpp"
#include "yournet/report/time_view.hpp"
#include "yournet/sim/propagation.hpp"
#include "yournet/sim/trace.hpp"

namespace yournet::sim {

// Text for HTML element content and single- or double-quoted attributes.
std::string html_escape(std::string_view text);

class ReportBuilder {
 public:
  // Up to this many nodes the tip chart draws one line per node; above, min/median/max bands.
  static constexpr int kMaxNodeLines = 20;

  ReportBuilder() = default;
  // One trace line (JSON object with t_us, node, event, detail). Lines that do not parse are
  // counted (and shown in the report), never thrown.
  void add_line(std::string_view line);
  void add_trace(std::istream& lines);

  std::string html(const Json& summary) const;

  // What the report shows, for tests and callers.
  struct Message {
    std::uint64_t sent = 0, delivered = 0, dropped = 0;
  };
  struct MinedBlock {
    std::string hash, parent;
    std::uint64_t height = 0;
    int miner = -1;
    std::int64_t mined_us = 0;
    std::vector<std::int64_t> delays_us;  // mined -> accepted, one per other node that accepted it
    std::vector<bool> reached;            // by node: already counted in delays_us
  };
  struct TipSample {  // heights over all nodes at the end of a time bucket
    std::int64_t t_us;
    std::uint64_t min, median, max;
  };
  struct Marker {  // partition, heal, crash, ...: drawn as vertical lines on the tip chart
    std::int64_t t_us;
    std::string kind;
    int node;
  };

  // std::less<> so the per-line lookups take a string_view without allocating.
  using Counts = std::map<std::string, std::uint64_t, std::less<>>;
  using Messages = std::map<std::string, Message, std::less<>>;
  const Counts& event_counts() const { return counts_; }
  const Messages& messages() const { return messages_; }
  const std::vector<MinedBlock>& blocks() const { return blocks_; }
  const std::map<std::uint64_t, std::uint64_t>& reorg_depths() const { return reorg_depths_; }
  DelayStats propagation() const;
  // Closed buckets plus the current state; each sample's t_us is its bucket's end.
  std::vector<TipSample> tip_samples() const;
  // Per node (only when the run has at most kMaxNodeLines nodes): (t_us, height) at each change.
  const std::map<int, std::vector<std::pair<std::int64_t, std::uint64_t>>>& tip_lines() const {
    return tip_lines_;
  }
  std::uint64_t unreadable_lines() const { return unreadable_; }
  int node_count() const { return static_cast<int>(heights_.size()); }

 private:
  bool add_canonical_line(std::string_view line);
  void add_event(const Json& event);
  void begin_event(std::string_view kind, std::int64_t node, std::int64_t t_us);
  void count_message(TraceEvent kind, std::string_view route);
  void follow_message(TraceEvent kind, std::int64_t t_us, int node,
                      std::optional<std::int64_t> peer, std::string_view route, bool duplicate);
  void on_tip(int node, std::uint64_t height);
  void on_block_accepted(int node, std::int64_t t_us, std::string_view hash, std::uint64_t height,
                         bool main);
  void ensure_node(int node);
  void set_height(int node, std::uint64_t height);
  void advance_time(std::int64_t t_us);
  TipSample snapshot(std::int64_t t_us) const;
  std::string tip_chart_svg(const Json& summary) const;
  std::string propagation_html(const Json& summary) const;
  std::string reorg_html() const;

  Counts counts_;
  Messages messages_;
  std::vector<MinedBlock> blocks_;
  std::map<std::string, std::size_t, std::less<>> block_index_;  // hash -> blocks_ position
  std::map<std::uint64_t, std::uint64_t> reorg_depths_;
  std::vector<Marker> markers_;
  std::uint64_t markers_dropped_ = 0;
  std::uint64_t unreadable_ = 0;

  // Tip heights: each node's current height and how many nodes are at each height, so min, median
  // and max cost O(heights), not O(nodes). Samples are taken at the end of fixed-width buckets;
  // when the run outgrows kMaxBuckets buckets the width doubles and neighbours merge, so the
  // chart's resolution adapts without knowing the run's length in advance.
  static constexpr std::size_t kMaxBuckets = 512;
  std::vector<std::uint64_t> heights_;
  std::vector<std::uint64_t> nodes_at_height_;
  std::vector<TipSample> samples_;
  std::int64_t bucket_us_ = 1000;
  std::uint64_t bucket_low_ = 0, bucket_high_ = 0;  // extremes seen in the open bucket
  std::int64_t open_bucket_ = 0;
  std::int64_t last_t_us_ = 0;
  bool saw_tip_events_ = false;  // older traces have none: main-chain acceptances stand in
  std::map<int, std::vector<std::pair<std::int64_t, std::uint64_t>>> tip_lines_;
  TimeView time_view_;
};

// Convenience for a whole trace in memory or in a stream.
std::string html_report(const Json& summary, std::istream& trace_jsonl);
std::string html_report(const Json& summary, const std::string& trace_jsonl);

}  // namespace yournet::sim
