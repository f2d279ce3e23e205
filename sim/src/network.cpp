#include "yournet/sim/network.hpp"

#include <algorithm>
#include <cmath>

namespace yournet::sim {

Network::Network(const Scenario& scenario)
    : seed_(scenario.seed),
      links_(static_cast<std::size_t>(scenario.node_count)),
      group_(static_cast<std::size_t>(scenario.node_count), 0) {
  models_.push_back(scenario.link);
  least_latency_us_ = scenario.link.latency.least_us();
  for (const auto& override : scenario.links)
    set_link(override.from, override.to, override.patch, override.one_way);
}

Network::Link& Network::link(int from, int to) {
  auto& links = links_[idx(from)];
  auto it = std::lower_bound(links.begin(), links.end(), to,
                             [](const Link& l, int peer) { return l.peer < peer; });
  if (it == links.end() || it->peer != to) {
    it = links.insert(it, Link{to, 0, 0,
                               Rng::derive(seed_, kLinkStream, static_cast<std::uint64_t>(from),
                                           static_cast<std::uint64_t>(to))});
  }
  return *it;
}

void Network::patch(int from, int to, const LinkPatch& patch) {
  Link& l = link(from, to);
  models_.push_back(patch.apply(models_[l.model]));
  l.model = static_cast<std::uint32_t>(models_.size() - 1);
  least_latency_us_ = std::min(least_latency_us_, models_.back().latency.least_us());
}

void Network::set_link(int from, int to, const LinkPatch& link_patch, bool one_way) {
  patch(from, to, link_patch);
  if (!one_way) patch(to, from, link_patch);
}

const char* Network::drops_request(int from, int to) {
  return drops_on(link(from, to), from, to);
}

const char* Network::drops_on(Link& l, int from, int to) {
  const LinkModel& model = models_[l.model];
  if (!model.up) return "link down";
  if (partitioned(from, to)) return "partition";
  if (model.loss > 0 && l.rng.uniform() < model.loss) return "loss";
  return nullptr;
}

bool Network::duplicates(int from, int to) {
  Link& l = link(from, to);
  const LinkModel& model = models_[l.model];
  return model.duplicate > 0 && l.rng.uniform() < model.duplicate;
}

std::int64_t Network::occupy(Link& l, const LinkModel& model, std::size_t bytes,
                             std::int64_t now_us) {
  if (model.bandwidth_mbps <= 0) return now_us;
  l.busy_until_us = std::max(now_us, l.busy_until_us) +
                    static_cast<std::int64_t>(
                        std::llround(static_cast<double>(bytes) * 8.0 / model.bandwidth_mbps));
  return l.busy_until_us;
}

std::int64_t Network::arrival_us(int from, int to, std::size_t bytes, std::int64_t now_us) {
  Link& l = link(from, to);
  const LinkModel& model = models_[l.model];
  const std::int64_t sent_us = occupy(l, model, bytes, now_us);
  double ms = model.latency.sample_ms(l.rng);
  if (model.reorder > 0 && l.rng.uniform() < model.reorder)
    ms += model.reorder_ms * l.rng.uniform();
  return sent_us + static_cast<std::int64_t>(std::llround(ms * 1000.0));
}

const char* Network::drops_answer(int server, int client) {
  return drops_answer_on(link(server, client), server, client);
}

const char* Network::drops_answer_on(Link& back, int server, int client) {
  if (const char* why = drops_on(back, server, client)) return why;
  const LinkModel& model = models_[back.model];
  if (model.response_loss > 0 && back.rng.uniform() < model.response_loss) return "response loss";
  return nullptr;
}

std::optional<std::int64_t> Network::answer_arrival_us(int server, int client, std::size_t bytes,
                                                       std::int64_t now_us, const char*& why) {
  why = drops_answer(server, client);
  if (why) return std::nullopt;
  return arrival_us(server, client, bytes, now_us);
}

// arrival_us's draws, in its order, without the arithmetic (a large run sends as many answers as
// requests, and the latency's exp and log were a tenth of its time).
const char* Network::unawaited_answer(int server, int client, std::size_t bytes,
                                      std::int64_t now_us) {
  Link& l = link(server, client);
  if (const char* why = drops_answer_on(l, server, client)) return why;
  const LinkModel& model = models_[l.model];
  occupy(l, model, bytes, now_us);
  model.latency.skip(l.rng);
  if (model.reorder > 0 && l.rng.uniform() < model.reorder) l.rng.next();
  return nullptr;
}

void Network::partition(const std::vector<std::vector<int>>& groups) {
  any_partition_ = true;
  std::fill(group_.begin(), group_.end(), -1);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (int node : groups[g]) group_[idx(node)] = static_cast<int>(g);
  }
  for (std::size_t i = 0; i < group_.size(); ++i) {
    if (group_[i] == -1) group_[i] = static_cast<int>(groups.size() + i);
  }
}

void Network::isolate(int node) {
  any_partition_ = true;
  group_[idx(node)] = -1 - node;  // a group of its own
}

void Network::heal() {
  any_partition_ = false;
  std::fill(group_.begin(), group_.end(), 0);
}

}  // namespace yournet::sim
