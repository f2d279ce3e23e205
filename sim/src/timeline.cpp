// The runner's timeline: each typed action of a scenario, as every world plays it.
#include <algorithm>

#include "yournet/overloaded.hpp"
#include "yournet/sim/runner.hpp"

namespace yournet::sim {

template <typename Fn>
void Runner::for_nodes(int node, Fn fn) {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (node >= 0 && static_cast<int>(i) != node) continue;
    fn(static_cast<int>(i));
  }
}

void Runner::sync(int node) {
  Slot& s = slot(node);
  if (s.state != State::up) return;
  if (!s.remote) return s.node->run_consensus([] {});
  if (!s.remote->sync())
    trace(node, TraceEvent::sync, Json{{"ignored", "the node has no consensus route"}});
}

void Runner::schedule_sync(std::int64_t interval_us) {
  at(now_us() + interval_us, "sync", -1, [this, interval_us] {
    for (std::size_t i = 0; i < slots_.size(); ++i) sync(static_cast<int>(i));
    schedule_sync(interval_us);
  });
}

void Runner::post(const action::Post& post) {
  Json body{{"author", post.author}, {"content", post.content}};
  ++figures_.posts_submitted;
  Slot& s = slot(post.node);
  if (s.state != State::up) {
    trace(post.node, TraceEvent::post_submitted, Json{{"status", "unreachable"}});
    return;
  }
  const int node = post.node;
  if (!s.remote) {
    return handle_request(
        *s.node, HttpRequest{"POST", "/new_transaction", body.dump()},
        [this, node](HttpResponse response) {
          trace(node, TraceEvent::post_submitted, Json{{"status", response.status}});
        });
  }
  s.remote->post(body, [this, node, body](int status) {
    trace(node, TraceEvent::post_submitted, Json{{"status", status}});
    if (status == 201 && honest(node)) remote_accepted_.push_back(body);
  });
}

void Runner::perform(const Action& what) {
  std::visit(
      Overloaded{
          [&](const action::Post& a) { post(a); },
          [&](const action::Mine& a) {
            for_nodes(a.node, [&](int i) { mine(i, TraceEvent::mine_done); });
          },
          [&](const action::Sync& a) { for_nodes(a.node, [&](int i) { sync(i); }); },
          [&](const action::AutoMine& a) {
            trace(a.node, TraceEvent::auto_mine, Json{{"on", a.on}});
            for_nodes(a.node, [&](int i) {
              slot(i).auto_mine = a.on;
              if (!a.on) mining_stopped(i);
              real_mining_step(i);
            });
          },
          [&](const action::Partition& a) {
            world_.network().partition(a.groups);
            trace(-1, TraceEvent::partition, Json{{"groups", a.groups}});
          },
          [&](const action::Isolate& a) {
            world_.network().isolate(a.node);
            trace(a.node, TraceEvent::isolate, Json());
          },
          [&](const action::Heal&) {
            world_.network().heal();
            trace(-1, TraceEvent::heal, Json());
            checker_.reconnected(now_us());
          },
          [&](const action::SetLink& a) {
            world_.network().set_link(a.from, a.to, a.link, a.one_way);
            Json detail{{"from", a.from}, {"to", a.to}, {"one_way", a.one_way}};
            if (a.link.up) detail["up"] = *a.link.up;  // the report draws cut links
            trace(-1, TraceEvent::set_link, std::move(detail));
          },
          [&](const action::Crash& a) {
            if (slot(a.node).state != State::up)
              return trace(a.node, TraceEvent::crash, Json{{"ignored", "not running"}});
            stop_node(a.node, State::down);
            trace(a.node, TraceEvent::crash, Json());
            recount();
          },
          [&](const action::Restart& a) { restart(a.node, a.keep_state); },
          [&](const action::Join& a) { join(a.node); },
          [&](const action::Leave& a) {
            State state = slot(a.node).state;
            if (state == State::gone || state == State::waiting)
              return trace(a.node, TraceEvent::leave, Json{{"ignored", "not in the network"}});
            wipe_posts(a.node);
            stop_node(a.node, State::gone);
            trace(a.node, TraceEvent::leave, Json());
            recount();
          }},
      what);
}

// Posts only this node held, gone with its state: not counted as lost by the network.
void Runner::wipe_posts(int node) {
  Slot& s = slot(node);
  if (!honest(node)) return;
  for (const auto& post : pending_posts(s)) {  // a remote node's as last polled: it is gone
    wiped_posts_.insert(post_id(post));
    if (s.remote) remote_wiped_.push_back(post);
  }
}

void Runner::restart(int self, bool keep_state) {
  Slot& s = slot(self);
  if (s.state != State::down)
    return trace(self, TraceEvent::restart, Json{{"ignored", "not crashed"}});
  if (!keep_state) wipe_posts(self);
  std::vector<std::string> peers;
  for (int peer : neighbours_[static_cast<std::size_t>(self)])
    peers.push_back(world_.address_of(peer));
  if (s.remote) {
    world_.start_remote(self, keep_state, peers);  // judged from what it loaded, once it is up
    set_state(self, State::up);
    const Block& tip = s.remote->view().tip();
    trace(self, TraceEvent::restart, Json{{"keep_state", keep_state}, {"height", tip.index}});
    if (tip.hash != checker_.tip_of(self))
      trace(self, TraceEvent::tip, Json{{"hash", tip.hash}, {"height", tip.index}});
    checker_.reset(self, s.remote->view());
    sync(self);  // catch up with the peers
  } else {
    set_state(self, State::up);
    start_node(self, keep_state);  // as read back from its store: chain, side branches, pending
    s.muted = true;
    for (const auto& peer : peers) s.node->add_peer(peer);
    s.muted = false;
    world_.node_up(self);
    const Block& tip = s.node->tree().tip();
    // What it read back: blocks of every branch it knew and its pending posts.
    trace(self, TraceEvent::restart,
          Json{{"keep_state", keep_state},
               {"height", tip.index},
               {"blocks", s.node->tree().size() - 1},
               {"pending", s.node->mempool().size()}});
    if (tip.hash != checker_.tip_of(self)) {
      trace(self, TraceEvent::tip, Json{{"hash", tip.hash}, {"height", tip.index}});
    }
    checker_.reset(self, s.node->tree());
    s.node->run_consensus([] {});  // catch up with the peers
  }
  recount();
  checker_.reconnected(now_us());
  start_routines(self);
}

void Runner::join(int self) {
  Slot& s = slot(self);
  if (s.state != State::waiting)
    return trace(self, TraceEvent::join, Json{{"ignored", "already joined"}});
  set_state(self, State::up);
  if (s.remote) {
    world_.start_remote(self, false, {});
  } else {
    world_.node_up(self);
  }
  trace(self, TraceEvent::join, Json{{"peers", neighbours_[static_cast<std::size_t>(self)]}});
  recount();
  checker_.reconnected(now_us());
  // As an operator would: register with each configured peer (the tutorial's /register_with),
  // which fetches that peer's chain and makes each side the other's peer.
  for (int peer : neighbours_[static_cast<std::size_t>(self)]) {
    auto registered = [this, self, peer](int status) {
      trace(self, TraceEvent::registered, Json{{"peer", peer}, {"status", status}});
    };
    if (s.remote) {
      s.remote->register_with(world_.address_of(peer), registered);
    } else {
      Json body{{"node_address", world_.address_of(peer)}};
      handle_request(*s.node, HttpRequest{"POST", "/register_with", body.dump()},
                     [registered](HttpResponse response) { registered(response.status); });
    }
  }
  start_routines(self);
}

}  // namespace yournet::sim
