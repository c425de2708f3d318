// Small DOM helpers. The page never assigns HTML strings (the CSP enforces
// Trusted Types, so assigning an HTML string would throw): every element is
// built with h(), and every server-provided string lands in a text node.

/**
 * Creates an element. attrs: "class", "on<event>" handlers, "dataset", DOM
 * properties (value, checked, disabled, selected, hidden, open), and any other
 * attribute (true sets it empty, false/null/undefined leave it out).
 * children: nodes, strings, numbers, arrays of them, null/false (skipped).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (["value", "checked", "disabled", "selected", "hidden", "open", "readOnly", "required"].includes(k)) el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

let uid = 0;
/** Returns a fresh element id with the given prefix. */
export function newId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** Shows a short message in the polite live region. kind: "ok" | "error" | "info". */
export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const t = h("div", { class: `toast ${kind}` }, message);
  box.append(t);
  setTimeout(() => t.remove(), kind === "error" ? 9000 : 5000);
}

/**
 * Asks for confirmation in the modal confirm dialog. Resolves true when the
 * user confirms. opts: title, body (text or nodes), confirm and cancel
 * (button texts), danger.
 */
export function confirmDialog(opts) {
  const dlg = document.getElementById("confirm-dialog");
  const title = dlg.querySelector("[data-title]");
  const body = dlg.querySelector("[data-body]");
  const ok = dlg.querySelector("[data-ok]");
  title.textContent = opts.title;
  body.replaceChildren(...[].concat(opts.body || []).map((b) => (b instanceof Node ? b : h("p", null, b))));
  ok.textContent = opts.confirm || "OK";
  dlg.querySelector("[data-cancel]").textContent = opts.cancel || "Cancel";
  ok.className = opts.danger ? "btn danger" : "btn primary";
  return new Promise((resolve) => {
    const done = () => {
      dlg.removeEventListener("close", done);
      resolve(dlg.returnValue === "ok");
    };
    dlg.returnValue = "";
    dlg.addEventListener("close", done);
    dlg.showModal();
    dlg.querySelector("[data-cancel]").focus();
  });
}

/** A button that copies text (given or computed) to the clipboard. */
export function copyButton(text, label = "Copy") {
  const btn = h("button", { type: "button", class: "btn small ghost copy" }, label);
  btn.addEventListener("click", async () => {
    const value = typeof text === "function" ? text() : text;
    try {
      await navigator.clipboard.writeText(value);
      btn.textContent = "Copied";
    } catch {
      btn.textContent = "Copy failed: select the text";
    }
    setTimeout(() => (btn.textContent = label), 1500);
  });
  return btn;
}

/** Returns an object's Ready condition, or null. */
export function readyCondition(obj) {
  return ((obj && obj.status && obj.status.conditions) || []).find((c) => c.type === "Ready") || null;
}

/**
 * A badge for an object's Ready condition: Ready, Not ready (with the
 * reason), Reconciling (status older than the spec) or Pending.
 */
export function statusBadge(obj) {
  const c = readyCondition(obj);
  const gen = (obj.metadata && obj.metadata.generation) || 0;
  const observed = (c && c.observedGeneration) || (obj.status && obj.status.observedGeneration) || 0;
  let cls = "pending";
  let text = "Pending";
  if (c && c.status === "True") {
    cls = "ok";
    text = "Ready";
  } else if (c && c.status === "False") {
    cls = "bad";
    text = c.reason ? `Not ready: ${c.reason}` : "Not ready";
  }
  if (c && gen && observed && observed < gen) {
    cls = "pending";
    text = "Reconciling";
  }
  return h("span", { class: `badge status ${cls}`, dataset: { ready: c ? c.status : "Unknown", reason: (c && c.reason) || "" }, title: (c && c.message) || text }, text);
}

/** Formats an ISO time as a local time of day, or "". */
export function timeOf(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleString();
}

/** Moves keyboard focus to the page's main heading (after a route change). */
export function focusHeading(root) {
  const h1 = root.querySelector("h1");
  if (h1) {
    h1.setAttribute("tabindex", "-1");
    h1.focus({ preventScroll: true });
  }
}
