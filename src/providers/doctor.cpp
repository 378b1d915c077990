#include "rlm/providers/doctor.hpp"

#include "http_errors.hpp"
#include "streaming.hpp"

#include "rlm/providers/context_window.hpp"
#include "rlm/providers/ollama.hpp"
#include "rlm/providers/openai.hpp"
#include "rlm/util/display.hpp"
#include "rlm/util/suggest.hpp"
#include "rlm/util/untrusted_json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace rlm::providers {

namespace {

using nlohmann::json;
using Status = Finding::Status;

bool is_ollama(const config::ProviderConfig& p) { return p.type == config::ProviderType::ollama; }

// A probe reads replies from servers it does not trust: anything odd in a listing (not
// JSON, wrong types) reads as absent, never as an exception.
std::string string_at(const json& object, std::string_view key) {
  const auto* text = json_field::string(object, key);
  return text != nullptr ? *text : std::string();
}

std::string how_to_start(const config::ProviderConfig& p) {
  switch (p.type) {
  case config::ProviderType::ollama: return "start it with `ollama serve`, or fix base_url";
  case config::ProviderType::deepseek: return "check the network and base_url";
  case config::ProviderType::openai: break;
  }
  return "start the server (llama-server, vllm serve, LM Studio), or fix base_url";
}

struct Probe {
  const config::ProviderConfig& p;
  http::Transport& transport;
  http::Timeouts timeouts;
  std::string authorization; // "Authorization: Bearer ..." or empty; never printed

  std::expected<http::Response, http::Failure> get(const std::string& path) const {
    http::Request request;
    request.url = p.base_url + path;
    request.timeouts = timeouts;
    request.max_body_bytes = k_max_probe_bytes;
    if (!authorization.empty()) request.headers.push_back(authorization);
    return transport.perform(request);
  }
};

Finding key_finding(const config::ProviderConfig& p, const Environment& env) {
  if (p.api_key_env.empty()) return {"key", Status::skipped, "-", "no key needed"};
  const auto key = env(p.api_key_env);
  if (key && !key->empty())
    return {"key", Status::ok, "set", fmt::format("${} is set", p.api_key_env)};
  if (p.type == config::ProviderType::deepseek) {
    return {"key", Status::fail, "missing",
            fmt::format("${} is not set; export {}=<your key> (DeepSeek's API needs one)",
                        p.api_key_env, p.api_key_env)};
  }
  return {"key", Status::warn, "unset",
          fmt::format("${} is not set; fine for a local server that needs no key, else export it",
                      p.api_key_env)};
}

std::string server_failure(const config::ProviderConfig& p, const http::Failure& failure) {
  if (failure.kind == http::Failure::Kind::connect)
    return fmt::format("nothing answers at {}; {}", p.base_url, how_to_start(p));
  return fmt::format("{} at {}; {}", failure.message, p.base_url, how_to_start(p));
}

// The names of the models a server lists; Ollama's /api/tags or OpenAI's /models.
std::vector<std::string> model_names(const json& listing, bool ollama) {
  std::vector<std::string> names;
  static const json none = json::array();
  const auto* listed = json_field::array(listing, ollama ? "models" : "data");
  for (const auto& m : listed != nullptr ? *listed : none) {
    const auto name = string_at(m, ollama ? "name" : "id");
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

// Ollama's "qwen2.5:7b" and "qwen2.5:7b:latest"... and a bare name means ":latest".
bool same_model(const std::string& wanted, const std::string& listed, bool ollama) {
  if (wanted == listed) return true;
  return ollama && wanted.find(':') == std::string::npos && listed == wanted + ":latest";
}

Finding model_finding(const config::ProviderConfig& p, const std::vector<std::string>& names) {
  const bool ollama = is_ollama(p);
  if (std::ranges::any_of(names, [&](const auto& n) { return same_model(p.model, n, ollama); }))
    return {"model", Status::ok, "found", fmt::format("'{}' is available", p.model)};
  std::string fix =
      ollama ? fmt::format("pull it with: ollama pull {}", p.model)
             : fmt::format("set model to one of the server's models (curl {}/models)", p.base_url);
  std::vector<std::string_view> views(names.begin(), names.end());
  if (const auto close = closest_match(p.model, views))
    fix += fmt::format(", or did you mean '{}'?", *close);
  return {"model", Status::fail, "missing",
          fmt::format("'{}' is not among the {} models at {}; {}", p.model, names.size(),
                      p.base_url, fix)};
}

void examine_ollama(const Probe& probe, const config::HttpSettings& http, Examination& out) {
  const auto& p = probe.p;
  const auto version = probe.get("/api/version");
  if (!version) {
    out.findings.push_back({"server", Status::fail, "down", server_failure(p, version.error())});
    return;
  }
  if (version->status != 200) {
    out.findings.push_back(
        {"server", Status::fail, fmt::format("HTTP {}", version->status),
         fmt::format("{}/api/version answered {}; is this an Ollama server? check base_url",
                     p.base_url, version->status)});
    return;
  }
  const auto reported =
      printable(string_at(parse_untrusted_json(version->body).value_or(json()), "version"), 24);
  // Built, not assigned: GCC 12 warns falsely (-Wrestrict) on string = "literal" at -O2.
  const std::string number = reported.empty() ? std::string(1, '?') : reported;
  out.findings.push_back({"server", Status::ok, fmt::format("Ollama {}", number),
                          fmt::format("Ollama {} answers at {}", number, p.base_url)});
  const auto tags = probe.get("/api/tags");
  if (!tags || tags->status != 200) {
    out.findings.push_back(
        {"model", Status::fail, "?",
         fmt::format("{}/api/tags did not answer; the server is unwell", p.base_url)});
    return;
  }
  const auto model =
      model_finding(p, model_names(parse_untrusted_json(tags->body).value_or(json()), true));
  out.findings.push_back(model);
  if (model.status != Status::ok) return;
  // The provider asks /api/show exactly as a run would.
  http::Transport& transport = probe.transport;
  OllamaProvider client(p, http, transport);
  const auto length = client.context_length();
  if (!length) {
    out.findings.push_back({"context", Status::warn, "?", length.error().message});
    return;
  }
  out.context_length = *length;
  out.findings.push_back({"context", Status::ok, std::to_string(*length),
                          fmt::format("{} tokens ({})", *length,
                                      p.context_length ? "from the config" : "from /api/show")});
}

// The window a request gets: what the server serves (llama.cpp per slot, vLLM's
// max_model_len), capped by the config's context_length, with where each number came from.
Finding context_finding(const config::ProviderConfig& p, const ServedWindow& served,
                        Examination& out) {
  std::string trained;
  if (served.trained && served.trained != served.serving)
    trained = fmt::format("; the model was trained for {}", with_commas(*served.trained));
  if (served.serving) {
    auto window = *served.serving;
    std::string detail;
    if (served.llama_cpp && served.slots && *served.slots > 1) {
      detail = fmt::format("{} tokens per request (llama-server's -c {} shared by {} slots{})",
                           with_commas(window), with_commas(window * *served.slots), *served.slots,
                           trained);
    } else {
      detail = fmt::format("{} tokens per request (from {}{})", with_commas(window), served.source,
                           trained);
    }
    if (p.context_length && *p.context_length < window) {
      window = *p.context_length;
      detail += fmt::format("; context_length caps it at {}", with_commas(window));
    }
    out.context_length = window;
    return {"context", Status::ok, std::to_string(window), detail};
  }
  if (p.context_length) {
    out.context_length = *p.context_length;
    return {"context", Status::ok, std::to_string(*p.context_length),
            fmt::format("{} tokens (from the config; the server does not say{})",
                        with_commas(*p.context_length), trained)};
  }
  return {"context", Status::warn, "?",
          "the server does not say; set context_length in the [[providers]] table so rlm sizes "
          "prompts to it"};
}

// The model is not listed. llama-server serves its one model whatever a request names, so
// there the mismatch is a warning with the --alias hint; elsewhere the request would fail.
Finding unlisted_model(const config::ProviderConfig& p, const std::vector<std::string>& names,
                       const ServedWindow& served) {
  if (!served.llama_cpp) return model_finding(p, names);
  const auto serves = names.empty() ? printable(served.model_path, 80) : printable(names[0], 80);
  return {"model", Status::warn, "any",
          fmt::format("llama-server serves '{}' whatever a request names, so '{}' works; start "
                      "it with --alias {} so the names agree (or set model = \"{}\")",
                      serves, printable(p.model, 80), printable(p.model, 80), serves)};
}

// A 1-token completion: the only proof that a key is accepted (llama-server, for one, leaves
// /v1/models open when it requires a key) and that the model answers.
void check_chat(OpenAiProvider& client, const config::ProviderConfig& p, Examination& out) {
  ChatRequest request;
  request.messages = {{"user", "Say OK."}};
  request.max_tokens = 1;
  request.stream = false;
  const auto reply = client.chat(request);
  if (reply || reply.error().kind == ProviderError::Kind::empty_reply) {
    out.findings.push_back({"chat", Status::ok, "answers", "a 1-token completion succeeded"});
    auto& key = out.findings.front();
    if (key.status == Status::warn) {
      key = {"key", Status::skipped, "none",
             fmt::format("${} is not set, and the server answers without a key", p.api_key_env)};
    }
    return;
  }
  const auto& error = reply.error();
  if (error.kind == ProviderError::Kind::auth) {
    const bool unset = out.findings.front().value != "set";
    out.findings.front() = {"key", Status::fail, unset ? "needed" : "rejected", error.message};
    return;
  }
  out.findings.push_back({"chat", Status::fail, "fails", error.message});
}

void examine_openai(const Probe& probe, const config::HttpSettings& http, const Environment& env,
                    Examination& out) {
  const auto& p = probe.p;
  const auto models = probe.get("/models");
  if (!models) {
    out.findings.push_back({"server", Status::fail, "down", server_failure(p, models.error())});
    return;
  }
  const auto server = [&] {
    const auto it = models->headers.find("server");
    return it == models->headers.end() ? std::string("reachable") : printable(it->second, 24);
  }();
  if (models->status == 401 || models->status == 403) {
    out.findings.push_back({"server", Status::ok, server, fmt::format("{} answers", p.base_url)});
    auto& key = out.findings.front();
    if (key.status == Status::fail) return; // DeepSeek without a key: already said
    key =
        key.value == "set"
            ? Finding{"key", Status::fail, "rejected",
                      fmt::format("{} rejected the key from ${} ({}); check the key", p.base_url,
                                  p.api_key_env, models->status)}
            : Finding{"key", Status::fail, "needed",
                      p.api_key_env.empty()
                          ? fmt::format("{} needs an API key ({}); set api_key_env for this "
                                        "provider and export the key",
                                        p.base_url, models->status)
                          : fmt::format("{} needs an API key ({}), and ${} is not set; "
                                        "export {}=<your key>",
                                        p.base_url, models->status, p.api_key_env, p.api_key_env)};
    return;
  }
  if (models->status != 200) {
    out.findings.push_back(
        {"server", Status::fail, fmt::format("HTTP {}", models->status),
         fmt::format("{}/models answered {}; check base_url (OpenAI-compatible servers usually "
                     "end in /v1)",
                     p.base_url, models->status)});
    return;
  }
  out.findings.push_back({"server", Status::ok, server, fmt::format("{} answers", p.base_url)});
  const auto listing = parse_untrusted_json(models->body).value_or(json());
  const auto names = model_names(listing, false);
  const bool listed =
      std::ranges::any_of(names, [&](const auto& n) { return same_model(p.model, n, false); });
  // The client asks for the window exactly as a run would, and then sends the test chat.
  OpenAiProvider client(p, http, probe.transport, env);
  client.window();
  const auto served = client.served_window().value_or(ServedWindow{});
  out.findings.push_back(listed ? model_finding(p, names) : unlisted_model(p, names, served));
  if (out.findings.back().status == Status::fail) return;
  out.findings.push_back(context_finding(p, served, out));
  if (out.findings.front().status != Status::fail) check_chat(client, p, out);
}

} // namespace

const char* to_string(Finding::Status status) {
  switch (status) {
  case Status::ok: return "ok";
  case Status::warn: return "warn";
  case Status::fail: return "fail";
  case Status::skipped: return "skipped";
  }
  return "?";
}

bool Examination::usable() const {
  return std::ranges::none_of(findings, [](const auto& f) { return f.status == Status::fail; });
}

const Finding& Examination::finding(std::string_view check) const {
  static const Finding not_checked{"", Status::skipped, "?", "not checked"};
  for (const auto& f : findings) {
    if (f.check == check) return f;
  }
  return not_checked;
}

Examination examine(const config::ProviderConfig& provider, const config::HttpSettings& http,
                    http::Transport& transport, const Environment& env) {
  Examination out;
  out.provider = &provider;
  out.findings.push_back(key_finding(provider, env));
  Probe probe{provider, transport, timeouts_from(http), {}};
  if (!provider.api_key_env.empty()) {
    if (const auto key = env(provider.api_key_env); key && !key->empty())
      probe.authorization = "Authorization: Bearer " + *key;
  }
  try {
    if (is_ollama(provider)) {
      examine_ollama(probe, http, out);
    } else {
      examine_openai(probe, http, env, out);
    }
  } catch (const std::exception& error) {
    // A reply no check expected; the provider cannot be trusted to work.
    out.findings.push_back({"server", Status::fail, "odd reply",
                            fmt::format("{} sent a reply rlm could not read ({}); check that "
                                        "base_url points at the right kind of server",
                                        provider.base_url, printable(error.what(), 200))});
  }
  return out;
}

} // namespace rlm::providers
