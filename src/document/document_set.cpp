#include "rlm/document/document_set.hpp"

#include "rlm/document/utf8.hpp"
#include "rlm/util/display.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace rlm::document {

namespace {

constexpr std::size_t k_read_chunk = 1 << 20;

std::unexpected<Error> input_error(std::string message, std::string hint = {}) {
  return fail(ErrorKind::input, std::move(message), std::move(hint));
}

std::unexpected<Error> empty_error(const std::string& name) {
  return input_error(fmt::format("{} is empty", name), "give rlm a document with text in it");
}

// Closes a file descriptor when the scope ends.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd > 2) ::close(fd);
  }
};

} // namespace

DocumentSet::DocumentSet() : m_fd(::memfd_create("rlm-documents", MFD_CLOEXEC)) {
  if (m_fd < 0) m_create_errno = errno; // reported by the first add: constructing never fails
}

DocumentSet::~DocumentSet() {
  if (m_fd >= 0) ::close(m_fd);
}

DocumentSet::DocumentSet(DocumentSet&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)),
      m_create_errno(std::exchange(other.m_create_errno, EBADF)), m_size(other.m_size),
      m_documents(std::move(other.m_documents)) {}

DocumentSet& DocumentSet::operator=(DocumentSet&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = std::exchange(other.m_fd, -1);
    m_create_errno = std::exchange(other.m_create_errno, EBADF); // a moved-from set holds none
    m_size = other.m_size;
    m_documents = std::move(other.m_documents);
  }
  return *this;
}

Result<> DocumentSet::memory_file() const {
  if (m_fd >= 0) return {};
  return fail(ErrorKind::internal,
              fmt::format("cannot create a memory file: {}", std::strerror(m_create_errno)));
}

Result<> DocumentSet::append(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto written = ::pwrite(m_fd, bytes.data(), bytes.size(), static_cast<off_t>(m_size));
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      return fail(ErrorKind::internal,
                  fmt::format("cannot hold the document in memory: {}", std::strerror(errno)),
                  "free some memory (or /dev/shm space) and try again");
    }
    m_size += static_cast<std::uint64_t>(written);
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

Result<> DocumentSet::add_stream(int fd, const std::string& name) {
  DocumentInfo info{name, m_size, 0, 0, 0};
  Utf8Scanner scanner;
  std::vector<char> buffer(k_read_chunk);
  bool ends_with_newline = false;
  for (;;) {
    const auto got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      return input_error(fmt::format("cannot read {}: {}", name, std::strerror(errno)),
                         "check the file");
    }
    if (got == 0) break;
    const std::string_view piece(buffer.data(), static_cast<std::size_t>(got));
    if (const auto problem = scanner.feed(piece)) return input_error(describe(*problem, name));
    if (auto appended = append(piece); !appended) return appended;
    ends_with_newline = piece.back() == '\n';
  }
  if (const auto problem = scanner.finish()) return input_error(describe(*problem, name));
  info.bytes = scanner.bytes();
  info.characters = scanner.characters();
  info.lines = scanner.newlines() + (info.bytes > 0 && !ends_with_newline ? 1 : 0);
  if (info.bytes == 0) return empty_error(name);
  m_documents.push_back(std::move(info));
  return {};
}

Result<> DocumentSet::add_file(const std::string& path) {
  if (auto ready = memory_file(); !ready) return ready;
  if (path == "-") return add_stream(STDIN_FILENO, "stdin");
  const auto shown = printable(path, 200);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    return input_error(fmt::format("cannot read {}: {}", shown, std::strerror(error)),
                       error == ENOENT ? "check the path" : "check the file's permissions");
  }
  const FdCloser closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    return input_error(fmt::format("{} is a directory", shown),
                       "name a text file, or concatenate the files: cat dir/* | rlm ...");
  }
  return add_stream(fd, path);
}

Result<> DocumentSet::add_text(const std::string& name, std::string_view text) {
  if (auto ready = memory_file(); !ready) return ready;
  DocumentInfo info{name, m_size, text.size(), 0, 0};
  Utf8Scanner scanner;
  if (auto problem = scanner.feed(text); problem || (problem = scanner.finish()))
    return input_error(describe(*problem, name));
  if (text.empty()) return empty_error(name);
  info.characters = scanner.characters();
  info.lines = scanner.newlines() + (text.back() != '\n' ? 1 : 0);
  if (auto appended = append(text); !appended) return appended;
  m_documents.push_back(std::move(info));
  return {};
}

std::string DocumentSet::read(std::size_t index, std::uint64_t max_bytes) const {
  const auto& info = m_documents.at(index);
  return read_at(info.offset, std::min(info.bytes, max_bytes));
}

std::string DocumentSet::read_tail(std::size_t index, std::uint64_t max_bytes) const {
  const auto& info = m_documents.at(index);
  const auto n = std::min(info.bytes, max_bytes);
  return read_at(info.offset + info.bytes - n, n);
}

std::string DocumentSet::read_at(std::uint64_t offset, std::uint64_t bytes) const {
  std::string out(static_cast<std::size_t>(bytes), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const auto got =
        ::pread(m_fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    done += static_cast<std::size_t>(got);
  }
  out.resize(done);
  return out;
}

} // namespace rlm::document
