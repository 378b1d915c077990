#include "rlm/bench/scoring.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

namespace rlm::bench {

namespace {

bool is_word_byte(unsigned char c) { return std::isalnum(c) != 0 || c >= 0x80; }

// "Falcon, Heron and Lynx" or "1. Falcon\n2. Heron": split on commas, semicolons, newlines
// and the word "and"; drop list numbering. (An item that itself holds "and" is split too;
// no suite's answers do.)
std::vector<std::string> split_items(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find_first_of(",;\n", start), text.size());
    auto piece = text.substr(start, end - start);
    start = end + 1;
    const auto first = piece.find_first_not_of(" \t-*");
    piece.remove_prefix(std::min(first, piece.size()));
    std::size_t digits = 0;
    while (digits < piece.size() && std::isdigit(static_cast<unsigned char>(piece[digits])) != 0)
      ++digits;
    if (digits > 0 && digits <= 2 && digits < piece.size() &&
        (piece[digits] == '.' || piece[digits] == ')') &&
        (digits + 1 == piece.size() || piece[digits + 1] == ' ')) {
      piece.remove_prefix(digits + 1);
    }
    std::string item;
    const auto words = normalize(piece);
    std::size_t at = 0;
    while (at <= words.size()) {
      const auto space = std::min(words.find(' ', at), words.size());
      const auto word = std::string_view(words).substr(at, space - at);
      at = space + 1;
      if (word == "and") {
        if (!item.empty()) items.push_back(std::move(item));
        item.clear();
      } else if (!word.empty()) {
        if (!item.empty()) item.push_back(' ');
        item.append(word);
      }
    }
    if (!item.empty()) items.push_back(std::move(item));
  }
  return items;
}

} // namespace

const char* to_string(Scorer scorer) {
  switch (scorer) {
  case Scorer::exact: return "exact";
  case Scorer::contains: return "contains";
  case Scorer::numeric: return "numeric";
  case Scorer::set_f1: return "set_f1";
  }
  return "?";
}

std::optional<Scorer> scorer_from_string(std::string_view name) {
  for (const auto s : {Scorer::exact, Scorer::contains, Scorer::numeric, Scorer::set_f1}) {
    if (name == to_string(s)) return s;
  }
  return std::nullopt;
}

std::string normalize(std::string_view text) {
  std::string out;
  bool space = false;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_word_byte(c)) {
      if (space && !out.empty()) out.push_back(' ');
      space = false;
      out.push_back(static_cast<char>(std::tolower(c)));
    } else {
      space = true;
    }
  }
  return out;
}

std::optional<double> last_number(std::string_view text) {
  std::optional<double> last;
  std::size_t i = 0;
  while (i < text.size()) {
    const bool digit = std::isdigit(static_cast<unsigned char>(text[i])) != 0;
    if (!digit) {
      ++i;
      continue;
    }
    // Digits with thousands separators ("1,234") and one decimal point.
    std::string number;
    const bool negative = i > 0 && text[i - 1] == '-' &&
                          (i < 2 || !is_word_byte(static_cast<unsigned char>(text[i - 2])));
    if (negative) number.push_back('-');
    bool point = false;
    while (i < text.size()) {
      const char c = text[i];
      if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
        number.push_back(c);
      } else if (c == ',' && i + 3 < text.size() && !point &&
                 std::isdigit(static_cast<unsigned char>(text[i + 1])) != 0 &&
                 std::isdigit(static_cast<unsigned char>(text[i + 2])) != 0 &&
                 std::isdigit(static_cast<unsigned char>(text[i + 3])) != 0 &&
                 (i + 4 >= text.size() ||
                  std::isdigit(static_cast<unsigned char>(text[i + 4])) == 0)) {
        // a thousands separator: skip it
      } else if (c == '.' && !point && i + 1 < text.size() &&
                 std::isdigit(static_cast<unsigned char>(text[i + 1])) != 0) {
        point = true;
        number.push_back(c);
      } else {
        break;
      }
      ++i;
    }
    double value = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (error == std::errc() && end == number.data() + number.size()) last = value;
  }
  return last;
}

std::vector<std::string> list_items(std::string_view text) {
  std::vector<std::string> distinct;
  std::set<std::string> seen;
  for (auto& item : split_items(text)) {
    if (seen.insert(item).second) distinct.push_back(std::move(item));
  }
  return distinct;
}

double score(Scorer scorer, std::string_view answer, std::string_view expected,
             const std::vector<std::string>& wrong) {
  switch (scorer) {
  case Scorer::exact: return normalize(answer) == normalize(expected) ? 1.0 : 0.0;
  case Scorer::contains: {
    const auto want = normalize(expected);
    const auto got = " " + normalize(answer) + " ";
    const auto words = static_cast<std::size_t>(std::count(got.begin(), got.end(), ' ')) - 1;
    if (want.empty() || words > k_max_contains_words) return 0.0;
    for (const auto& w : wrong) {
      const auto bad = normalize(w);
      if (!bad.empty() && got.find(" " + bad + " ") != std::string::npos) return 0.0;
    }
    return got.find(" " + want + " ") != std::string::npos ? 1.0 : 0.0;
  }
  case Scorer::numeric: {
    const auto got = last_number(answer);
    const auto want = last_number(expected);
    if (!got || !want) return 0.0;
    const double difference = std::abs(*got - *want);
    if (std::floor(*want) == *want) return std::pow(0.75, difference);
    return difference <= 1e-6 * std::max(1.0, std::abs(*want)) ? 1.0 : 0.0;
  }
  case Scorer::set_f1: {
    const auto got = list_items(answer);
    const auto want = list_items(expected);
    if (got.empty() || want.empty()) return got.empty() && want.empty() ? 1.0 : 0.0;
    const std::set<std::string> wanted(want.begin(), want.end());
    const auto hits = static_cast<double>(
        std::count_if(got.begin(), got.end(), [&](const auto& g) { return wanted.contains(g); }));
    if (hits == 0) return 0.0;
    const double precision = hits / static_cast<double>(got.size());
    const double recall = hits / static_cast<double>(want.size());
    return 2 * precision * recall / (precision + recall);
  }
  }
  return 0.0;
}

} // namespace rlm::bench
