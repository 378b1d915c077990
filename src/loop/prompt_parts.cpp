#include "prompt_parts.hpp"

#include <fmt/format.h>

namespace rlm::loop {

namespace {

// Room kept in each part for its label, "\n\n[part 1234 of 1234]\n".
constexpr std::size_t k_label_room = 32;
// A first line longer than this (or than a quarter of a part) is text, not an instruction.
constexpr std::size_t k_max_instruction = 2'000;
// Parts smaller than this would be too many to be useful.
constexpr std::size_t k_min_part = 256;

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Where the part that starts at `from` should end: at most `room` characters on, after the
// last line break (else space) in its second half, and never inside a UTF-8 sequence.
std::size_t part_end(std::string_view text, std::size_t from, std::size_t room) {
  if (text.size() - from <= room) return text.size();
  const auto limit = from + room;
  const auto half = from + room / 2;
  for (const char sep : {'\n', ' '}) {
    const auto at = text.rfind(sep, limit - 1);
    if (at != std::string_view::npos && at >= half) return at + 1;
  }
  auto end = limit;
  while (end > from + 1 && continuation(text[end])) --end;
  return end;
}

std::string label(std::size_t i, std::size_t n) { return fmt::format("[part {} of {}]", i, n); }

} // namespace

std::optional<std::vector<std::string>> split_prompt(std::string_view prompt,
                                                     std::size_t max_chars) {
  if (prompt.size() <= max_chars) return std::nullopt;
  std::string_view instruction;
  std::string_view text = prompt;
  if (const auto eol = prompt.find('\n');
      eol != std::string_view::npos && eol <= k_max_instruction && eol <= max_chars / 4) {
    instruction = prompt.substr(0, eol);
    text = prompt.substr(eol + 1);
  }
  if (max_chars < instruction.size() + k_label_room + k_min_part) return std::nullopt;
  const auto room = max_chars - instruction.size() - k_label_room;
  std::vector<std::string_view> pieces;
  for (std::size_t from = 0; from < text.size();) {
    const auto end = part_end(text, from, room);
    pieces.push_back(text.substr(from, end - from));
    from = end;
  }
  std::vector<std::string> parts;
  parts.reserve(pieces.size());
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const auto head = label(i + 1, pieces.size());
    parts.push_back(instruction.empty()
                        ? fmt::format("{}\n{}", head, pieces[i])
                        : fmt::format("{}\n\n{}\n{}", instruction, head, pieces[i]));
  }
  return parts;
}

std::string join_part_answers(const std::vector<std::string>& answers) {
  std::string out;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (i > 0) out += "\n\n";
    out += label(i + 1, answers.size()) + "\n" + answers[i];
  }
  return out;
}

} // namespace rlm::loop
