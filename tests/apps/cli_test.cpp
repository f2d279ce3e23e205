// yournet::cli, the command-line pieces every main shares.
#include "yournet/cli/cli.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <csignal>
#include <string>
#include <vector>

namespace po = boost::program_options;
using namespace yournet;

namespace {

// argv for the parser, from words.
struct Args {
  explicit Args(std::vector<std::string> words) : words_(std::move(words)) {
    for (auto& word : words_) pointers_.push_back(word.data());
  }
  int argc() const { return static_cast<int>(pointers_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> words_;
  std::vector<char*> pointers_;
};

po::options_description tool_options(unsigned& count) {
  po::options_description options("tool options");
  options.add_options()("help,h", "show this help")("count", po::value(&count), "how many");
  return options;
}

TEST(Cli, ParsesOptionsAndPositionalsInOrder) {
  unsigned count = 0;
  const auto options = tool_options(count);
  Args args({"tool", "run", "--count", "3", "a", "b"});
  const auto parsed =
      cli::parse_command_line(args.argc(), args.argv(), {"tool", "usage: tool COMMAND\n"}, options,
                              {{"command", po::value<std::string>(), 1},
                               {"args", po::value<std::vector<std::string>>(), -1}});
  ASSERT_FALSE(parsed.exit);
  EXPECT_EQ(count, 3u);  // notified into the bound variable
  EXPECT_EQ(parsed.vars["command"].as<std::string>(), "run");
  EXPECT_EQ(parsed.vars["args"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"a", "b"}));
}

TEST(Cli, HelpPrintsUsageAndOptionsOnStdoutAndExits0) {
  unsigned count = 0;
  const auto options = tool_options(count);
  Args args({"tool", "--help"});
  testing::internal::CaptureStdout();
  const auto parsed =
      cli::parse_command_line(args.argc(), args.argv(), {"tool", "usage: tool\n"}, options);
  const std::string out = testing::internal::GetCapturedStdout();
  ASSERT_TRUE(parsed.exit);
  EXPECT_EQ(*parsed.exit, cli::kExitOk);
  EXPECT_EQ(out.rfind("usage: tool\ntool options:\n", 0), 0u) << out;
  EXPECT_NE(out.find("--count"), std::string::npos);
}

TEST(Cli, BadOptionNamesItOnStderrAndExits2) {
  unsigned count = 0;
  const auto options = tool_options(count);
  for (std::vector<std::string> words :
       {std::vector<std::string>{"tool", "--bogus"}, {"tool", "--count", "x"}, {"tool", "extra"}}) {
    Args args(words);
    testing::internal::CaptureStderr();
    const auto parsed =
        cli::parse_command_line(args.argc(), args.argv(), {"tool", "usage: tool\n"}, options);
    const std::string err = testing::internal::GetCapturedStderr();
    ASSERT_TRUE(parsed.exit) << words.back();
    EXPECT_EQ(*parsed.exit, cli::kExitUsage);
    EXPECT_EQ(err.rfind("tool: ", 0), 0u) << err;
    EXPECT_NE(err.find("usage: tool\ntool options:"), std::string::npos) << err;
  }
}

TEST(Cli, ConnectionLimitsKeepTheirDefaultsTakeNewValuesAndRefuseZero) {
  std::size_t max_connections = 256, per_client = 32;
  po::options_description options("server options");
  cli::add_connection_limit_options(options, max_connections, per_client);
  {
    Args args({"server"});
    ASSERT_FALSE(cli::parse_command_line(args.argc(), args.argv(), {"server", ""}, options).exit);
    EXPECT_EQ(max_connections, 256u);
    EXPECT_EQ(per_client, 32u);
  }
  {
    Args args({"server", "--max-connections", "9", "--max-connections-per-client", "3"});
    ASSERT_FALSE(cli::parse_command_line(args.argc(), args.argv(), {"server", ""}, options).exit);
    EXPECT_EQ(max_connections, 9u);
    EXPECT_EQ(per_client, 3u);
  }
  for (const char* name : {"--max-connections", "--max-connections-per-client"}) {
    Args args({"server", name, "0"});
    testing::internal::CaptureStderr();
    const auto parsed = cli::parse_command_line(args.argc(), args.argv(), {"server", ""}, options);
    const std::string err = testing::internal::GetCapturedStderr();
    ASSERT_TRUE(parsed.exit) << name;
    EXPECT_EQ(*parsed.exit, cli::kExitUsage);
    EXPECT_EQ(err.rfind(std::string("server: ") + name + " must be positive\n", 0), 0u) << err;
  }
}

TEST(Cli, SetsTheLogLevelByNameAndRefusesAnUnknownOne) {
  const auto before = spdlog::get_level();
  EXPECT_TRUE(cli::set_log_level("tool", "warn"));
  EXPECT_EQ(spdlog::get_level(), spdlog::level::warn);
  EXPECT_TRUE(cli::set_log_level("tool", "off"));
  EXPECT_EQ(spdlog::get_level(), spdlog::level::off);
  testing::internal::CaptureStderr();
  EXPECT_FALSE(cli::set_log_level("tool", "loud"));
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "tool: unknown --log-level loud\n");
  EXPECT_EQ(spdlog::get_level(), spdlog::level::off);  // unchanged
  spdlog::set_level(before);
}

TEST(Cli, StopOnSignalRunsStopOnTheIoContextForSigtermAndSigint) {
  for (int signal : {SIGTERM, SIGINT}) {
    boost::asio::io_context io;
    int stops = 0;
    cli::StopOnSignal stop_on_signal(io, [&] {
      ++stops;
      io.stop();
    });
    boost::asio::post(io, [signal] { std::raise(signal); });
    io.run();  // returns only once stop() ran: the signal did not end the process
    EXPECT_EQ(stops, 1) << signal;
  }
}

}  // namespace
