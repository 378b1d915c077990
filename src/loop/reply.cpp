#include "rlm/loop/reply.hpp"

#include "rlm/providers/reasoning.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace rlm::loop {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The number of backticks (or tildes) opening a fence on `line`, or 0.
std::size_t fence_length(std::string_view line, char& mark) {
  std::size_t indent = 0;
  while (indent < line.size() && indent < 3 && line[indent] == ' ') ++indent;
  line.remove_prefix(indent);
  if (line.empty() || (line[0] != '`' && line[0] != '~')) return 0;
  mark = line[0];
  std::size_t n = 0;
  while (n < line.size() && line[n] == mark) ++n;
  return n >= 3 ? n : 0;
}

// "FINAL(x)" with optional markdown around it (**, `, >), or nothing.
std::optional<std::string> call_on_line(std::string_view line, std::string_view name) {
  line = trim(line);
  for (const std::string_view wrap : {"**", "`", ">", "*"}) {
    while (line.starts_with(wrap)) line = trim(line.substr(wrap.size()));
    while (line.ends_with(wrap)) line = trim(line.substr(0, line.size() - wrap.size()));
  }
  if (line.starts_with("Final answer:")) line = trim(line.substr(13));
  if (!line.starts_with(name) || line.size() < name.size() + 2 || line[name.size()] != '(' ||
      line.back() != ')')
    return std::nullopt;
  auto inner = trim(line.substr(name.size() + 1, line.size() - name.size() - 2));
  // A quoted answer loses its quotes: FINAL("42") and FINAL(42) both mean 42.
  for (const std::string_view q : {"\"\"\"", "\"", "'", "[[", "`"}) {
    const std::string_view close = q == "[[" ? "]]" : q;
    if (inner.size() >= q.size() + close.size() && inner.starts_with(q) && inner.ends_with(close)) {
      inner = inner.substr(q.size(), inner.size() - q.size() - close.size());
      break;
    }
  }
  return std::string(inner);
}

// The language word after an opening fence of `fence` marks ("lua", "python", "" for none).
std::string fence_language(std::string_view line, std::size_t fence) {
  const auto label = lower(trim(trim(line).substr(fence)));
  return label.substr(0, label.find_first_of(" \t{"));
}

bool runnable_language(std::string_view word) {
  return word.empty() || word == "lua" || word == "repl" || word == "lua5.4";
}

// Whether `line` (with `fence` marks of `mark`) closes a block opened by `open_length` marks
// of `open_mark`: as many marks or more, of the same kind, and nothing else.
bool closes_block(std::string_view line, std::size_t fence, char mark, std::size_t open_length,
                  char open_mark) {
  return fence >= open_length && mark == open_mark &&
         trim(line).find_first_not_of(mark) == std::string_view::npos;
}

Reply parse_answer(std::string_view text) {
  Reply reply;
  std::size_t at = 0;
  bool in_code = false;
  bool runnable = false;
  std::size_t open_length = 0;
  char open_mark = '`';
  std::string block;
  while (at <= text.size()) {
    const auto end = std::min(text.find('\n', at), text.size());
    const auto line = text.substr(at, end - at);
    at = end + 1;
    char mark = '`';
    const auto fence = fence_length(line, mark);
    if (!in_code && fence > 0) {
      const auto word = fence_language(line, fence);
      runnable = runnable_language(word);
      if (!runnable) reply.other_language.push_back(word);
      in_code = true;
      open_length = fence;
      open_mark = mark;
      block.clear();
      continue;
    }
    if (in_code && closes_block(line, fence, mark, open_length, open_mark)) {
      if (runnable && !trim(block).empty()) reply.code.push_back(block);
      in_code = false;
      continue;
    }
    if (in_code) {
      block.append(line).push_back('\n');
      continue;
    }
    if (auto v = call_on_line(line, "FINAL_VAR")) {
      reply.final_var = *v;
    } else if (auto f = call_on_line(line, "FINAL")) {
      reply.final_text = *f;
    }
    if (end == text.size()) break;
  }
  // A fence left open at the end (the reply was cut off): run what there is.
  if (in_code && runnable && !trim(block).empty()) reply.code.push_back(block);
  return reply;
}

} // namespace

std::optional<std::size_t> code_closed_at(std::string_view text) {
  // Reasoning still open: whatever it drafts is not the answer yet.
  std::size_t from = 0;
  if (const auto close = text.rfind("</think>"); close != std::string_view::npos) from = close + 8;
  if (text.find("<think>", from) != std::string_view::npos) return std::nullopt;
  std::optional<std::size_t> closed;
  bool in_code = false;
  bool runnable = false;
  std::size_t open_length = 0;
  char open_mark = '`';
  std::size_t block_start = 0;
  for (std::size_t at = from; at < text.size();) {
    const auto nl = text.find('\n', at);
    const auto line = text.substr(at, (nl == std::string_view::npos ? text.size() : nl) - at);
    const auto start = at;
    at = nl == std::string_view::npos ? text.size() : nl + 1;
    char mark = '`';
    const auto fence = fence_length(line, mark);
    if (!in_code && fence > 0) {
      if (closed) return std::nullopt; // another block has begun: let the model finish
      in_code = true;
      runnable = runnable_language(fence_language(line, fence));
      open_length = fence;
      open_mark = mark;
      block_start = at;
      continue;
    }
    // "``" may yet become a fence: wait for the rest of the line.
    const auto marks = trim(line);
    if (closed && nl == std::string_view::npos && !marks.empty() &&
        marks.find_first_not_of(marks[0]) == std::string_view::npos &&
        (marks[0] == '`' || marks[0] == '~'))
      return std::nullopt;
    const bool closing = in_code && closes_block(line, fence, mark, open_length, open_mark);
    if (closing && nl != std::string_view::npos) {
      in_code = false;
      if (runnable && !closed && !trim(text.substr(block_start, start - block_start)).empty())
        closed = at;
    }
  }
  return closed;
}

Reply parse_reply(std::string_view text) {
  // Code and FINALs written while thinking are drafts: only the answer after them counts.
  if (text.find("think>") != std::string_view::npos)
    return parse_answer(providers::split_reasoning(text).answer);
  return parse_answer(text);
}

std::optional<std::string> wrong_language_hint(std::string_view code) {
  static constexpr std::array k_python = {"def ",     "import ",      "print(f\"",
                                          "elif ",    "len(context)", "for i in range",
                                          "context[", "re.search(",   "\"\"\""};
  for (const auto* marker : k_python) {
    if (code.find(marker) != std::string_view::npos) {
      return "this looks like Python; the REPL runs Lua 5.4 (use `#s` for length, "
             "`s:sub(i, j)` for slices, `re.find`/`re.findall` for regexes, `for i = 1, n do "
             "... end` for loops)";
    }
  }
  return std::nullopt;
}

} // namespace rlm::loop
