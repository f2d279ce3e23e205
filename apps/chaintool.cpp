// chaintool: the core on the command line (canonical JSON, hashing, chain verification, mining,
// signing). Exit codes: 0 ok, 1 invalid (verify/verify-post), 2 unreadable input or bad usage.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cerrno>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory_resource>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "yournet/chain_text.hpp"
#include "yournet/cli/cli.hpp"
#include "yournet/crypto.hpp"
#include "yournet/huge_pages.hpp"
#include "yournet/json.hpp"
#include "yournet/pow.hpp"
#include "yournet/validation.hpp"

namespace po = boost::program_options;
using namespace yournet;

namespace {

constexpr int kOk = cli::kExitOk;
constexpr int kInvalid = 1;
constexpr int kUnreadable = cli::kExitUsage;

constexpr const char* kUsage = R"(usage: chaintool COMMAND [options]

commands:
  canonical              read JSON on stdin, print Python's json.dumps(x, sort_keys=True)
  hash                   read JSON on stdin, print the SHA-256 hex of its canonical form
  verify FILE            check a GET /chain body (FILE or - for stdin); exit 0 valid, 1 invalid, 2 unreadable
  mine                   read a block without nonce/hash on stdin, print it mined
  keygen                 print a new Ed25519 key pair as JSON {"private_key", "public_key"}
  sign --key FILE        read a post (with its own timestamp) on stdin, print it signed
  verify-post            read a post on stdin; exit 0 when valid (signed or not), 1 when not

)";

std::string read_all(std::istream& in) {
  // In large reads: a character at a time costs more than validating a whole chain.
  std::string out;
  std::array<char, 1 << 16> buffer;
  while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
    out.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  return out;
}

// Reads FILE ("-" = stdin); nullopt with a message on stderr when it cannot be read.
std::optional<std::string> read_input(const std::string& path) {
  if (path == "-") return read_all(std::cin);
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::cerr << "chaintool: cannot read " << path << "\n";
    return std::nullopt;
  }
  return read_all(file);
}

// A regular file read whole into memory from huge_page_resource(). Mapping it instead costs more
// on the VMs we measure on: the first touch of each 4 KiB page of a mapping costs about 2 us even
// when it is mapped ahead (3.4 ms for a 6 MB chain), where read() copies it into 2 MiB pages in
// about 2 ms. (Read on two threads, a half each, it took longer: starting a thread costs
// ~0.3 ms here, and the scan starts one of its own.)
class FileText {
 public:
  explicit FileText(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat info {};
    if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0) {
      capacity_ = static_cast<std::size_t>(info.st_size);
      data_ = static_cast<char*>(memory_->allocate(capacity_, 1));
      size_ = read_into_data(fd);
      if (size_ == 0) release();
    }
    ::close(fd);
  }
  ~FileText() { release(); }
  FileText(const FileText&) = delete;
  FileText& operator=(const FileText&) = delete;
  // Empty when the file could not be read this way (a pipe, an empty or unreadable file).
  std::optional<std::string_view> text() const {
    if (!data_) return std::nullopt;
    return std::string_view(data_, size_);
  }

 private:
  void release() {
    if (data_) memory_->deallocate(data_, capacity_, 1);
    data_ = nullptr;
  }
  // Bytes read into data_, up to capacity_: fewer on an error or if the file got shorter.
  std::size_t read_into_data(int fd) {
    std::size_t done = 0;
    while (done < capacity_) {
      const ssize_t got = ::read(fd, data_ + done, capacity_ - done);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      done += static_cast<std::size_t>(got);
    }
    return done;
  }

  std::pmr::memory_resource* memory_ = huge_page_resource();
  char* data_ = nullptr;
  std::size_t size_ = 0, capacity_ = 0;
};

std::optional<Json> parse_or_report(const std::string& text, const std::string& what) {
  try {
    return parse_json(text);
  } catch (const JsonError& e) {
    std::cerr << "chaintool: " << what << ": " << e.what() << "\n";
    return std::nullopt;
  }
}

Difficulty difficulty_from(const po::variables_map& vm) {
  if (vm.count("difficulty-bits")) return Difficulty::bits(vm["difficulty-bits"].as<unsigned>());
  return Difficulty::hex_digits(vm["difficulty"].as<unsigned>());
}

int cmd_verify(const po::variables_map& vm, const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cerr << "chaintool verify: name a FILE (or - for stdin)\n";
    return kUnreadable;
  }
  std::optional<FileText> file;
  if (args[0] != "-") file.emplace(args[0]);
  std::optional<std::string> read;
  std::string_view text;
  if (file && file->text()) {
    text = *file->text();
  } else {
    read = read_input(args[0]);
    if (!read) return kUnreadable;
    text = *read;
  }
  ChainParams params{difficulty_from(vm), vm.count("require-signatures") != 0};
  ChainScanPlan plan;
  plan.memory = huge_page_resource();  // one chain, then exit: fresh memory in few page faults
  // Threads only shorten the scan: the verdict is the same for any count.
  plan.threads = vm.count("threads") ? vm["threads"].as<unsigned>()
                                     : std::max(1u, std::thread::hardware_concurrency());
  std::optional<ChainText> body;
  try {
    body.emplace(text, plan);
  } catch (const JsonError& e) {
    std::cerr << "chaintool: " << args[0] << ": " << e.what() << "\n";
    return kUnreadable;
  }
  auto chain = body->validate(params);
  if (!chain) {
    std::cout << "invalid: " << chain.error().message() << "\n";
    return kInvalid;
  }
  std::size_t posts = 0;
  for (const auto& block : *chain) posts += block.posts;
  std::cout << "valid: " << chain->size() << " blocks, height " << chain->back().index << ", "
            << posts << " posts, tip " << chain->back().hash << " (difficulty "
            << params.difficulty.describe() << ")\n";
  return kOk;
}

int cmd_mine(const po::variables_map& vm) {
  auto json = parse_or_report(read_all(std::cin), "stdin");
  if (!json) return kUnreadable;
  if (json->is_object()) {
    (*json)["nonce"] = 0;
    (*json)["hash"] = "";
  }
  auto block = block_from_json(*json);
  if (!block) {
    std::cerr << "chaintool mine: " << block.error().message() << "\n";
    return kUnreadable;
  }
  MiningRequest request{*block, difficulty_from(vm),
                        vm.count("threads") ? vm["threads"].as<unsigned>() : 1u};
  MiningResult result = mine(request);
  if (!result.found) {
    std::cerr << "chaintool mine: no nonce found\n";
    return kInvalid;
  }
  std::cout << canonical(block_to_json(result.block)) << "\n";
  return kOk;
}

int cmd_sign(const po::variables_map& vm) {
  if (!vm.count("key")) {
    std::cerr << "chaintool sign: --key FILE is required (a file from chaintool keygen)\n";
    return kUnreadable;
  }
  auto key_text = read_input(vm["key"].as<std::string>());
  if (!key_text) return kUnreadable;
  auto key = parse_or_report(*key_text, "key file");
  if (!key) return kUnreadable;
  if (!key->is_object() || !key->contains("private_key") || !(*key)["private_key"].is_string()) {
    std::cerr << "chaintool sign: key file has no \"private_key\" string\n";
    return kUnreadable;
  }
  auto post = parse_or_report(read_all(std::cin), "stdin");
  if (!post) return kUnreadable;
  auto signed_post = sign_post(*post, (*key)["private_key"].get<std::string>());
  if (!signed_post) {
    std::cerr << "chaintool sign: " << signed_post.error() << "\n";
    return kUnreadable;
  }
  std::cout << canonical(*signed_post) << "\n";
  return kOk;
}

int cmd_verify_post(const po::variables_map& vm) {
  auto post = parse_or_report(read_all(std::cin), "stdin");
  if (!post) return kUnreadable;
  ChainParams params{difficulty_from(vm), vm.count("require-signatures") != 0};
  if (auto verdict = check_post(*post, params)) {
    std::cout << "invalid: " << verdict->message() << "\n";
    return kInvalid;
  }
  std::cout << (signature_status(*post) == SignatureStatus::valid
                    ? "valid: signed by " + (*post)["public_key"].get<std::string>()
                    : std::string("valid: unsigned"))
            << "\n";
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string threads_help =
      "threads for mine (default 1; same nonce for any count) and verify (default the machine's, "
      "at most " +
      std::to_string(ChainScanPlan::kMaxThreads) + "; same verdict for any count)";
  po::options_description options("options");
  options.add_options()("help,h", "show this help")(
      "difficulty,d", po::value<unsigned>()->default_value(2),
      "proof of work in leading hex zeros")("difficulty-bits", po::value<unsigned>(),
                                            "proof of work in leading zero bits (overrides -d)")(
      "threads,t", po::value<unsigned>(), threads_help.c_str())(
      "key,k", po::value<std::string>(), "key file for sign")("require-signatures",
                                                              "treat unsigned posts as invalid");
  const cli::Usage usage{"chaintool", kUsage};
  const auto parsed = cli::parse_command_line(
      argc, argv, usage, options,
      {{"command", po::value<std::string>(), 1},
       {"args", po::value<std::vector<std::string>>()->default_value({}, ""), -1}});
  if (parsed.exit) return *parsed.exit;
  const po::variables_map& vm = parsed.vars;
  if (!vm.count("command")) {
    std::cout << kUsage << options;
    return kUnreadable;
  }
  if (vm.count("difficulty-bits") && vm["difficulty-bits"].as<unsigned>() > kMaxDifficultyBits) {
    std::cerr << "chaintool: --difficulty-bits is at most " << kMaxDifficultyBits << "\n";
    return kUnreadable;
  }
  if (vm["difficulty"].as<unsigned>() * 4 > kMaxDifficultyBits) {
    std::cerr << "chaintool: --difficulty is at most " << kMaxDifficultyBits / 4 << "\n";
    return kUnreadable;
  }
  const auto command = vm["command"].as<std::string>();
  const auto args = vm["args"].as<std::vector<std::string>>();
  if (command == "canonical" || command == "hash") {
    auto json = parse_or_report(read_all(std::cin), "stdin");
    if (!json) return kUnreadable;
    std::string bytes = canonical(*json);
    std::cout << (command == "hash" ? sha256_hex(bytes) : bytes) << "\n";
    return kOk;
  }
  if (command == "verify") return cmd_verify(vm, args);
  if (command == "mine") return cmd_mine(vm);
  if (command == "keygen") {
    auto keys = ed25519_generate();
    std::cout << canonical(Json{{"private_key", keys.private_key_hex},
                                {"public_key", keys.public_key_hex}})
              << "\n";
    return kOk;
  }
  if (command == "sign") return cmd_sign(vm);
  if (command == "verify-post") return cmd_verify_post(vm);
  return cli::usage_error(usage, options, "unknown command '" + command + "'");
}
