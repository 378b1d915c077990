#include "rlm/util/console.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/ioctl.h>
#include <unistd.h>

namespace rlm {

namespace {
// The errno of the first failed write to stdout (0: none). stdout is process-wide state, so
// its error is too.
std::atomic<int> g_stdout_errno{0};
} // namespace

void protect_standard_streams() {
  std::signal(SIGPIPE, SIG_IGN);
  for (const int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int opened = ::open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
    if (opened >= 0 && opened != fd) {
      ::dup2(opened, fd);
      ::close(opened);
    }
    if (fd == STDOUT_FILENO) g_stdout_errno.store(EBADF); // the answer has nowhere to go
  }
}

void write_stdout(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) {
    int expected = 0;
    g_stdout_errno.compare_exchange_strong(expected, errno != 0 ? errno : EIO);
  }
}

void write_stderr_line(std::string_view level, std::string_view message) {
  std::string line = "rlm: ";
  line.append(level).append(": ").append(message).append("\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

void write_stderr_raw(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

bool stdin_is_terminal() { return ::isatty(STDIN_FILENO) == 1; }

std::string fit_to_terminal(std::string_view line) {
  winsize size{};
  const std::size_t columns =
      ::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1 ? size.ws_col - 1U : 79U;
  std::size_t shown = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) continue; // inside a character
    if (shown == columns) return std::string(line.substr(0, i));
    ++shown;
  }
  return std::string(line);
}

bool stdout_reader_gone() { return g_stdout_errno.load() == EPIPE; }

std::string_view stdout_failed() {
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  const int flush_errno = errno;
  if (!flushed && flush_errno != 0) {
    int expected = 0;
    g_stdout_errno.compare_exchange_strong(expected, flush_errno);
  }
  if (flushed && std::ferror(stdout) == 0 && g_stdout_errno.load() == 0) return {};
  const int code = g_stdout_errno.load() != 0 ? g_stdout_errno.load() : flush_errno;
  return code != 0 ? std::strerror(code) : "write error";
}

} // namespace rlm
