// rlm view: draws a trajectory (the JSON in #trajectory, written by `rlm view`) as a page.
// Everything in the data was written by models or taken from documents, so it is hostile:
// text reaches the page only through textContent and createTextNode, never as HTML. The
// data may also be cut short or odd in shape (a run still going, a crash, a newer rlm), so
// every field is read through a type check and a turn that cannot be drawn says so.
// Bodies of <details> are built the first time they open, which keeps a 2,000-turn page
// small and quick; the page records how long it took in document.body.dataset.renderMs.
(function () {
  "use strict";

  // ---- reading the data, whatever its shape --------------------------------------------
  const str = (x) => (typeof x === "string" ? x : "");
  const num = (x) => (typeof x === "number" && isFinite(x) ? x : null);
  const arr = (x) => (Array.isArray(x) ? x : []);
  const obj = (x) => (x !== null && typeof x === "object" && !Array.isArray(x) ? x : {});
  const int = (x, fallback) => (Number.isInteger(x) ? x : fallback);

  // Not toLocaleString: it costs a microsecond or more a call, and a page makes thousands.
  const fmtInt = (n) => (n === null ? "?" : String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ","));
  const count = (n, one, many) => fmtInt(n) + " " + (n === 1 ? one : many);
  const fmtCost = (c) => (c === null ? "" : "$" + (c < 0.01 ? c.toFixed(5) : c.toFixed(4)));
  const fmtSec = (s) => (s === null ? "" : s < 10 ? s.toFixed(2) + " s" : s.toFixed(1) + " s");
  const plural = (n, word) => n + " " + word + (n === 1 ? "" : "s");
  const firstLine = (text, max) => {
    const head = text.length > 4 * max ? text.slice(0, 4 * max) : text;
    const line = (head.split("\n").find((l) => l.trim() !== "") || "").trim();
    return line.length > max ? line.slice(0, max) + "…" : line;
  };

  // ---- building elements: text only ---------------------------------------------------
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Text that search highlights: each such element is remembered with its text.
  let query = "";
  let queryPattern = null;
  const marked = [];
  const k_max_marks = 400;

  function paint(node, text) {
    node.textContent = "";
    if (!queryPattern) {
      node.textContent = text;
      return;
    }
    let at = 0;
    let count = 0;
    queryPattern.lastIndex = 0;
    let m;
    while ((m = queryPattern.exec(text)) !== null && count < k_max_marks) {
      if (m.index > at) node.appendChild(document.createTextNode(text.slice(at, m.index)));
      node.appendChild(el("mark", "", m[0]));
      at = m.index + m[0].length;
      count++;
    }
    if (at < text.length) node.appendChild(document.createTextNode(text.slice(at)));
  }

  function textEl(tag, cls, text) {
    const node = el(tag, cls);
    marked.push({ node: node, text: text });
    paint(node, text);
    return node;
  }

  function tag(parent, text, kind) {
    parent.appendChild(el("span", "tag" + (kind ? " " + kind : ""), text));
  }

  // A <details> whose body is made by `build(body)` the first time it opens.
  function lazyDetails(cls, summary, build) {
    const details = el("details", cls);
    details.appendChild(summary);
    details._build = () => {
      details._build = null;
      const body = el("div", "body");
      try {
        build(body);
      } catch (error) {
        body.appendChild(el("p", "banner bad", "This part could not be shown: " + error));
      }
      details.appendChild(body);
    };
    details.addEventListener("toggle", () => {
      if (details.open && details._build) details._build();
    });
    return details;
  }

  function openDetails(details) {
    if (details._build) details._build();
    details.open = true;
  }

  function block(parent, label, text, cls) {
    if (label) parent.appendChild(el("div", "label", label));
    parent.appendChild(textEl("pre", cls || "", text));
  }

  // ---- the trajectory as a model -------------------------------------------------------
  function model(data) {
    const m = { run: {}, result: null, starts: {}, turns: {}, requests: {}, nestedBySubCall: {} };
    for (const line of arr(data.lines)) {
      const l = obj(line);
      const run = int(l.run, 0);
      const type = str(l.type);
      if (type === "run" && !m.runSeen) {
        m.run = l;
        m.runSeen = true;
      } else if (type === "result") {
        m.result = l;
      } else if (type === "start") {
        m.starts[run] = l;
        if (Number.isInteger(l.parent_run) && Number.isInteger(l.parent_sub_call))
          m.nestedBySubCall[l.parent_run + ":" + l.parent_sub_call] = run;
      } else if (type === "iteration") {
        (m.turns[run] = m.turns[run] || []).push(l);
      } else if (type === "request") {
        (m.requests[run] = m.requests[run] || []).push(l);
      }
    }
    return m;
  }

  // The messages of request `index` of `run`: the first `keep` of the one before, then its
  // own. The last one rebuilt is kept, so opening turns in order costs little.
  const rebuilt = {};
  function requestMessages(m, run, index) {
    const list = m.requests[run] || [];
    let start = 0;
    let messages = [];
    const cached = rebuilt[run];
    if (cached && cached.index <= index) {
      start = cached.index + 1;
      messages = cached.messages;
    }
    for (let i = start; i <= index && i < list.length; i++) {
      const keep = Math.max(0, Math.min(int(list[i].keep, 0), messages.length));
      messages = messages.slice(0, keep).concat(arr(list[i].messages));
    }
    rebuilt[run] = { index: index, messages: messages };
    return { messages: messages, keep: int(obj(list[index]).keep, 0) };
  }

  // ---- search -------------------------------------------------------------------------
  function subCallText(m, run, s) {
    const nested = m.nestedBySubCall[run + ":" + s.id];
    let text = [str(s.prompt), str(s.answer), str(s.error), str(s.error_kind)].join("\n");
    if (nested !== undefined) text += "\n" + (m.turns[nested] || []).map((t) => turnText(m, t)).join("\n");
    return text;
  }

  function turnText(m, t) {
    if (t._text === undefined) {
      const parts = [str(t.reply), str(t.reasoning), str(t.feedback)];
      for (const n of arr(t.notes)) parts.push(str(n));
      for (const c of arr(t.cells)) {
        const cell = obj(c);
        parts.push(str(cell.code), str(cell.output), str(cell.error_message), str(cell.error));
      }
      for (const s of arr(t.sub_calls)) parts.push(subCallText(m, int(t.run, 0), obj(s)));
      t._text = parts.join("\n").toLowerCase();
    }
    return t._text;
  }

  // ---- the header ---------------------------------------------------------------------
  function models(run, role) {
    return arr(run.providers)
      .map(obj)
      .filter((p) => str(p.role) === role)
      .map((p) => str(p.model) + (str(p.name) && str(p.name) !== str(p.model) ? " (" + str(p.name) + ")" : ""))
      .join(", ");
  }

  // Totals from the result line, or added up from the turns when the run did not finish.
  function totals(m) {
    if (m.result) {
      const total = obj(obj(m.result.usage).total);
      return {
        turns: num(m.result.iterations),
        subCalls: num(m.result.sub_calls),
        failed: num(m.result.sub_calls_failed),
        prompt: num(total.prompt_tokens),
        completion: num(total.completion_tokens),
        cached: num(total.cached_tokens),
        cost: num(total.cost),
        seconds: num(m.result.seconds),
        soFar: false,
      };
    }
    const t = { turns: 0, subCalls: 0, failed: 0, prompt: 0, completion: 0, cached: 0, cost: null, seconds: 0, soFar: true };
    const add = (usage, cost) => {
      const u = obj(usage);
      t.prompt += num(u.prompt_tokens) || 0;
      t.completion += num(u.completion_tokens) || 0;
      t.cached += num(u.cached_tokens) || 0;
      if (num(cost) !== null) t.cost = (t.cost || 0) + cost;
    };
    for (const run of Object.keys(m.turns)) {
      for (const turn of m.turns[run]) {
        if (run === "0") {
          t.turns++;
          t.seconds += num(turn.seconds) || 0;
        }
        add(turn.usage, turn.cost);
        for (const s of arr(turn.sub_calls).map(obj)) {
          t.subCalls++;
          if (str(s.error)) t.failed++;
          if (!s.nested) add(s.usage, s.cost);
        }
      }
    }
    return t;
  }

  function fact(parent, label, value) {
    if (!value) return;
    const span = el("span");
    span.appendChild(document.createTextNode(label + " "));
    span.appendChild(el("b", "", value));
    parent.appendChild(span);
  }

  function header(m, data, root) {
    const run = m.run;
    const title = el("h1", "", "rlm trajectory");
    title.appendChild(el("span", "meta", str(data.source)));
    root.appendChild(title);
    document.title = "rlm: " + firstLine(str(run.query), 80);
    if (!data.finished)
      root.appendChild(el("p", "banner bad", "The run did not finish: the file has no result line (it was stopped, it crashed, or it is still going). What it holds so far is shown."));
    if (data.last_line_partial)
      root.appendChild(el("p", "banner", "The last line of the file was incomplete (a run still being written?) and is left out."));
    if (num(data.skipped_lines))
      root.appendChild(el("p", "banner", plural(data.skipped_lines, "line") + " of the file were not JSON and are skipped."));
    root.appendChild(textEl("div", "query", str(run.query)));

    const facts = el("div", "facts");
    const t = totals(m);
    const result = obj(m.result);
    fact(facts, "root", models(run, "root"));
    fact(facts, "sub", models(run, "sub"));
    fact(facts, "stop", str(result.stop_reason) || (m.result ? "" : "not finished"));
    fact(facts, "mode", str(result.mode));
    fact(facts, "turns", fmtInt(t.turns));
    fact(facts, "sub-calls", fmtInt(t.subCalls) + (t.failed ? " (" + fmtInt(t.failed) + " failed)" : ""));
    fact(facts, "tokens", fmtInt(t.prompt) + " in, " + fmtInt(t.completion) + " out" + (t.cached ? ", " + fmtInt(t.cached) + " cached" : ""));
    fact(facts, "cost", t.cost === null ? "unknown" : fmtCost(t.cost));
    fact(facts, "time", fmtSec(t.seconds) + (t.soFar ? " so far" : ""));
    const docs = arr(run.documents).map(obj).map((d) => str(d.name) + " (" + count(num(d.bytes), "byte", "bytes") + ")");
    fact(facts, "documents", docs.join(", "));
    fact(facts, "rlm", str(run.rlm_version));
    root.appendChild(facts);

    if (m.result) {
      const answer = result.answer;
      root.appendChild(el("div", "label", "Answer"));
      root.appendChild(textEl("pre", "answer" + (typeof answer === "string" ? "" : " none"), typeof answer === "string" ? answer : "(no answer)"));
      if (str(result.message)) root.appendChild(textEl("p", "note", str(result.message)));
    }
  }

  // ---- one sub-call -------------------------------------------------------------------
  function cutNote(parent, chars, cut, what) {
    if (num(cut)) parent.appendChild(el("div", "note", "[" + what + " cut: " + fmtInt(cut) + " more bytes not recorded, " + fmtInt(num(chars)) + " in all]"));
  }

  function subCall(m, run, s, list) {
    const summary = el("summary");
    summary.appendChild(el("span", "n", "#" + int(s.id, "?")));
    summary.appendChild(textEl("span", "preview", firstLine(str(s.prompt), 140)));
    if (str(s.error)) tag(summary, "failed" + (str(s.error_kind) ? ": " + str(s.error_kind) : ""), "bad");
    if (num(s.prompt_cut)) tag(summary, "prompt cut", "warn");
    if (num(s.answer_cut)) tag(summary, "answer cut", "warn");
    if (s.cut_short === true) tag(summary, "answer cut short", "warn");
    if (s.prompt_truncated === true) tag(summary, "prompt truncated", "warn");
    if (num(s.parts)) tag(summary, plural(s.parts, "part"));
    const nested = m.nestedBySubCall[run + ":" + s.id];
    if (nested !== undefined || s.nested === true) tag(summary, "nested run", "ok");
    const u = obj(s.usage);
    summary.appendChild(el("span", "meta", [
      str(s.provider),
      fmtInt(num(u.prompt_tokens)) + "→" + fmtInt(num(u.completion_tokens)) + " tok",
      fmtCost(num(s.cost)),
      fmtSec(num(s.seconds)),
      num(s.attempts) > 1 ? plural(s.attempts, "attempt") : "",
    ].filter(Boolean).join(" · ")));
    summary.appendChild(el("span", "hit-count"));
    const details = lazyDetails("sub", summary, (body) => {
      block(body, "Prompt (" + count(num(s.prompt_chars), "byte", "bytes") + ")", str(s.prompt));
      cutNote(body, s.prompt_chars, s.prompt_cut, "prompt");
      if (str(s.error)) block(body, "Error", str(s.error), "error");
      block(body, "Answer (" + count(num(s.answer_chars), "byte", "bytes") + ")", str(s.answer), "output");
      cutNote(body, s.answer_chars, s.answer_cut, "answer");
      if (nested !== undefined) nestedRun(m, nested, body);
    });
    details._text = () => subCallText(m, run, s).toLowerCase();
    details.hidden = !matches(details, query.toLowerCase());
    list.push(details);
    return details;
  }

  function nestedRun(m, run, parent) {
    const box = el("div", "nested");
    const start = obj(m.starts[run]);
    box.appendChild(el("h3", "", "Nested run " + run + " (depth " + int(start.depth, "?") + ", " + plural((m.turns[run] || []).length, "turn") + ")"));
    timeline(m, run, box);
    parent.appendChild(box);
  }

  // ---- one turn -----------------------------------------------------------------------
  function turnSummary(t) {
    const summary = el("summary");
    const cells = arr(t.cells).map(obj);
    const subs = arr(t.sub_calls).map(obj);
    summary.appendChild(el("span", "n", "Turn " + int(t.number, "?")));
    const code = cells.length ? str(cells[0].code) : str(t.reply);
    summary.appendChild(textEl("span", "preview", firstLine(code, 140)));
    if (cells.length > 1) tag(summary, plural(cells.length, "cell"));
    for (const c of cells) {
      if (str(c.error)) tag(summary, str(c.error) + " error", "bad");
      if (c.final === true) tag(summary, "FINAL", "ok");
    }
    if (subs.length) tag(summary, plural(subs.length, "sub-call"));
    const failed = subs.filter((s) => str(s.error)).length;
    if (failed) tag(summary, failed + " failed", "bad");
    if (arr(t.compactions).length) tag(summary, "compacted", "warn");
    if (t.prompt_truncated === true) tag(summary, "prompt truncated", "warn");
    if (num(t.attempts) > 1) tag(summary, plural(t.attempts, "attempt"), "warn");
    const u = obj(t.usage);
    summary.appendChild(el("span", "meta", [
      fmtInt(num(u.prompt_tokens)) + "→" + fmtInt(num(u.completion_tokens)) + " tok",
      fmtCost(num(t.cost)),
      fmtSec(num(t.seconds)),
    ].filter(Boolean).join(" · ")));
    summary.appendChild(el("span", "hit-count"));
    return summary;
  }

  function compactionLine(c) {
    const k = obj(c);
    return "Conversation compacted before this turn's request (" + str(k.reason) + "): " +
      fmtInt(num(k.chars_before)) + " → " + fmtInt(num(k.chars_after)) + " chars for a limit of " +
      fmtInt(num(k.limit_chars)) + "; " + plural(int(k.turns_compacted, 0), "turn") + " compacted, " +
      int(k.turns_dropped, 0) + " dropped" + (k.fits === false ? "; it still did not fit" : "");
  }

  function requestsOf(m, run, number) {
    const out = [];
    (m.requests[run] || []).forEach((r, index) => {
      if (int(r.iteration, -1) === number) out.push(index);
    });
    return out;
  }

  function requestDetails(m, run, index, title) {
    const r = (m.requests[run] || [])[index];
    const summary = el("summary", "", title + " (" + plural(int(r.count, arr(r.messages).length), "message") + ")");
    return lazyDetails("request", summary, (body) => {
      const rebuiltRequest = requestMessages(m, run, index);
      if (rebuiltRequest.keep > 0)
        body.appendChild(el("p", "note", "The first " + plural(rebuiltRequest.keep, "message") + " as in the request before, then " + arr(r.messages).length + " new."));
      for (const message of rebuiltRequest.messages.map(obj)) {
        const content = str(message.content);
        const s = el("summary");
        s.appendChild(el("span", "role", str(message.role)));
        s.appendChild(el("span", "meta", fmtInt(content.length) + " chars"));
        s.appendChild(textEl("span", "preview", firstLine(content, 120)));
        body.appendChild(lazyDetails("msg", s, (b) => block(b, "", content)));
      }
    });
  }

  function turnBody(m, t, body) {
    const run = int(t.run, 0);
    for (const c of arr(t.compactions)) body.appendChild(el("div", "compaction", compactionLine(c)));
    for (const n of arr(t.notes)) if (str(n)) body.appendChild(textEl("div", "note", str(n)));
    if (str(t.reasoning)) {
      const s = el("summary", "", "Reasoning (" + count(num(t.reasoning_chars), "byte", "bytes") + ")");
      body.appendChild(lazyDetails("reasoning", s, (b) => block(b, "", str(t.reasoning))));
    }
    const cells = arr(t.cells).map(obj);
    cells.forEach((c, i) => {
      const label = "Cell " + (i + 1) + " · " + fmtSec(num(c.seconds)) + (c.final === true ? " · FINAL" : "") + (str(c.error) ? " · " + str(c.error) + " error" : "");
      block(body, label, str(c.code));
      if (str(c.output)) block(body, "", str(c.output), "output");
      if (str(c.error_message)) block(body, "", str(c.error_message), "error");
    });
    if (!cells.length) block(body, "Reply", str(t.reply));
    else {
      const s = el("summary", "", "The whole reply");
      body.appendChild(lazyDetails("reply", s, (b) => block(b, "", str(t.reply))));
    }
    const subs = arr(t.sub_calls).map(obj);
    if (subs.length) {
      body.appendChild(el("div", "label", plural(subs.length, "sub-call")));
      for (const s of subs) body.appendChild(subCall(m, run, s, m.subCallEls));
    }
    if (str(t.feedback)) {
      const s = el("summary", "", "What the model was told next");
      body.appendChild(lazyDetails("feedback", s, (b) => block(b, "", str(t.feedback))));
    }
    for (const index of requestsOf(m, run, int(t.number, -1)))
      body.appendChild(requestDetails(m, run, index, "The request for this turn"));
    const u = obj(t.usage);
    body.appendChild(el("p", "note", [
      str(t.provider),
      "prompt " + fmtInt(num(u.prompt_tokens)) + " tok, cached " + fmtInt(num(u.cached_tokens)) +
        ", completion " + fmtInt(num(u.completion_tokens)) + (num(u.reasoning_tokens) ? " (reasoning " + fmtInt(num(u.reasoning_tokens)) + ")" : ""),
      t.cost === null ? "cost unknown" : fmtCost(num(t.cost)),
      plural(int(t.attempts, 1), "attempt"),
      "model " + fmtSec(num(t.model_seconds)),
      "turn " + fmtSec(num(t.seconds)),
    ].filter(Boolean).join(" · ")));
  }

  function timeline(m, run, parent) {
    const turns = m.turns[run] || [];
    const numbers = {};
    for (const t of turns) {
      numbers[int(t.number, -1)] = true;
      try {
        const summary = turnSummary(t);
        const details = lazyDetails("turn", summary, (body) => turnBody(m, t, body));
        details._text = () => turnText(m, t);
        details._hit = summary.lastChild;
        details._top = run === 0;
        details.hidden = !matches(details, query.toLowerCase());
        m.turnEls.push(details);
        parent.appendChild(details);
      } catch (error) {
        parent.appendChild(el("p", "banner bad", "A turn could not be shown: " + error));
      }
    }
    // Requests with no turn line: the final call for the best answer, or a turn cut off.
    (m.requests[run] || []).forEach((r, index) => {
      const number = int(r.iteration, -1);
      if (numbers[number]) return;
      parent.appendChild(requestDetails(m, run, index, "Request " + number + " (no turn line: the final call, or a turn not finished)"));
    });
  }

  // ---- search, filter and highlight ---------------------------------------------------
  // Whether the text of a turn or sub-call element holds `q` (lower case), read the first
  // time a search needs it.
  function matches(details, q) {
    if (!q) return true;
    if (typeof details._text === "function") details._text = details._text();
    return details._text.includes(q);
  }

  function applySearch(m) {
    const q = query.toLowerCase();
    let shown = 0;
    let top = 0;
    for (const d of m.turnEls) {
      const hit = matches(d, q);
      d.hidden = !hit;
      d._hit.textContent = q && hit ? "match" : "";
      if (!d._top) continue;
      top++;
      if (hit) shown++;
    }
    for (const d of m.subCallEls) d.hidden = !matches(d, q);
    // Drop what is no longer on the page, and mark the rest anew.
    let kept = 0;
    for (const item of marked) {
      if (!item.node.isConnected) continue;
      if (q || item.node.firstElementChild) paint(item.node, item.text);
      marked[kept++] = item;
    }
    marked.length = kept;
    m.status.textContent = q ? shown + " of " + top + " turns match" : plural(top, "turn");
  }

  function tools(m, root) {
    const input = el("input");
    input.type = "search";
    input.placeholder = "Search code, output, prompts, answers…  (/)";
    input.setAttribute("aria-label", "Search the turns and sub-calls");
    const expand = el("button", "", "Expand all");
    const collapse = el("button", "", "Collapse all");
    m.status = el("span", "status");
    root.append(input, expand, collapse, m.status);
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        query = input.value.trim();
        queryPattern = query ? new RegExp(query.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi") : null;
        applySearch(m);
      }, 150);
    });
    expand.addEventListener("click", () => expandAll(document.getElementById("timeline")));
    collapse.addEventListener("click", () => {
      for (const d of document.querySelectorAll("details[open]")) d.open = false;
    });
    document.addEventListener("keydown", (e) => {
      if (e.key === "/" && document.activeElement !== input) {
        e.preventDefault();
        input.focus();
      }
    });
  }

  // Opens every turn and sub-call (not the requests' messages), nested runs included.
  function expandAll(root) {
    for (;;) {
      const closed = root.querySelectorAll("details.turn:not([open]), details.sub:not([open])");
      if (!closed.length) return;
      for (const d of closed) if (!d.hidden) openDetails(d);
      if ([...closed].every((d) => d.hidden)) return;
    }
  }

  function main() {
    const head = document.getElementById("head");
    let data;
    try {
      data = obj(JSON.parse(document.getElementById("trajectory").textContent));
    } catch (error) {
      head.appendChild(el("p", "banner bad", "The page's data could not be read: " + error));
      return;
    }
    const m = model(data);
    m.turnEls = [];
    m.subCallEls = [];
    header(m, data, head);
    tools(m, document.getElementById("tools"));
    const main = document.getElementById("timeline");
    main.appendChild(el("h2", "", "Turns"));
    timeline(m, 0, main);
    // A nested run whose sub-call never reached the file (a crash) is shown at the end.
    const present = {};
    for (const run of Object.keys(m.turns))
      for (const t of m.turns[run]) for (const s of arr(t.sub_calls)) present[run + ":" + obj(s).id] = true;
    for (const [key, run] of Object.entries(m.nestedBySubCall))
      if (!present[key]) nestedRun(m, run, main);
    applySearch(m);
    if (location.hash === "#expand") expandAll(main);
    document.body.dataset.turns = String(m.turnEls.length);
  }

  try {
    main();
  } catch (error) {
    document.body.insertBefore(el("p", "banner bad", "The trajectory could not be shown: " + error), document.body.firstChild);
  }
  void document.body.offsetHeight; // lay the page out before taking the time
  document.body.dataset.renderMs = performance.now().toFixed(1);
})();
