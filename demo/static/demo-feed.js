// The live event feed: the browser's own WebSocket to /ws, subscribed to every event type.
// It needs no token: subscribing is a read, and reads are public. After a lost connection
// (a server restart, a network cut, the 1008 close of a slow reader) it subscribes again with
// `after`, the last seq it saw, and `epoch`, so the server replays what it missed, once each.

const KEEP = 100; // events listed at most; the oldest go first

const element = (tag, properties = {}, children = []) => {
  const made = Object.assign(document.createElement(tag), properties);
  made.append(...children);
  return made;
};

function subject(event) {
  const data = event.data || {};
  if (event.type.startsWith("loan.")) return `${data.member} \u00b7 ${data.isbn}`;
  return data.title ? `${data.isbn} \u201c${data.title}\u201d` : data.isbn;
}

export function startFeed(list, status) {
  const labels = new Map(); // isbn -> who worked on it, learnt from the runs' answers
  let retryMs = 1000;
  let epoch = null; // the stream's, from the subscribe answer
  let seq = null; // the last seq seen: an event's, a position's, or the head subscribed at

  function add(event) {
    const isbn = (event.data || {}).isbn;
    const at = new Date(event.at);
    const item = element("li", { className: "event" }, [
      element("span", { className: "seq", textContent: `#${event.seq}` }),
      element("span", { className: `type ${event.type.replace(".", "-")}`, textContent: event.type }),
      element("span", { className: "subject", textContent: subject(event) }),
      element("span", { className: "via", textContent: labels.get(isbn) || "" }),
      element("time", { dateTime: event.at, textContent: at.toLocaleTimeString("en-GB") }),
    ]);
    item.dataset.type = event.type;
    if (isbn) item.dataset.isbn = isbn;
    list.prepend(item);
    while (list.children.length > KEEP) list.lastElementChild.remove();
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws`);
    socket.addEventListener("open", () => {
      retryMs = 1000;
      const params = { events: ["*"] };
      if (seq !== null) Object.assign(params, { after: seq, epoch });
      socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "subscribe", params }));
    });
    socket.addEventListener("message", (message) => {
      const frame = JSON.parse(message.data);
      if (frame.method === "event") {
        if (seq !== null && frame.params.seq <= seq) return; // never twice
        seq = frame.params.seq;
        add(frame.params);
      } else if (frame.method === "position") {
        seq = Math.max(seq ?? 0, frame.params.seq);
      } else if (frame.id === 1 && frame.result) {
        epoch = frame.result.epoch;
        if (seq === null) seq = frame.result.seq;
        status.textContent = `Subscribed to ${frame.result.events.join(", ")} on /ws: waiting for changes.`;
        status.dataset.state = "subscribed";
      } else if (frame.error && frame.error.data && frame.error.data.kind === "resync_required") {
        // The events since `seq` are gone (pruned, or a new database): say so, start from now.
        list.prepend(element("li", { className: "event gap", textContent: "Some events were missed here." }));
        seq = null;
        epoch = null;
        socket.close();
      } else if (frame.error) {
        status.textContent = `/ws refused the subscription: ${frame.error.message}`;
        status.dataset.state = "refused";
      }
    });
    socket.addEventListener("close", () => {
      status.textContent = `Disconnected from /ws; trying again in ${retryMs / 1000} s.`;
      status.dataset.state = "disconnected";
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 16000);
    });
  }

  connect();
  return {
    clear: () => list.replaceChildren(),
    label(isbn, text) {
      labels.set(isbn, text);
      for (const item of list.querySelectorAll(`li[data-isbn="${CSS.escape(isbn)}"] .via`)) {
        item.textContent = text;
      }
    },
  };
}
