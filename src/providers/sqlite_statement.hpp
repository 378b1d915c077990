// One prepared SQLite statement, finalized when it goes out of scope, with the few binds and
// reads the call cache needs. Every step's result code is returned, never thrown.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace rlm::providers {

class SqliteStatement {
public:
  SqliteStatement(sqlite3* db, std::string_view sql) {
    m_status =
        sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &m_statement, nullptr);
  }
  ~SqliteStatement() { sqlite3_finalize(m_statement); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  bool prepared() const { return m_status == SQLITE_OK; }
  int status() const { return m_status; }

  void bind(int index, std::int64_t value) { sqlite3_bind_int64(m_statement, index, value); }
  void bind(int index, double value) { sqlite3_bind_double(m_statement, index, value); }
  void bind(int index, std::string_view text) {
    sqlite3_bind_text64(m_statement, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  }

  // SQLITE_ROW, SQLITE_DONE, or an error code (SQLITE_BUSY, SQLITE_CORRUPT, ...).
  int step() { return prepared() ? sqlite3_step(m_statement) : m_status; }

  std::int64_t integer(int column) const { return sqlite3_column_int64(m_statement, column); }
  double number(int column) const { return sqlite3_column_double(m_statement, column); }
  bool is_null(int column) const { return sqlite3_column_type(m_statement, column) == SQLITE_NULL; }
  std::string text(int column) const {
    const auto* bytes = sqlite3_column_text(m_statement, column);
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(m_statement, column));
    return bytes == nullptr ? std::string()
                            : std::string(reinterpret_cast<const char*>(bytes), size);
  }

private:
  sqlite3_stmt* m_statement = nullptr;
  int m_status = SQLITE_OK;
};

} // namespace rlm::providers
