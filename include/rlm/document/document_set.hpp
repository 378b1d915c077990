// The documents of one run, validated as text and held in one anonymous memory file (memfd)
// that the Lua worker maps: a 100 MB document is read once and never copied by the parent.
#pragma once

#include "rlm/util/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rlm::document {

struct DocumentInfo {
  std::string name;         // the path as given, or "stdin"
  std::uint64_t offset = 0; // where its bytes start in the memory file
  std::uint64_t bytes = 0;
  std::uint64_t characters = 0; // UTF-8 code points
  std::uint64_t lines = 0;      // newlines, plus one for a last line without one
};

// Move-only: it owns the memory file. Constructing one cannot fail; when the memory file
// cannot be created, the first add_file / add_text says so (ErrorKind::internal).
class DocumentSet {
public:
  DocumentSet();
  ~DocumentSet();
  DocumentSet(DocumentSet&& other) noexcept;
  DocumentSet& operator=(DocumentSet&& other) noexcept;
  DocumentSet(const DocumentSet&) = delete;
  DocumentSet& operator=(const DocumentSet&) = delete;

  // Adds the file at `path` ("-" reads standard input). Fails (ErrorKind::input) with one
  // line naming the problem and the fix: missing, unreadable, a directory, binary, not UTF-8
  // (with line and column), or empty; (ErrorKind::internal) when memory runs out.
  [[nodiscard]] Result<> add_file(const std::string& path);
  // Adds `text` under `name`, with the same checks (for tests and generated documents).
  [[nodiscard]] Result<> add_text(const std::string& name, std::string_view text);

  const std::vector<DocumentInfo>& documents() const { return m_documents; }
  std::uint64_t total_bytes() const { return m_size; }
  // The memory file, for handing to the worker; owned by this set.
  int fd() const { return m_fd; }
  // The bytes of document `index`, read from the memory file.
  std::string read(std::size_t index, std::uint64_t max_bytes = UINT64_MAX) const;
  // The last `max_bytes` bytes of document `index` (they may start inside a character).
  std::string read_tail(std::size_t index, std::uint64_t max_bytes) const;

private:
  Result<> memory_file() const; // fails when the constructor could not create it
  Result<> add_stream(int fd, const std::string& name);
  Result<> append(std::string_view bytes);
  std::string read_at(std::uint64_t offset, std::uint64_t bytes) const;

  int m_fd = -1;
  int m_create_errno = 0; // why the memory file could not be created, when m_fd < 0
  std::uint64_t m_size = 0;
  std::vector<DocumentInfo> m_documents;
};

} // namespace rlm::document
