// A results file: JSON lines, one finished task each, only ever appended to. Each record
// is written with one write(2) and synced before the next task's record, so a crash or
// Ctrl-C loses at most the tasks still running, and a rerun skips every task recorded.
#pragma once

#include "rlm/bench/record.hpp"
#include "rlm/util/error.hpp"

#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace rlm::bench {

struct ReadResults {
  std::vector<TaskRecord> records;
  std::size_t bad_lines = 0; // lines that were not records (e.g. one cut short by a crash)
};

// Reads a results file. An input Error when it is missing or cannot be read, is a
// directory, or holds no records but other lines (not a results file).
Result<ReadResults> read_results(const std::string& path);
// The same, for the text of a file named `path`.
Result<ReadResults> parse_results(const std::string& path, std::string_view text);

class ResultsFile {
public:
  // Opens `path` for appending, creating it, and locks it against a second run; reads the
  // records already there. An Error (input, output, or usage when another run holds the
  // lock) with the path and the fix when it cannot.
  static Result<std::unique_ptr<ResultsFile>> open(std::string path);
  // Removes the file again when this run created it and wrote nothing.
  ~ResultsFile();
  ResultsFile(const ResultsFile&) = delete;
  ResultsFile& operator=(const ResultsFile&) = delete;

  const std::string& path() const { return m_path; }
  const std::vector<TaskRecord>& existing() const { return m_existing; }
  std::size_t bad_lines() const { return m_bad_lines; }
  bool done(const std::string& key) const;

  // Appends one record and syncs it to disk. Thread-safe. An output Error when the write
  // fails (disk full): the records written before stay, and every later append fails too.
  Result<> append(const TaskRecord& record);

private:
  explicit ResultsFile(std::string path) : m_path(std::move(path)) {}
  Result<> open_for_append(const std::string& text);

  std::string m_path;
  int m_fd = -1;
  std::vector<TaskRecord> m_existing;
  std::set<std::string> m_keys;
  std::size_t m_bad_lines = 0;
  bool m_broken = false;   // a write failed: no more appends in this run
  bool m_created = false;  // the file did not exist before this run
  bool m_appended = false; // anything was written to it
  std::mutex m_mutex;
};

} // namespace rlm::bench
