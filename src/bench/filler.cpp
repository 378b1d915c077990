#include "filler.hpp"

#include <algorithm>
#include <array>
#include <numeric>
#include <string_view>

namespace rlm::bench {

namespace {

using namespace std::string_view_literals;

constexpr std::array k_subjects = {
    "The harbour master"sv,
    "The town council"sv,
    "Ines Moreau"sv,
    "A group of volunteers"sv,
    "The ferry crew"sv,
    "The school board"sv,
    "The public library"sv,
    "The fishing cooperative"sv,
    "The weather station"sv,
    "Old Mr. Halloran"sv,
    "The bakery on Quay Street"sv,
    "The night watchman"sv,
    "The regional newspaper"sv,
    "The lighthouse keeper"sv,
    "Two students from the college"sv,
    "The town archivist"sv,
    "The choir"sv,
    "The boatyard"sv,
    "The parish priest"sv,
    "The museum's curator"sv,
    "A visiting engineer"sv,
    "The market traders"sv,
    "The rowing club"sv,
    "The district nurse"sv,
    "The mayor"sv,
    "The postmistress"sv,
    "The customs officer"sv,
    "The orchard owners"sv,
    "The painter from the hill"sv,
    "The tourist office"sv,
};

constexpr std::array k_actions = {
    "repainted the railings along the pier"sv,
    "published a short notice about the road works"sv,
    "counted the boats in the outer basin"sv,
    "repaired the roof of the old customs house"sv,
    "planted a row of young oaks near the school"sv,
    "discussed the price of diesel at some length"sv,
    "recorded a strong wind from the west"sv,
    "moved the market stalls closer to the church"sv,
    "kept the reading room open for longer hours"sv,
    "checked the moorings before the tide turned"sv,
    "cleared the drains on the lower road"sv,
    "sorted the letters that had piled up during the storm"sv,
    "argued about the colour of the new benches"sv,
    "found an old map of the coastline in a drawer"sv,
    "rehearsed the songs for the summer festival"sv,
    "measured the depth of the channel again"sv,
    "sold more bread than on any day that month"sv,
    "mended three nets and a torn sail"sv,
    "wrote to the ministry about the ferry timetable"sv,
    "took the children to see the seals on the rocks"sv,
    "replaced the bulbs in the street lamps by the quay"sv,
    "complained that the clock on the tower ran slow"sv,
    "hung the winter shutters on the chapel"sv,
    "gathered apples from the orchard behind the mill"sv,
    "painted the hull of a small fishing boat blue"sv,
    "cleaned the windows of the waiting room"sv,
    "noted that the river had risen by a hand's width"sv,
    "welcomed a family who had moved from the city"sv,
    "served soup to the workers at the slipway"sv,
    "lost a set of keys somewhere near the fish market"sv,
    "inspected the sea wall after the high water"sv,
    "opened a small exhibition of old photographs"sv,
    "trimmed the hedges along the cemetery path"sv,
    "organised a collection for the lifeboat"sv,
    "delivered firewood to the houses on the cliff road"sv,
    "spotted a pod of dolphins beyond the headland"sv,
    "restored the weather vane on the town hall"sv,
    "set out chairs in the square for the evening concert"sv,
    "copied the old tide tables into a new ledger"sv,
    "reminded everyone that the bridge would close for repairs"sv,
};

constexpr std::array k_times = {
    "on Monday"sv,
    "early in the morning"sv,
    "after the evening tide"sv,
    "during the spring fair"sv,
    "before the first frost"sv,
    "later that week"sv,
    "at the end of the month"sv,
    "in the late afternoon"sv,
    "while it was still raining"sv,
    "the following day"sv,
    "just before dawn"sv,
    "over the weekend"sv,
    "after the bells had rung"sv,
    "on a bright and windy day"sv,
    "when the fog lifted"sv,
};

constexpr std::array k_sources = {
    "the minutes of the meeting"sv,  "a letter in the newspaper"sv, "the harbour log"sv,
    "several neighbours"sv,          "the town's records"sv,        "the parish bulletin"sv,
    "a note pinned in the bakery"sv,
};

constexpr std::array k_remarks = {
    "Nobody seemed surprised."sv,
    "It was the third time that year."sv,
    "Most people agreed that it had been overdue."sv,
    "The work took longer than anyone expected."sv,
    "A few visitors stopped to watch."sv,
    "Some of the older residents remembered a similar day long ago."sv,
    "The gulls were louder than usual."sv,
    "By evening the square was quiet again."sv,
};

std::string lower_first(std::string_view text) {
  std::string out(text);
  // Keep names ("Ines Moreau", "Old Mr. Halloran") capitalised.
  if (out.starts_with("The ") || out.starts_with("A ") || out.starts_with("Two "))
    out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

std::string upper_first(std::string_view text) {
  std::string out(text);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::string sentence(Rng& rng) {
  const auto subject = rng.pick(k_subjects);
  const auto action = rng.pick(k_actions);
  const auto time = rng.pick(k_times);
  std::string s;
  switch (rng.below(10)) {
  case 0:
  case 1:
    s = upper_first(time);
    s += ", ";
    s += lower_first(subject);
    s += " ";
    s += action;
    s += ".";
    break;
  case 2:
    s = "According to ";
    s += rng.pick(k_sources);
    s += ", ";
    s += lower_first(subject);
    s += " ";
    s += action;
    s += " ";
    s += time;
    s += ".";
    break;
  case 3: s = std::string(rng.pick(k_remarks)); break;
  case 4:
    s = std::string(subject);
    s += " ";
    s += action;
    s += ", and ";
    s += lower_first(rng.pick(k_subjects));
    s += " ";
    s += rng.pick(k_actions);
    s += ".";
    break;
  default:
    s = std::string(subject);
    s += " ";
    s += action;
    s += " ";
    s += time;
    s += ".";
  }
  return s;
}

} // namespace

std::vector<std::string> filler_sentences(Rng& rng, std::size_t chars) {
  std::vector<std::string> sentences;
  std::size_t size = 0;
  std::uint64_t left_in_paragraph = 3 + rng.below(5);
  while (true) {
    std::string next = sentence(rng);
    if (!sentences.empty()) {
      if (left_in_paragraph == 0) {
        next.insert(0, "\n\n");
        left_in_paragraph = 3 + rng.below(5);
      } else {
        next.insert(0, " ");
      }
    }
    if (size + next.size() > chars) break;
    size += next.size();
    sentences.push_back(std::move(next));
    --left_in_paragraph;
  }
  return sentences;
}

Placed place_facts(const std::vector<std::string>& sentences, const std::vector<Fact>& facts) {
  // Sentence boundaries: boundary i is the offset before sentence i (and the end).
  std::vector<std::size_t> boundaries = {0};
  for (const auto& s : sentences) boundaries.push_back(boundaries.back() + s.size());
  std::size_t facts_size = 0;
  for (const auto& f : facts) facts_size += f.sentence.size() + 1;
  const double total = static_cast<double>(boundaries.back() + facts_size);

  // Each fact goes before the sentence whose start is nearest its position.
  std::vector<std::size_t> order(facts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](auto a, auto b) { return facts[a].position < facts[b].position; });
  std::vector<std::size_t> slot(facts.size());
  double inserted = 0; // the facts placed before this one move the filler along
  for (const auto i : order) {
    const double want = std::max(0.0, std::clamp(facts[i].position, 0.0, 1.0) * total - inserted);
    inserted += static_cast<double>(facts[i].sentence.size() + 1);
    const auto it =
        std::lower_bound(boundaries.begin(), boundaries.end(), static_cast<std::size_t>(want));
    std::size_t index = static_cast<std::size_t>(it - boundaries.begin());
    if (index > 0 &&
        (index == boundaries.size() || want - static_cast<double>(boundaries[index - 1]) <
                                           static_cast<double>(boundaries[index]) - want)) {
      --index;
    }
    slot[i] = std::min(index, sentences.size());
  }

  Placed placed;
  placed.text.reserve(static_cast<std::size_t>(total));
  placed.offsets.resize(facts.size());
  std::size_t next_fact = 0;
  for (std::size_t s = 0; s <= sentences.size(); ++s) {
    while (next_fact < order.size() && slot[order[next_fact]] == s) {
      const auto i = order[next_fact++];
      if (!placed.text.empty()) placed.text += ' ';
      placed.offsets[i] = placed.text.size();
      placed.text += facts[i].sentence;
    }
    if (s == sentences.size()) break;
    // Sentences after the first start with their own " " or paragraph break.
    if (s == 0 && !placed.text.empty()) placed.text += ' ';
    placed.text += sentences[s];
  }
  return placed;
}

} // namespace rlm::bench
