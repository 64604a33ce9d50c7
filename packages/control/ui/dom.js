// DOM helpers. Every value from the server becomes a text node or an attribute value, never
// markup, so a payload such as <img src=x onerror=...> shows as the characters it contains.

/**
 * Creates an element. `attributes` maps attribute names and values, `class` included; names
 * starting with "on" are rejected, so no caller can attach script through this helper. Children
 * are nodes, or strings and numbers that become text nodes; null and undefined are skipped.
 */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (/^on/i.test(name))
      throw new Error(`event handler attribute ${name} is not allowed; use addEventListener`);
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

export function button(label, onClick, attributes = {}) {
  const element = el("button", { type: "button", ...attributes }, label);
  element.addEventListener("click", onClick);
  return element;
}

/** Wraps a form control in a label, which gives it its accessible name. */
export function field(label, control) {
  return el("label", { class: "field" }, el("span", {}, label), control);
}

/** A table from column definitions `{ label, value(row) }`; value returns text or a node. */
export function table(columns, rows, empty = "Nothing to show.") {
  if (rows.length === 0) return el("p", { class: "empty" }, empty);
  return el(
    "table",
    {},
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        columns.map((column) => el("th", { scope: "col" }, column.label)),
      ),
    ),
    el(
      "tbody",
      {},
      rows.map((row) =>
        el(
          "tr",
          {},
          columns.map((column) => el("td", {}, column.value(row))),
        ),
      ),
    ),
  );
}

/** Shows a message line in a view. `kind` is "error", "ok" or "info". */
export function message(region, kind, text) {
  region.className = `message ${kind}`;
  region.textContent = text;
}

export function formatTime(milliseconds) {
  if (milliseconds === null || milliseconds === undefined) return "";
  const date = new Date(Number(milliseconds));
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
}

export function formatNumber(value, digits = 0) {
  const number = Number(value);
  return Number.isFinite(number) ? number.toFixed(digits) : "";
}

/** Reads a form's named fields into an object of trimmed strings. */
export function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form)) values[name] = String(value).trim();
  return values;
}

/**
 * Requests a reason in a modal <dialog> (not window.prompt, which a page cannot style or label).
 * Resolves with the text, or undefined when cancelled. `reasonRequired` false requests a plain
 * confirmation.
 */
export function askReason(title, { reasonRequired = true, confirmLabel = "Confirm" } = {}) {
  return new Promise((resolve) => {
    const reason = el("textarea", { name: "reason", rows: 3, required: reasonRequired });
    const form = el(
      "form",
      { method: "dialog" },
      el("h2", {}, title),
      reasonRequired ? el("label", { class: "field" }, el("span", {}, "Reason"), reason) : null,
      el(
        "div",
        { class: "actions" },
        el("button", { type: "submit", value: "confirm" }, confirmLabel),
        el("button", { type: "submit", value: "cancel", formnovalidate: true }, "Cancel"),
      ),
    );
    const dialog = el("dialog", { class: "reason-dialog" }, form);
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "confirm" ? reason.value.trim() : undefined);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
