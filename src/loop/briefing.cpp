#include "rlm/loop/briefing.hpp"

#include <fmt/format.h>

namespace rlm::loop {

namespace {

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

} // namespace

std::string utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t n = max_bytes;
  while (n > 0 && continuation(text[n])) --n;
  return std::string(text.substr(0, n));
}

std::string utf8_suffix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t from = text.size() - max_bytes;
  while (from < text.size() && continuation(text[from])) ++from;
  return std::string(text.substr(from));
}

std::string sub_prompt_limit(std::optional<std::int64_t> chars) {
  if (!chars) {
    return fmt::format("up to about {} characters", with_commas(k_unknown_window_prompt_chars));
  }
  return fmt::format("at most {} characters: what the sub model's window takes",
                     with_commas(*chars));
}

std::string briefing(const document::DocumentSet& documents, const std::string& query,
                     const PromptNumbers& numbers, std::size_t preview_chars) {
  const auto& docs = documents.documents();
  std::uint64_t chars = 0, lines = 0;
  for (const auto& d : docs) {
    chars += d.characters;
    lines += d.lines;
  }
  if (docs.size() > 1) {
    chars += 2 * (docs.size() - 1); // the blank lines that join them
    lines += docs.size() - 1;
  }
  std::string out = fmt::format(
      "The document is in the Lua variable `context`: {} characters, {} lines, about {} "
      "tokens. Do not print it whole.\n",
      with_commas(chars), with_commas(lines), with_commas(chars / 4));
  if (docs.size() > 1) {
    out += fmt::format("It joins {} files with a blank line between them; `documents[i]` has "
                       "each one's name, text, start and stop:\n",
                       docs.size());
    for (std::size_t i = 0; i < docs.size() && i < 50; ++i) {
      out += fmt::format("  {}. {}: {} characters, {} lines\n", i + 1, docs[i].name,
                         with_commas(docs[i].characters), with_commas(docs[i].lines));
    }
    if (docs.size() > 50) out += fmt::format("  ... and {} more\n", docs.size() - 50);
  }
  // A preview of the start (and end) of the first document, then of the others' starts.
  const auto first = documents.read(0, preview_chars * 4 + 8);
  out += "\nThe document begins:\n```text\n" + utf8_prefix(first, preview_chars) + "\n```\n";
  if (docs.size() == 1 && docs[0].bytes > preview_chars * 3) {
    out += "\nIt ends:\n```text\n" +
           utf8_suffix(documents.read_tail(0, preview_chars / 2 * 4), preview_chars / 2) +
           "\n```\n";
  }
  out += fmt::format("\nBudget: {} turns, {} sub-calls{}{}. Limits: printed output {} characters "
                     "a turn; each llm_query prompt {}.\n\nQuestion: {}\n",
                     numbers.max_iterations, numbers.sub_calls, numbers.budgets.empty() ? "" : ", ",
                     numbers.budgets, with_commas(numbers.output_chars),
                     sub_prompt_limit(numbers.sub_prompt_chars), query);
  return out;
}

} // namespace rlm::loop
