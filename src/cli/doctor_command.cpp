#include "doctor_command.hpp"

#include "effective_config.hpp"

#include "rlm/http/curl_transport.hpp"
#include "rlm/providers/doctor.hpp"
#include "rlm/util/console.hpp"
#include "rlm/util/display.hpp"
#include "rlm/util/exit_code.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <thread>

namespace rlm::cli {

namespace {

using providers::Examination;
using providers::Finding;

struct DoctorOptions {
  double timeout_seconds = 10;
  bool json = false;
};

// Whether `role` can be served, and a line saying by what.
struct RoleVerdict {
  bool served = false;
  std::string line;
};

RoleVerdict judge(config::Role role, const std::vector<Examination>& exams) {
  const auto has_role = [&](config::Role r) {
    return std::ranges::any_of(exams, [&](const auto& e) { return e.provider->role == r; });
  };
  const bool fallback = role == config::Role::sub && !has_role(config::Role::sub);
  const auto serving = fallback ? config::Role::root : role;
  int total = 0, usable = 0;
  for (const auto& e : exams) {
    if (e.provider->role != serving) continue;
    ++total;
    usable += e.usable() ? 1 : 0;
  }
  const auto name = config::to_string(role);
  if (total == 0) {
    return {false, fmt::format("{}: no provider; add a [[providers]] table with role = \"{}\"",
                               name, name)};
  }
  const auto by = fallback ? std::string(" (root providers; no sub provider is configured)") : "";
  if (usable == 0) {
    return {false, fmt::format("{}: CANNOT be served: {}{}; see the fixes above", name,
                               total == 1 ? std::string("its provider fails")
                                          : fmt::format("all {} of its providers fail", total),
                               by)};
  }
  return {true, fmt::format("{}: ok, {} of {} provider{} usable{}", name, usable, total,
                            total == 1 ? "" : "s", by)};
}

std::string render_table(const std::vector<Examination>& exams) {
  std::vector<std::vector<std::string>> rows = {
      {"PROVIDER", "ROLE", "TYPE", "SERVER", "MODEL", "CONTEXT", "KEY", "STATUS"}};
  for (const auto& e : exams) {
    const auto status =
        e.usable()
            ? (std::ranges::any_of(e.findings,
                                   [](const auto& f) { return f.status == Finding::Status::warn; })
                   ? "warn"
                   : "ok")
            : "FAIL";
    rows.push_back({printable(e.provider->name, 40), config::to_string(e.provider->role),
                    config::to_string(e.provider->type), e.finding("server").value,
                    e.finding("model").value, e.finding("context").value, e.finding("key").value,
                    status});
  }
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += i + 1 == row.size() ? row[i] : fmt::format("{:<{}}  ", row[i], widths[i]);
    }
    out += line + "\n";
  }
  return out;
}

nlohmann::json to_json(const std::vector<Examination>& exams, const RoleVerdict& root,
                       const RoleVerdict& sub) {
  nlohmann::json providers = nlohmann::json::array();
  for (const auto& e : exams) {
    nlohmann::json checks = nlohmann::json::object();
    for (const auto& f : e.findings) {
      checks[f.check] = {
          {"status", providers::to_string(f.status)}, {"value", f.value}, {"detail", f.detail}};
    }
    providers.push_back({{"name", e.provider->name},
                         {"role", config::to_string(e.provider->role)},
                         {"type", config::to_string(e.provider->type)},
                         {"base_url", e.provider->base_url},
                         {"model", e.provider->model},
                         {"usable", e.usable()},
                         {"context_length", e.context_length ? nlohmann::json(*e.context_length)
                                                             : nlohmann::json(nullptr)},
                         {"checks", checks}});
  }
  return {{"providers", providers},
          {"roles",
           {{"root", {{"served", root.served}, {"summary", root.line}}},
            {"sub", {{"served", sub.served}, {"summary", sub.line}}}}}};
}

int run_doctor(const Context& context, const DoctorOptions& options) {
  const auto effective = load_effective_config(context);
  const auto& cfg = effective.config;
  // Short timeouts: a doctor that hangs for minutes on a dead host helps nobody.
  auto http = cfg.http;
  http.connect_timeout_seconds = std::min(http.connect_timeout_seconds, options.timeout_seconds);
  http.idle_timeout_seconds = options.timeout_seconds;
  http.request_timeout_seconds = options.timeout_seconds;
  http::CurlTransport transport;
  std::vector<Examination> exams(cfg.providers.size());
  {
    std::vector<std::jthread> workers;
    for (std::size_t i = 0; i < cfg.providers.size(); ++i) {
      workers.emplace_back([&, i] {
        exams[i] = providers::examine(cfg.providers[i], http, transport, context.env);
      });
    }
  }
  const auto root = judge(config::Role::root, exams);
  const auto sub = judge(config::Role::sub, exams);
  if (options.json) {
    write_stdout(
        to_json(exams, root, sub).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
        "\n");
  } else {
    const auto& source = effective.source;
    std::string out = fmt::format(
        "config: {}\n\n",
        !source.path ? std::string("built-in (no config file found)")
        : source.path->string() == source.found_by
            ? printable(source.found_by, 200)
            : fmt::format("{} (from {})", printable(source.path->string(), 200), source.found_by));
    out += render_table(exams);
    std::string fixes;
    for (const auto& e : exams) {
      for (const auto& f : e.findings) {
        if (f.status == Finding::Status::fail || f.status == Finding::Status::warn) {
          fixes +=
              fmt::format("  {} {}: {}: {}\n", f.status == Finding::Status::fail ? "FAIL" : "warn",
                          printable(e.provider->name, 40), f.check, printable(f.detail, 400));
        }
      }
    }
    if (!fixes.empty()) out += "\n" + fixes;
    out += fmt::format("\n{}\n{}\n", root.line, sub.line);
    write_stdout(out);
  }
  return to_int(root.served && sub.served ? ExitCode::success : ExitCode::provider);
}

} // namespace

void setup_doctor(CLI::App& app, Context& context, CommandTable& commands) {
  auto options = std::make_shared<DoctorOptions>();
  auto* doctor = app.add_subcommand(
      "doctor", "Check every configured provider: server, model, context length, API key");
  doctor
      ->add_option("--timeout", options->timeout_seconds,
                   "Seconds to wait for each server (default 10)")
      ->check(CLI::Range(0.1, 600.0));
  doctor->add_flag("--json", options->json, "Print the findings as one JSON object");
  doctor->footer("Exit status: 0 when both roles (root and sub) can be served, 4 when one "
                 "cannot.");
  commands.push_back({doctor, [&context, options] { return run_doctor(context, *options); }});
}

} // namespace rlm::cli
