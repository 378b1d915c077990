#include "rlm/bench/suites.hpp"

#include "filler.hpp"
#include "rlm/bench/random.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <stdexcept>
#include <string_view>

namespace rlm::bench {

namespace {

using namespace std::string_view_literals;

constexpr SuiteInfo k_suites[] = {
    {"niah", true, "one passphrase hidden in prose at each position; answer it"},
    {"multifact", false, "four registration numbers spread through prose; list them all"},
    {"aggregate", false,
     "a log of support tickets; count one topic, or list the topics above a threshold "
     "(needs every line, as OOLONG)"},
    {"multihop", true,
     "who reports to whom, and where each works; find the manager's city (two facts apart)"},
};

std::size_t target_chars(const TaskSpec& spec) {
  return static_cast<std::size_t>(spec.length_tokens * k_chars_per_token);
}

Rng rng_for(const TaskSpec& spec) {
  const auto label =
      fmt::format("{}/{}/{}/{}", spec.suite, spec.length_tokens,
                  spec.position ? fmt::format("{:.6f}", *spec.position) : "-", spec.trial);
  return Rng(stream_seed(static_cast<std::uint64_t>(spec.seed), label));
}

template <typename Items>
std::vector<std::string> pick_distinct(Rng& rng, const Items& items, std::size_t n) {
  std::vector<std::string> all(std::begin(items), std::end(items));
  for (std::size_t i = 0; i < n; ++i) std::swap(all[i], all[i + rng.below(all.size() - i)]);
  all.resize(n);
  return all;
}

// The filler around `facts`, sized so the whole document has `chars` characters.
Task with_facts(Rng& rng, std::size_t chars, const std::vector<Fact>& facts) {
  std::size_t facts_size = 0;
  for (const auto& f : facts) facts_size += f.sentence.size() + 1;
  const auto sentences = filler_sentences(rng, chars > facts_size ? chars - facts_size : 0);
  auto placed = place_facts(sentences, facts);
  Task task;
  task.document = std::move(placed.text);
  task.document += '\n';
  task.fact_offsets = std::move(placed.offsets);
  for (const auto& f : facts) task.facts.push_back(f.sentence);
  return task;
}

Task niah(const TaskSpec& spec) {
  static constexpr std::array k_colours = {
      "amber"sv,  "cobalt"sv, "crimson"sv, "ivory"sv, "jade"sv,   "saffron"sv, "silver"sv,
      "violet"sv, "copper"sv, "scarlet"sv, "ochre"sv, "indigo"sv, "umber"sv,   "magenta"sv};
  auto rng = rng_for(spec);
  const auto code = fmt::format("{}-{}", rng.pick(k_colours), rng.between(1000, 9999));
  auto task = with_facts(rng, target_chars(spec),
                         {{fmt::format("The secret passphrase for the archive vault is {}.", code),
                           spec.position.value_or(0.5)}});
  task.query = "What is the secret passphrase for the archive vault? Answer with the passphrase "
               "only.";
  task.expected = code;
  task.scorer = Scorer::contains;
  return task;
}

Task multifact(const TaskSpec& spec) {
  static constexpr std::array k_ships = {
      "Albatross"sv, "Kestrel"sv, "Marlin"sv, "Puffin"sv,  "Heron"sv,      "Osprey"sv,
      "Curlew"sv,    "Plover"sv,  "Gannet"sv, "Petrel"sv,  "Shearwater"sv, "Cormorant"sv,
      "Skua"sv,      "Fulmar"sv,  "Dunlin"sv, "Lapwing"sv, "Sandpiper"sv,  "Harrier"sv};
  auto rng = rng_for(spec);
  const auto ships = pick_distinct(rng, k_ships, 4);
  std::vector<Fact> facts;
  std::vector<std::string> codes;
  std::set<std::string> used;
  for (std::size_t i = 0; i < ships.size(); ++i) {
    std::string code;
    do {
      code = fmt::format("{}{}-{}", static_cast<char>('A' + rng.below(26)),
                         static_cast<char>('A' + rng.below(26)), rng.between(1000, 9999));
    } while (!used.insert(code).second);
    codes.push_back(code);
    // Spread through the document: one fact in each quarter, somewhere in its middle half.
    const double position = (static_cast<double>(i) + 0.25 + 0.5 * rng.unit()) / 4.0;
    facts.push_back(
        {fmt::format("The schooner {} is registered under the number {}.", ships[i], code),
         position});
  }
  auto task = with_facts(rng, target_chars(spec), facts);
  task.query = fmt::format("What are the registration numbers of the schooners {}, {}, {} and "
                           "{}? Answer with the four numbers only, separated by commas, in that "
                           "order.",
                           ships[0], ships[1], ships[2], ships[3]);
  task.expected = fmt::format("{}", fmt::join(codes, ", "));
  task.scorer = Scorer::set_f1;
  return task;
}

struct Topic {
  std::string_view name;
  std::array<std::string_view, 5> words;
};

constexpr std::array k_topics = {
    Topic{"billing",
          {"Charged twice for the March mooring fee."sv,
           "The invoice lists a berth we never rented."sv, "Asked for a refund of the late fee."sv,
           "The direct debit failed again this month."sv,
           "Wants an itemised bill for the winter storage."sv}},
    Topic{"outage",
          {"The pontoon lights have been off since Sunday."sv,
           "No power at the charging post on berth 12."sv,
           "The water tap on the east jetty is dry."sv, "The harbour Wi-Fi drops every evening."sv,
           "The fuel pump display is dead."sv}},
    Topic{"delivery",
          {"A parcel for the chandlery never arrived."sv,
           "The spare parts came to the wrong berth."sv, "Ice delivery was two hours late."sv,
           "The courier left the box in the rain."sv,
           "Asks when the new fenders will be delivered."sv}},
    Topic{"account",
          {"Cannot log in to the booking page."sv,
           "Wants to change the name on the berth contract."sv,
           "Asked to close the account of a sold boat."sv, "The password reset email never came."sv,
           "Needs a second key card for a crew member."sv}},
    Topic{"safety",
          {"A ladder on the north wall is loose."sv, "Reported a diesel sheen near the slipway."sv,
           "The life ring by the fuel dock is missing."sv, "Ice on the gangway this morning."sv,
           "A mooring line is badly frayed."sv}},
    Topic{"feedback",
          {"Thanked the staff for the quick help."sv, "Suggests longer opening hours in summer."sv,
           "The new showers are excellent."sv, "Would like a bench near the office."sv,
           "Praised the clean toilets."sv}},
};

Task aggregate(const TaskSpec& spec) {
  static constexpr std::array k_desks = {"North Quay"sv, "Fish Market"sv, "Marina Office"sv,
                                         "Boatyard"sv, "Ferry Terminal"sv};
  auto rng = rng_for(spec);
  std::array<std::uint64_t, k_topics.size()> weights{};
  std::uint64_t weight_sum = 0;
  for (auto& w : weights) weight_sum += (w = 1 + rng.below(6));

  Task task;
  task.document = "Support tickets logged by the harbour services desk, one per line: date and "
                  "time, ticket number, desk, topic, and the customer's words.\n";
  const auto chars = target_chars(spec);
  std::map<std::string_view, std::int64_t> counts;
  for (const auto& t : k_topics) counts[t.name] = 0;
  std::uint64_t minute = 0; // office minutes since 1 January, 08:00-18:00 each day
  std::int64_t ticket = 10000 + rng.between(0, 80000);
  while (true) {
    auto pick = rng.below(weight_sum);
    std::size_t topic = 0;
    while (pick >= weights[topic]) pick -= weights[topic++];
    minute += 1 + rng.below(40);
    const auto day = minute / 600;
    ticket += 1 + rng.between(0, 20);
    const auto line =
        fmt::format("2024-{:02}-{:02} {:02}:{:02} | ticket {} | desk: {} | topic: {} | {}\n",
                    1 + day / 28 % 12, 1 + day % 28, 8 + minute % 600 / 60, minute % 60, ticket,
                    rng.pick(k_desks), k_topics[topic].name, rng.pick(k_topics[topic].words));
    if (task.document.size() + line.size() > chars) break;
    task.document += line;
    ++counts[k_topics[topic].name];
  }

  // Half the trials count one topic; the other half list the topics above a threshold.
  std::vector<std::pair<std::int64_t, std::string_view>> ranked;
  for (const auto& [name, n] : counts) ranked.emplace_back(n, name);
  std::sort(ranked.rbegin(), ranked.rend());
  // Splits between counts at least 2 apart, so the threshold equals no topic's count.
  std::vector<std::size_t> splits;
  for (std::size_t k = 1; k < ranked.size(); ++k)
    if (ranked[k - 1].first >= ranked[k].first + 2) splits.push_back(k);
  if (rng.below(2) == 0 || splits.empty()) {
    const auto& topic = k_topics[rng.below(k_topics.size())].name;
    task.query = fmt::format("How many tickets in the log have the topic \"{}\"? Answer with a "
                             "number only.",
                             topic);
    task.expected = std::to_string(counts[topic]);
    task.scorer = Scorer::numeric;
  } else {
    const auto k = splits[rng.below(splits.size())];
    std::vector<std::string_view> above;
    for (std::size_t i = 0; i < k; ++i) above.push_back(ranked[i].second);
    std::sort(above.begin(), above.end());
    task.query = fmt::format("Which topics appear in more than {} tickets of the log? Answer with "
                             "the topic names only, separated by commas.",
                             (ranked[k - 1].first + ranked[k].first) / 2);
    task.expected = fmt::format("{}", fmt::join(above, ", "));
    task.scorer = Scorer::set_f1;
  }
  return task;
}

Task multihop(const TaskSpec& spec) {
  static constexpr std::array k_first = {
      "Amara"sv, "Bruno"sv, "Chiara"sv, "Dmitri"sv, "Elena"sv, "Farid"sv,   "Greta"sv, "Hugo"sv,
      "Ilka"sv,  "Jonas"sv, "Katya"sv,  "Lars"sv,   "Maren"sv, "Nikolai"sv, "Oona"sv,  "Pavel"sv};
  static constexpr std::array k_last = {"Achterberg"sv, "Bianchi"sv,  "Castell"sv,  "Dahl"sv,
                                        "Eriksen"sv,    "Ferreira"sv, "Gallo"sv,    "Holm"sv,
                                        "Iversen"sv,    "Janssen"sv,  "Kowalski"sv, "Lindqvist"sv,
                                        "Marsh"sv,      "Novak"sv,    "Ortega"sv,   "Petrov"sv};
  static constexpr std::array k_cities = {"Lisbon"sv,  "Oslo"sv,   "Tallinn"sv,   "Porto"sv,
                                          "Bergen"sv,  "Gdansk"sv, "Riga"sv,      "Cork"sv,
                                          "Antwerp"sv, "Bilbao"sv, "Aarhus"sv,    "Genoa"sv,
                                          "Split"sv,   "Malmo"sv,  "Rotterdam"sv, "Brest"sv};
  auto rng = rng_for(spec);
  const auto firsts = pick_distinct(rng, k_first, 8);
  const auto lasts = pick_distinct(rng, k_last, 8);
  std::vector<std::string> people;
  for (std::size_t i = 0; i < 8; ++i) people.push_back(firsts[i] + " " + lasts[i]);
  const auto cities = pick_distinct(rng, k_cities, 5);

  const double p = spec.position.value_or(0.5);
  const double second = p + 0.5 < 1.0 ? p + 0.5 : p - 0.5;
  // people[0] reports to people[1], who works in cities[0]; people[0]'s own office (cities[1])
  // is the trap. Three more pairs of the same shapes are distractors.
  std::vector<Fact> facts = {
      {fmt::format("{} reports directly to {}.", people[0], people[1]), p},
      {fmt::format("{} works at the {} office.", people[1], cities[0]), second},
      {fmt::format("{} works at the {} office.", people[0], cities[1]), rng.unit()},
  };
  for (std::size_t pair = 1; pair <= 3; ++pair) {
    const auto& worker = people[2 * pair];
    const auto& manager = people[2 * pair + 1];
    facts.push_back({fmt::format("{} reports directly to {}.", worker, manager), rng.unit()});
    facts.push_back(
        {fmt::format("{} works at the {} office.", manager, cities[1 + pair]), rng.unit()});
  }
  auto task = with_facts(rng, target_chars(spec), facts);
  task.query = fmt::format("In which city is the office of the person {} reports to? Answer "
                           "with the city only.",
                           people[0]);
  task.expected = cities[0];
  task.scorer = Scorer::contains;
  task.wrong.assign(cities.begin() + 1, cities.end()); // the trap and the distractors' cities
  return task;
}

} // namespace

std::span<const SuiteInfo> suites() { return k_suites; }

std::vector<std::string> suite_names() {
  std::vector<std::string> names;
  for (const auto& s : k_suites) names.emplace_back(s.name);
  return names;
}

const SuiteInfo* find_suite(std::string_view name) {
  for (const auto& s : k_suites)
    if (s.name == name) return &s;
  return nullptr;
}

Task generate(const TaskSpec& spec) {
  if (spec.length_tokens < 1024) {
    throw std::invalid_argument(
        fmt::format("a bench document needs at least 1k tokens, not {}", spec.length_tokens));
  }
  if (spec.suite == "niah") return niah(spec);
  if (spec.suite == "multifact") return multifact(spec);
  if (spec.suite == "aggregate") return aggregate(spec);
  if (spec.suite == "multihop") return multihop(spec);
  throw std::invalid_argument(fmt::format("unknown bench suite '{}'", spec.suite));
}

} // namespace rlm::bench
