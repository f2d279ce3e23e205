// Core benchmarks. Every figure is reported beside a baseline measured in the same run, as a ratio:
// the miner's hash rate against OpenSSL's one-shot EVP_Digest on the identical bytes; chain
// validation against raw hashing of the same blocks' canonical bytes.
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include "yournet/json.hpp"
#include "yournet/nonce_search.hpp"
#include "yournet/pow.hpp"
#include "yournet/validation.hpp"

using namespace yournet;

namespace {

constexpr int kPostCounts[] = {0, 2, 10, 40, 100};

Block block_with_posts(int posts) {
  Block block;
  block.index = 1234;
  block.previous_hash = genesis_block().hash;
  block.timestamp = 1795527804.2764194;
  for (int i = 0; i < posts; ++i) {
    block.transactions.push_back(Json{{"author", "author" + std::to_string(i)},
                                      {"content", "post number " + std::to_string(i) + " of the bench"},
                                      {"timestamp", 1795527804.2692263 + i}});
  }
  return block;
}

// Baseline: OpenSSL one-shot SHA-256 of the canonical bytes with a nonce of the same width.
void BM_OpenSslOneShot(benchmark::State& state) {
  Block block = block_with_posts(static_cast<int>(state.range(0)));
  block.nonce = 10'000'000;
  std::string bytes = block_canonical(block);
  unsigned char digest[32];
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
    benchmark::DoNotOptimize(digest);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(bytes.size());
}

// The miner's inner loop over the same bytes, nonces 10,000,000 onwards (same digit width).
void BM_MinerSearch(benchmark::State& state) {
  Block block = block_with_posts(static_cast<int>(state.range(0)));
  NonceSplice splice = splice_at_nonce(block);
  NonceSearcher searcher(splice.prefix, splice.suffix);
  constexpr std::uint64_t kBatch = 1024;
  std::uint64_t next = 10'000'000;
  for (auto _ : state) {
    // 256 zero bits never match, so every nonce of the batch is hashed.
    benchmark::DoNotOptimize(searcher.search(next, next + kBatch, 256));
    next += kBatch;
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// Time to mine one block at a difficulty; each iteration mines a different block.
void BM_MineDifficulty(benchmark::State& state) {
  const auto bits = static_cast<unsigned>(state.range(0));
  const auto threads = static_cast<unsigned>(state.range(1));
  Block block = block_with_posts(2);
  double attempts = 0;
  for (auto _ : state) {
    block.index++;
    MiningResult result = mine(MiningRequest{block, Difficulty::bits(bits), threads});
    attempts += static_cast<double>(result.attempts);
  }
  state.counters["attempts_mean"] = attempts / static_cast<double>(state.iterations());
  state.counters["attempts_expected"] = static_cast<double>(std::uint64_t{1} << bits);
  state.SetItemsProcessed(static_cast<std::int64_t>(attempts));
}

Json mined_chain_body(int blocks) {
  Json chain = Json::array();
  chain.push_back(block_to_json(genesis_block()));
  Block parent = genesis_block();
  for (int i = 1; i <= blocks; ++i) {
    Block block = block_with_posts(2);
    block.index = parent.index + 1;
    block.previous_hash = parent.hash;
    block.transactions[0]["content"] = "block " + std::to_string(i);
    block.transactions[1]["content"] = "block " + std::to_string(i) + " second";
    parent = mine(MiningRequest{block, Difficulty::hex_digits(1)}).block;
    chain.push_back(block_to_json(parent));
  }
  return Json{{"length", chain.size()}, {"chain", chain}, {"peers", Json::array()}};
}

const std::string& chain_text() {
  static const std::string text = mined_chain_body(10'000).dump();
  return text;
}

void BM_ValidateChainText(benchmark::State& state) {
  const std::string& text = chain_text();
  for (auto _ : state) {
    auto chain = validate_chain(parse_json(text), ChainParams{Difficulty::hex_digits(1)});
    if (!chain) state.SkipWithError(chain.error().message().c_str());
  }
  state.SetItemsProcessed(state.iterations() * 10'001);
}

// Baseline for validation: hashing each block's canonical bytes once, nothing else.
void BM_HashChainBlocks(benchmark::State& state) {
  static const std::vector<std::string> canonical_blocks = [] {
    std::vector<std::string> out;
    const Json body = parse_json(chain_text());
    for (const auto& json : body["chain"]) {
      out.push_back(block_canonical(*block_from_json(json)));
    }
    return out;
  }();
  unsigned char digest[32];
  unsigned int len = 0;
  for (auto _ : state) {
    for (const auto& bytes : canonical_blocks) {
      EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
    }
    benchmark::DoNotOptimize(digest);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(canonical_blocks.size()));
}

void BM_Canonical(benchmark::State& state) {
  Json block = block_to_json(block_with_posts(40));
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string out = canonical(block);
    bytes += out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void post_counts(benchmark::internal::Benchmark* b) {
  for (int posts : kPostCounts) b->Arg(posts);
}

BENCHMARK(BM_OpenSslOneShot)->Apply(post_counts);
BENCHMARK(BM_MinerSearch)->Apply(post_counts);
BENCHMARK(BM_MineDifficulty)
    ->ArgsProduct({{4, 8, 12, 16, 20}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_ValidateChainText)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_HashChainBlocks)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Canonical);

// Keeps each run's items/s so the ratios can be printed after the run.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      auto it = run.counters.find("items_per_second");
      if (it != run.counters.end()) rates[run.benchmark_name()] = it->second.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> rates;
};

std::string ratio_table(const std::map<std::string, double>& rates) {
  std::string out = "## Hashing: miner vs OpenSSL one-shot SHA-256 on identical bytes\n\n"
                    "| posts | OpenSSL hashes/s | miner hashes/s | ratio |\n|---|---|---|---|\n";
  char line[256];
  for (int posts : kPostCounts) {
    auto base = rates.find("BM_OpenSslOneShot/" + std::to_string(posts));
    auto ours = rates.find("BM_MinerSearch/" + std::to_string(posts));
    if (base == rates.end() || ours == rates.end()) continue;
    std::snprintf(line, sizeof line, "| %d | %.3g | %.3g | %.2f |\n", posts, base->second,
                  ours->second, ours->second / base->second);
    out += line;
  }
  auto validate = rates.find("BM_ValidateChainText/iterations:3");
  auto hash = rates.find("BM_HashChainBlocks");
  if (validate != rates.end() && hash != rates.end()) {
    std::snprintf(line, sizeof line,
                  "\n## Validation of a 10,000-block chain from JSON text\n\n"
                  "| validated blocks/s | raw-hash blocks/s | ratio |\n|---|---|---|\n"
                  "| %.3g | %.3g | %.3f |\n",
                  validate->second, hash->second, validate->second / hash->second);
    out += line;
  }
  out += "\n## Mining: hashes/s by difficulty (bits) and threads\n\n| bits | threads | hashes/s |\n|---|---|---|\n";
  std::map<std::pair<unsigned, unsigned>, double> mining;  // (bits, threads), in numeric order
  for (const auto& [name, rate] : rates) {
    unsigned bits = 0, threads = 0;
    if (std::sscanf(name.c_str(), "BM_MineDifficulty/%u/%u", &bits, &threads) == 2) {
      mining[{bits, threads}] = rate;
    }
  }
  for (const auto& [key, rate] : mining) {
    std::snprintf(line, sizeof line, "| %u | %u | %.3g |\n", key.first, key.second, rate);
    out += line;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  // --report=FILE is ours; the rest goes to Google Benchmark.
  std::string report_path;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--report=", 9) == 0) {
      report_path = argv[i] + 9;
    } else {
      args.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::string table = ratio_table(reporter.rates);
  std::cout << "\n" << table;
  if (!report_path.empty()) {
    std::ofstream(report_path) << "# Core benchmarks (" << NonceSearcher::implementation()
                               << " hashing path)\n\n" << table;
  }
  benchmark::Shutdown();
  return 0;
}
