#include "yournet/report/run_report.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>
#include <sstream>

namespace yournet::sim {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}
std::string ms(std::int64_t us) {
  return fixed(static_cast<double>(us) / 1000.0, 1) + " ms";
}
std::string seconds(std::int64_t us) {
  return fixed(static_cast<double>(us) / 1e6, 3) + " s";
}

const Json* field(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}
std::string text_of(const Json& object, const char* key) {
  const Json* value = field(object, key);
  if (!value) return "";
  return value->is_string() ? value->get<std::string>() : value->dump();
}
std::int64_t int_of(const Json& object, const char* key, std::int64_t fallback) {
  const Json* value = field(object, key);
  return value && value->is_number_integer() ? value->get<std::int64_t>() : fallback;
}

const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

// A plot area mapping (time or value, value) to SVG pixels.
struct Plot {
  int width = 900, height = 300, left = 56, right = 40, top = 16, bottom = 40;
  double x_max = 1, y_max = 1;
  double x(double value) const { return left + value / x_max * (width - left - right); }
  double y(double value) const { return height - bottom - value / y_max * (height - top - bottom); }
  std::string open() const {
    return "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(width) +
           "' height='" + std::to_string(height) + "' font-size='11'>";
  }
  // Axes with five ticks each; labels are produced by the callers' formatters.
  template <typename XLabel, typename YLabel>
  std::string axes(XLabel x_label, YLabel y_label, const std::string& x_title,
                   const std::string& y_title) const {
    std::ostringstream svg;
    svg << "<line x1='" << left << "' y1='" << height - bottom << "' x2='" << width - right
        << "' y2='" << height - bottom << "' stroke='#444'/><line x1='" << left << "' y1='" << top
        << "' x2='" << left << "' y2='" << height - bottom << "' stroke='#444'/>";
    for (int i = 0; i <= 5; ++i) {
      double xv = x_max * i / 5, yv = y_max * i / 5;
      svg << "<text x='" << fixed(x(xv), 1) << "' y='" << height - bottom + 14
          << "' text-anchor='middle'>" << x_label(xv) << "</text>";
      svg << "<line x1='" << left << "' y1='" << fixed(y(yv), 1) << "' x2='" << width - right
          << "' y2='" << fixed(y(yv), 1) << "' stroke='#eee'/><text x='" << left - 4 << "' y='"
          << fixed(y(yv) + 4, 1) << "' text-anchor='end'>" << y_label(yv) << "</text>";
    }
    svg << "<text x='" << (left + width - right) / 2 << "' y='" << height - 6
        << "' text-anchor='middle'>" << x_title << "</text><text x='12' y='"
        << (top + height - bottom) / 2 << "' transform='rotate(-90 12 "
        << (top + height - bottom) / 2 << ")' text-anchor='middle'>" << y_title << "</text>";
    return svg.str();
  }
};

}  // namespace

// ---- reading the trace ------------------------------------------------------------------------

void ReportBuilder::add_trace(std::istream& lines) {
  for (std::string line; std::getline(lines, line);) add_line(line);
}

namespace {

// The integer after `key` in `text`, searching from `from`; nullopt when absent.
std::optional<std::int64_t> integer_after(std::string_view text, std::string_view key,
                                          std::size_t from) {
  auto at = text.find(key, from);
  if (at == std::string_view::npos) return std::nullopt;
  const char* begin = text.data() + at + key.size();
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(begin, text.data() + text.size(), value);
  if (error != std::errc() || (end != text.data() + text.size() && *end != ',' && *end != '}')) {
    return std::nullopt;
  }
  return value;
}

// The string after `key` when it holds no escapes; nullopt otherwise.
std::optional<std::string_view> plain_string_after(std::string_view text, std::string_view key,
                                                   std::size_t from, std::size_t to) {
  auto at = text.find(key, from);
  if (at == std::string_view::npos || at >= to) return std::nullopt;
  auto begin = at + key.size();
  auto end = text.find('"', begin);
  if (end == std::string_view::npos || end > to) return std::nullopt;
  std::string_view value = text.substr(begin, end - begin);
  if (value.find('\\') != std::string_view::npos) return std::nullopt;
  return value;
}

}  // namespace

// Beyond these a line is taken as damaged rather than allocating for it.
constexpr std::int64_t kMaxNodes = 10'000'000;
constexpr std::int64_t kMaxHeight = 10'000'000;
constexpr std::int64_t kMaxTimeUs = 1'000'000'000'000'000;  // 31 years
bool plausible(std::int64_t node, std::int64_t t_us) {
  return node >= -1 && node < kMaxNodes && t_us >= 0 && t_us <= kMaxTimeUs;
}

// Messages, acceptances and tips are nearly all of a big trace and need only a few fields: read
// those straight from the canonical line (keys sorted: detail, event, node, t_us) and leave the
// general parser for the rest. Anything unexpected falls through to the parser.
bool ReportBuilder::add_canonical_line(std::string_view line) {
  constexpr std::string_view kEventKey = "\"event\": \"";
  auto event_at = line.rfind(kEventKey);  // the last one is the top-level key: detail comes first
  if (event_at == std::string_view::npos) return false;
  auto name = plain_string_after(line, kEventKey, event_at, line.size());
  if (!name) return false;
  const std::optional<TraceEvent> kind = parse_trace_event(*name);
  if (!kind) return false;
  const bool message =
      *kind == TraceEvent::send || *kind == TraceEvent::deliver || *kind == TraceEvent::drop;
  if (!message && *kind != TraceEvent::tip && *kind != TraceEvent::block_accepted) return false;
  auto node = integer_after(line, "\"node\": ", event_at);
  auto t_us = integer_after(line, "\"t_us\": ", event_at);
  if (!node || !t_us || !plausible(*node, *t_us)) return false;
  std::string_view detail = line.substr(0, event_at);
  if (message) {
    auto route = plain_string_after(detail, "\"route\": \"", 0, detail.size());
    if (!route) return false;
    begin_event(*name, *node, *t_us);
    count_message(*kind, *route);
    follow_message(
        *kind, *t_us, static_cast<int>(*node),
        integer_after(detail, *kind == TraceEvent::deliver ? "\"from\": " : "\"to\": ", 0), *route,
        detail.find("\"duplicate\": true") != std::string_view::npos);
  } else if (*kind == TraceEvent::tip) {
    auto height = integer_after(detail, "\"height\": ", 0);
    auto hash = plain_string_after(detail, "\"hash\": \"", 0, detail.size());
    if (!height || !hash || *height < 0 || *height > kMaxHeight) return false;
    begin_event(*name, *node, *t_us);
    on_tip(static_cast<int>(*node), static_cast<std::uint64_t>(*height));
    time_view_.tip(*t_us, static_cast<int>(*node), *hash, static_cast<std::uint64_t>(*height));
  } else {
    auto hash = plain_string_after(detail, "\"hash\": \"", 0, detail.size());
    auto index = integer_after(detail, "\"index\": ", 0);
    const bool main = detail.find("\"main\": true") != std::string_view::npos;
    if (!hash || !index || *index < 0 || *index > kMaxHeight ||
        (!main && detail.find("\"main\": false") == std::string_view::npos)) {
      return false;
    }
    begin_event(*name, *node, *t_us);
    on_block_accepted(static_cast<int>(*node), *t_us, *hash, static_cast<std::uint64_t>(*index),
                      main);
  }
  return true;
}

void ReportBuilder::begin_event(std::string_view kind, std::int64_t node, std::int64_t t_us) {
  advance_time(t_us);
  ensure_node(static_cast<int>(node));
  auto count = counts_.find(kind);
  if (count == counts_.end()) count = counts_.emplace(std::string(kind), 0).first;
  ++count->second;
}

void ReportBuilder::count_message(TraceEvent kind, std::string_view route) {
  auto found = messages_.find(route);
  if (found == messages_.end()) found = messages_.emplace(std::string(route), Message{}).first;
  Message& message = found->second;
  (kind == TraceEvent::send      ? message.sent
   : kind == TraceEvent::deliver ? message.delivered
                                 : message.dropped)++;
}

void ReportBuilder::on_tip(int node, std::uint64_t height) {
  saw_tip_events_ = true;
  set_height(node, height);
}

void ReportBuilder::follow_message(TraceEvent kind, std::int64_t t_us, int node,
                                   std::optional<std::int64_t> peer, std::string_view route,
                                   bool duplicate) {
  if (!peer || *peer < 0 || *peer >= kMaxNodes || duplicate) return;
  const int other = static_cast<int>(*peer);
  const TimeView::Kind as = kind == TraceEvent::send      ? TimeView::Kind::send
                            : kind == TraceEvent::deliver ? TimeView::Kind::deliver
                                                          : TimeView::Kind::drop;
  // A deliver is traced at the receiver; the view keys every message by (from, to).
  if (kind == TraceEvent::deliver) {
    time_view_.message(as, t_us, other, node, route);
  } else {
    time_view_.message(as, t_us, node, other, route);
  }
}

void ReportBuilder::on_block_accepted(int node, std::int64_t t_us, std::string_view hash,
                                      std::uint64_t height, bool main) {
  time_view_.accepted(t_us, node, hash);
  auto it = block_index_.find(hash);
  if (it != block_index_.end() && node >= 0) {
    MinedBlock& block = blocks_[it->second];
    if (block.reached.size() <= static_cast<std::size_t>(node)) {
      block.reached.resize(static_cast<std::size_t>(node) + 1, false);
    }
    if (node != block.miner && !block.reached[static_cast<std::size_t>(node)]) {
      block.reached[static_cast<std::size_t>(node)] = true;
      block.delays_us.push_back(t_us - block.mined_us);
    }
  }
  // Traces without tip events: a block accepted onto the main chain is the node's new tip.
  if (!saw_tip_events_ && main) set_height(node, height);
}

void ReportBuilder::add_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.empty()) return;
  if (add_canonical_line(line)) return;
  Json event;
  try {
    event = parse_json(line);
  } catch (const JsonError&) {
    ++unreadable_;
    return;
  }
  const Json* kind = field(event, "event");
  if (!kind || !kind->is_string()) {
    ++unreadable_;
    return;
  }
  add_event(event);
}

void ReportBuilder::ensure_node(int node) {
  if (node < 0) return;
  auto needed = static_cast<std::size_t>(node) + 1;
  if (heights_.size() >= needed) return;
  if (nodes_at_height_.empty()) nodes_at_height_.push_back(0);
  nodes_at_height_[0] += needed - heights_.size();  // every node starts at genesis
  heights_.resize(needed, 0);
  if (heights_.size() > static_cast<std::size_t>(kMaxNodeLines)) tip_lines_.clear();
}

void ReportBuilder::set_height(int node, std::uint64_t height) {
  if (node < 0) return;
  ensure_node(node);
  std::uint64_t& current = heights_[static_cast<std::size_t>(node)];
  if (current == height) return;
  --nodes_at_height_[current];
  if (nodes_at_height_.size() <= height) nodes_at_height_.resize(height + 1, 0);
  ++nodes_at_height_[height];
  current = height;
  bucket_low_ = std::min(bucket_low_, height);
  bucket_high_ = std::max(bucket_high_, height);
  if (heights_.size() <= static_cast<std::size_t>(kMaxNodeLines)) {
    tip_lines_[node].emplace_back(last_t_us_, height);
  }
}

ReportBuilder::TipSample ReportBuilder::snapshot(std::int64_t t_us) const {
  TipSample sample{t_us, 0, 0, 0};
  std::uint64_t total = 0;
  for (auto count : nodes_at_height_) total += count;
  if (total == 0) return sample;
  bool have_min = false;
  std::uint64_t seen = 0;
  bool have_median = false;
  for (std::uint64_t h = 0; h < nodes_at_height_.size(); ++h) {
    if (nodes_at_height_[h] == 0) continue;
    if (!have_min) sample.min = h, have_min = true;
    seen += nodes_at_height_[h];
    if (!have_median && seen * 2 >= total) sample.median = h, have_median = true;
    sample.max = h;
  }
  return sample;
}

void ReportBuilder::advance_time(std::int64_t t_us) {
  if (t_us < last_t_us_) t_us = last_t_us_;  // a trace is in time order; tolerate one that is not
  while (t_us >= static_cast<std::int64_t>(kMaxBuckets) * bucket_us_) {
    // Twice as wide: bucket j now covers old buckets 2j and 2j+1 and ends where 2j+1 ended.
    std::vector<TipSample> merged;
    for (std::size_t i = 1; i < samples_.size(); i += 2) {
      merged.push_back(TipSample{samples_[i].t_us, std::min(samples_[i - 1].min, samples_[i].min),
                                 samples_[i].median,
                                 std::max(samples_[i - 1].max, samples_[i].max)});
    }
    if (samples_.size() % 2 == 1) {  // the last closed bucket joins the open one
      bucket_low_ = std::min(bucket_low_, samples_.back().min);
      bucket_high_ = std::max(bucket_high_, samples_.back().max);
    }
    samples_ = std::move(merged);
    open_bucket_ /= 2;
    bucket_us_ *= 2;
  }
  if (t_us >= (open_bucket_ + 1) * bucket_us_) {
    const TipSample now = snapshot(0);
    // The band shows the lowest and highest height any node had during the bucket.
    samples_.push_back(
        TipSample{(open_bucket_ + 1) * bucket_us_, bucket_low_, now.median, bucket_high_});
    ++open_bucket_;
    while (t_us >= (open_bucket_ + 1) * bucket_us_) {
      samples_.push_back(TipSample{(open_bucket_ + 1) * bucket_us_, now.min, now.median, now.max});
      ++open_bucket_;
    }
    bucket_low_ = now.min;
    bucket_high_ = now.max;
  }
  last_t_us_ = t_us;
}

void ReportBuilder::add_event(const Json& event) {
  const std::string name = event["event"].get<std::string>();
  const std::optional<TraceEvent> parsed = parse_trace_event(name);
  const std::int64_t t_us = int_of(event, "t_us", last_t_us_);
  const std::int64_t node_number = int_of(event, "node", -1);
  static const Json kNoDetail = Json::object();
  const Json* detail_field = field(event, "detail");
  const Json& detail = detail_field && detail_field->is_object() ? *detail_field : kNoDetail;
  const std::int64_t height = int_of(detail, parsed == TraceEvent::tip ? "height" : "index", 0);
  if (!plausible(node_number, t_us) || height < 0 || height > kMaxHeight) {
    ++unreadable_;
    return;
  }
  const int node = static_cast<int>(node_number);
  begin_event(name, node, t_us);
  if (!parsed) return;  // a kind no writer of ours writes is counted by its name, nothing more
  const TraceEvent kind = *parsed;
  if (kind == TraceEvent::send || kind == TraceEvent::deliver || kind == TraceEvent::drop) {
    count_message(kind, text_of(detail, "route"));
    const std::int64_t peer = int_of(detail, kind == TraceEvent::deliver ? "from" : "to", -1);
    const Json* duplicate = field(detail, "duplicate");
    follow_message(kind, t_us, node, peer, text_of(detail, "route"),
                   duplicate && duplicate->is_boolean() && duplicate->get<bool>());
  } else if (kind == TraceEvent::start) {
    std::int64_t nodes = int_of(detail, "nodes", 0);
    if (nodes > 0 && nodes <= kMaxNodes) {
      ensure_node(static_cast<int>(nodes - 1));
    }
  } else if (kind == TraceEvent::mined) {
    std::string hash = text_of(detail, "hash");
    if (!hash.empty() && !block_index_.count(hash)) {
      MinedBlock block;
      block.hash = hash;
      block.parent = text_of(detail, "previous_hash");
      block.height = static_cast<std::uint64_t>(height);
      block.miner = node;
      block.mined_us = t_us;
      block_index_.emplace(hash, blocks_.size());
      blocks_.push_back(std::move(block));
      std::vector<std::string> posts;
      if (const Json* ids = field(detail, "posts"); ids && ids->is_array()) {
        for (const auto& id : *ids) {
          if (id.is_string()) posts.push_back(id.get<std::string>());
        }
      }
      time_view_.mined(t_us, node, hash, text_of(detail, "previous_hash"),
                       static_cast<std::uint64_t>(height), posts);
    }
  } else if (kind == TraceEvent::block_accepted) {
    const Json* main = field(detail, "main");
    on_block_accepted(node, t_us, text_of(detail, "hash"), static_cast<std::uint64_t>(height),
                      main && main->is_boolean() && main->get<bool>());
  } else if (kind == TraceEvent::tip) {
    on_tip(node, static_cast<std::uint64_t>(height));
    time_view_.tip(t_us, node, text_of(detail, "hash"), static_cast<std::uint64_t>(height));
  } else if (kind == TraceEvent::post_accepted) {
    time_view_.post(t_us, node, text_of(detail, "id"));
  } else if (kind == TraceEvent::reorg) {
    reorg_depths_[static_cast<std::uint64_t>(
        std::max<std::int64_t>(0, int_of(detail, "depth", 0)))]++;
  }
  if (kind == TraceEvent::partition || kind == TraceEvent::isolate || kind == TraceEvent::heal ||
      kind == TraceEvent::crash || kind == TraceEvent::restart || kind == TraceEvent::join ||
      kind == TraceEvent::leave || kind == TraceEvent::set_link) {
    static const std::map<TraceEvent, TimeView::Kind> kFaults{
        {TraceEvent::partition, TimeView::Kind::partition},
        {TraceEvent::isolate, TimeView::Kind::isolate},
        {TraceEvent::heal, TimeView::Kind::heal},
        {TraceEvent::crash, TimeView::Kind::crash},
        {TraceEvent::restart, TimeView::Kind::restart},
        {TraceEvent::join, TimeView::Kind::join},
        {TraceEvent::leave, TimeView::Kind::leave},
        {TraceEvent::set_link, TimeView::Kind::set_link}};
    time_view_.fault(kFaults.at(kind), t_us, node, detail);
    if (markers_.size() < 200) {
      markers_.push_back(Marker{t_us, name, node});
    } else {
      ++markers_dropped_;
    }
  }
}

DelayStats ReportBuilder::propagation() const {
  std::vector<std::int64_t> all;
  for (const auto& block : blocks_)
    all.insert(all.end(), block.delays_us.begin(), block.delays_us.end());
  return delay_stats(std::move(all));
}

std::vector<ReportBuilder::TipSample> ReportBuilder::tip_samples() const {
  std::vector<TipSample> out;
  out.push_back(TipSample{0, 0, 0, 0});
  out.insert(out.end(), samples_.begin(), samples_.end());
  TipSample last = snapshot(last_t_us_);
  last.min = std::min(last.min, bucket_low_);
  last.max = std::max(last.max, bucket_high_);
  out.push_back(last);
  return out;
}

// ---- drawing ----------------------------------------------------------------------------------

namespace {

std::string block_tree_svg(const std::vector<ReportBuilder::MinedBlock>& blocks,
                           const Json& summary) {
  std::set<std::string> main_chain;
  std::string genesis;
  if (const Json* chain = field(summary, "main_chain"); chain && chain->is_array()) {
    for (const auto& hash : *chain) {
      if (hash.is_string()) main_chain.insert(hash.get<std::string>());
    }
    if (!chain->empty() && (*chain)[0].is_string()) genesis = (*chain)[0].get<std::string>();
  }
  // x by height, one row per block at that height; the main chain on row 0.
  std::map<std::uint64_t, int> rows_used;
  std::map<std::string, std::pair<int, int>> position;  // hash -> (x, y)
  std::map<std::string, const ReportBuilder::MinedBlock*> by_hash;
  const int dx = 120, dy = 60, left = 40, top = 30;
  if (!genesis.empty()) position[genesis] = {left, top};
  for (const auto& b : blocks) {
    by_hash[b.hash] = &b;
    if (main_chain.count(b.hash)) {
      position[b.hash] = {left + static_cast<int>(b.height) * dx, top};
      rows_used[b.height] = std::max(rows_used[b.height], 1);
    }
  }
  for (const auto& b : blocks) {
    if (main_chain.count(b.hash)) continue;
    int row = std::max(rows_used[b.height], 1);
    rows_used[b.height] = row + 1;
    position[b.hash] = {left + static_cast<int>(b.height) * dx, top + row * dy};
  }
  int width = left * 2, height = top * 2 + dy;
  for (const auto& [hash, xy] : position) {
    width = std::max(width, xy.first + dx);
    height = std::max(height, xy.second + dy);
  }
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' class='block-tree' width='" << width
      << "' height='" << height << "'>";
  for (const auto& b : blocks) {
    auto from = position.find(b.parent);
    if (from == position.end()) continue;
    auto to = position[b.hash];
    svg << "<line x1='" << from->second.first + 80 << "' y1='" << from->second.second + 15
        << "' x2='" << to.first << "' y2='" << to.second + 15 << "' stroke='#888'/>";
  }
  for (const auto& [hash, xy] : position) {
    bool on_main = main_chain.count(hash) != 0;
    auto found = by_hash.find(hash);
    const ReportBuilder::MinedBlock* block = found == by_hash.end() ? nullptr : found->second;
    std::string title = hash;
    if (block) {
      title += " height " + std::to_string(block->height) + ", mined by node " +
               std::to_string(block->miner) + " at " + seconds(block->mined_us);
    } else if (hash == genesis) {
      title += " genesis";
    }
    svg << "<g class='" << (on_main ? "main" : "stale") << "'><title>" << html_escape(title)
        << "</title><rect x='" << xy.first << "' y='" << xy.second
        << "' width='80' height='30' rx='4' fill='" << (on_main ? "#2b7a3d" : "#b0413e")
        << "'/><text x='" << xy.first + 40 << "' y='" << xy.second + 19
        << "' fill='white' font-size='11' text-anchor='middle'>" << html_escape(hash.substr(0, 6))
        << (block ? " n" + std::to_string(block->miner) : "") << "</text></g>";
  }
  svg << "</svg>";
  return svg.str();
}

}  // namespace

namespace {

// A summary value in a table cell: long objects (main_chain_by_miner of a big run) summarised,
// the whole of them behind a disclosure; anything else as text that may wrap.
std::string summary_value_html(const Json& value) {
  constexpr std::size_t kShownEntries = 8;
  if (!value.is_object() || value.size() <= kShownEntries) {
    return html_escape(value.is_string() ? value.get<std::string>() : value.dump());
  }
  std::vector<std::pair<std::string, const Json*>> entries;
  for (auto it = value.begin(); it != value.end(); ++it) entries.emplace_back(it.key(), &*it);
  // The largest first, when they are numbers.
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.second->is_number() && b.second->is_number() &&
           a.second->template get<double>() > b.second->template get<double>();
  });
  std::string text = std::to_string(value.size()) + " entries; largest: ";
  for (std::size_t i = 0; i < kShownEntries; ++i) {
    text += (i ? ", " : "") + entries[i].first + ": " + entries[i].second->dump();
  }
  return html_escape(text) + " …<details><summary>all</summary>" + html_escape(value.dump(1)) +
         "</details>";
}

}  // namespace

std::string ReportBuilder::html(const Json& summary) const {
  std::ostringstream html;
  const std::string name = text_of(summary, "scenario");
  const Json* passed_field = field(summary, "passed");
  const bool passed = passed_field && passed_field->is_boolean() && passed_field->get<bool>();
  html << "<!doctype html><html><head><meta charset='utf-8'><title>netsim: " << html_escape(name)
       << "</title><style>body{font-family:sans-serif;margin:2em;max-width:80em}"
          "table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;"
          "padding:.3em .6em;text-align:left}td.n{text-align:right}.pass{color:#2b7a3d}"
          ".fail{color:#b0413e}.scroll{overflow-x:auto;border:1px solid #ddd;padding:.5em}"
          ".note{color:#666}td{overflow-wrap:anywhere}.tv-controls{display:flex;gap:.4em;"
          "align-items:center;position:sticky;top:0;background:#fff;padding:.4em 0;z-index:1}"
          "#tv-time{flex:1}#tv-nodes{max-height:26em;overflow-y:auto}.tv-row{display:flex;flex-"
          "wrap:wrap;gap:2em}.tv-node-row.crashed,"
          ".tv-node-row.gone,.tv-node-row.waiting{color:#999}</style></head><body>";
  html << "<h1>" << html_escape(name) << " — seed " << html_escape(text_of(summary, "seed"))
       << " — " << (passed ? "<span class='pass'>PASS</span>" : "<span class='fail'>FAIL</span>")
       << "</h1>";
  if (const Json* transport = field(summary, "transport"); transport && transport->is_string()) {
    html << "<p class='note'>transport: " << html_escape(transport->get<std::string>()) << "</p>";
  }
  if (unreadable_ > 0) {
    html << "<p class='fail'>" << unreadable_
         << " trace lines could not be read and are left out of this report.</p>";
  }

  html << "<h2>Expectations</h2><table><tr><th>check</th><th>verdict</th><th>why</th></tr>";
  if (const Json* expectations = field(summary, "expectations");
      expectations && expectations->is_array()) {
    for (const auto& e : *expectations) {
      const Json* ok_field = field(e, "passed");
      bool ok = ok_field && ok_field->is_boolean() && ok_field->get<bool>();
      html << "<tr><td>" << html_escape(text_of(e, "name")) << "</td><td class='"
           << (ok ? "pass'>pass" : "fail'>fail") << "</td><td>" << html_escape(text_of(e, "detail"))
           << "</td></tr>";
    }
  }
  html << "</table>";

  {
    std::int64_t end_us = last_t_us_;
    if (const Json* simulated = field(summary, "simulated_seconds");
        simulated && simulated->is_number()) {
      end_us = std::max(end_us, static_cast<std::int64_t>(simulated->get<double>() * 1e6));
    }
    std::vector<std::array<std::int64_t, 4>> band;  // none when the trace has no node's tips
    const bool have_tips = saw_tip_events_ || counts_.count("block_accepted") != 0;
    for (const TipSample& sample : have_tips ? tip_samples() : std::vector<TipSample>{}) {
      band.push_back({sample.t_us, static_cast<std::int64_t>(sample.min),
                      static_cast<std::int64_t>(sample.median),
                      static_cast<std::int64_t>(sample.max)});
    }
    html << time_view_.html(summary, node_count(), end_us, band);
  }

  html << "<h2>Block tree</h2><p>Green: the final main chain; red: stale blocks. Labels: hash "
          "prefix and miner node; hover for the full hash and when it was mined.</p><div "
          "class='scroll'>"
       << block_tree_svg(blocks_, summary) << "</div>";

  html << "<h2>Tip height over time</h2>" << tip_chart_svg(summary);

  html << propagation_html(summary);

  if (messages_.empty()) {
    // Big runs trace at "blocks" or "minimal" detail, without per-message lines.
    html << "<h2>Messages</h2><p class='note'>This trace has no message lines (trace detail below "
            "<code>full</code>).";
    if (const Json* totals = field(summary, "messages"); totals && totals->is_object()) {
      html << " The run's totals: " << html_escape(text_of(*totals, "sent")) << " sent, "
           << html_escape(text_of(*totals, "delivered")) << " delivered, "
           << html_escape(text_of(*totals, "dropped")) << " dropped.";
    }
    html << "</p>";
  } else {
    html << "<h2>Messages</h2><table><tr><th>route</th><th>sent</th><th>delivered</th>"
            "<th>dropped</th><th>dropped %</th></tr>";
    Message total;
    for (const auto& [route, m] : messages_) {
      total.sent += m.sent, total.delivered += m.delivered, total.dropped += m.dropped;
      std::uint64_t attempts = std::max(m.sent, m.dropped);
      html << "<tr><td>" << html_escape(route) << "</td><td class='n'>" << m.sent
           << "</td><td class='n'>" << m.delivered << "</td><td class='n'>" << m.dropped
           << "</td><td class='n'>"
           << (attempts
                   ? fixed(100.0 * static_cast<double>(m.dropped) / static_cast<double>(attempts),
                           1)
                   : "0.0")
           << "</td></tr>";
    }
    html << "<tr><th>all</th><th class='n'>" << total.sent << "</th><th class='n'>"
         << total.delivered << "</th><th class='n'>" << total.dropped
         << "</th><th></th></tr></table>"
         << "<p class='note'>A dropped response counts under the route <code>response</code>.</p>";
  }

  html << reorg_html();

  html << "<h2>Run</h2><table>";
  for (const char* key :
       {"transport", "time_scale", "nodes", "simulated_seconds", "events", "blocks_mined",
        "blocks_rejected", "forks", "max_reorg_depth", "converged", "converged_after_heal_s",
        "final_height", "final_tip", "main_chain_by_miner", "posts_submitted", "posts_in_chain",
        "posts_lost", "posts_wiped", "trace_sha256"}) {
    if (const Json* value = field(summary, key)) {
      html << "<tr><th>" << key << "</th><td>" << summary_value_html(*value) << "</td></tr>";
    }
  }
  html << "</table><h2>Events by kind</h2><table>";
  for (const auto& [kind, count] : counts_) {
    html << "<tr><th>" << html_escape(kind) << "</th><td class='n'>" << count << "</td></tr>";
  }
  html << "</table></body></html>\n";
  return html.str();
}

std::string ReportBuilder::tip_chart_svg(const Json& summary) const {
  std::vector<TipSample> samples = tip_samples();
  Plot plot;
  std::int64_t end_us = last_t_us_;
  if (const Json* simulated = field(summary, "simulated_seconds");
      simulated && simulated->is_number()) {
    end_us = std::max(end_us, static_cast<std::int64_t>(simulated->get<double>() * 1e6));
  }
  plot.x_max = std::max<double>(1.0, static_cast<double>(end_us));
  // Traces at "minimal" detail have no per-node tips: then the final main chain is drawn by the
  // time each of its blocks was mined.
  const bool have_tips = saw_tip_events_ || counts_.count("block_accepted") != 0;
  std::vector<std::pair<double, double>> chain_points{{0.0, 0.0}};
  if (!have_tips) {
    std::set<std::string> main_chain;
    if (const Json* chain = field(summary, "main_chain"); chain && chain->is_array()) {
      for (const auto& hash : *chain) {
        if (hash.is_string()) main_chain.insert(hash.get<std::string>());
      }
    }
    std::vector<const MinedBlock*> on_main;
    for (const auto& block : blocks_) {
      if (main_chain.count(block.hash)) on_main.push_back(&block);
    }
    std::sort(on_main.begin(), on_main.end(),
              [](const MinedBlock* a, const MinedBlock* b) { return a->height < b->height; });
    for (const MinedBlock* block : on_main) {
      chain_points.emplace_back(static_cast<double>(block->mined_us),
                                static_cast<double>(block->height));
    }
  }
  std::uint64_t top_height = 1;
  for (const auto& s : samples) top_height = std::max(top_height, s.max);
  for (const auto& [t, h] : chain_points)
    top_height = std::max(top_height, static_cast<std::uint64_t>(h));
  // Whole heights on the axis: five ticks of an integer step.
  plot.y_max = static_cast<double>((top_height + 4) / 5 * 5);
  auto x_label = [](double us) { return fixed(us / 1e6, 1) + "s"; };
  auto y_label = [](double h) { return fixed(h, std::fmod(h, 1.0) == 0 ? 0 : 1); };

  std::ostringstream svg;
  svg << "<div class='scroll'>" << plot.open()
      << plot.axes(x_label, y_label, "simulated time", "main-chain height");
  // The time control moves this line to its moment.
  svg << "<line id='tip-cursor' data-x0='" << fixed(plot.x(0), 1) << "' data-x1='"
      << fixed(plot.x(plot.x_max), 1) << "' data-tmax='" << fixed(plot.x_max, 0) << "' x1='"
      << fixed(plot.x(plot.x_max), 1) << "' y1='" << plot.top << "' x2='"
      << fixed(plot.x(plot.x_max), 1) << "' y2='" << plot.height - plot.bottom
      << "' stroke='#000' stroke-width='1.5'/>";
  for (const auto& marker : markers_) {
    double x = plot.x(static_cast<double>(marker.t_us));
    svg << "<g><title>" << html_escape(marker.kind)
        << (marker.node >= 0 ? " node " + std::to_string(marker.node) : "") << " at "
        << seconds(marker.t_us) << "</title><line class='marker' x1='" << fixed(x, 1) << "' y1='"
        << plot.top << "' x2='" << fixed(x, 1) << "' y2='" << plot.height - plot.bottom
        << "' stroke='#999' stroke-dasharray='4 3'/><text x='" << fixed(x + 2, 1) << "' y='"
        << plot.top + 10 << "' fill='#666'>" << html_escape(marker.kind) << "</text></g>";
  }
  // A step line through (t, value) points, held to the end of the run.
  // Nodes at the same height would hide each other: each line is nudged up a pixel and a half.
  auto steps = [&](const std::vector<std::pair<double, double>>& points, double nudge_px) {
    std::string path;
    double last_y = 0;
    bool first = true;
    for (const auto& [t, v] : points) {
      if (!first) path += fixed(plot.x(t), 1) + "," + fixed(plot.y(last_y) - nudge_px, 1) + " ";
      path += fixed(plot.x(t), 1) + "," + fixed(plot.y(v) - nudge_px, 1) + " ";
      last_y = v;
      first = false;
    }
    path += fixed(plot.x(plot.x_max), 1) + "," + fixed(plot.y(last_y) - nudge_px, 1);
    return path;
  };
  const bool per_node = have_tips && node_count() <= kMaxNodeLines;
  if (!have_tips) {
    svg << "<polyline class='chain-line' fill='none' stroke='#2b7a3d' stroke-width='2' points='"
        << steps(chain_points, 0) << "'><title>final main chain, by mining time</title></polyline>";
  } else if (per_node) {
    for (int node = 0; node < node_count(); ++node) {
      std::vector<std::pair<double, double>> points{{0.0, 0.0}};
      if (auto it = tip_lines_.find(node); it != tip_lines_.end()) {
        for (const auto& [t, h] : it->second)
          points.emplace_back(static_cast<double>(t), static_cast<double>(h));
      }
      svg << "<polyline class='node-line' fill='none' stroke-width='1.5' stroke='"
          << kPalette[node % 10] << "'" << (node >= 10 ? " stroke-dasharray='5 2'" : "")
          << " points='" << steps(points, 1.5 * node) << "'><title>node " << node
          << "</title></polyline>";
    }
  } else {
    // Band between the lowest and highest node, median line through it.
    std::string band;
    for (const auto& s : samples) {
      band += fixed(plot.x(static_cast<double>(s.t_us)), 1) + "," +
              fixed(plot.y(static_cast<double>(s.max)), 1) + " ";
    }
    for (auto it = samples.rbegin(); it != samples.rend(); ++it) {
      band += fixed(plot.x(static_cast<double>(it->t_us)), 1) + "," +
              fixed(plot.y(static_cast<double>(it->min)), 1) + " ";
    }
    svg << "<polygon class='band' fill='#1f77b4' fill-opacity='0.25' stroke='none' points='" << band
        << "'><title>lowest to highest node</title></polygon>";
    std::vector<std::pair<double, double>> median;
    for (const auto& s : samples)
      median.emplace_back(static_cast<double>(s.t_us), static_cast<double>(s.median));
    svg << "<polyline class='median' fill='none' stroke='#1f77b4' stroke-width='2' points='"
        << steps(median, 0) << "'><title>median node</title></polyline>";
  }
  svg << "</svg></div>";
  if (!have_tips) {
    svg << "<p class='note'>This trace has no per-node tips (trace detail <code>minimal</code>): "
           "the line is the final main chain's height by the time each block was mined.</p>";
  } else if (per_node) {
    svg << "<p>";
    for (int node = 0; node < node_count(); ++node) {
      svg << "<span style='color:" << kPalette[node % 10] << "'>■ node " << node << "</span> ";
    }
    svg << "</p>";
  } else {
    svg << "<p class='note'>" << node_count()
        << " nodes: the band spans the lowest to the highest node's height, the line is the median "
           "node (in steps of "
        << (bucket_us_ >= 1'000'000 ? seconds(bucket_us_) : ms(bucket_us_)) << ").</p>";
  }
  if (markers_dropped_ > 0) {
    svg << "<p class='note'>" << markers_dropped_ << " more fault markers not drawn.</p>";
  }
  return svg.str();
}

// The run's own aggregate (summary "propagation", at any trace detail), then what the trace adds.
std::string ReportBuilder::propagation_html(const Json& summary) const {
  std::ostringstream html;
  html << "<h2>Block propagation</h2>";
  if (const Json* run = field(summary, "propagation"); run && run->is_object()) {
    auto number = [](const Json& object, const char* key) {
      const Json* value = field(object, key);
      return value && value->is_number() ? value->get<double>() : 0.0;
    };
    html << "<p class='note'>Aggregated while the run went on, whatever the trace keeps: for each "
            "block, the time from its mining until 50%, 90% and 100% of the nodes up at its "
            "mining had accepted it; percentiles over blocks. A node learned of a block "
         << fixed(number(*run, "mean_delay_ms"), 1)
         << " ms after its mining on average (the miner at zero). Stale rate: "
         << fixed(100 * number(summary, "stale_rate"), 2)
         << "% of the blocks known.</p><table class='propagation-run'><tr><th>nodes "
            "reached</th><th>blocks</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>";
    const char* keys[] = {"to_50_percent", "to_90_percent", "to_100_percent"};
    const char* labels[] = {"50%", "90%", "100%"};
    const char* colours[] = {"#2ca02c", "#ff7f0e", "#d62728"};
    double longest = 1;
    for (int i = 0; i < 3; ++i) {
      const Json* row = field(*run, keys[i]);
      if (!row) continue;
      longest = std::max(longest, number(*row, "max_ms"));
      html << "<tr><th>" << labels[i] << "</th><td class='n'>"
           << html_escape(text_of(*row, "blocks")) << "</td>";
      for (const char* p : {"p50_ms", "p90_ms", "p99_ms", "max_ms"})
        html << "<td class='n'>" << fixed(number(*row, p), 1) << " ms</td>";
      html << "</tr>";
    }
    html << "</table>";
    // Cumulative distribution over blocks, from the quantiles the summary keeps.
    Plot plot;
    plot.height = 220;
    plot.x_max = longest;
    plot.y_max = 1.0;
    html << "<div class='scroll'>" << plot.open()
         << plot.axes([](double v) { return fixed(v, 0) + "ms"; },
                      [](double share) { return fixed(share * 100, 0) + "%"; }, "time after mining",
                      "blocks");
    for (int i = 0; i < 3; ++i) {
      const Json* row = field(*run, keys[i]);
      const Json* cdf = row ? field(*row, "cdf_ms") : nullptr;
      if (!cdf || !cdf->is_array() || cdf->size() < 2) continue;
      std::string points;
      for (std::size_t k = 0; k < cdf->size(); ++k) {
        if (!(*cdf)[k].is_number()) continue;
        points += fixed(plot.x((*cdf)[k].get<double>()), 1) + "," +
                  fixed(plot.y(static_cast<double>(k) / static_cast<double>(cdf->size() - 1)), 1) +
                  " ";
      }
      html << "<polyline class='cdf-run' fill='none' stroke='" << colours[i]
           << "' stroke-width='2' points='" << points << "'><title>to " << labels[i]
           << " of the nodes</title></polyline>";
    }
    html << "</svg></div><p>";
    for (int i = 0; i < 3; ++i)
      html << "<span style='color:" << colours[i] << "'>■ " << labels[i] << " of the nodes</span> ";
    html << "</p>";
  }
  DelayStats all = propagation();
  if (all.count == 0 && counts_.count("block_accepted") == 0) {
    html << "<p class='note'>This trace has no block acceptances (no block mined, or trace detail "
            "<code>minimal</code>): no per-node delays below.</p>";
    return html.str();
  }
  // How long a block took to reach the last node, over the blocks that reached them all.
  std::vector<std::int64_t> to_everyone;
  for (const auto& block : blocks_) {
    if (node_count() > 1 && block.delays_us.size() == static_cast<std::size_t>(node_count() - 1)) {
      to_everyone.push_back(*std::max_element(block.delays_us.begin(), block.delays_us.end()));
    }
  }
  auto row = [&](const std::string& label, const DelayStats& stats) {
    html << "<tr><th>" << label << "</th><td class='n'>" << stats.count << "</td><td class='n'>"
         << ms(stats.p50) << "</td><td class='n'>" << ms(stats.p90) << "</td><td class='n'>"
         << ms(stats.p99) << "</td><td class='n'>" << ms(stats.max) << "</td></tr>";
  };
  html << "<h3>Per node, from the trace</h3><p class='note'>Delay from a block's "
          "<code>mined</code> event "
          "to its acceptance by each other node; and, for each block that reached every node, "
          "the delay to the last one.</p><table><tr><th></th><th>samples</th><th>p50</th>"
          "<th>p90</th><th>p99</th><th>max</th></tr>";
  row("each node", all);
  row("whole network", delay_stats(std::move(to_everyone)));
  html << "</table>";
  if (all.count > 0) {
    // Cumulative distribution: share of (block, node) pairs reached within a delay.
    std::vector<std::int64_t> pooled;
    for (const auto& block : blocks_)
      pooled.insert(pooled.end(), block.delays_us.begin(), block.delays_us.end());
    std::sort(pooled.begin(), pooled.end());
    Plot plot;
    plot.height = 220;
    plot.x_max = std::max<double>(1.0, static_cast<double>(pooled.back()));
    plot.y_max = 1.0;
    std::string points = fixed(plot.x(0), 1) + "," + fixed(plot.y(0), 1) + " ";
    const std::size_t step = std::max<std::size_t>(1, pooled.size() / 300);
    for (std::size_t i = 0; i < pooled.size(); i += step) {
      points += fixed(plot.x(static_cast<double>(pooled[i])), 1) + "," +
                fixed(plot.y(static_cast<double>(i + 1) / static_cast<double>(pooled.size())), 1) +
                " ";
    }
    points += fixed(plot.x(static_cast<double>(pooled.back())), 1) + "," + fixed(plot.y(1.0), 1);
    html << "<div class='scroll'>" << plot.open()
         << plot.axes([](double us) { return fixed(us / 1000.0, 1) + "ms"; },
                      [](double share) { return fixed(share * 100, 0) + "%"; }, "delay",
                      "nodes reached")
         << "<polyline class='cdf' fill='none' stroke='#2b7a3d' stroke-width='2' points='" << points
         << "'/></svg></div>";
  }
  if (!blocks_.empty()) {
    const std::size_t shown = std::min<std::size_t>(blocks_.size(), 100);
    html << "<details><summary>Per block (" << shown << " of " << blocks_.size()
         << ")</summary><table><tr><th>block</th><th>height</th><th>miner</th><th>mined at</th>"
            "<th>nodes reached</th><th>p50</th><th>p90</th><th>max</th></tr>";
    for (std::size_t i = 0; i < shown; ++i) {
      const MinedBlock& block = blocks_[i];
      DelayStats stats = delay_stats(block.delays_us);
      html << "<tr><td><code>" << html_escape(block.hash.substr(0, 12))
           << "</code></td><td class='n'>" << block.height << "</td><td class='n'>" << block.miner
           << "</td><td class='n'>" << seconds(block.mined_us) << "</td><td class='n'>"
           << stats.count << " / " << std::max(0, node_count() - 1) << "</td><td class='n'>"
           << ms(stats.p50) << "</td><td class='n'>" << ms(stats.p90) << "</td><td class='n'>"
           << ms(stats.max) << "</td></tr>";
    }
    html << "</table></details>";
  }
  return html.str();
}

std::string ReportBuilder::reorg_html() const {
  std::ostringstream html;
  std::uint64_t count = 0, most = 0;
  for (const auto& [depth, n] : reorg_depths_) count += n, most = std::max(most, n);
  html << "<h2>Reorganisations</h2><p>" << count << " reorg" << (count == 1 ? "" : "s")
       << " (a node switching its main chain to another branch).</p>";
  if (count == 0) return html.str();
  html << "<table><tr><th>depth (blocks left)</th><th>reorgs</th><th></th></tr>";
  for (const auto& [depth, n] : reorg_depths_) {
    int bar = static_cast<int>(300.0 * static_cast<double>(n) / static_cast<double>(most));
    html << "<tr><td class='n'>" << depth << "</td><td class='n'>" << n
         << "</td><td><svg xmlns='http://www.w3.org/2000/svg' width='302' height='12'><rect "
            "class='reorg-bar' width='"
         << std::max(bar, 1) << "' height='12' fill='#b0413e'/></svg></td></tr>";
  }
  html << "</table>";
  return html.str();
}

std::string html_report(const Json& summary, std::istream& trace_jsonl) {
  ReportBuilder builder;
  builder.add_trace(trace_jsonl);
  return builder.html(summary);
}

std::string html_report(const Json& summary, const std::string& trace_jsonl) {
  std::istringstream lines(trace_jsonl);
  return html_report(summary, lines);
}

}  // namespace yournet::sim
