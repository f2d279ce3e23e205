// The GET /chain body a node answers with, kept and shared, and the look at a peer's body that
// lets a consensus round skip parsing a chain that brings nothing.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <memory>
#include <string_view>

#include "yournet/node/node.hpp"

namespace yournet {
namespace {

// What a GET /chain body declares before its blocks: its "length", when that is the first key (as
// in the reference's bodies and ours), and its "tip" hash, when that follows (ours). Read without
// parsing the chain, which is what a consensus round costs.
struct ChainHead {
  std::uint64_t length = 0;
  std::optional<std::string> tip;
};
std::optional<ChainHead> read_chain_head(std::string_view body) {
  auto skip_space = [&] {
    while (!body.empty() && (body.front() == ' ' || body.front() == '\n' || body.front() == '\r' ||
                             body.front() == '\t'))
      body.remove_prefix(1);
  };
  auto take = [&](std::string_view token) {
    skip_space();
    if (!body.starts_with(token)) return false;
    body.remove_prefix(token.size());
    return true;
  };
  if (!take("{") || !take("\"length\"") || !take(":")) return std::nullopt;
  skip_space();
  ChainHead head;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), head.length);
  if (ec != std::errc() || end == body.data()) return std::nullopt;
  body.remove_prefix(static_cast<std::size_t>(end - body.data()));
  constexpr std::size_t kHashSize = 64;
  if (take(",") && take("\"tip\"") && take(":") && take("\"") && body.size() > kHashSize &&
      body[kHashSize] == '"') {
    head.tip = std::string(body.substr(0, kHashSize));
  }
  return head;
}

}  // namespace

Json Node::chain_body() {
  return parse_json(*chain_text());
}

std::shared_ptr<const std::string> Node::chain_text() {
  // Blocks written before and still on the main chain are kept: only blocks new on it since the
  // last call are written (after a reorg, those above the fork).
  const std::size_t length = tree_.height() + 1;
  std::size_t kept = std::min<std::size_t>(chain_blocks_.size(), length);
  while (kept > 0 && tree_.at_height(kept - 1) != chain_blocks_[kept - 1]) --kept;
  if (chain_answer_ && kept == length && chain_blocks_.size() == length && chain_peers_ == peers_)
    return chain_answer_;
  // The reference's keys ("length", "chain", "peers"), "length" first and then the tip's hash (an
  // addition the reference ignores), so that a peer can tell a chain that brings nothing from
  // its first bytes (see start_consensus_round).
  const std::string head =
      "{\"length\":" + std::to_string(length) + ",\"tip\":\"" + tree_.tip().hash + "\",\"chain\":";
  const std::size_t kept_end = kept == 0 ? chain_head_size_ : chain_block_ends_[kept - 1];
  if (!chain_answer_ || chain_answer_.use_count() > 1 || head.size() != chain_head_size_) {
    // An answer still on its way holds the text (or the head grows a digit): a new copy.
    auto fresh = std::make_shared<std::string>();
    fresh->reserve(head.size() + (kept_end - chain_head_size_) + 4096);
    *fresh += head;
    if (chain_answer_) fresh->append(*chain_answer_, chain_head_size_, kept_end - chain_head_size_);
    for (auto& end : chain_block_ends_) end = end - chain_head_size_ + head.size();
    chain_answer_ = std::move(fresh);
    chain_head_size_ = head.size();
  } else {
    chain_answer_->replace(0, head.size(), head);
  }
  chain_blocks_.resize(kept);
  chain_block_ends_.resize(kept);
  std::string& answer = *chain_answer_;
  answer.resize(kept == 0 ? chain_head_size_ : chain_block_ends_.back());
  for (std::uint64_t height = kept; height < length; ++height) {
    const Block* block = tree_.at_height(height);
    answer += height == 0 ? '[' : ',';
    answer += block_to_json(*block).dump();
    chain_blocks_.push_back(block);
    chain_block_ends_.push_back(answer.size());
  }
  answer += "],\"peers\":";
  answer += Json(*peers_).dump();
  answer += '}';
  chain_peers_ = peers_;
  return chain_answer_;
}

bool Node::brings_nothing(const std::string& body) const {
  auto head = read_chain_head(body);
  if (!head) return false;
  // Shorter than ours: it cannot become our main chain, and should it ever grow past ours, its
  // new tip's announcement brings us back for it.
  if (head->length <= tree_.height()) return true;
  // As long as ours and ending in a block we hold (accept_chain's own shortcut, taken before
  // parsing).
  return head->length == tree_.height() + 1 && head->tip && tree_.contains(*head->tip);
}

}  // namespace yournet
