// The client code panel: the real files from clients/, as the server read them from disk.
// Each file has a toggle; three side by side is what fits a projector, so the hand-written
// SOAP client starts hidden.

const HIDDEN_AT_FIRST = new Set(["clients/raw_soap.py"]);

const element = (tag, properties = {}, children = []) => {
  const made = Object.assign(document.createElement(tag), properties);
  made.append(...children);
  return made;
};

export function showClientCode(choice, container, { files }) {
  const articles = files.map((file) =>
    element("article", { className: "code-file", hidden: HIDDEN_AT_FIRST.has(file.path) }, [
      element("h3", {}, [
        element("span", { textContent: file.label }),
        element("code", { textContent: file.path }),
        element("small", { textContent: `${file.lines} lines` }),
      ]),
      // tabindex: the listing scrolls, so it must be reachable from the keyboard.
      element("pre", { tabIndex: 0, ariaLabel: file.path }, [element("code", { textContent: file.source })]),
    ]),
  );
  const layout = () => {
    const shown = articles.filter((article) => !article.hidden).length;
    container.style.setProperty("--shown", String(Math.max(shown, 1)));
  };
  choice.replaceChildren(
    ...files.map((file, index) => {
      const button = element("button", { type: "button", textContent: `${file.label} (${file.path})` });
      button.setAttribute("aria-pressed", String(!articles[index].hidden));
      button.addEventListener("click", () => {
        articles[index].hidden = !articles[index].hidden;
        button.setAttribute("aria-pressed", String(!articles[index].hidden));
        layout();
      });
      return button;
    }),
  );
  container.replaceChildren(...articles);
  layout();
}
