#include "yournet/node/node_event.hpp"

#include "yournet/overloaded.hpp"

namespace yournet {
const char* event::catch_up_reason_name(CatchUpReason reason) {
  switch (reason) {
    case CatchUpReason::orphan:
      return "orphan";
    case CatchUpReason::new_sender:
      return "new_sender";
  }
  return "?";
}

const char* event_name(const NodeEvent& event) {
  return std::visit(Overloaded{[](const event::PeerAdded&) { return "peer_added"; },
                               [](const event::PeerDropped&) { return "peer_dropped"; },
                               [](const event::PeerUnreachable&) { return "peer_unreachable"; },
                               [](const event::PostAccepted&) { return "post_accepted"; },
                               [](const event::BlockAccepted&) { return "block_accepted"; },
                               [](const event::BlockRejected&) { return "block_rejected"; },
                               [](const event::BlockOrphaned&) { return "block_orphaned"; },
                               [](const event::BlocksEvicted&) { return "blocks_evicted"; },
                               [](const event::ChainRejected&) { return "chain_rejected"; },
                               [](const event::Reorg&) { return "reorg"; },
                               [](const event::Mined&) { return "mined"; },
                               [](const event::RequestRejected&) { return "request_rejected"; },
                               [](const event::Loaded&) { return "loaded"; },
                               [](const event::CatchUp&) { return "catch_up"; },
                               [](const event::RegisterFailed&) { return "register_failed"; }},
                    event);
}

Json event_detail(const NodeEvent& event) {
  return std::visit(
      Overloaded{[](const event::PeerAdded& e) {
                   return Json{{"peer", e.peer}};
                 },
                 [](const event::PeerDropped& e) {
                   return Json{{"peer", e.peer}, {"reason", e.reason}};
                 },
                 [](const event::PeerUnreachable& e) {
                   return Json{{"peer", e.peer}, {"error", e.error}};
                 },
                 [](const event::PostAccepted& e) {
                   return Json{{"id", e.id}};
                 },
                 [](const event::BlockAccepted& e) {
                   return Json{{"hash", e.block->hash},
                               {"index", e.block->index},
                               {"from", *e.from},
                               {"main", e.main}};
                 },
                 [](const event::BlockRejected& e) {
                   return Json{{"hash", e.hash}, {"from", e.from}, {"error", e.error}};
                 },
                 [](const event::BlockOrphaned& e) {
                   return Json{{"hash", e.hash}, {"from", e.from}};
                 },
                 [](const event::BlocksEvicted& e) {
                   return Json{{"count", e.hashes.size()}, {"hashes", e.hashes}};
                 },
                 [](const event::ChainRejected& e) {
                   return Json{{"from", e.from}, {"error", e.error}};
                 },
                 [](const event::Reorg& e) {
                   return Json{{"depth", e.left.size()}, {"left", e.left}, {"joined", e.joined}};
                 },
                 [](const event::Mined& e) {
                   return Json{{"hash", e.hash},
                               {"index", e.index},
                               {"previous_hash", e.previous_hash},
                               {"attempts", e.attempts}};
                 },
                 [](const event::RequestRejected& e) {
                   return Json{{"route", e.route}, {"status", e.status}, {"error", e.error}};
                 },
                 [](const event::Loaded& e) {
                   return Json{{"blocks", e.blocks},
                               {"posts", e.posts},
                               {"height", e.height},
                               {"pending", e.pending},
                               {"peers", e.peers}};
                 },
                 [](const event::CatchUp& e) {
                   return Json{{"peer", e.peer}, {"reason", catch_up_reason_name(e.reason)}};
                 },
                 [](const event::RegisterFailed& e) {
                   Json detail{{"peer", e.peer}, {"error", e.error}, {"attempt", e.attempt}};
                   detail["retry_in_s"] = e.retry_in_s ? Json(*e.retry_in_s) : Json(nullptr);
                   return detail;
                 }},
      event);
}

}  // namespace yournet
