// Core benchmarks. Every figure is reported beside a baseline measured in the same run, as a ratio:
// the miner's hash rate against OpenSSL's one-shot EVP_Digest on the identical bytes; chain
// validation against raw hashing of the same blocks' canonical bytes.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench_report.hpp"
#include "yournet/chain_text.hpp"
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
    block.transactions.push_back(
        Json{{"author", "author" + std::to_string(i)},
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

// Time to mine one block at a difficulty. Every trial mines a new block (index, timestamp and
// content change), so each is independent; each block is mined with 1 and with N threads in turn
// (alternating which goes first), so both see the same machine load, and since both find the
// serial nonce they do exactly the same useful work. Wall and process CPU time are both kept: on a
// shared machine the CPU time per hash shows the parallel overhead even when the wall time cannot.
struct MiningSamples {
  std::vector<double> seconds;
  std::vector<double> cpu_seconds;
  std::vector<double> attempts;
};
std::map<std::pair<unsigned, unsigned>, MiningSamples> mining_samples;  // (bits, threads)

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Block mining_trial_block(int trial) {
  Block block = block_with_posts(2);
  block.index = 5000 + static_cast<std::uint64_t>(trial);
  block.timestamp = 1795527804.2764194 + trial * 7.25;
  block.transactions[0]["content"] = "mining trial " + std::to_string(trial);
  return block;
}

// Enough blocks for a stable mean at low difficulty, about 2^23 expected hashes per row above
// that, and never fewer than 5 (difficulty 6 hex = 2^24 hashes is about 2 s a block at 8 M/s).
int mining_blocks(unsigned bits) {
  return static_cast<int>(std::clamp<std::uint64_t>((std::uint64_t{1} << 23) >> bits, 5, 200));
}

void BM_MineDifficulty(benchmark::State& state) {
  const auto bits = static_cast<unsigned>(state.range(0));
  const auto parallel = static_cast<unsigned>(state.range(1));
  MiningSamples& one = mining_samples[{bits, 1}];
  MiningSamples& many = mining_samples[{bits, parallel}];
  one = {};
  many = {};
  int trial = 0;
  double attempts = 0;
  for (auto _ : state) {
    const Block block = mining_trial_block(trial);
    double wall_total = 0;
    for (int k = 0; k < 2; ++k) {
      const bool serial = (k == 0) == (trial % 2 == 0);
      const unsigned threads = serial ? 1 : parallel;
      MiningRequest request{block, Difficulty::bits(bits), threads};
      const double cpu_start = process_cpu_seconds();
      const auto start = std::chrono::steady_clock::now();
      MiningResult result = mine(request);
      const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
      const double cpu = process_cpu_seconds() - cpu_start;
      if (!result.found) state.SkipWithError("no nonce found");
      MiningSamples& samples = serial ? one : many;
      samples.seconds.push_back(wall.count());
      samples.cpu_seconds.push_back(cpu);
      samples.attempts.push_back(static_cast<double>(result.attempts));
      wall_total += wall.count();
      attempts += static_cast<double>(result.attempts);
    }
    state.SetIterationTime(wall_total);
    ++trial;
  }
  state.counters["attempts_mean"] = attempts / 2 / static_cast<double>(state.iterations());
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
    auto chain = ChainText(text).validate(ChainParams{Difficulty::hex_digits(1)});
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
BENCHMARK(BM_ValidateChainText)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_HashChainBlocks)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Canonical);

// Mining rows: every bit count 1..20 plus 24 (hex digits 1..6 are bits 4, 8, ..., 24), each block
// with 1 and N threads, N being the machine's hardware threads (at least 2).
unsigned parallel_threads() {
  return std::max(2u, std::thread::hardware_concurrency());
}

void register_mining_benchmarks() {
  std::vector<unsigned> bit_counts;
  for (unsigned bits = 1; bits <= 20; ++bits) bit_counts.push_back(bits);
  bit_counts.push_back(24);
  for (unsigned bits : bit_counts) {
    benchmark::RegisterBenchmark("BM_MineDifficulty", BM_MineDifficulty)
        ->Args({static_cast<std::int64_t>(bits), static_cast<std::int64_t>(parallel_threads())})
        ->Iterations(mining_blocks(bits))
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime();
  }
}

// Keeps each run's counters so the ratios can be printed after the run.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      for (const auto& [name, counter] : run.counters)
        counters[run.benchmark_name()][name] = counter.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::optional<double> get(const std::string& run, const std::string& counter) const {
    auto it = counters.find(run);
    if (it == counters.end()) return std::nullopt;
    auto c = it->second.find(counter);
    if (c == it->second.end()) return std::nullopt;
    return c->second;
  }
  std::map<std::string, std::map<std::string, double>> counters;
};

struct Spread {
  double mean = 0;
  double stddev = 0;
  double p10 = 0;
  double p90 = 0;
};

// Mean, sample standard deviation and nearest-rank 10th/90th percentiles.
Spread spread_of(std::vector<double> values) {
  Spread s;
  if (values.empty()) return s;
  for (double v : values) s.mean += v;
  s.mean /= static_cast<double>(values.size());
  if (values.size() > 1) {
    double sum = 0;
    for (double v : values) sum += (v - s.mean) * (v - s.mean);
    s.stddev = std::sqrt(sum / static_cast<double>(values.size() - 1));
  }
  std::sort(values.begin(), values.end());
  auto rank = [&](double q) {
    auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(i, 1, values.size()) - 1];
  };
  s.p10 = rank(0.10);
  s.p90 = rank(0.90);
  return s;
}

std::string format(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

std::string hashing_table(const RatioReporter& r) {
  std::string out =
      "## Hashing: miner vs OpenSSL one-shot SHA-256 on identical bytes\n\n"
      "One thread; the miner hashes a block's canonical bytes with a new nonce each time, "
      "OpenSSL's `EVP_Digest` hashes the same bytes. Rates are per CPU-second of the benchmark "
      "thread (Google Benchmark's default), which other load on the machine disturbs little.\n\n"
      "| posts | block bytes | OpenSSL hashes/s | miner hashes/s | ratio "
      "|\n|---|---|---|---|---|\n";
  for (int posts : kPostCounts) {
    auto base = r.get("BM_OpenSslOneShot/" + std::to_string(posts), "items_per_second");
    auto ours = r.get("BM_MinerSearch/" + std::to_string(posts), "items_per_second");
    auto bytes = r.get("BM_OpenSslOneShot/" + std::to_string(posts), "bytes");
    if (!base || !ours || !bytes) continue;
    out += format("| %d | %.0f | %.3g | %.3g | **%.2f** |\n", posts, *bytes, *base, *ours,
                  *ours / *base);
  }
  return out;
}

std::string ms(double seconds) {
  double v = seconds * 1e3;
  return v < 10 ? format("%.3f", v) : format("%.0f", v);
}

const MiningSamples* samples_for(unsigned bits, unsigned threads) {
  auto it = mining_samples.find({bits, threads});
  return it == mining_samples.end() || it->second.seconds.empty() ? nullptr : &it->second;
}

double sum(const std::vector<double>& values) {
  double total = 0;
  for (double v : values) total += v;
  return total;
}

// One table row (without the first column); empty when these bits did not run.
std::string mining_row(unsigned bits, unsigned n) {
  const MiningSamples* one = samples_for(bits, 1);
  const MiningSamples* many = samples_for(bits, n);
  if (!one || !many) return {};
  std::string row = format("%.0f | %zu | %.3g", std::ldexp(1.0, static_cast<int>(bits)),
                           one->seconds.size(), spread_of(one->attempts).mean);
  for (const MiningSamples* samples : {one, many}) {
    Spread t = spread_of(samples->seconds);
    row += format(" | %s ± %s | %s – %s", ms(t.mean).c_str(), ms(t.stddev).c_str(),
                  ms(t.p10).c_str(), ms(t.p90).c_str());
  }
  row += format(" | **%.2f** | %.2f / %.2f |\n", sum(one->seconds) / sum(many->seconds),
                sum(one->attempts) / sum(one->cpu_seconds) / 1e6,
                sum(many->attempts) / sum(many->cpu_seconds) / 1e6);
  return row;
}

std::string mining_tables() {
  const unsigned n = parallel_threads();
  if (mining_samples.empty()) return {};
  const std::string columns = format(
      "expected hashes | blocks | mean hashes tried | 1 thread: mean ± sd (ms) | p10 – p90 (ms) | "
      "%u threads: mean ± sd (ms) | p10 – p90 (ms) | speed-up (wall) | M hashes per CPU-second, "
      "1 / %u threads |\n|---|---|---|---|---|---|---|---|---|---|",
      n, n);
  std::string out =
      "## Time to mine one block\n\n"
      "Each block is a new trial (index, timestamp and content change) and is mined with 1 and "
      "with " +
      std::to_string(n) +
      " threads in turn, so both see the same machine load and find "
      "the same (smallest) nonce: the speed-up compares identical work. On a busy machine the "
      "wall-time speed-up is limited by the cores others leave free; hashes per CPU-second "
      "(process "
      "CPU time, all threads) shows what parallel mining costs in CPU whatever the load. Mining a "
      "block includes writing its canonical bytes and hashing the answer once more.\n\n"
      "### Hex digits (the reference's rule: the hash starts with d zeros, 16^d expected "
      "hashes)\n\n"
      "| hex digits | " +
      columns + "\n";
  for (unsigned digits = 1; digits <= 6; ++digits) {
    std::string row = mining_row(digits * 4, n);
    if (!row.empty()) out += "| " + std::to_string(digits) + " | " + row;
  }
  out += "\n### Leading zero bits (2^b expected hashes)\n\n| bits | " + columns + "\n";
  std::set<unsigned> bit_counts;
  for (const auto& entry : mining_samples) bit_counts.insert(entry.first.first);
  for (unsigned bits : bit_counts) out += "| " + std::to_string(bits) + " | " + mining_row(bits, n);
  return out;
}

std::string validation_table(const RatioReporter& r) {
  std::string out;
  auto validate = r.get("BM_ValidateChainText/iterations:10", "items_per_second");
  auto hash = r.get("BM_HashChainBlocks", "items_per_second");
  if (validate && hash) {
    out += format(
        "## Validation of a 10,000-block chain from JSON text\n\n"
        "Parsing the `/chain` body, rebuilding every block and checking hashes, links and "
        "difficulty, against hashing each block's canonical bytes once and nothing else.\n\n"
        "| validated blocks/s | raw-hash blocks/s | ratio |\n|---|---|---|\n"
        "| %.3g | %.3g | %.3f |\n",
        *validate, *hash, *validate / *hash);
  }
  if (auto bytes = r.get("BM_Canonical", "bytes_per_second")) {
    out += format(
        "\n## Canonical JSON\n\n| canonical JSON bytes/s (40-post block) |\n|---|\n| %.3g |\n",
        *bytes);
  }
  return out;
}

std::string hash_rate_svg(const RatioReporter& r, const std::string& load) {
  bench::Plot plot;
  plot.title = "Hash rate vs block size, one thread";
  plot.subtitle = std::string(NonceSearcher::implementation()) + " miner; " + load;
  plot.x_label = "block canonical bytes";
  plot.y_label = "hashes per second";
  plot.log_x = true;
  plot.log_y = true;
  bench::PlotSeries openssl{"OpenSSL one-shot", "#7f7f7f", {}, true, true};
  bench::PlotSeries miner{"miner", "#d62728", {}, false, true};
  for (int posts : kPostCounts) {
    auto bytes = r.get("BM_OpenSslOneShot/" + std::to_string(posts), "bytes");
    auto base = r.get("BM_OpenSslOneShot/" + std::to_string(posts), "items_per_second");
    auto ours = r.get("BM_MinerSearch/" + std::to_string(posts), "items_per_second");
    if (!bytes) continue;
    if (base) openssl.points.push_back({*bytes, *base, {}, {}});
    if (ours) miner.points.push_back({*bytes, *ours, {}, {}});
  }
  plot.series = {openssl, miner};
  return bench::render_svg(plot);
}

std::string mining_time_svg(const RatioReporter& r, const std::string& load) {
  const unsigned n = parallel_threads();
  bench::Plot plot;
  plot.title = "Time to mine one block vs difficulty (mean, bars p10 to p90)";
  plot.subtitle = load;
  plot.x_label = "difficulty in leading zero bits (hex digits = bits / 4)";
  plot.y_label = "milliseconds per block";
  plot.log_y = true;
  bench::PlotSeries one{"1 thread", "#1f77b4", {}, false, true};
  bench::PlotSeries many{std::to_string(n) + " threads", "#ff7f0e", {}, false, true};
  bench::PlotSeries expected{"2^b / 1-thread rate", "#7f7f7f", {}, true, false};
  auto rate = r.get("BM_MinerSearch/2", "items_per_second");  // mining blocks have 2 posts
  for (const auto& [key, samples] : mining_samples) {
    if (samples.seconds.empty()) continue;
    Spread s = spread_of(samples.seconds);
    bench::PlotPoint point{static_cast<double>(key.first), s.mean * 1e3, s.p10 * 1e3, s.p90 * 1e3};
    if (key.second == 1) {
      one.points.push_back(point);
      if (rate)
        expected.points.push_back(
            {point.x, std::ldexp(1.0, static_cast<int>(key.first)) / *rate * 1e3, {}, {}});
    } else if (key.second == n) {
      many.points.push_back(point);
    }
  }
  plot.series = {expected, one, many};
  return bench::render_svg(plot);
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return buf;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) std::cerr << "cannot write " << path << "\n";
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  // --report-dir=DIR is ours (core.md and the SVG plots go there); the rest goes to Google
  // Benchmark.
  std::vector<char*> args;
  const std::string report_dir = bench::take_report_dir(argc, argv, args);
  register_mining_benchmarks();
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;
  const std::string load_before = bench::load_average();
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const std::string load = "before: " + load_before + "; after: " + bench::load_average();
  std::string body =
      hashing_table(reporter) + "\n" + mining_tables() + "\n" + validation_table(reporter);
  std::cout << "\n" << body;
  if (!report_dir.empty()) {
    std::filesystem::create_directories(report_dir);
    std::string header = "# Core benchmarks\n\n" + utc_now() + ", " +
                         NonceSearcher::implementation() +
                         " hashing path, Release build. Machine " + load +
                         ". Other work shares the CPU, so absolute figures are noisy; each ratio "
                         "compares two measurements of the same run.\n\n"
                         "![hash rate vs block size](hash_rate.svg)\n"
                         "![time to mine vs difficulty](mining_time.svg)\n\n";
    bool ok = write_file(report_dir + "/core.md", header + body) &&
              write_file(report_dir + "/hash_rate.svg", hash_rate_svg(reporter, load_before)) &&
              write_file(report_dir + "/mining_time.svg", mining_time_svg(reporter, load_before));
    if (!ok) return 1;
    std::cout << "\nwrote " << report_dir << "/core.md, hash_rate.svg, mining_time.svg\n";
  }
  benchmark::Shutdown();
  return 0;
}
