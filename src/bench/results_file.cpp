#include "rlm/bench/results_file.hpp"

#include "rlm/util/display.hpp"
#include "rlm/util/untrusted_json.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string_view>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rlm::bench {

namespace {

struct FileText {
  bool exists = false;
  std::string text;
};

Result<FileText> read_whole(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return FileText{};
    return fail(ErrorKind::input,
                fmt::format("cannot read the results file {}: {}", printable(path, 200),
                            std::strerror(errno)),
                "check the path and its permissions");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(ErrorKind::input,
                fmt::format("the results file {} is not a regular file", printable(path, 200)),
                "name a .jsonl file with --out");
  }
  FileText file{true, {}};
  char buffer[1 << 16];
  for (;;) {
    const auto n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return fail(ErrorKind::input,
                  fmt::format("cannot read the results file {}: {}", printable(path, 200),
                              std::strerror(error)),
                  "check the file");
    }
    if (n == 0) break;
    file.text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return file;
}

} // namespace

Result<ReadResults> parse_results(const std::string& path, std::string_view text) {
  ReadResults results;
  std::size_t lines = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = std::min(text.find('\n', at), text.size());
    const auto line = text.substr(at, end - at);
    at = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    ++lines;
    const auto j = parse_untrusted_json(line); // depth-limited: the file may be a stranger's
    auto record = j ? record_from_json(*j) : Result<TaskRecord>(fail(ErrorKind::input, "not JSON"));
    if (record) {
      results.records.push_back(std::move(*record));
    } else {
      ++results.bad_lines;
    }
  }
  // A file whose only line was cut short by a crash (no newline at its end) is ours.
  const bool only_a_cut_line = lines == 1 && !text.empty() && text.back() != '\n' &&
                               text.find("\"type\":\"task\"") != std::string_view::npos;
  if (lines > 0 && results.records.empty() && !only_a_cut_line) {
    return fail(ErrorKind::input,
                fmt::format("{} is not an rlm bench results file (none of its {} line{} is a "
                            "task record)",
                            printable(path, 200), lines, lines == 1 ? "" : "s"),
                "name a new file with --out, or the .jsonl file an earlier rlm bench wrote");
  }
  return results;
}

Result<ReadResults> read_results(const std::string& path) {
  const auto file = read_whole(path);
  if (!file) return std::unexpected(file.error());
  if (!file->exists) {
    return fail(ErrorKind::input, fmt::format("no results file {}", printable(path, 200)),
                "check the path: rlm bench writes rlm-bench.jsonl unless given --out");
  }
  return parse_results(path, file->text);
}

Result<std::unique_ptr<ResultsFile>> ResultsFile::open(std::string path) {
  const auto file = read_whole(path);
  if (!file) return std::unexpected(file.error());
  auto results = parse_results(path, file->text);
  if (!results) return std::unexpected(results.error());
  // The constructor is private: only a file opened here exists.
  std::unique_ptr<ResultsFile> opened(new ResultsFile(std::move(path)));
  opened->m_existing = std::move(results->records);
  opened->m_bad_lines = results->bad_lines;
  for (const auto& r : opened->m_existing) opened->m_keys.insert(r.key);
  opened->m_created = !file->exists;
  if (auto ready = opened->open_for_append(file->text); !ready) {
    return std::unexpected(ready.error());
  }
  return opened;
}

// Opens the file for appending and takes its lock; `text` is what it held before.
Result<> ResultsFile::open_for_append(const std::string& text) {
  m_fd = ::open(m_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (m_fd < 0) {
    return fail(ErrorKind::output,
                fmt::format("cannot write the results file {}: {}", printable(m_path, 200),
                            std::strerror(errno)),
                "check that its directory exists and is writable, or choose another --out");
  }
  // Two runs appending to one file would both run every task: one at a time.
  if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(m_fd);
    m_fd = -1; // the file is the other run's: never removed by this one
    return fail(ErrorKind::usage,
                fmt::format("another rlm bench is writing {}", printable(m_path, 200)),
                "wait for it to finish, or give this run its own --out");
  }
  // A line cut short by a crash: end it, so the next record starts on a line of its own.
  if (!text.empty() && text.back() != '\n') {
    if (::write(m_fd, "\n", 1) != 1) {
      return fail(ErrorKind::output,
                  fmt::format("cannot write the results file {}: {}", printable(m_path, 200),
                              std::strerror(errno)),
                  "check the disk");
    }
  }
  return {};
}

ResultsFile::~ResultsFile() {
  // A file this run created and never wrote to would only be litter.
  if (m_created && !m_appended && m_fd >= 0) ::unlink(m_path.c_str());
  if (m_fd >= 0) ::close(m_fd);
}

bool ResultsFile::done(const std::string& key) const { return m_keys.contains(key); }

Result<> ResultsFile::append(const TaskRecord& record) {
  const auto line =
      to_json(record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(m_mutex);
  if (m_broken) {
    return fail(ErrorKind::output,
                fmt::format("the results file {} could not be written", printable(m_path, 200)),
                "free some disk space and run the same command again: finished tasks are kept");
  }
  std::size_t written = 0;
  while (written < line.size()) {
    const auto n = ::write(m_fd, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      m_appended = true; // a half line is there: keep the file
      m_broken = true;   // a half line is there now: the next run ends it, this one stops
      return fail(ErrorKind::output,
                  fmt::format("cannot append to the results file {}: {}", printable(m_path, 200),
                              std::strerror(errno)),
                  "free some disk space and run the same command again: finished tasks are kept");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fdatasync(m_fd) != 0 && errno != EINVAL) {
    m_broken = true;
    return fail(ErrorKind::output,
                fmt::format("cannot sync the results file {}: {}", printable(m_path, 200),
                            std::strerror(errno)),
                "check the disk, then run the same command again: finished tasks are kept");
  }
  m_keys.insert(record.key);
  m_appended = true;
  return {};
}

} // namespace rlm::bench
