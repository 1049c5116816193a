#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>

// A thin SQLite wrapper for the demo services: one connection guarded by a mutex (the
// services are small; a lock per operation keeps them simple and correct).
namespace ordeal::targets::demo {

struct sqlite_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class statement {
 public:
  statement(sqlite3* db, const char* sql);
  ~statement();
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  statement& bind(int index, std::int64_t value);  // 1-based
  statement& bind(int index, const std::string& value);
  bool step();  // true: a row is ready; false: done. Throws sqlite_error.
  std::int64_t int_column(int index) const;  // 0-based
  std::string text_column(int index) const;
  bool null_column(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class sqlite_db {
 public:
  // Opens (creating) the file in WAL mode with a busy timeout, so that two processes (the old
  // and the new one of a graceful restart) can share it. Throws sqlite_error.
  explicit sqlite_db(const std::string& path);
  ~sqlite_db();
  sqlite_db(const sqlite_db&) = delete;
  sqlite_db& operator=(const sqlite_db&) = delete;

  void exec(const char* sql);  // throws sqlite_error
  std::int64_t last_insert_id() const;
  sqlite3* handle() const noexcept { return db_; }

  // Held around every use of the connection.
  std::mutex& mutex() noexcept { return mutex_; }

 private:
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

// Commits on commit(), rolls back when destroyed otherwise (a handler that throws).
class transaction {
 public:
  explicit transaction(sqlite_db& db, const char* begin = "BEGIN IMMEDIATE");
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit();

 private:
  sqlite_db& db_;
  bool done_ = false;
};

}  // namespace ordeal::targets::demo
