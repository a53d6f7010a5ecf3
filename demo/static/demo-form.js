// The form, built from the operation table the server reads from the contract.
// Inputs are deliberately permissive: a wrong value is sent as typed, so that each protocol
// can show how it refuses it.

const element = (tag, properties = {}, children = []) => {
  const made = Object.assign(document.createElement(tag), properties);
  made.append(...children);
  return made;
};

function hint(field) {
  const parts = [field.required ? "required" : "optional"];
  const limits = field.limits || {};
  if (field.kind === "list") parts.push("one per line");
  if (field.kind === "date") parts.push("YYYY-MM-DD");
  if ("minLength" in limits || "maxLength" in limits) {
    parts.push(`${limits.minLength ?? 0}\u2013${limits.maxLength} characters`);
  }
  if ("minimum" in limits && "maximum" in limits && limits.maximum < 2 ** 31 - 1) {
    parts.push(`${limits.minimum}\u2013${limits.maximum}`);
  } else if ("minimum" in limits) {
    parts.push(`at least ${limits.minimum}`);
  }
  if ("maxItems" in limits) parts.push(`at most ${limits.maxItems}`);
  if (field.default !== null && field.default !== undefined && field.kind !== "list") {
    parts.push(`default ${JSON.stringify(field.default)}`);
  }
  if (field.description) parts.push(field.description);
  return parts.join("; ");
}

function shownValue(field, value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join("\n");
  return String(value);
}

function input(field, id, value) {
  if (field.set_by_demo) {
    return element("input", { id, type: "text", disabled: true, value: `set by the demo: ${field.set_by_demo}` });
  }
  if (field.kind === "boolean") {
    const select = element("select", { id, name: field.name }, [
      element("option", { value: "", textContent: "(not sent)" }),
      element("option", { value: "true", textContent: "true" }),
      element("option", { value: "false", textContent: "false" }),
    ]);
    select.value = shownValue(field, value);
    return select;
  }
  if (field.kind === "list") {
    return element("textarea", { id, name: field.name, rows: 2, value: shownValue(field, value) });
  }
  const numeric = field.kind === "integer";
  return element("input", {
    id,
    name: field.name,
    type: "text",
    inputMode: numeric ? "numeric" : "text",
    placeholder: field.kind === "date" ? "YYYY-MM-DD" : field.example ?? "",
    spellcheck: false,
    autocomplete: "off",
    value: shownValue(field, value),
  });
}

// What the user typed, as JSON values of the field's kind; blank fields are not sent.
function valueOf(field, control) {
  const text = control.value.trim();
  if (field.set_by_demo || text === "") return undefined;
  if (field.kind === "boolean") return text === "true";
  if (field.kind === "integer") return /^-?\d+$/.test(text) ? Number(text) : text;
  if (field.kind === "list") {
    return control.value.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  }
  return text;
}

export function buildForm(operations, { select, fields, summary, note }) {
  const byName = new Map(operations.map((operation) => [operation.name, operation]));
  const typed = new Map(); // what was typed per operation, kept when switching back and forth
  const form = { byName, select, fields, controls: new Map() };

  for (const operation of operations) {
    const label = operation.change ? `${operation.name} (a change)` : operation.name;
    select.append(element("option", { value: operation.name, textContent: label }));
  }

  function remember() {
    const operation = byName.get(select.dataset.shown);
    if (!operation) return;
    typed.set(operation.name, readParams(form, operation));
  }

  function show() {
    remember();
    const operation = byName.get(select.value);
    select.dataset.shown = operation.name;
    summary.textContent = operation.summary;
    note.hidden = !operation.note;
    note.textContent = operation.note || "";
    const values = typed.get(operation.name);
    form.controls = new Map();
    fields.replaceChildren(
      ...operation.fields.map((field) => {
        const id = `field-${field.name}`;
        const value = values ? values[field.name] : field.value;
        const control = input(field, id, value);
        control.setAttribute("aria-describedby", `${id}-hint`);
        form.controls.set(field.name, control);
        return element("div", { className: "field" }, [
          element("label", { htmlFor: id }, [element("code", { textContent: field.name })]),
          control,
          element("small", { id: `${id}-hint`, className: "field-hint", textContent: hint(field) }),
        ]);
      }),
    );
  }

  select.addEventListener("change", show);
  show();
  return form;
}

function readParams(form, operation) {
  const params = {};
  for (const field of operation.fields) {
    const control = form.controls.get(field.name);
    const value = control ? valueOf(field, control) : undefined;
    if (value !== undefined) params[field.name] = value;
  }
  return params;
}

export function readForm(form) {
  const operation = form.byName.get(form.select.value);
  return { operation: operation.name, params: readParams(form, operation) };
}
