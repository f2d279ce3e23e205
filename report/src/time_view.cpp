#include "yournet/report/time_view.hpp"

#include <set>
#include <sstream>

namespace yournet::sim {

std::string_view time_view_script();  // time_view_script.cpp

bool TimeView::room() {
  if (events_.size() < kMaxEvents) return true;
  ++dropped_;
  return false;
}

int TimeView::block_of(std::string_view hash) const {
  auto found = block_index_.find(hash);
  return found == block_index_.end() ? -1 : found->second;
}

void TimeView::add(std::int64_t t_us, Kind kind, std::int64_t a, std::int64_t b, std::int64_t c,
                   std::int64_t d) {
  if (!room()) {
    if (dropped_from_us_ < 0) dropped_from_us_ = t_us;
    return;
  }
  events_.push_back(Event{t_us, kind, a, b, c, d});
}

void TimeView::mined(std::int64_t t_us, int node, std::string_view hash, std::string_view parent,
                     std::uint64_t height, const std::vector<std::string>& posts) {
  if (block_index_.count(hash) || blocks_.size() >= kMaxBlocks) return;
  BlockRecord block{std::string(hash), block_of(parent), height, node, t_us, {}};
  for (const auto& id : posts) {
    auto found = post_index_.find(id);
    if (found == post_index_.end())
      found = post_index_.emplace(id, static_cast<int>(post_index_.size())).first;
    block.posts.push_back(found->second);
  }
  block_index_.emplace(std::string(hash), static_cast<int>(blocks_.size()));
  blocks_.push_back(std::move(block));
}

void TimeView::tip(std::int64_t t_us, int node, std::string_view hash, std::uint64_t height) {
  if (node < 0 || node >= kMaxNodes) return;
  add(t_us, Kind::tip, node, block_of(hash), static_cast<std::int64_t>(height));
}

void TimeView::accepted(std::int64_t t_us, int node, std::string_view hash) {
  const int block = block_of(hash);
  if (node < 0 || node >= kMaxNodes || block < 0) return;
  add(t_us, Kind::accepted, node, block);
}

void TimeView::message(Kind kind, std::int64_t t_us, int from, int to, std::string_view route) {
  if (from < 0 || to < 0 || from >= kMaxNodes || to >= kMaxNodes || route == "response") return;
  add(t_us, kind, from, to);
}

void TimeView::post(std::int64_t t_us, int node, std::string_view id) {
  if (node < 0 || node >= kMaxNodes) return;
  auto found = post_index_.find(id);
  if (found == post_index_.end())
    found = post_index_.emplace(std::string(id), static_cast<int>(post_index_.size())).first;
  add(t_us, Kind::post, node, found->second);
}

namespace {
std::int64_t number(const Json& detail, const char* key, std::int64_t fallback) {
  if (!detail.is_object()) return fallback;
  auto it = detail.find(key);
  if (it == detail.end()) return fallback;
  if (it->is_boolean()) return it->get<bool>() ? 1 : 0;
  return it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}
}  // namespace

void TimeView::fault(Kind kind, std::int64_t t_us, int node, const Json& detail) {
  // An action that did nothing ("ignored": not running, already joined...) changes no view.
  if (detail.is_object() && detail.contains("ignored")) return;
  switch (kind) {
    case Kind::partition: {
      const Json* groups =
          detail.is_object() && detail.contains("groups") ? &detail["groups"] : nullptr;
      if (!groups || !groups->is_array()) return;
      groups_.push_back(*groups);
      add(t_us, kind, static_cast<std::int64_t>(groups_.size()) - 1);
      return;
    }
    case Kind::set_link:
      add(t_us, kind, number(detail, "from", -1), number(detail, "to", -1),
          number(detail, "up", -1), number(detail, "one_way", 0));
      return;
    case Kind::restart:
      add(t_us, kind, node, number(detail, "keep_state", 1));
      return;
    default:
      add(t_us, kind, node);
  }
}

std::string TimeView::html(const Json& summary, int node_count, std::int64_t end_us,
                           const std::vector<std::array<std::int64_t, 4>>& band) const {
  std::set<std::string> main_chain;
  if (summary.is_object() && summary.contains("main_chain") && summary["main_chain"].is_array()) {
    for (const auto& hash : summary["main_chain"]) {
      if (hash.is_string()) main_chain.insert(hash.get<std::string>());
    }
  }
  Json blocks = Json::array();
  for (const BlockRecord& b : blocks_) {
    blocks.push_back(Json::array({b.hash.substr(0, 16), b.parent, b.height, b.miner, b.mined_us,
                                  main_chain.count(b.hash) ? 1 : 0, b.posts}));
  }
  Json events = Json::array();
  for (const Event& e : events_) {
    events.push_back(Json::array({e.t_us, static_cast<int>(e.kind), e.a, e.b, e.c, e.d}));
  }
  Json bands = Json::array();
  for (const auto& sample : band)
    bands.push_back(Json::array({sample[0], sample[1], sample[2], sample[3]}));
  Json data{{"nodes", node_count},
            {"followed", std::min(node_count, kMaxNodes)},
            {"end_us", end_us},
            {"blocks", blocks},
            {"events", events},
            {"groups", groups_},
            {"band", bands},
            {"dropped", dropped_},
            {"dropped_from_us", dropped_from_us_}};
  // Inside <script>, "</" must not appear: '<' only ever stands inside JSON strings.
  std::string text = data.dump();
  std::string safe;
  safe.reserve(text.size());
  for (char c : text) {
    if (c == '<') {
      safe += "\\u003c";
    } else {
      safe += c;
    }
  }
  std::ostringstream html;
  html << "<h2>Time</h2><div id='tv' class='tv'><div class='tv-controls'>"
          "<button type='button' id='tv-start' title='to the start'>start</button>"
          "<button type='button' id='tv-back' title='previous event'>◀ step</button>"
          "<button type='button' id='tv-play' title='play or pause'>▶ play</button>"
          "<button type='button' id='tv-fwd' title='next event'>step ▶</button>"
          "<button type='button' id='tv-end' title='to the end'>end</button>"
          "<input type='range' id='tv-time' min='0' max='"
       << end_us << "' step='1' value='" << end_us
       << "' aria-label='simulated time'><span id='tv-now'></span></div>"
          "<p id='tv-status'></p><p id='tv-faults'></p>"
          "<div class='tv-row'><div><h3>Nodes</h3><div id='tv-nodes'></div></div>"
          "<div><h3>Network</h3><div id='tv-net'></div></div></div>"
          "<h3>Block tree as the whole network knew it</h3><div class='scroll' "
          "id='tv-tree-all'></div><h3>Block tree as node <select id='tv-node'></select> knew "
          "it</h3><div class='scroll' id='tv-tree-node'></div>"
          "<noscript><p class='note'>The time control needs JavaScript; the sections below show "
          "the end of the run.</p></noscript></div>"
          "<script type='application/json' id='tv-data'>"
       << safe << "</script><script>" << time_view_script() << "</script>";
  return html.str();
}

}  // namespace yournet::sim
