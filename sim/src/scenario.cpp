// Scenario files: validation with the JSON path of every bad field.
#include "yournet/sim/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>

#include "yournet/overloaded.hpp"

namespace yournet::sim {

const char* action_name(const Action& action) {
  return std::visit(Overloaded{[](const action::Post&) { return "post"; },
                               [](const action::Mine&) { return "mine"; },
                               [](const action::Sync&) { return "sync"; },
                               [](const action::AutoMine&) { return "auto_mine"; },
                               [](const action::Partition&) { return "partition"; },
                               [](const action::Heal&) { return "heal"; },
                               [](const action::Isolate&) { return "isolate"; },
                               [](const action::SetLink&) { return "set_link"; },
                               [](const action::Crash&) { return "crash"; },
                               [](const action::Restart&) { return "restart"; },
                               [](const action::Join&) { return "join"; },
                               [](const action::Leave&) { return "leave"; }},
                    action);
}

const char* behaviour_name(Behaviour behaviour) {
  switch (behaviour) {
    case Behaviour::honest:
      return "honest";
    case Behaviour::tamper:
      return "tamper";
    case Behaviour::selfish:
      return "selfish";
    case Behaviour::flooder:
      return "flooder";
  }
  return "honest";
}

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& why) {
  throw ScenarioError(path + ": " + why);
}

// A size past one of the loader's named bounds (kMaxScenario*).
[[noreturn]] void over_limit(const std::string& path, const std::string& what, const char* limit,
                             const std::string& value) {
  bad(path, what + " is past the scenario limit " + limit + " (" + value + ")");
}
void check_size(const std::string& path, std::size_t size, const char* what, const char* limit,
                std::size_t max) {
  if (size > max) over_limit(path, std::to_string(size) + " " + what, limit, std::to_string(max));
}

const Json& need(const Json& object, const std::string& key, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end()) bad(path + "." + key, "is required");
  return *it;
}

double number(const Json& value, const std::string& path, double min, double max) {
  if (!value.is_number()) bad(path, "must be a number");
  double x = value.get<double>();
  if (!(x >= min && x <= max)) {
    bad(path, "must be between " + canonical(min) + " and " + canonical(max));
  }
  return x;
}

std::int64_t integer(const Json& value, const std::string& path, std::int64_t min,
                     std::int64_t max) {
  if (!value.is_number_integer()) bad(path, "must be an integer");
  auto x = value.get<std::int64_t>();
  if (x < min || x > max) {
    bad(path, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return x;
}

bool boolean(const Json& value, const std::string& path) {
  if (!value.is_boolean()) bad(path, "must be true or false");
  return value.get<bool>();
}

std::string text(const Json& value, const std::string& path) {
  if (!value.is_string() || value.get<std::string>().empty())
    bad(path, "must be a non-empty string");
  return value.get<std::string>();
}

void only_keys(const Json& object, const std::string& path, const std::set<std::string>& allowed) {
  if (!object.is_object()) bad(path, "must be an object");
  for (const auto& [key, value] : object.items()) {
    if (!allowed.count(key)) bad(path + "." + key, "is not a known field");
  }
}

std::int64_t seconds_to_us(const Json& value, const std::string& path) {
  if (value.is_number() && value.get<double>() > kMaxScenarioSeconds) {
    over_limit(path, canonical(value) + " s", "max_duration_s", "100000000 s");
  }
  return static_cast<std::int64_t>(std::llround(number(value, path, 0, kMaxScenarioSeconds) * 1e6));
}

LatencyModel load_latency(const Json& json, const std::string& path) {
  constexpr double kMax = 3.6e6;
  LatencyModel model;
  if (json.is_number()) {
    model.a_ms = model.b_ms = number(json, path, 0, kMax);
    return model;
  }
  only_keys(json, path, {"dist", "ms", "min_ms", "max_ms", "mean_ms", "sd_ms", "shape"});
  const Json& dist = need(json, "dist", path);
  auto field = [&](const char* key, double min, double max) {
    return number(need(json, key, path), path + "." + key, min, max);
  };
  if (dist == "constant") {
    model.a_ms = model.b_ms = field("ms", 0, kMax);
  } else if (dist == "uniform") {
    model.kind = LatencyModel::Kind::uniform;
    model.a_ms = field("min_ms", 0, kMax);
    model.b_ms = field("max_ms", model.a_ms, kMax);
  } else if (dist == "normal") {
    model.kind = LatencyModel::Kind::normal;
    model.a_ms = field("mean_ms", 0, kMax);
    model.b_ms = field("sd_ms", 0, kMax);
  } else if (dist == "exponential") {
    model.kind = LatencyModel::Kind::exponential;
    model.a_ms = field("mean_ms", 0, kMax);
  } else if (dist == "pareto") {
    model.kind = LatencyModel::Kind::pareto;
    model.a_ms = field("min_ms", 0, kMax);
    model.b_ms = field("shape", 0.1, 100);
  } else {
    bad(path + ".dist",
        "must be \"constant\", \"uniform\", \"normal\", \"exponential\" or \"pareto\"");
  }
  return model;
}

const std::set<std::string> kLinkFields = {
    "latency_ms", "bandwidth_mbps", "loss",       "response_loss",
    "duplicate",  "reorder",        "reorder_ms", "up"};

// Reads the link fields present in `json` (others may be there too; the caller checks them).
LinkPatch load_link_patch(const Json& json, const std::string& path) {
  LinkPatch patch;
  auto probability = [&](const char* key, std::optional<double>& out) {
    if (json.contains(key)) out = number(json[key], path + "." + key, 0, 0.99);
  };
  if (json.contains("latency_ms"))
    patch.latency = load_latency(json["latency_ms"], path + ".latency_ms");
  if (json.contains("bandwidth_mbps")) {
    patch.bandwidth_mbps = number(json["bandwidth_mbps"], path + ".bandwidth_mbps", 0, 1e6);
  }
  probability("loss", patch.loss);
  probability("response_loss", patch.response_loss);
  probability("duplicate", patch.duplicate);
  probability("reorder", patch.reorder);
  if (json.contains("reorder_ms"))
    patch.reorder_ms = number(json["reorder_ms"], path + ".reorder_ms", 0, 3.6e6);
  if (json.contains("up")) patch.up = boolean(json["up"], path + ".up");
  return patch;
}

Behaviour load_behaviour(const Json& json, const std::string& path) {
  for (auto b : {Behaviour::honest, Behaviour::tamper, Behaviour::selfish, Behaviour::flooder}) {
    if (json == behaviour_name(b)) return b;
  }
  bad(path, "must be \"honest\", \"tamper\", \"selfish\" or \"flooder\"");
}

ForeignCommand load_command(const Json& item, const std::string& path) {
  constexpr std::size_t kMaxArgs = 256;
  ForeignCommand command;
  const Json& argv = item["command"];
  if (!argv.is_array() || argv.empty() || argv.size() > kMaxArgs)
    bad(path + ".command", "must be a non-empty array of strings (the program and its arguments)");
  for (std::size_t k = 0; k < argv.size(); ++k)
    command.argv.push_back(text(argv[k], path + ".command[" + std::to_string(k) + "]"));
  if (item.contains("cwd")) command.cwd = text(item["cwd"], path + ".cwd");
  if (item.contains("env")) {
    const Json& env = item["env"];
    if (!env.is_object()) bad(path + ".env", "must be an object of strings");
    for (const auto& [key, value] : env.items()) {
      if (key.empty() || key.find('=') != std::string::npos)
        bad(path + ".env", "has a bad variable name '" + key + "'");
      if (!value.is_string()) bad(path + ".env." + key, "must be a string");
      command.env[key] = value.get<std::string>();
    }
  }
  return command;
}

void load_nodes(const Json& json, Scenario& s) {
  if (json.is_number()) {
    if (json.is_number_integer() && json.get<std::int64_t>() > kMaxScenarioNodes) {
      over_limit("$.nodes", canonical(json) + " nodes", "max_nodes",
                 std::to_string(kMaxScenarioNodes));
    }
    int count = static_cast<int>(integer(json, "$.nodes", 1, kMaxScenarioNodes));
    s.nodes.assign(static_cast<std::size_t>(count), NodeSpec{});
    for (auto& node : s.nodes) node.hash_rate = s.hash_rate;
    return;
  }
  if (!json.is_array() || json.empty()) bad("$.nodes", "must be a node count or a non-empty array");
  check_size("$.nodes", json.size(), "node groups", "max_nodes", kMaxScenarioNodes);
  for (std::size_t i = 0; i < json.size(); ++i) {
    const std::string path = "$.nodes[" + std::to_string(i) + "]";
    const Json& item = json[i];
    only_keys(item, path,
              {"count", "hash_rate", "behaviour", "clock_offset_s", "online", "auto_mine",
               "flood_posts_per_s", "command", "cwd", "env"});
    NodeSpec spec;
    spec.hash_rate = s.hash_rate;
    if (item.contains("hash_rate"))
      spec.hash_rate = number(item["hash_rate"], path + ".hash_rate", 0, 1e12);
    if (item.contains("behaviour"))
      spec.behaviour = load_behaviour(item["behaviour"], path + ".behaviour");
    if (item.contains("clock_offset_s")) {
      spec.clock_offset_s = number(item["clock_offset_s"], path + ".clock_offset_s", -86400, 86400);
    }
    if (item.contains("online")) spec.online = boolean(item["online"], path + ".online");
    if (item.contains("auto_mine"))
      spec.auto_mine = boolean(item["auto_mine"], path + ".auto_mine");
    if (item.contains("flood_posts_per_s")) {
      spec.flood_posts_per_s =
          number(item["flood_posts_per_s"], path + ".flood_posts_per_s", 0, 1000);
    }
    if (spec.behaviour == Behaviour::flooder && spec.flood_posts_per_s <= 0) {
      bad(path + ".flood_posts_per_s", "must be above 0 for a flooder");
    }
    if (item.contains("command")) {
      spec.command = load_command(item, path);
      if (spec.behaviour != Behaviour::honest)
        bad(path + ".behaviour", "a foreign node (\"command\") is judged as an honest node");
    } else if (item.contains("cwd") || item.contains("env")) {
      bad(path + (item.contains("cwd") ? ".cwd" : ".env"), "applies only with \"command\"");
    }
    auto count = item.contains("count") ? integer(item["count"], path + ".count", 1, INT32_MAX) : 1;
    if (static_cast<std::int64_t>(s.nodes.size()) + count > kMaxScenarioNodes) {
      over_limit(
          path + ".count",
          std::to_string(static_cast<std::int64_t>(s.nodes.size()) + count) + " nodes in all",
          "max_nodes", std::to_string(kMaxScenarioNodes));
    }
    s.nodes.insert(s.nodes.end(), static_cast<std::size_t>(count), spec);
  }
}

void load_topology(const Json& json, Scenario& s) {
  const std::string path = "$.topology";
  std::string kind;
  if (json.is_string()) {
    kind = json.get<std::string>();
  } else {
    only_keys(json, path, {"kind", "degree", "edges"});
    kind = text(need(json, "kind", path), path + ".kind");
  }
  const std::string kind_path = json.is_string() ? path : path + ".kind";
  if (kind == "full_mesh") {
    s.topology.kind = Topology::Kind::full_mesh;
    if (s.node_count > 2000)
      bad(kind_path, "a full mesh of more than 2000 nodes is too large; use random");
  } else if (kind == "ring") {
    s.topology.kind = Topology::Kind::ring;
  } else if (kind == "random") {
    s.topology.kind = Topology::Kind::random;
    if (json.is_object() && json.contains("degree")) {
      s.topology.degree = static_cast<int>(integer(json["degree"], path + ".degree", 1, 1000));
    }
  } else if (kind == "edges") {
    s.topology.kind = Topology::Kind::edges;
    if (!json.is_object())
      bad(path, "an \"edges\" topology needs {\"kind\": \"edges\", \"edges\": [[a, b], ...]}");
    const Json& edges = need(json, "edges", path);
    if (!edges.is_array()) bad(path + ".edges", "must be an array of [a, b] pairs");
    check_size(path + ".edges", edges.size(), "edges", "max_edges", kMaxScenarioEdges);
    for (std::size_t i = 0; i < edges.size(); ++i) {
      const std::string edge_path = path + ".edges[" + std::to_string(i) + "]";
      if (!edges[i].is_array() || edges[i].size() != 2) bad(edge_path, "must be a pair [a, b]");
      int a = static_cast<int>(integer(edges[i][0], edge_path + "[0]", 0, s.node_count - 1));
      int b = static_cast<int>(integer(edges[i][1], edge_path + "[1]", 0, s.node_count - 1));
      if (a == b) bad(edge_path, "links a node to itself");
      s.topology.edges.emplace_back(a, b);
    }
  } else {
    bad(kind_path, "must be \"full_mesh\", \"ring\", \"random\" or \"edges\"");
  }
  if (s.topology.kind != Topology::Kind::random && json.is_object() && json.contains("degree")) {
    bad(path + ".degree", "is only for a random topology");
  }
}

void load_mining(const Json& json, Scenario& s) {
  const std::string path = "$.mining";
  only_keys(json, path, {"mode", "target_interval_s", "max_blocks"});
  if (json.contains("mode")) {
    if (json["mode"] == "real") {
      s.mining = MiningMode::real;
    } else if (json["mode"] == "modeled") {
      s.mining = MiningMode::modeled;
    } else {
      bad(path + ".mode", "must be \"real\" or \"modeled\"");
    }
  }
  if (json.contains("target_interval_s")) {
    s.target_interval_s = number(json["target_interval_s"], path + ".target_interval_s", 1e-3, 1e7);
  }
  if (json.contains("max_blocks")) {
    s.max_blocks =
        static_cast<std::uint64_t>(integer(json["max_blocks"], path + ".max_blocks", 0, 1'000'000));
  }
}

TimedAction load_action(const Json& item, const std::string& path, const Scenario& s) {
  only_keys(item, path,
            {"at_s", "do", "node", "author", "content", "groups", "from", "to", "one_way",
             "keep_state", "on", "latency_ms", "bandwidth_mbps", "loss", "response_loss",
             "duplicate", "reorder", "reorder_ms", "up"});
  TimedAction timed;
  timed.at_us = seconds_to_us(need(item, "at_s", path), path + ".at_s");
  const std::string kind = text(need(item, "do", path), path + ".do");
  auto node_of = [&](const char* key) {
    return static_cast<int>(integer(need(item, key, path), path + "." + key, 0, s.node_count - 1));
  };
  auto every_or_one = [&] { return item.contains("node") ? node_of("node") : -1; };
  std::set<std::string> used = {"at_s", "do"};
  if (kind == "post") {
    action::Post post;
    post.node = node_of("node");
    post.author = text(need(item, "author", path), path + ".author");
    post.content = text(need(item, "content", path), path + ".content");
    timed.what = std::move(post);
    used.insert({"node", "author", "content"});
  } else if (kind == "mine") {
    timed.what = action::Mine{every_or_one()};
    used.insert("node");
  } else if (kind == "sync") {
    timed.what = action::Sync{every_or_one()};
    used.insert("node");
  } else if (kind == "auto_mine") {
    timed.what = action::AutoMine{every_or_one(), boolean(need(item, "on", path), path + ".on")};
    used.insert({"node", "on"});
  } else if (kind == "partition") {
    action::Partition partition;
    const Json& groups = need(item, "groups", path);
    if (!groups.is_array() || groups.size() < 2)
      bad(path + ".groups", "must be an array of at least two groups");
    std::set<int> seen;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const std::string group_path = path + ".groups[" + std::to_string(g) + "]";
      if (!groups[g].is_array() || groups[g].empty())
        bad(group_path, "must be a non-empty array of node numbers");
      std::vector<int> group;
      for (std::size_t k = 0; k < groups[g].size(); ++k) {
        const std::string node_path = group_path + "[" + std::to_string(k) + "]";
        int node = static_cast<int>(integer(groups[g][k], node_path, 0, s.node_count - 1));
        if (!seen.insert(node).second)
          bad(node_path, "node " + std::to_string(node) + " is in two groups");
        group.push_back(node);
      }
      partition.groups.push_back(std::move(group));
    }
    timed.what = std::move(partition);
    used.insert("groups");
  } else if (kind == "heal") {
    timed.what = action::Heal{};
  } else if (kind == "isolate") {
    timed.what = action::Isolate{node_of("node")};
    used.insert("node");
  } else if (kind == "crash") {
    timed.what = action::Crash{node_of("node")};
    used.insert("node");
  } else if (kind == "join") {
    timed.what = action::Join{node_of("node")};
    used.insert("node");
  } else if (kind == "leave") {
    timed.what = action::Leave{node_of("node")};
    used.insert("node");
  } else if (kind == "restart") {
    action::Restart restart{node_of("node"), true};
    if (item.contains("keep_state"))
      restart.keep_state = boolean(item["keep_state"], path + ".keep_state");
    timed.what = restart;
    used.insert({"node", "keep_state"});
  } else if (kind == "set_link") {
    action::SetLink link;
    link.from = node_of("from");
    link.to = node_of("to");
    if (link.from == link.to) bad(path + ".to", "must differ from \"from\"");
    if (item.contains("one_way")) link.one_way = boolean(item["one_way"], path + ".one_way");
    link.link = load_link_patch(item, path);
    timed.what = std::move(link);
    used.insert({"from", "to", "one_way"});
    used.insert(kLinkFields.begin(), kLinkFields.end());
  } else {
    bad(path + ".do",
        "must be one of post, mine, sync, auto_mine, partition, heal, isolate, set_link, crash, "
        "restart, join, leave");
  }
  for (const auto& [key, value] : item.items()) {
    if (!used.count(key)) bad(path + "." + key, "does not apply to \"" + kind + "\"");
  }
  return timed;
}

void load_expectations(const Json& e, Scenario& s) {
  only_keys(e, "$.expect",
            {"converged", "min_forks", "min_height", "max_reorg_depth", "no_post_lost",
             "converged_within_s", "min_blocks_rejected"});
  auto count = [&](const char* key) {
    return static_cast<std::uint64_t>(
        integer(e[key], std::string("$.expect.") + key, 0, 1'000'000'000));
  };
  if (e.contains("converged")) s.expect.converged = boolean(e["converged"], "$.expect.converged");
  if (e.contains("min_forks")) s.expect.min_forks = count("min_forks");
  if (e.contains("min_height")) s.expect.min_height = count("min_height");
  if (e.contains("max_reorg_depth")) s.expect.max_reorg_depth = count("max_reorg_depth");
  if (e.contains("min_blocks_rejected"))
    s.expect.min_blocks_rejected = count("min_blocks_rejected");
  if (e.contains("converged_within_s")) {
    s.expect.converged_within_s =
        number(e["converged_within_s"], "$.expect.converged_within_s", 0, 1e8);
  }
  if (e.contains("no_post_lost"))
    s.expect.no_post_lost = boolean(e["no_post_lost"], "$.expect.no_post_lost");
}

}  // namespace

Scenario load_scenario(const Json& json) {
  only_keys(
      json, "$",
      {"name", "description", "seed", "nodes", "difficulty_bits", "hash_rate", "mining", "topology",
       "link", "links", "sync_interval_s", "stop_at_s", "trace", "timeline", "expect"});
  Scenario s;
  if (json.contains("name")) {
    s.name = text(json["name"], "$.name");
    auto safe = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    };
    if (!std::all_of(s.name.begin(), s.name.end(), safe) || s.name[0] == '.') {
      bad("$.name", "must be letters, digits, '_', '-' or '.' (it names the report folder)");
    }
  } else {
    s.name = "scenario";
  }
  if (json.contains("description")) {
    if (!json["description"].is_string()) bad("$.description", "must be a string");
    s.description = json["description"].get<std::string>();
  }
  if (json.contains("seed"))
    s.seed = static_cast<std::uint64_t>(integer(json["seed"], "$.seed", 0, INT64_MAX));
  if (json.contains("hash_rate"))
    s.hash_rate = number(json["hash_rate"], "$.hash_rate", 1e-3, 1e12);
  load_nodes(need(json, "nodes", "$"), s);
  s.node_count = static_cast<int>(s.nodes.size());
  if (json.contains("difficulty_bits")) {
    s.difficulty = Difficulty::bits(
        static_cast<unsigned>(integer(json["difficulty_bits"], "$.difficulty_bits", 1, 24)));
  }
  if (json.contains("mining")) load_mining(json["mining"], s);
  if (json.contains("topology")) {
    load_topology(json["topology"], s);
  } else if (s.node_count > 2000) {
    bad("$.topology", "is required above 2000 nodes (a full mesh would be too large)");
  }
  if (json.contains("link")) {
    only_keys(json["link"], "$.link", kLinkFields);
    s.link = load_link_patch(json["link"], "$.link").apply(s.link);
  }
  if (json.contains("links")) {
    const Json& links = json["links"];
    if (!links.is_array()) bad("$.links", "must be an array of link overrides");
    check_size("$.links", links.size(), "link overrides", "max_link_overrides", kMaxScenarioLinks);
    for (std::size_t i = 0; i < links.size(); ++i) {
      const std::string path = "$.links[" + std::to_string(i) + "]";
      std::set<std::string> allowed = kLinkFields;
      allowed.insert({"from", "to", "one_way"});
      only_keys(links[i], path, allowed);
      Scenario::LinkOverride link;
      link.from = static_cast<int>(
          integer(need(links[i], "from", path), path + ".from", 0, s.node_count - 1));
      link.to =
          static_cast<int>(integer(need(links[i], "to", path), path + ".to", 0, s.node_count - 1));
      if (link.from == link.to) bad(path + ".to", "must differ from \"from\"");
      if (links[i].contains("one_way"))
        link.one_way = boolean(links[i]["one_way"], path + ".one_way");
      link.patch = load_link_patch(links[i], path);
      s.links.push_back(link);
    }
  }
  if (json.contains("sync_interval_s"))
    s.sync_interval_s = number(json["sync_interval_s"], "$.sync_interval_s", 0, 86400);
  s.stop_at_us = seconds_to_us(need(json, "stop_at_s", "$"), "$.stop_at_s");
  if (json.contains("trace")) {
    if (json["trace"] == "full") {
      s.trace = TraceDetail::full;
    } else if (json["trace"] == "blocks") {
      s.trace = TraceDetail::blocks;
    } else if (json["trace"] == "minimal") {
      s.trace = TraceDetail::minimal;
    } else {
      bad("$.trace", "must be \"full\", \"blocks\" or \"minimal\"");
    }
  }
  const Json& timeline = need(json, "timeline", "$");
  if (!timeline.is_array()) bad("$.timeline", "must be an array");
  check_size("$.timeline", timeline.size(), "actions", "max_actions", kMaxScenarioActions);
  for (std::size_t i = 0; i < timeline.size(); ++i) {
    s.timeline.push_back(load_action(timeline[i], "$.timeline[" + std::to_string(i) + "]", s));
  }
  if (json.contains("expect")) load_expectations(json["expect"], s);
  bool honest = std::any_of(s.nodes.begin(), s.nodes.end(),
                            [](const NodeSpec& n) { return n.behaviour == Behaviour::honest; });
  if (!honest)
    bad("$.nodes", "needs at least one honest node (expectations are about honest nodes)");
  return s;
}

}  // namespace yournet::sim
