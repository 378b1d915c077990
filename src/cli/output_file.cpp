#include "output_file.hpp"

#include "fatal.hpp"
#include "rlm/util/display.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <unistd.h>

namespace rlm::cli {

void write_file_atomically(const std::string& path, const std::string& text) {
  const auto temporary = fmt::format("{}.partial-{}", path, ::getpid());
  std::FILE* file = std::fopen(temporary.c_str(), "wb");
  bool ok = file != nullptr && std::fwrite(text.data(), 1, text.size(), file) == text.size();
  if (file != nullptr) ok = std::fclose(file) == 0 && ok;
  std::error_code ec;
  if (ok) std::filesystem::rename(temporary, path, ec);
  if (!ok || ec) {
    std::filesystem::remove(temporary, ec);
    throw Fatal(ExitCode::output, fmt::format("cannot write {}", printable(path, 200)),
                "check that its directory exists and is writable");
  }
}

} // namespace rlm::cli
