#pragma once
// The report's time control: what the trace says happened, kept compactly as it streams, and
// written into report.html as inline data and script, so a reader can move to any moment and see
// each node's tip, height and pending posts, the block tree as one node and as the whole network
// knew it, partitions, cut links, crashed nodes and messages in flight. Bounded: nodes past
// kMaxNodes are seen only in aggregate, events past kMaxEvents are left out (and the page says so).
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "yournet/json.hpp"

namespace yournet::sim {

class TimeView {
 public:
  static constexpr int kMaxNodes = 64;                // followed one by one
  static constexpr std::size_t kMaxEvents = 200'000;  // embedded in the page
  static constexpr std::size_t kMaxBlocks = 20'000;   // blocks drawn in the trees

  // The kinds of embedded event, as the script reads them (the second field of each).
  enum class Kind : std::uint8_t {
    tip,        // node, block, height
    accepted,   // node, block
    send,       // from, to
    deliver,    // from, to (a duplicate is not recorded)
    drop,       // from, to
    post,       // node, post
    crash,      // node
    restart,    // node, keep_state (1 or 0)
    join,       // node
    leave,      // node
    partition,  // groups (index into the groups list)
    isolate,    // node
    heal,       //
    set_link,   // from, to, up (1, 0; -1 unchanged), one_way (1 or 0)
  };

  void mined(std::int64_t t_us, int node, std::string_view hash, std::string_view parent,
             std::uint64_t height, const std::vector<std::string>& posts);
  void tip(std::int64_t t_us, int node, std::string_view hash, std::uint64_t height);
  void accepted(std::int64_t t_us, int node, std::string_view hash);
  // A request message: `kind` is send, deliver or drop; `route` "response" is an answer's loss.
  void message(Kind kind, std::int64_t t_us, int from, int to, std::string_view route);
  void post(std::int64_t t_us, int node, std::string_view id);
  // Lives and faults: crash, restart, join, leave, isolate, heal, partition, set_link.
  void fault(Kind kind, std::int64_t t_us, int node, const Json& detail);

  // The section: the control, its views, the data (`summary` marks the final main chain;
  // `band`: (t_us, min, median, max) heights over every node) and the script.
  std::string html(const Json& summary, int node_count, std::int64_t end_us,
                   const std::vector<std::array<std::int64_t, 4>>& band) const;

  std::size_t events() const { return events_.size(); }
  bool truncated() const { return dropped_ > 0; }

 private:
  bool room();
  int block_of(std::string_view hash) const;  // -1: genesis or not known
  void add(std::int64_t t_us, Kind kind, std::int64_t a, std::int64_t b = 0, std::int64_t c = 0,
           std::int64_t d = 0);

  struct BlockRecord {
    std::string hash;
    int parent;
    std::uint64_t height;
    int miner;
    std::int64_t mined_us;
    std::vector<int> posts;
  };
  struct Event {
    std::int64_t t_us;
    Kind kind;
    std::int64_t a, b, c, d;
  };
  std::vector<BlockRecord> blocks_;
  std::map<std::string, int, std::less<>> block_index_;
  std::map<std::string, int, std::less<>> post_index_;
  std::vector<Json> groups_;  // partitions' groups, referred to by index
  std::vector<Event> events_;
  std::uint64_t dropped_ = 0;
  std::int64_t dropped_from_us_ = -1;  // the first moment something was left out
};

}  // namespace yournet::sim
