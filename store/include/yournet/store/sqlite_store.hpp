#pragma once
// NodeStore in one SQLite file: WAL journal, synchronous=FULL, one transaction per record, so a
// record is on disk when a save returns. The file is locked for the process that opened it.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "yournet/node/store.hpp"

struct sqlite3;

namespace yournet::store {

inline constexpr int kSchemaVersion = 1;

class SqliteStore : public NodeStore {
 public:
  // Opens the file, creating it and its schema if absent. Throws StoreError naming the file and
  // the fault: not a database, another schema version, other chain parameters, in use by another
  // process.
  SqliteStore(const std::filesystem::path& file, const ChainParams& params);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // Every record, in acceptance order, and the peers; not validated (Node::load does that).
  StoredState load() const;

  void save_block(const std::shared_ptr<const Block>& block) override;
  void save_post(const std::string& id, const Json& post) override;
  void save_peer(const std::string& address) override;
  void remove_peer(const std::string& address) override;

  const std::filesystem::path& file() const { return file_; }

 private:
  void execute(const std::string& sql);
  // Runs one statement with text parameters as its own transaction.
  void write(const char* sql, std::initializer_list<std::string> texts, std::int64_t number = -1);
  [[noreturn]] void fail(const std::string& what) const;

  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  std::int64_t next_sequence_ = 1;
};

}  // namespace yournet::store
