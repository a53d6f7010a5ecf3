// The demo page: builds the form from the contract, runs an operation through the three
// protocols on the server, shows what crossed the wire, and lists live events.
import { showClientCode } from "./demo-code.js";
import { startFeed } from "./demo-feed.js";
import { buildForm, readForm } from "./demo-form.js";
import { showFailure, showResults, showRunning } from "./demo-results.js";

const $ = (id) => document.getElementById(id);
const stored = (key) => {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage may be off (private mode, file policy): the page still works
  }
};
const store = (key, value) => {
  try {
    localStorage.setItem(key, value);
  } catch {
    // nothing to do: the setting lasts until the page is reloaded
  }
};

function setTheme(theme) {
  document.documentElement.dataset.theme = theme;
  const button = $("theme-toggle");
  button.setAttribute("aria-pressed", String(theme === "dark"));
}

function setScale(scale) {
  const bounded = Math.min(2, Math.max(0.7, Math.round(scale * 10) / 10));
  document.documentElement.style.setProperty("--scale", String(bounded));
  store("rosetta-scale", String(bounded));
  return bounded;
}

function setRaw(raw) {
  document.body.classList.toggle("show-raw", raw);
  const button = $("raw-toggle");
  button.setAttribute("aria-pressed", String(raw));
}

async function fetchJson(url, options) {
  const answer = await fetch(url, options);
  const body = await answer.json();
  if (!answer.ok) {
    const error = new Error(body.detail || `HTTP ${answer.status}`);
    error.problem = body;
    throw error;
  }
  return body;
}

async function main() {
  const dark = window.matchMedia("(prefers-color-scheme: dark)").matches;
  setTheme(stored("rosetta-theme") || (dark ? "dark" : "light"));
  $("theme-toggle").addEventListener("click", () => {
    const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    store("rosetta-theme", next);
    setTheme(next);
  });
  let scale = setScale(Number(stored("rosetta-scale")) || 1);
  $("larger").addEventListener("click", () => (scale = setScale(scale + 0.1)));
  $("smaller").addEventListener("click", () => (scale = setScale(scale - 0.1)));
  setRaw(false);
  $("raw-toggle").addEventListener("click", () => {
    setRaw(!document.body.classList.contains("show-raw"));
  });

  const feed = startFeed($("events"), $("feed-status"));
  $("clear-events").addEventListener("click", () => feed.clear());

  const contract = await fetchJson("/demo/api/operations");
  $("token-row").hidden = !contract.token_required;
  const form = buildForm(contract.operations, {
    select: $("operation"),
    fields: $("fields"),
    summary: $("summary"),
    note: $("note"),
  });

  let running = false;
  async function run() {
    if (running) return;
    running = true;
    const button = $("run");
    button.disabled = true;
    button.textContent = "Running\u2026";
    const request = readForm(form);
    const token = $("token").value.trim();
    if (token) request.token = token;
    showRunning($("verdict"), $("results"), request.operation);
    try {
      const result = await fetchJson("/demo/api/run", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(request),
      });
      for (const each of result.results) {
        if (each.target) feed.label(each.target, `${each.label}'s scratch copy`);
      }
      showResults($("verdict"), $("results"), result);
    } catch (error) {
      showFailure($("verdict"), $("results"), error);
    } finally {
      running = false;
      button.disabled = false;
      button.textContent = "Run through REST, SOAP and WebSocket";
    }
  }

  $("run-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
  document.body.dataset.ready = "true";
  showClientCode($("code-choice"), $("code-files"), await fetchJson("/demo/api/clients"));
}

main().catch((error) => {
  $("verdict").replaceChildren(
    Object.assign(document.createElement("p"), {
      className: "bad",
      textContent: `The page could not start: ${error.message}. Is the gateway running?`,
    }),
  );
});
