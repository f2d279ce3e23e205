#include "yournet/store/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <map>

namespace yournet::store {
namespace {

struct FinalizeStatement {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Blocks and posts share one sequence: the order the node accepted them, replayed on load.
CREATE TABLE IF NOT EXISTS blocks(seq INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,
                                  height INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS posts(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS peers(address TEXT PRIMARY KEY);
)sql";

std::string column_text(sqlite3_stmt* statement, int column) {
  const unsigned char* text = sqlite3_column_text(statement, column);
  return text ? std::string(reinterpret_cast<const char*>(text)) : std::string();
}

}  // namespace

SqliteStore::SqliteStore(const std::filesystem::path& file, const ChainParams& params)
    : file_(file) {
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(file_.string() + ": cannot open: " + why);
  }
  try {
    // Exclusive locking before WAL: the file stays locked for this process (a second node on the
    // same directory is refused) and WAL needs no shared-memory index.
    execute("PRAGMA locking_mode=EXCLUSIVE");
    execute("PRAGMA journal_mode=WAL");
    execute("PRAGMA synchronous=FULL");
    execute("BEGIN IMMEDIATE");
    execute(kSchema);
    const std::string difficulty = std::to_string(params.difficulty.zero_bits);
    const std::string signatures = params.require_signatures ? "1" : "0";
    std::map<std::string, std::string> meta;
    {
      Statement statement;
      sqlite3_stmt* raw = nullptr;
      if (sqlite3_prepare_v2(db_, "SELECT key, value FROM meta", -1, &raw, nullptr) != SQLITE_OK) {
        fail("reading meta");
      }
      statement.reset(raw);
      int step;
      while ((step = sqlite3_step(raw)) == SQLITE_ROW)
        meta[column_text(raw, 0)] = column_text(raw, 1);
      if (step != SQLITE_DONE) fail("reading meta");
    }
    if (meta.empty()) {
      write(
          "INSERT INTO meta(key, value) VALUES ('schema_version', ?), ('difficulty_bits', ?), "
          "('require_signatures', ?)",
          {std::to_string(kSchemaVersion), difficulty, signatures});
    } else {
      if (meta["schema_version"] != std::to_string(kSchemaVersion)) {
        throw StoreError(file_.string() + ": schema version " + meta["schema_version"] +
                         ", this chainnode reads version " + std::to_string(kSchemaVersion));
      }
      if (meta["difficulty_bits"] != difficulty || meta["require_signatures"] != signatures) {
        throw StoreError(file_.string() + ": made for difficulty " + meta["difficulty_bits"] +
                         " bits and require_signatures=" + meta["require_signatures"] +
                         "; this node runs with " + difficulty + " bits and require_signatures=" +
                         signatures + " (start it with the same options, or use another --data)");
      }
    }
    execute("COMMIT");
    Statement statement;
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_,
                           "SELECT max(coalesce((SELECT max(seq) FROM blocks), 0),"
                           " coalesce((SELECT max(seq) FROM posts), 0))",
                           -1, &raw, nullptr) != SQLITE_OK) {
      fail("reading the sequence");
    }
    statement.reset(raw);
    if (sqlite3_step(raw) != SQLITE_ROW) fail("reading the sequence");
    next_sequence_ = sqlite3_column_int64(raw, 0) + 1;
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteStore::~SqliteStore() {
  sqlite3_close(db_);
}

void SqliteStore::fail(const std::string& what) const {
  std::string why = sqlite3_errmsg(db_);
  if (sqlite3_errcode(db_) == SQLITE_BUSY)
    why += " (is another chainnode using this --data directory?)";
  throw StoreError(file_.string() + ": " + what + ": " + why);
}

void SqliteStore::execute(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string why = error ? error : "unknown error";
    sqlite3_free(error);
    if (sqlite3_errcode(db_) == SQLITE_BUSY)
      why += " (is another chainnode using this --data directory?)";
    throw StoreError(file_.string() + ": " + why);
  }
}

void SqliteStore::write(const char* sql, std::initializer_list<std::string> texts,
                        std::int64_t number) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr) != SQLITE_OK) fail("preparing a write");
  Statement statement(raw);
  int index = 1;
  if (number >= 0) sqlite3_bind_int64(raw, index++, number);
  for (const auto& text : texts) {
    sqlite3_bind_text(raw, index++, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  // Outside BEGIN...COMMIT a statement is its own transaction, durable when step returns.
  if (sqlite3_step(raw) != SQLITE_DONE) fail("writing");
}

void SqliteStore::save_block(const std::shared_ptr<const Block>& shared) {
  const Block& block = *shared;
  write("INSERT OR IGNORE INTO blocks(seq, hash, height, body) VALUES (?, ?, ?, ?)",
        {block.hash, std::to_string(block.index), block_to_json(block).dump()}, next_sequence_++);
}

void SqliteStore::save_post(const std::string& id, const Json& post) {
  write("INSERT OR IGNORE INTO posts(seq, id, body) VALUES (?, ?, ?)", {id, post.dump()},
        next_sequence_++);
}

void SqliteStore::save_peer(const std::string& address) {
  write("INSERT OR IGNORE INTO peers(address) VALUES (?)", {address});
}

void SqliteStore::remove_peer(const std::string& address) {
  write("DELETE FROM peers WHERE address = ?", {address});
}

StoredState SqliteStore::load() const {
  StoredState state;
  auto query = [this](const char* sql, auto&& row) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr) != SQLITE_OK) fail("reading");
    Statement statement(raw);
    int step;
    while ((step = sqlite3_step(raw)) == SQLITE_ROW) row(raw);
    if (step != SQLITE_DONE) fail("reading");
  };
  query(
      "SELECT 0, seq, hash, body FROM blocks UNION ALL SELECT 1, seq, id, body FROM posts ORDER BY "
      "2",
      [&](sqlite3_stmt* row) {
        state.records.push_back(StoredRecord{
            sqlite3_column_int(row, 0) == 0 ? StoredRecord::Kind::block : StoredRecord::Kind::post,
            static_cast<std::uint64_t>(sqlite3_column_int64(row, 1)), column_text(row, 2),
            column_text(row, 3), nullptr});
      });
  query("SELECT address FROM peers ORDER BY rowid",
        [&](sqlite3_stmt* row) { state.peers.push_back(column_text(row, 0)); });
  return state;
}

}  // namespace yournet::store
