// Scenario -> JSON, the inverse of load_scenario (scenario.cpp), field for field.
#include "yournet/sim/scenario_writer.hpp"

#include <array>
#include <cmath>

#include "yournet/overloaded.hpp"

namespace yournet::sim {
namespace {

// 60.0 is written 60, as a person would.
Json number(double x) {
  if (std::nearbyint(x) == x && std::fabs(x) < 9e15) return static_cast<std::int64_t>(x);
  return x;
}

Json seconds(std::int64_t us) {
  if (us % 1'000'000 == 0) return us / 1'000'000;
  return static_cast<double>(us) / 1e6;
}

Json latency(const LatencyModel& model) {
  switch (model.kind) {
    case LatencyModel::Kind::constant:
      return number(model.a_ms);
    case LatencyModel::Kind::uniform:
      return Json{
          {"dist", "uniform"}, {"min_ms", number(model.a_ms)}, {"max_ms", number(model.b_ms)}};
    case LatencyModel::Kind::normal:
      return Json{
          {"dist", "normal"}, {"mean_ms", number(model.a_ms)}, {"sd_ms", number(model.b_ms)}};
    case LatencyModel::Kind::exponential:
      return Json{{"dist", "exponential"}, {"mean_ms", number(model.a_ms)}};
    case LatencyModel::Kind::pareto:
      return Json{
          {"dist", "pareto"}, {"min_ms", number(model.a_ms)}, {"shape", number(model.b_ms)}};
  }
  return number(model.a_ms);
}

void write_patch(const LinkPatch& patch, Json& out) {
  if (patch.latency) out["latency_ms"] = latency(*patch.latency);
  auto field = [&](const char* key, const std::optional<double>& value) {
    if (value) out[key] = number(*value);
  };
  field("bandwidth_mbps", patch.bandwidth_mbps);
  field("loss", patch.loss);
  field("response_loss", patch.response_loss);
  field("duplicate", patch.duplicate);
  field("reorder", patch.reorder);
  field("reorder_ms", patch.reorder_ms);
  if (patch.up) out["up"] = *patch.up;
}

// The default link model as a patch of the fields that differ from LinkModel{}.
LinkPatch differences(const LinkModel& model) {
  const LinkModel base;
  LinkPatch patch;
  if (!(model.latency == base.latency)) patch.latency = model.latency;
  auto field = [](double value, double default_value, std::optional<double>& out) {
    if (value != default_value) out = value;
  };
  field(model.bandwidth_mbps, base.bandwidth_mbps, patch.bandwidth_mbps);
  field(model.loss, base.loss, patch.loss);
  field(model.response_loss, base.response_loss, patch.response_loss);
  field(model.duplicate, base.duplicate, patch.duplicate);
  field(model.reorder, base.reorder, patch.reorder);
  field(model.reorder_ms, base.reorder_ms, patch.reorder_ms);
  if (model.up != base.up) patch.up = model.up;
  return patch;
}

Json node_group(const NodeSpec& spec, std::size_t count, double default_hash_rate) {
  Json group = Json::object();
  if (count != 1) group["count"] = count;
  if (spec.hash_rate != default_hash_rate) group["hash_rate"] = number(spec.hash_rate);
  if (spec.behaviour != Behaviour::honest) group["behaviour"] = behaviour_name(spec.behaviour);
  if (spec.clock_offset_s != 0) group["clock_offset_s"] = number(spec.clock_offset_s);
  if (!spec.online) group["online"] = false;
  if (spec.auto_mine) group["auto_mine"] = *spec.auto_mine;
  if (spec.flood_posts_per_s != 0) group["flood_posts_per_s"] = number(spec.flood_posts_per_s);
  if (spec.command) {
    group["command"] = spec.command->argv;
    if (!spec.command->cwd.empty()) group["cwd"] = spec.command->cwd;
    if (!spec.command->env.empty()) group["env"] = spec.command->env;
  }
  return group;
}

Json nodes(const Scenario& s) {
  NodeSpec plain;
  plain.hash_rate = s.hash_rate;
  bool all_plain = true;
  for (const auto& node : s.nodes) all_plain = all_plain && node == plain;
  if (all_plain) return s.nodes.size();
  Json groups = Json::array();
  for (std::size_t i = 0; i < s.nodes.size();) {
    std::size_t j = i + 1;
    while (j < s.nodes.size() && s.nodes[j] == s.nodes[i]) ++j;
    groups.push_back(node_group(s.nodes[i], j - i, s.hash_rate));
    i = j;
  }
  return groups;
}

Json topology(const Topology& t) {
  switch (t.kind) {
    case Topology::Kind::full_mesh:
      return "full_mesh";
    case Topology::Kind::ring:
      return "ring";
    case Topology::Kind::random:
      return Json{{"kind", "random"}, {"degree", t.degree}};
    case Topology::Kind::edges: {
      Json edges = Json::array();
      for (const auto& [a, b] : t.edges) edges.push_back(Json::array({a, b}));
      return Json{{"kind", "edges"}, {"edges", edges}};
    }
  }
  return "full_mesh";
}

Json action_json(const TimedAction& timed) {
  Json out{{"at_s", seconds(timed.at_us)}, {"do", action_name(timed.what)}};
  auto node_unless_every = [&](int node) {
    if (node >= 0) out["node"] = node;
  };
  std::visit(Overloaded{[&](const action::Post& a) {
                          out["node"] = a.node;
                          out["author"] = a.author;
                          out["content"] = a.content;
                        },
                        [&](const action::Mine& a) { node_unless_every(a.node); },
                        [&](const action::Sync& a) { node_unless_every(a.node); },
                        [&](const action::AutoMine& a) {
                          node_unless_every(a.node);
                          out["on"] = a.on;
                        },
                        [&](const action::Partition& a) { out["groups"] = a.groups; },
                        [&](const action::Heal&) {},
                        [&](const action::Isolate& a) { out["node"] = a.node; },
                        [&](const action::SetLink& a) {
                          out["from"] = a.from;
                          out["to"] = a.to;
                          if (a.one_way) out["one_way"] = true;
                          write_patch(a.link, out);
                        },
                        [&](const action::Crash& a) { out["node"] = a.node; },
                        [&](const action::Restart& a) {
                          out["node"] = a.node;
                          if (!a.keep_state) out["keep_state"] = false;
                        },
                        [&](const action::Join& a) { out["node"] = a.node; },
                        [&](const action::Leave& a) { out["node"] = a.node; }},
             timed.what);
  return out;
}

Json expectations(const Scenario::Expectations& e) {
  Json out = Json::object();
  if (e.converged) out["converged"] = *e.converged;
  if (e.converged_within_s) out["converged_within_s"] = number(*e.converged_within_s);
  if (e.min_forks) out["min_forks"] = *e.min_forks;
  if (e.min_height) out["min_height"] = *e.min_height;
  if (e.max_reorg_depth) out["max_reorg_depth"] = *e.max_reorg_depth;
  if (e.min_blocks_rejected) out["min_blocks_rejected"] = *e.min_blocks_rejected;
  if (!e.no_post_lost) out["no_post_lost"] = false;
  return out;
}

// Keys in the order a person writes them; the rest alphabetically after.
nlohmann::ordered_json in_file_order(const Json& json) {
  static constexpr std::array kFirst = {"name",
                                        "description",
                                        "seed",
                                        "nodes",
                                        "count",
                                        "hash_rate",
                                        "difficulty_bits",
                                        "mining",
                                        "topology",
                                        "link",
                                        "links",
                                        "sync_interval_s",
                                        "stop_at_s",
                                        "trace",
                                        "timeline",
                                        "at_s",
                                        "do",
                                        "node",
                                        "from",
                                        "to",
                                        "expect"};
  if (json.is_array()) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& item : json) out.push_back(in_file_order(item));
    return out;
  }
  if (!json.is_object()) return json;
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const char* key : kFirst) {
    if (json.contains(key)) out[key] = in_file_order(json[key]);
  }
  for (const auto& [key, value] : json.items()) {
    if (!out.contains(key)) out[key] = in_file_order(value);
  }
  return out;
}

}  // namespace

std::string scenario_file_text(const Scenario& scenario) {
  return in_file_order(write_scenario(scenario)).dump(2) + "\n";
}

Json write_scenario(const Scenario& s) {
  Json out{{"name", s.name}, {"seed", s.seed}, {"nodes", nodes(s)}};
  if (!s.description.empty()) out["description"] = s.description;
  if (s.hash_rate != Scenario{}.hash_rate) out["hash_rate"] = number(s.hash_rate);
  out["difficulty_bits"] = s.difficulty.zero_bits;
  Json mining = Json::object();
  if (s.mining == MiningMode::modeled) mining["mode"] = "modeled";
  if (s.target_interval_s != Scenario{}.target_interval_s)
    mining["target_interval_s"] = number(s.target_interval_s);
  if (s.max_blocks) mining["max_blocks"] = *s.max_blocks;
  if (!mining.empty()) out["mining"] = mining;
  out["topology"] = topology(s.topology);
  Json link = Json::object();
  write_patch(differences(s.link), link);
  if (!link.empty()) out["link"] = link;
  if (!s.links.empty()) {
    Json links = Json::array();
    for (const auto& override_ : s.links) {
      Json item{{"from", override_.from}, {"to", override_.to}};
      if (override_.one_way) item["one_way"] = true;
      write_patch(override_.patch, item);
      links.push_back(item);
    }
    out["links"] = links;
  }
  if (s.sync_interval_s != 0) out["sync_interval_s"] = number(s.sync_interval_s);
  out["stop_at_s"] = seconds(s.stop_at_us);
  if (s.trace == TraceDetail::blocks) out["trace"] = "blocks";
  if (s.trace == TraceDetail::minimal) out["trace"] = "minimal";
  Json timeline = Json::array();
  for (const auto& timed : s.timeline) timeline.push_back(action_json(timed));
  out["timeline"] = timeline;
  Json expect = expectations(s.expect);
  if (!expect.empty()) out["expect"] = expect;
  return out;
}

}  // namespace yournet::sim
