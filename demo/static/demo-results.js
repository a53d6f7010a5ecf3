// The three columns: for each protocol what crossed the wire, its size and time, its answer;
// above them, whether the three answers agree.

const element = (tag, properties = {}, children = []) => {
  const made = Object.assign(document.createElement(tag), properties);
  made.append(...children);
  return made;
};
const bytes = (count) => `${count.toLocaleString("en")} B`;
const plural = (count, word) => `${count} ${word}${count === 1 ? "" : "s"}`;

function scrollable(text, className) {
  // tabindex: a region that scrolls must be reachable from the keyboard to be scrolled.
  return element("pre", { className, tabIndex: 0, textContent: text });
}

function messageItem(message) {
  const arrow = message.direction === "sent" ? "\u2192" : "\u2190";
  const who = message.direction === "sent" ? "client to server" : "server to client";
  const head = element("div", { className: "message-head" }, [
    element("span", { className: "arrow", title: who, textContent: arrow }),
    element("span", { className: "message-title", textContent: message.title }),
    element("span", { className: "size", textContent: bytes(message.size) }),
  ]);
  const headers = element(
    "table",
    { className: "headers" },
    message.headers.map(([name, value]) =>
      element("tr", {}, [element("th", { scope: "row", textContent: name }), element("td", { textContent: value })]),
    ),
  );
  const pretty = element("div", { className: "pretty" }, [headers]);
  if (message.body) pretty.append(scrollable(message.body, "body"));
  return element("li", { className: `message ${message.direction} ${message.kind}` }, [
    head,
    pretty,
    scrollable(message.raw, "raw"),
  ]);
}

function stats(result) {
  const call = result.call;
  const setup = result.setup;
  const rows = [
    ["time", `${result.latency_ms.toLocaleString("en")} ms`],
    ["sent", bytes(call.sent)],
    ["received", bytes(call.received)],
    ["round trips", String(call.round_trips)],
    ["connections opened", String(call.connections)],
    ["setup", `${plural(setup.connections, "connection")}, ${plural(setup.round_trips, "round trip")}, ${bytes(setup.sent + setup.received)}`],
  ];
  return element(
    "dl",
    { className: "stats" },
    rows.map(([name, value]) => element("div", {}, [element("dt", { textContent: name }), element("dd", { textContent: value })])),
  );
}

function column(result) {
  const outcome = result.ok
    ? element("span", { className: "badge ok", textContent: "answer" })
    : element("span", { className: "badge bad", textContent: result.error.kind });
  const parts = [
    element("h3", {}, [element("span", { textContent: result.label }), outcome]),
    stats(result),
  ];
  if (!result.ok) parts.push(element("p", { className: "error-message", textContent: result.error.message }));
  if (result.target) {
    parts.push(element("p", { className: "hint", textContent: `worked on its scratch copy ${result.target}` }));
  }
  const setup = result.messages.filter((message) => message.phase === "setup");
  const call = result.messages.filter((message) => message.phase === "call");
  if (setup.length) {
    const total = result.setup.sent + result.setup.received;
    parts.push(
      element("details", { className: "setup" }, [
        element("summary", { textContent: `Setup before the call: ${plural(setup.length, "message")}, ${bytes(total)}` }),
        element("ol", { className: "messages" }, setup.map(messageItem)),
      ]),
    );
  }
  parts.push(element("h4", { textContent: `The call: ${plural(call.length, "message")}` }));
  parts.push(element("ol", { className: "messages" }, call.map(messageItem)));
  if (result.ok && result.answer !== null) {
    parts.push(
      element("details", { className: "answer" }, [
        element("summary", { textContent: "The answer as the client returns it" }),
        scrollable(JSON.stringify(result.answer, null, 2), "body"),
      ]),
    );
  }
  return element("article", { className: `column ${result.protocol}`, ariaLabel: result.label }, parts);
}

export function showRunning(verdict, results, operation) {
  verdict.className = "verdict";
  verdict.replaceChildren(element("p", { textContent: `Running ${operation} through REST, SOAP and WebSocket\u2026` }));
  results.setAttribute("aria-busy", "true");
}

export function showResults(verdict, results, run) {
  results.removeAttribute("aria-busy");
  results.replaceChildren(...run.results.map(column));
  const title = run.agree ? "The three answers agree." : "The answers differ.";
  const parts = [element("p", { className: "verdict-title", textContent: title })];
  if (run.results.some((result) => !result.ok && result.error.kind === "not_allowed")) {
    parts.push(element("p", { textContent: "This server needs its API token for changes: type it in the token field." }));
  }
  if (run.masked.length) {
    parts.push(
      element("p", {
        className: "hint",
        textContent: `Compared as domain values. Each protocol changed its own scratch copy, so these fields are left out: ${run.masked.join(", ")}.`,
      }),
    );
  } else {
    parts.push(element("p", { className: "hint", textContent: "Compared as domain values, field by field." }));
  }
  parts.push(
    element("p", {
      className: "hint",
      textContent:
        "Each time is this one call on a new client, through the counting proxy; rosetta compare " +
        "gives medians of many calls, without the proxy.",
    }),
  );
  for (const [protocol, diff] of Object.entries(run.differences)) {
    parts.push(element("h3", { textContent: `${protocol} differs from rest` }), scrollable(diff, "diff"));
  }
  verdict.className = `verdict ${run.agree ? "agree" : "differ"}`;
  verdict.dataset.agree = String(run.agree);
  verdict.replaceChildren(...parts);
}

export function showFailure(verdict, results, error) {
  results.removeAttribute("aria-busy");
  results.replaceChildren(); // the columns of an earlier run would pass for this one's
  verdict.className = "verdict differ";
  const parts = [element("p", { className: "verdict-title", textContent: `The run was refused: ${error.message}` })];
  const problem = error.problem || {};
  for (const field of problem.errors || []) {
    parts.push(element("p", { className: "hint", textContent: `${field.field}: ${field.message}` }));
  }
  verdict.replaceChildren(...parts);
  verdict.focus();
}
