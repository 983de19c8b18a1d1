/* asl viewer: state machines, executions and their graphs.

   Live (asl serve), everything comes from the Step Functions API of the endpoint that serves
   this page (POST / with X-Amz-Target, as boto3 sends it) plus two read-only endpoints: the
   diagram (/viewer/api/graph) and the task tokens of waiting callbacks
   (/viewer/api/callbacks). In a run report (asl run --report) the same code reads the data the
   page carries in <script id="asl-report"> and offers no actions. No dependencies. */
(() => {
  "use strict";

  const REPORT = readReport();
  const main = document.getElementById("main");
  const crumbs = document.getElementById("crumbs");
  const toasts = document.getElementById("toast");
  const STATUS = {
    succeeded: ["Succeeded", "✓"], failed: ["Failed", "✕"], caught: ["Caught", "↪"],
    retried: ["Retried", "↻"], running: ["Running", "▶"], waiting: ["Waiting for callback", "‖"],
    aborted: ["Aborted", "■"], none: ["Not reached", ""],
  };
  const EXECUTION = { RUNNING: "running", SUCCEEDED: "succeeded", FAILED: "failed",
    TIMED_OUT: "failed", ABORTED: "aborted", PENDING_REDRIVE: "waiting" };
  const RANK = ["waiting", "running", "failed", "caught", "retried", "aborted", "succeeded"];
  const ATTEMPTS = new Set(["TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled",
    "ParallelStateStarted", "MapStateStarted"]);
  const SUCCESSES = new Set(["TaskSucceeded", "LambdaFunctionSucceeded", "ActivitySucceeded"]);
  const PAGE_SIZE = 25;
  const POLL_MS = 1000;
  let generation = 0; // each view bumps it; async work of an older view stops
  let timer = null;

  // ------------------------------------------------------------------ small helpers

  function readReport() {
    const node = document.getElementById("asl-report");
    return node ? JSON.parse(node.textContent) : null;
  }

  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
      else if (key === "class") element.className = value;
      else element.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : String(child));
    }
    return element;
  }

  // replaceChildren, with h()'s rules for children (nested arrays, null and false skipped).
  function fill(element, ...children) {
    element.replaceChildren(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
    return element;
  }

  function badge(status, text) {
    const [label, icon] = STATUS[status] || STATUS.none;
    return h("span", { class: `badge s-${status}`, "data-icon": icon }, text || label);
  }

  function executionBadge(status) {
    return badge(EXECUTION[status] || "none", status);
  }

  function toast(message, bad) {
    const note = h("div", { class: bad ? "bad" : "", role: bad ? "alert" : null }, message);
    toasts.append(note);
    setTimeout(() => note.remove(), bad ? 10000 : 4000);
  }

  function detailsOf(event) {
    const key = Object.keys(event).find((name) => name.endsWith("EventDetails"));
    return key ? event[key] : {};
  }

  function pretty(text) {
    if (text === undefined || text === null) return "";
    if (typeof text !== "string") return JSON.stringify(text, null, 2);
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
  }

  function clip(text, length) {
    const line = String(text ?? "").replace(/\s+/g, " ");
    return line.length > length ? line.slice(0, length - 1) + "…" : line;
  }

  function when(seconds) {
    if (seconds === undefined || seconds === null) return "—";
    const date = new Date(seconds * 1000);
    const day = date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
    const time = date.toLocaleTimeString(undefined, { hour12: false });
    return `${day} ${time}.${String(date.getMilliseconds()).padStart(3, "0")}`;
  }

  function duration(seconds) {
    if (seconds === undefined || seconds === null || Number.isNaN(seconds)) return "—";
    if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
    if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
    return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  }

  function link(kind, arn, text) {
    return h("a", { href: `#/${kind}/${encodeURIComponent(arn)}` }, text);
  }

  function setCrumbs(items) {
    const parts = [h("a", { href: "#/" }, "State machines")];
    items.forEach((item, index) => {
      parts.push(h("span", { "aria-hidden": "true" }, "›"));
      const last = index === items.length - 1;
      parts.push(last ? h("span", { "aria-current": "page" }, item[0]) : link(item[1], item[2], item[0]));
    });
    const reported = items.map((item, index) => [index ? h("span", { "aria-hidden": "true" }, "›") : null,
      h("span", { "aria-current": index === items.length - 1 ? "page" : null }, item[0])]);
    fill(crumbs, REPORT ? reported : parts);
  }

  function parseJson(text) {
    try { JSON.parse(text); return { ok: true, message: "Valid JSON" }; }
    catch (error) { return { ok: false, message: `Not valid JSON: ${error.message}` }; }
  }

  // A JSON editor: a textarea that says whether it holds JSON, and a Format button.
  function jsonEditor(id, label, initial, onValidity) {
    const hint = h("p", { id: `${id}-hint`, class: "hint", "aria-live": "polite" });
    const area = h("textarea", { id, spellcheck: "false", "aria-describedby": `${id}-hint` });
    area.value = initial;
    const check = () => {
      const result = parseJson(area.value);
      hint.textContent = result.message;
      hint.className = `hint ${result.ok ? "ok" : "bad"}`;
      area.setAttribute("aria-invalid", String(!result.ok));
      if (onValidity) onValidity(result.ok);
      return result.ok;
    };
    area.addEventListener("input", check);
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        area.form?.requestSubmit();
      }
    });
    const format = h("button", { type: "button", class: "secondary", onclick: () => {
      if (check()) { area.value = JSON.stringify(JSON.parse(area.value), null, 2); check(); }
    } }, "Format");
    queueMicrotask(check);
    return { area, check, element: [h("label", { for: id }, label), area, h("div", { class: "row" }, hint, format)] };
  }

  // ------------------------------------------------------------------ the API

  async function api(action, body) {
    const response = await fetch("/", {
      method: "POST",
      headers: { "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": `AWSStepFunctions.${action}` },
      body: JSON.stringify(body || {}),
    });
    const text = await response.text();
    let data;
    try { data = text ? JSON.parse(text) : {}; } catch { data = { message: text }; }
    if (!response.ok) {
      const error = new Error(`${data.__type || `HTTP ${response.status}`}: ${data.message || ""}`);
      error.code = data.__type;
      throw error;
    }
    return data;
  }

  async function allPages(action, body, key, cap) {
    const items = [];
    let nextToken;
    do {
      const page = await api(action, { ...body, maxResults: 1000, nextToken });
      items.push(...page[key]);
      nextToken = page.nextToken;
    } while (nextToken && items.length < cap);
    return { items, complete: !nextToken };
  }

  async function fetchText(url) {
    const response = await fetch(url);
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try { const data = JSON.parse(text); message = `${data.__type}: ${data.message}`; } catch { /* text */ }
      throw new Error(message);
    }
    return text;
  }

  // Where an execution's data comes from: the endpoint, or the report's own copy.
  function liveSource(arn) {
    return {
      live: true,
      describe: () => api("DescribeExecution", { executionArn: arn }),
      definition: () => api("DescribeStateMachineForExecution", { executionArn: arn }),
      graph: () => fetchText(`/viewer/api/graph?executionArn=${encodeURIComponent(arn)}`),
      callbacks: async () => JSON.parse(await fetchText(`/viewer/api/callbacks?executionArn=${encodeURIComponent(arn)}`)).callbacks,
      mapRun: (mapRunArn) => api("DescribeMapRun", { mapRunArn }),
      async history(known) {
        // Newest first, until an event we already have: a poll costs one small page.
        const last = known.length ? known[known.length - 1].id : 0;
        const fresh = [];
        let nextToken;
        do {
          const page = await api("GetExecutionHistory", { executionArn: arn, reverseOrder: true, maxResults: 500, nextToken });
          const newer = page.events.filter((event) => event.id > last);
          fresh.push(...newer);
          nextToken = newer.length === page.events.length ? page.nextToken : undefined;
        } while (nextToken);
        return known.concat(fresh.reverse());
      },
    };
  }

  function reportSource() {
    return {
      live: false,
      describe: async () => REPORT.execution,
      definition: async () => ({ definition: REPORT.definition, name: REPORT.stateMachineName }),
      graph: async () => REPORT.graph,
      callbacks: async () => [],
      mapRun: async () => null,
      history: async () => REPORT.events,
    };
  }

  // ------------------------------------------------------------------ routing

  function route() {
    generation += 1;
    clearTimeout(timer);
    const path = location.hash.replace(/^#/, "") || "/";
    const [, kind, ...rest] = path.split("/");
    const arn = decodeURIComponent(rest.join("/"));
    const view = REPORT ? viewExecution(REPORT.execution.executionArn)
      : kind === "machine" && arn ? viewMachine(arn)
      : kind === "execution" && arn ? viewExecution(arn)
      : viewMachines();
    view.catch((error) => {
      fill(main, h("div", { class: "banner bad", role: "alert" }, error.message));
    });
  }

  function startView(title, items) {
    setCrumbs(items);
    document.title = `${title} · asl viewer`;
    return generation;
  }

  // ------------------------------------------------------------------ state machines

  async function viewMachines() {
    const mine = startView("State machines", []);
    fill(main, h("p", { class: "muted" }, "Loading state machines…"));
    const { items } = await allPages("ListStateMachines", {}, "stateMachines", 5000);
    if (mine !== generation) return;
    items.sort((a, b) => a.name.localeCompare(b.name));
    const table = items.length ? h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Type"), h("th", { scope: "col" }, "Created"))),
      h("tbody", {}, items.map((machine) => h("tr", {},
        h("td", {}, link("machine", machine.stateMachineArn, machine.name)),
        h("td", {}, machine.type),
        h("td", { class: "num" }, when(machine.creationDate))))))) : h("div", { class: "empty" },
      h("p", {}, "No state machines yet. Create one through this endpoint, for example:"),
      h("pre", {}, `aws stepfunctions --endpoint-url ${location.origin} create-state-machine \\\n  --name hello --role-arn arn:aws:iam::123456789012:role/r \\\n  --definition '{"StartAt":"Hi","States":{"Hi":{"Type":"Pass","End":true}}}'`));
    fill(main,
      h("div", { class: "head" }, h("h1", {}, "State machines"), h("span", { class: "muted" }, `${items.length} on ${location.host}`)),
      h("section", { class: "panel", "aria-label": "State machines" }, table));
  }

  async function viewMachine(arn) {
    const mine = startView("State machine", [["…", "machine", arn]]);
    fill(main, h("p", { class: "muted" }, "Loading…"));
    const machine = await api("DescribeStateMachine", { stateMachineArn: arn });
    if (mine !== generation) return;
    startView(machine.name, [[machine.name, "machine", arn]]);
    const graph = h("div", { class: "graph", "aria-live": "off" }, h("p", { class: "muted" }, "Drawing…"));
    fill(main,
      h("div", { class: "head" }, h("h1", {}, machine.name), badge("none", machine.type)),
      h("p", { class: "facts" }, h("span", {}, "ARN ", h("b", { class: "mono" }, machine.stateMachineArn)),
        h("span", {}, "Created ", h("b", {}, when(machine.creationDate)))),
      h("div", { class: "grid" },
        h("section", { class: "panel", "aria-labelledby": "graph-title" }, h("h2", { id: "graph-title" }, "Definition"), graph),
        startForm(machine)),
      executionsPanel(arn));
    fetchText(`/viewer/api/graph?stateMachineArn=${encodeURIComponent(arn)}`)
      .then((svg) => { graph.innerHTML = svg; prepareGraph(graph); })
      .catch((error) => fill(graph, h("p", { class: "hint bad" }, error.message)));
  }

  function startForm(machine) {
    const submit = h("button", { type: "submit" }, "Start execution");
    const carried = sessionStorage.getItem("asl-viewer-input");
    sessionStorage.removeItem("asl-viewer-input");
    const editor = jsonEditor("execution-input", "Input (JSON)", carried || "{}", (ok) => { submit.disabled = !ok; });
    const name = h("input", { id: "execution-name", autocomplete: "off", maxlength: "80", placeholder: "a new UUID" });
    const problem = h("p", { class: "hint bad", role: "alert" });
    const form = h("form", { "aria-labelledby": "start-title", onsubmit: async (event) => {
      event.preventDefault();
      if (!editor.check()) return;
      submit.disabled = true;
      problem.textContent = "";
      try {
        const request = { stateMachineArn: machine.stateMachineArn, input: editor.area.value };
        if (name.value.trim()) request.name = name.value.trim();
        const started = await api("StartExecution", request);
        location.hash = `#/execution/${encodeURIComponent(started.executionArn)}`;
      } catch (error) {
        problem.textContent = error.message;
        submit.disabled = false;
      }
    } },
      h("h2", { id: "start-title" }, "Start an execution"),
      h("label", { for: "execution-name" }, "Name ", h("span", { class: "muted" }, "(optional)")), name,
      editor.element, problem,
      h("div", { class: "row" }, submit, h("span", { class: "hint muted" }, "Ctrl+Enter in the editor starts it too")));
    return h("section", { class: "panel" }, form);
  }

  function executionsPanel(arn) {
    const state = { status: "", search: "", page: 0, items: [], complete: true };
    const status = h("select", { id: "status-filter", onchange: () => { state.status = status.value; state.page = 0; load(); } },
      h("option", { value: "" }, "All statuses"),
      ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"].map((value) => h("option", { value }, value)));
    const search = h("input", { id: "name-search", type: "search", placeholder: "part of a name", oninput: () => {
      state.search = search.value.trim().toLowerCase(); state.page = 0; render();
    } });
    const body = h("div", {}, h("p", { class: "muted" }, "Loading executions…"));
    const refresh = h("button", { type: "button", class: "secondary", onclick: () => load() }, "Refresh");
    const mine = generation;

    async function load() {
      const request = { stateMachineArn: arn };
      if (state.status) request.statusFilter = state.status;
      try {
        const { items, complete } = await allPages("ListExecutions", request, "executions", 5000);
        if (mine !== generation) return;
        Object.assign(state, { items, complete });
        render();
      } catch (error) {
        fill(body, h("p", { class: "hint bad" }, error.message));
      }
    }

    function render() {
      const shown = state.items.filter((item) => !state.search || item.name.toLowerCase().includes(state.search));
      const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
      state.page = Math.min(state.page, pages - 1);
      const first = state.page * PAGE_SIZE;
      const rows = shown.slice(first, first + PAGE_SIZE);
      if (!rows.length) {
        fill(body, h("p", { class: "empty" }, state.items.length ? "No execution matches." : "No executions yet."));
        return;
      }
      const move = (delta) => { state.page += delta; render(); body.querySelector("table")?.focus(); };
      fill(body,
        h("div", { class: "table-wrap" }, h("table", { tabindex: "-1", "aria-label": "Executions" },
          h("thead", {}, h("tr", {}, ["Name", "Status", "Started", "Duration"].map((title) => h("th", { scope: "col" }, title)))),
          h("tbody", {}, rows.map((item) => h("tr", {},
            h("td", {}, link("execution", item.executionArn, item.name)),
            h("td", {}, executionBadge(item.status)),
            h("td", { class: "num" }, when(item.startDate)),
            h("td", { class: "num" }, item.stopDate ? duration(item.stopDate - item.startDate) : "running")))))),
        h("div", { class: "pager" },
          h("span", { class: "muted", "aria-live": "polite" }, `${first + 1}–${first + rows.length} of ${shown.length}${state.complete ? "" : "+"}`),
          h("button", { type: "button", class: "secondary", disabled: state.page === 0, onclick: () => move(-1) }, "‹ Previous"),
          h("button", { type: "button", class: "secondary", disabled: state.page >= pages - 1, onclick: () => move(1) }, "Next ›")));
    }

    load();
    return h("section", { class: "panel", "aria-labelledby": "executions-title" },
      h("div", { class: "head" }, h("h2", { id: "executions-title" }, "Executions"), h("div", { class: "actions" }, refresh)),
      h("div", { class: "filters" },
        h("div", {}, h("label", { for: "status-filter" }, "Status"), status),
        h("div", {}, h("label", { for: "name-search" }, "Search by name"), search)),
      body);
  }

  // ------------------------------------------------------------------ the history, read

  // Where each state sits: its type, and the Parallel or Map state it is nested in.
  function structureOf(definition) {
    const states = new Map();
    (function walk(scope, parent) {
      for (const [name, state] of Object.entries(scope.States || {})) {
        states.set(name, { type: state.Type, parent, end: state.End === true, definition: state });
        (state.Branches || []).forEach((branch) => walk(branch, name));
        const processor = state.ItemProcessor || state.Iterator;
        if (processor) walk(processor, name);
      }
    })(definition, null);
    return states;
  }

  function enclosing(name, type, structure) {
    for (let current = name; current; current = structure.get(current)?.parent) {
      if (structure.get(current)?.type === type) return current;
    }
    return name;
  }

  // The state an event belongs to: events link to the one before them (previousEventId).
  function ownerOf(event, previousOwner, structure) {
    const type = event.type;
    const details = detailsOf(event);
    if (type.endsWith("StateEntered") || type.endsWith("StateExited")) return details.name;
    if (type.startsWith("MapIteration")) return details.name;
    if (type === "EvaluationFailed") return details.state || previousOwner;
    if (type.startsWith("Execution")) return null;
    if (type.startsWith("ParallelState")) return enclosing(previousOwner, "Parallel", structure);
    if (type.startsWith("MapState") || type.startsWith("MapRun")) return enclosing(previousOwner, "Map", structure);
    return previousOwner;
  }

  function isFailure(type) {
    return /(Failed|TimedOut)$/.test(type) && !type.startsWith("Execution") && !type.startsWith("MapIteration");
  }

  // Every visit of every state: a visit starts with its StateEntered event, in one Map
  // iteration context ("/Map#2/Inner#0"), and collects the events that follow from it.
  function analyse(events, structure, executionStatus) {
    const byId = new Map();
    const owners = new Map();
    const contexts = new Map();
    const visits = [];
    const open = new Map();
    const followed = new Set();
    let executionError = null;
    for (const event of events) {
      byId.set(event.id, event);
      const previous = byId.get(event.previousEventId);
      const previousOwner = previous ? owners.get(previous.id) : null;
      const owner = ownerOf(event, previousOwner, structure);
      let context = previous ? contexts.get(previous.id) : "";
      if (previous && previous.type === "MapIterationStarted") {
        const details = detailsOf(previous);
        context += `/${details.name}#${details.index}`;
      }
      const own = owner ? context.indexOf(`/${owner}#`) : -1;
      if (own >= 0) context = context.slice(0, own); // a state is never inside its own iterations
      if (event.type === "ExecutionRedriven") {
        // A redrive enters again every state that had not ended: their visits so far are over.
        context = "";
        for (const visit of visits) if (!visit.exited) visit.superseded = true;
      }
      owners.set(event.id, owner);
      contexts.set(event.id, context);
      if (event.type.endsWith("StateEntered")) {
        const visit = newVisit(owner, context, event, structure);
        visits.push(visit);
        open.set(`${owner}\u0000${context}`, visit);
        if (previous && previous.type.endsWith("StateExited")) {
          followed.add(previous.id);
          visit.from = detailsOf(previous).name;
        } else {
          visit.from = "start";
        }
      }
      if (event.type === "ExecutionFailed" || event.type === "ExecutionTimedOut") {
        executionError = detailsOf(event);
        const culprit = previous && open.get(`${previousOwner}\u0000${contexts.get(previous.id)}`);
        if (culprit && !culprit.exited && !culprit.lastFailed) record(culprit, event);
        continue;
      }
      const visit = owner && open.get(`${owner}\u0000${context}`);
      if (visit) record(visit, event);
    }
    for (const visit of visits) {
      visit.status = visitStatus(visit, executionStatus);
      visit.leftToEnd = visit.exited ? !followed.has(visit.exited.id) : visit.type === "Fail";
    }
    return { visits, executionError, started: events[0] ? events[0].timestamp : null };
  }

  function newVisit(name, context, entered, structure) {
    return { name, context, entered, type: structure.get(name)?.type, events: [], attempts: 0,
      failures: [], lastFailed: false, exited: null, result: null, callback: false,
      iterations: new Map(), mapRunArn: null, length: null, aborted: false, scheduled: null,
      superseded: false };
  }

  function record(visit, event) {
    const type = event.type;
    const details = detailsOf(event);
    visit.events.push(event);
    if (ATTEMPTS.has(type)) {
      if (visit.attempts > 0 && !visit.lastFailed) {
        // A Parallel or Map attempt that failed leaves no event of its own before the retry.
        visit.failures.push({ event, error: null, cause: null, implicit: true });
      }
      visit.attempts += 1;
      visit.lastFailed = false;
      if (type === "MapStateStarted") visit.length = details.length;
      if (type.endsWith("Scheduled")) visit.scheduled = details;
      if (type === "TaskScheduled" && String(details.resource || "").endsWith(".waitForTaskToken")) visit.callback = true;
    } else if (isFailure(type) || type.startsWith("Execution")) {
      visit.failures.push({ event, error: details.error, cause: details.cause });
      visit.lastFailed = true;
    } else if (SUCCESSES.has(type)) {
      visit.lastFailed = false;
      visit.result = details.output;
    } else if (type.endsWith("StateExited")) {
      visit.exited = event;
    } else if (type.startsWith("MapIteration")) {
      visit.iterations.set(details.index, type.slice("MapIteration".length).toLowerCase());
    } else if (type === "MapRunStarted") {
      visit.mapRunArn = details.mapRunArn;
    } else if (type.endsWith("Aborted")) {
      visit.aborted = true;
    }
  }

  function visitStatus(visit, executionStatus) {
    if (visit.type === "Fail") return "failed";
    if (visit.exited) return visit.lastFailed ? "caught" : visit.failures.length ? "retried" : "succeeded";
    if (visit.aborted) return "aborted";
    if (visit.superseded) return visit.lastFailed ? "failed" : "aborted";
    if (executionStatus === "RUNNING") return visit.callback && !visit.lastFailed && visit.result === null ? "waiting" : "running";
    return visit.lastFailed ? "failed" : "aborted";
  }

  function inFocus(visit, focus) {
    for (const part of visit.context.split("/").slice(1)) {
      const cut = part.lastIndexOf("#");
      const map = part.slice(0, cut);
      if (map in focus && focus[map] !== Number(part.slice(cut + 1))) return false;
    }
    return true;
  }

  function summarise(visits) {
    // A state a redrive entered again shows how it went then, not how it stopped before.
    const current = visits.filter((visit) => !visit.superseded);
    let best = "none";
    for (const visit of current.length ? current : visits) {
      if (best === "none" || RANK.indexOf(visit.status) < RANK.indexOf(best)) best = visit.status;
    }
    return best;
  }

  function iterationLabel(context) {
    return context.split("/").slice(1).map((part) => {
      const cut = part.lastIndexOf("#");
      return `${part.slice(0, cut)} #${part.slice(cut + 1)}`;
    }).join(" › ");
  }

  // ------------------------------------------------------------------ the graph

  function prepareGraph(container, onSelect) {
    const svg = container.querySelector("svg");
    if (!svg) return null;
    svg.removeAttribute("role");
    svg.setAttribute("aria-label", "State machine graph: each state is a button");
    const nodes = new Map();
    const names = new Map();
    for (const node of svg.querySelectorAll("g.asl-node[data-state]")) {
      const name = node.getAttribute("data-state");
      nodes.set(name, node);
      names.set(node.id.replace(/^asl-/, ""), name);
      node.setAttribute("role", "button");
      node.setAttribute("aria-label", name);
      if (onSelect) {
        node.addEventListener("click", (event) => { event.stopPropagation(); onSelect(name); });
        node.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") { event.preventDefault(); event.stopPropagation(); onSelect(name); }
        });
      } else {
        node.removeAttribute("tabindex");
        node.removeAttribute("role");
      }
    }
    const edges = [...svg.querySelectorAll("g.asl-edge")].map((element) => ({
      element,
      from: names.get(element.getAttribute("data-source")) || "start",
      to: names.get(element.getAttribute("data-target")) || "end",
    }));
    return { svg, nodes, edges };
  }

  function paintGraph(graph, visits, selected) {
    if (!graph) return;
    graph.svg.parentElement.classList.toggle("traced", visits.length > 0);
    for (const [name, node] of graph.nodes) {
      const mine = visits.filter((visit) => visit.name === name);
      const status = summarise(mine);
      node.classList.remove(...[...node.classList].filter((name) => name.startsWith("st-")));
      node.classList.add(`st-${status}`);
      node.classList.toggle("selected", name === selected);
      node.setAttribute("aria-pressed", String(name === selected));
      node.setAttribute("aria-label", `${name}: ${STATUS[status][0]}${mine.length > 1 ? `, ${mine.length} visits` : ""}`);
      placeBadge(node, status);
    }
    const taken = new Set();
    for (const visit of visits) {
      taken.add(`${visit.from}>${visit.name}`);
      if (visit.leftToEnd) taken.add(`${visit.name}>end`);
    }
    for (const edge of graph.edges) edge.element.classList.toggle("taken", taken.has(`${edge.from}>${edge.to}`));
  }

  function placeBadge(node, status) {
    node.querySelector(":scope > .asl-badge")?.remove();
    const icon = STATUS[status][1];
    if (!icon) return;
    const shape = node.querySelector(":scope > rect, :scope > polygon");
    const width = shape.getBBox().width;
    const ns = "http://www.w3.org/2000/svg";
    const group = document.createElementNS(ns, "g");
    group.setAttribute("class", `asl-badge st-${status}`);
    group.setAttribute("aria-hidden", "true");
    group.setAttribute("transform", `translate(${width - 4},4)`);
    const circle = document.createElementNS(ns, "circle");
    circle.setAttribute("r", "8.5");
    const text = document.createElementNS(ns, "text");
    text.setAttribute("text-anchor", "middle");
    text.setAttribute("y", "4");
    text.textContent = icon;
    group.append(circle, text);
    node.append(group);
  }

  // ------------------------------------------------------------------ an execution

  async function viewExecution(arn) {
    const mine = startView("Execution", [["…", "execution", arn]]);
    const source = REPORT ? reportSource() : liveSource(arn);
    fill(main, h("p", { class: "muted" }, "Loading the execution…"));
    const [described, forMachine] = await Promise.all([source.describe(), source.definition()]);
    if (mine !== generation) return;
    const machineArn = described.stateMachineArn;
    const machineName = forMachine.name || machineArn.split(":").pop();
    startView(described.name, [[machineName, "machine", machineArn], [described.name, "execution", arn]]);
    const view = {
      arn, source, described, machineArn, events: [], callbacks: [], mapRuns: new Map(),
      structure: structureOf(JSON.parse(forMachine.definition)), focus: {}, selected: null,
      analysis: { visits: [], executionError: null }, eventFilter: { text: "", kind: "all", state: false },
      openEvents: new Set(), shownEvents: 300, graph: null,
      parts: {
        head: h("div", { class: "head" }), facts: h("p", { class: "facts" }), banners: h("div", {}),
        graph: h("div", { class: "graph" }, h("p", { class: "muted" }, "Drawing…")),
        legend: h("ul", { class: "legend", "aria-label": "Legend" }),
        details: h("section", { class: "panel details", "aria-labelledby": "details-title", tabindex: "-1" }),
        events: h("div", {}),
      },
    };
    const parts = view.parts;
    parts.legend.append(...["succeeded", "caught", "retried", "failed", "running", "waiting", "aborted", "none"]
      .map((status) => h("li", {}, badge(status))));
    fill(main, parts.head, parts.facts, parts.banners,
      h("div", { class: "grid" },
        h("section", { class: "panel", "aria-labelledby": "graph-title" },
          h("h2", { id: "graph-title" }, "Graph"), parts.legend, parts.graph),
        parts.details),
      h("section", { class: "panel", "aria-labelledby": "events-title" }, eventFilters(view), parts.events));
    try {
      parts.graph.innerHTML = await source.graph();
      view.graph = prepareGraph(parts.graph, (name) => select(view, name, true));
    } catch (error) {
      fill(parts.graph, h("p", { class: "hint bad" }, error.message));
    }
    await refresh(view, mine);
  }

  async function refresh(view, mine) {
    const { source } = view;
    const [described, events] = await Promise.all([source.describe(), source.history(view.events)]);
    if (mine !== generation) return;
    const running = described.status === "RUNNING";
    const callbacks = source.live && running ? await source.callbacks().catch(() => []) : [];
    const changed = events.length !== view.events.length || described.status !== view.described.status
      || JSON.stringify(callbacks) !== JSON.stringify(view.callbacks) || !view.painted;
    Object.assign(view, { described, events, callbacks, painted: true });
    if (!changed && running && view.clock) view.clock.textContent = duration(Date.now() / 1000 - described.startDate);
    if (changed) {
      view.analysis = analyse(events, view.structure, described.status);
      render(view);
    }
    if (running && source.live) {
      timer = setTimeout(() => refresh(view, mine).catch((error) => toast(error.message, true)), document.hidden ? POLL_MS * 5 : POLL_MS);
    }
  }

  function render(view) {
    renderHead(view);
    renderBanners(view);
    paintGraph(view.graph, visibleVisits(view), view.selected);
    renderDetails(view);
    renderEvents(view);
  }

  function visibleVisits(view) {
    return view.analysis.visits.filter((visit) => inFocus(visit, view.focus));
  }

  function select(view, name, focusPanel) {
    view.selected = view.selected === name && focusPanel ? null : name;
    paintGraph(view.graph, visibleVisits(view), view.selected);
    renderDetails(view);
    if (view.eventFilter.state) renderEvents(view);
    if (focusPanel && view.selected) view.parts.details.focus({ preventScroll: true });
  }

  function renderHead(view) {
    const { described, parts } = view;
    const actions = h("div", { class: "actions" });
    if (view.source.live) {
      if (described.status === "RUNNING") actions.append(h("button", { type: "button", class: "danger", onclick: () => stopForm(view) }, "Stop…"));
      if (["FAILED", "TIMED_OUT", "ABORTED"].includes(described.status)) {
        actions.append(h("button", { type: "button", class: "secondary", onclick: () => redrive(view) }, "Redrive"));
      }
      actions.append(h("button", { type: "button", class: "secondary", onclick: () => {
        sessionStorage.setItem("asl-viewer-input", pretty(described.input));
        location.hash = `#/machine/${encodeURIComponent(view.machineArn)}`;
      } }, "New execution with this input"));
    }
    fill(parts.head, h("h1", {}, described.name), executionBadge(described.status), actions);
    const end = described.stopDate ?? (described.status === "RUNNING" ? Date.now() / 1000 : null);
    fill(parts.facts,
      h("span", {}, "Started ", h("b", {}, when(described.startDate))),
      described.stopDate ? h("span", {}, "Ended ", h("b", {}, when(described.stopDate))) : null,
      h("span", {}, described.status === "RUNNING" ? "Running for " : "Took ", view.clock = h("b", {}, duration(end - described.startDate))),
      h("span", {}, "Events ", h("b", {}, String(view.events.length))),
      described.redriveCount ? h("span", { class: "redrives" }, "Redriven ", h("b", {}, `${described.redriveCount}×`),
        described.redriveDate ? h("span", { class: "muted" }, ` (last ${when(described.redriveDate)})`) : null) : null,
      view.source.live ? h("span", {}, "State machine ", link("machine", view.machineArn, view.machineArn.split(":").pop())) : null);
  }

  function renderBanners(view) {
    const { described, parts } = view;
    const banners = [];
    if (described.error || described.cause) {
      banners.push(h("div", { class: "banner bad", role: "alert" },
        h("strong", {}, described.error || "Error"), described.cause ? h("pre", {}, pretty(described.cause)) : null));
    }
    const kept = new Map();
    for (const callback of view.callbacks) {
      kept.set(callback.taskToken, view.callbackBanners?.get(callback.taskToken) || callbackBanner(view, callback));
    }
    view.callbackBanners = kept;
    banners.push(...kept.values());
    if (view.stopping) banners.push(view.stopping);
    fill(parts.banners, ...banners);
  }

  function callbackBanner(view, callback) {
    const area = h("div", {});
    const approve = h("button", { type: "button", onclick: () => fill(area, approveForm(view, callback)) }, "Approve…");
    const reject = h("button", { type: "button", class: "danger", onclick: () => fill(area, rejectForm(view, callback)) }, "Reject…");
    return h("div", { class: "banner wait", "data-callback": callback.stateName },
      h("strong", {}, `${callback.stateName} is waiting for a callback`),
      h("span", { class: "muted" }, ` (${callback.resource})`),
      h("div", { class: "row" }, approve, reject,
        h("button", { type: "button", class: "secondary", onclick: () => select(view, callback.stateName, true) }, "Show the state")),
      area);
  }

  function approveForm(view, callback) {
    const submit = h("button", { type: "submit" }, "Send task success");
    const editor = jsonEditor("callback-output", "Output (JSON) for SendTaskSuccess", '{"approved": true}', (ok) => { submit.disabled = !ok; });
    return h("form", { class: "inline", onsubmit: (event) => {
      event.preventDefault();
      if (editor.check()) act(view, "SendTaskSuccess", { taskToken: callback.taskToken, output: editor.area.value }, "Task success sent");
    } }, editor.element, h("div", { class: "row" }, submit));
  }

  function rejectForm(view, callback) {
    const error = h("input", { id: "callback-error", value: "Rejected", maxlength: "256" });
    const cause = h("input", { id: "callback-cause", value: "Rejected from the viewer", maxlength: "32768" });
    return h("form", { class: "inline", onsubmit: (event) => {
      event.preventDefault();
      act(view, "SendTaskFailure", { taskToken: callback.taskToken, error: error.value, cause: cause.value }, "Task failure sent");
    } },
      h("div", { class: "row" }, h("div", {}, h("label", { for: "callback-error" }, "Error"), error),
        h("div", {}, h("label", { for: "callback-cause" }, "Cause"), cause),
        h("button", { type: "submit", class: "danger" }, "Send task failure")));
  }

  function stopForm(view) {
    const error = h("input", { id: "stop-error", placeholder: "optional", maxlength: "256" });
    const cause = h("input", { id: "stop-cause", placeholder: "optional", maxlength: "32768" });
    view.stopping = h("form", { class: "banner bad", onsubmit: (event) => {
      event.preventDefault();
      const request = { executionArn: view.arn };
      if (error.value) request.error = error.value;
      if (cause.value) request.cause = cause.value;
      view.stopping = null;
      act(view, "StopExecution", request, "Execution stopped");
    } },
      h("strong", {}, "Stop this execution?"),
      h("div", { class: "row" }, h("div", {}, h("label", { for: "stop-error" }, "Error"), error),
        h("div", {}, h("label", { for: "stop-cause" }, "Cause"), cause),
        h("button", { type: "submit", class: "danger" }, "Stop execution"),
        h("button", { type: "button", class: "secondary", onclick: () => { view.stopping = null; renderBanners(view); } }, "Cancel")));
    renderBanners(view);
    error.focus();
  }

  async function redrive(view) {
    try {
      await api("RedriveExecution", { executionArn: view.arn });
      toast("Redrive started");
      restartPolling(view);
    } catch (error) {
      toast(`Redrive failed: ${error.message}`, true);
    }
  }

  async function act(view, action, request, done) {
    try {
      await api(action, request);
      toast(done);
    } catch (error) {
      toast(`${action} failed: ${error.message}`, true);
    }
    restartPolling(view);
  }

  function restartPolling(view) {
    clearTimeout(timer);
    view.painted = false;
    refresh(view, generation).catch((error) => toast(error.message, true));
  }

  // ------------------------------------------------------------------ state details

  function renderDetails(view) {
    const panel = view.parts.details;
    const name = view.selected;
    if (!name) {
      const { described } = view;
      fill(panel, h("h2", { id: "details-title" }, "Execution"),
        h("p", { class: "muted" }, "Select a state in the graph (click it, or Tab to it and press Enter) to see its input, output, variables, retries, errors and timings."),
        h("h3", {}, "Input"), h("pre", {}, pretty(described.input)),
        described.output !== undefined ? [h("h3", {}, "Output"), h("pre", {}, pretty(described.output))] : null);
      return;
    }
    const info = view.structure.get(name) || {};
    const visits = visibleVisits(view).filter((visit) => visit.name === name);
    const status = summarise(visits);
    const content = [
      h("div", { class: "head" }, h("h2", { id: "details-title" }, name), badge(status)),
      h("p", { class: "muted" }, `${info.type || "State"} · ${visits.length} visit${visits.length === 1 ? "" : "s"}`),
    ];
    if (info.type === "Map") content.push(mapDetails(view, name, visits));
    if (view.callbacks.some((item) => item.stateName === name)) {
      content.push(h("p", { class: "banner wait" }, "Waiting for a callback: ", h("button", { type: "button", class: "secondary", onclick: () => {
        view.parts.banners.querySelector(`[data-callback="${CSS.escape(name)}"] button`)?.focus();
      } }, "Approve or reject it")));
    }
    if (!visits.length) content.push(h("p", { class: "empty" }, "Not reached."));
    const latest = visits.slice(-20).reverse();
    latest.forEach((visit, index) => content.push(visitDetails(view, visit, visits.indexOf(visit) + 1, index === 0)));
    if (visits.length > latest.length) content.push(h("p", { class: "muted" }, `${visits.length - latest.length} earlier visits not shown.`));
    fill(panel, ...content);
  }

  function visitDetails(view, visit, number, open) {
    const entered = visit.entered.timestamp;
    const left = visit.exited ? visit.exited.timestamp : (visit.events.length ? visit.events[visit.events.length - 1].timestamp : entered);
    const exited = visit.exited ? detailsOf(visit.exited) : {};
    const retries = visit.failures.filter((failure) => failure !== visit.failures[visit.failures.length - 1] || !visit.lastFailed);
    const last = visit.lastFailed ? visit.failures[visit.failures.length - 1] : null;
    const started = view.analysis.started;
    const body = [
      h("dl", {},
        h("dt", {}, "Status"), h("dd", {}, badge(visit.status)),
        visit.context ? [h("dt", {}, "Iteration"), h("dd", {}, iterationLabel(visit.context))] : null,
        h("dt", {}, "Entered"), h("dd", {}, when(entered), started !== null ? h("span", { class: "muted" }, ` (+${duration(entered - started)})`) : null),
        visit.exited ? [h("dt", {}, "Exited"), h("dd", {}, when(visit.exited.timestamp))] : null,
        h("dt", {}, visit.exited ? "Duration" : "So far"), h("dd", {}, duration(left - entered)),
        visit.attempts > 1 ? [h("dt", {}, "Attempts"), h("dd", {}, String(visit.attempts))] : null,
        visit.scheduled?.resource ? [h("dt", {}, "Resource"), h("dd", { class: "mono" },
          visit.scheduled.resourceType ? `${visit.scheduled.resourceType}:${visit.scheduled.resource}` : visit.scheduled.resource)] : null),
    ];
    if (retries.length) {
      body.push(h("h3", {}, `Retries (${retries.length})`), h("ol", { class: "retries" }, retries.map((failure) =>
        h("li", {}, h("strong", {}, failure.error || (failure.implicit ? "a branch or iteration failed" : "error")),
          failure.cause ? h("div", { class: "muted" }, clip(failure.cause, 300)) : null,
          h("div", { class: "muted" }, when(failure.event.timestamp))))));
    }
    if (last && (last.error || last.cause)) {
      body.push(h("h3", {}, visit.status === "caught" ? "Caught error" : "Error"),
        h("p", {}, h("strong", {}, last.error || "—")), last.cause ? h("pre", {}, pretty(last.cause)) : null);
    }
    body.push(h("h3", {}, "Input"), h("pre", {}, pretty(detailsOf(visit.entered).input)));
    if (visit.scheduled?.parameters) body.push(h("h3", {}, "Parameters"), h("pre", {}, pretty(visit.scheduled.parameters)));
    else if (visit.scheduled?.input) body.push(h("h3", {}, "Task input"), h("pre", {}, pretty(visit.scheduled.input)));
    if (visit.result !== null && visit.result !== undefined) body.push(h("h3", {}, "Task result"), h("pre", {}, pretty(visit.result)));
    if (visit.exited) body.push(h("h3", {}, "Output"), h("pre", {}, pretty(exited.output)));
    if (exited.assignedVariables && Object.keys(exited.assignedVariables).length) {
      body.push(h("h3", {}, "Variables assigned"), h("dl", {}, Object.entries(exited.assignedVariables).map(([key, value]) =>
        [h("dt", { class: "mono" }, `$${key}`), h("dd", { class: "mono" }, clip(value, 400))])));
    }
    return h("details", { class: "visit", open }, h("summary", {}, `Visit ${number}`, " ", badge(visit.status)), body);
  }

  function mapDetails(view, name, visits) {
    const iterations = new Map();
    for (const visit of visits) for (const [index, state] of visit.iterations) iterations.set(index, state);
    const section = h("div", {});
    const chips = h("div", { class: "chips", role: "group", "aria-label": "Show one iteration" });
    const focusOn = (index) => {
      if (index === null) delete view.focus[name]; else view.focus[name] = index;
      paintGraph(view.graph, visibleVisits(view), view.selected);
      renderDetails(view);
      renderEvents(view);
    };
    const choice = (label, index, status) => h("button", { type: "button", class: `s-${status}`,
      "aria-pressed": String(view.focus[name] === (index ?? undefined)), onclick: () => focusOn(index) }, label);
    chips.append(choice("All iterations", null, "none"));
    const statusOf = { started: "running", succeeded: "succeeded", failed: "failed", aborted: "aborted" };
    for (const [index, state] of [...iterations].sort((a, b) => a[0] - b[0]).slice(0, 500)) {
      chips.append(choice(`#${index} ${STATUS[statusOf[state]][1]}`, index, statusOf[state]));
    }
    if (iterations.size) section.append(h("h3", {}, `Iterations (${iterations.size})`), chips,
      h("p", { class: "hint muted" }, "Pick one to colour the item processor with that iteration's states."));
    const runs = visits.map((visit) => visit.mapRunArn).filter(Boolean);
    for (const mapRunArn of runs) section.append(mapRunDetails(view, mapRunArn));
    return section;
  }

  function mapRunDetails(view, mapRunArn) {
    const box = h("div", {}, h("h3", {}, "Map Run"), h("p", { class: "mono muted" }, mapRunArn));
    const show = (run) => {
      if (!run) return;
      const counts = (title, values) => [h("h3", {}, title), h("div", { class: "counts" },
        ["total", "succeeded", "failed", "running", "pending", "aborted", "timedOut"].map((key) =>
          h("span", {}, `${key} `, h("b", {}, String(values[key] ?? 0)))))];
      fill(box, h("h3", {}, "Map Run ", badge(EXECUTION[run.status] || "none", run.status)),
        h("p", { class: "mono muted" }, mapRunArn),
        h("p", {}, `Max concurrency ${run.maxConcurrency || "unlimited"} · tolerated failures ${run.toleratedFailureCount} (${run.toleratedFailurePercentage}%)`),
        counts("Child executions", run.executionCounts), counts("Items", run.itemCounts),
        h("p", { class: "hint muted" }, "Child executions keep their own histories: the item processor's states are not in this one."));
    };
    if (view.mapRuns.has(mapRunArn)) show(view.mapRuns.get(mapRunArn));
    else view.source.mapRun(mapRunArn).then((run) => { view.mapRuns.set(mapRunArn, run); show(run); }).catch(() => {});
    return box;
  }

  // ------------------------------------------------------------------ events

  const KINDS = {
    all: ["All events", () => true],
    states: ["State entered / exited", (type) => /State(Entered|Exited)$/.test(type)],
    tasks: ["Tasks, Lambda, activities", (type) => /^(Task|LambdaFunction|Activity)/.test(type) && !/State/.test(type)],
    groups: ["Map and Parallel", (type) => /^(Map|Parallel)/.test(type)],
    failures: ["Failures", (type) => /(Failed|TimedOut|Aborted)$/.test(type)],
    execution: ["Execution", (type) => type.startsWith("Execution")],
  };

  function eventFilters(view) {
    const text = h("input", { id: "event-search", type: "search", placeholder: "type, state, error, data…", oninput: () => {
      view.eventFilter.text = text.value.trim().toLowerCase(); view.shownEvents = 300; renderEvents(view);
    } });
    const kind = h("select", { id: "event-kind", onchange: () => { view.eventFilter.kind = kind.value; renderEvents(view); } },
      Object.entries(KINDS).map(([value, [label]]) => h("option", { value }, label)));
    const only = h("input", { id: "event-state", type: "checkbox", onchange: () => { view.eventFilter.state = only.checked; renderEvents(view); } });
    return [h("h2", { id: "events-title" }, "Event history"),
      h("div", { class: "filters" },
        h("div", {}, h("label", { for: "event-search" }, "Search"), text),
        h("div", {}, h("label", { for: "event-kind" }, "Kind"), kind),
        h("div", { class: "row" }, only, h("label", { for: "event-state" }, "Only the selected state")))];
  }

  function eventSummary(event) {
    const details = detailsOf(event);
    const text = (value) => (typeof value === "string" ? value : JSON.stringify(value));
    if (details.error || details.cause) return `${details.error || ""}${details.cause ? `: ${details.cause}` : ""}`;
    if (event.type.endsWith("StateEntered")) return `input ${details.input ?? ""}`;
    if (details.output !== undefined) return `output ${text(details.output)}`;
    if (details.index !== undefined) return `iteration #${details.index}`;
    if (details.resource) return `${details.resourceType ? `${details.resourceType}:` : ""}${details.resource}`;
    if (details.input !== undefined) return `input ${text(details.input)}`;
    if (details.mapRunArn) return details.mapRunArn;
    if (details.length !== undefined) return `${details.length} items`;
    return "";
  }

  function renderEvents(view) {
    const { events, eventFilter } = view;
    const owners = new Map();
    for (const visit of view.analysis.visits) for (const event of [visit.entered, ...visit.events]) owners.set(event.id, visit.name);
    const test = KINDS[eventFilter.kind][1];
    const matching = events.filter((event) => {
      if (!test(event.type)) return false;
      if (eventFilter.state && view.selected && owners.get(event.id) !== view.selected) return false;
      if (!eventFilter.text) return true;
      return `${event.type} ${owners.get(event.id) || ""} ${JSON.stringify(detailsOf(event))}`.toLowerCase().includes(eventFilter.text);
    });
    const started = view.analysis.started;
    const rows = [];
    for (const event of matching.slice(0, view.shownEvents)) {
      const open = view.openEvents.has(event.id);
      const toggle = h("button", { type: "button", class: "link", "aria-expanded": String(open), onclick: () => {
        if (view.openEvents.has(event.id)) view.openEvents.delete(event.id); else view.openEvents.add(event.id);
        renderEvents(view);
        view.parts.events.querySelector(`[data-event="${event.id}"] button`)?.focus();
      } }, String(event.id));
      const failure = /(Failed|TimedOut|Aborted)$/.test(event.type);
      rows.push(h("tr", { "data-event": String(event.id), class: open ? "open" : "" },
        h("td", { class: "num" }, toggle),
        h("td", { class: "num" }, started !== null ? `+${duration(event.timestamp - started)}` : ""),
        h("td", { class: failure ? "type-fail" : "" }, event.type),
        h("td", {}, owners.get(event.id) || ""),
        h("td", { class: "summary" }, clip(eventSummary(event), 140))));
      if (open) rows.push(h("tr", { class: "open" }, h("td", { colspan: "5" }, h("pre", {}, JSON.stringify(expand(event), null, 2)))));
    }
    const more = matching.length > view.shownEvents ? h("button", { type: "button", class: "secondary", onclick: () => {
      view.shownEvents += 1000; renderEvents(view);
    } }, `Show more (${matching.length - view.shownEvents} hidden)`) : null;
    fill(view.parts.events,
      h("p", { class: "muted", "aria-live": "polite" }, `${matching.length} of ${events.length} events`),
      h("div", { class: "table-wrap" }, h("table", { class: "events" },
        h("thead", {}, h("tr", {}, ["#", "Time", "Type", "State", "Details"].map((title) => h("th", { scope: "col" }, title)))),
        h("tbody", {}, rows))),
      more);
  }

  function expand(event) {
    // JSON text members shown as JSON, for reading.
    const copy = JSON.parse(JSON.stringify(event));
    const details = detailsOf(copy);
    for (const key of ["input", "output", "parameters", "cause"]) {
      if (typeof details[key] === "string") {
        try { details[key] = JSON.parse(details[key]); } catch { /* plain text */ }
      }
    }
    return copy;
  }

  window.addEventListener("hashchange", route);
  route();
})();
