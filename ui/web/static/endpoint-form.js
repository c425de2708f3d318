// The Endpoint editor (#/gateway/new, #/gateway/edit/NAME): name, task,
// labels, targets (model, APIKey, weight, with each target's resulting share
// of traffic), fallbacks in order, retry, timeout and rate limit. Fields the
// form does not show (annotations, say) are kept as loaded.

import { h, newId } from "./dom.js";
import { store, sharesOf } from "./store.js";
import { mountEditor, markErrors, clearErrors } from "./editor.js";
import { seg } from "./api.js";

/** Mounts the Endpoint editor; name is null to create one. */
export function endpointEditor(main, name) {
  return mountEditor(main, {
    kind: "Endpoint",
    plural: "endpoints",
    noun: "endpoint",
    name,
    crumbs: ["Gateway", "#/gateway"],
    template: () => ({
      apiVersion: "gateway/v1alpha1",
      kind: "Endpoint",
      metadata: { name: "" },
      spec: { task: "chat", targets: [{ model: "", apiKeyRef: defaultKey() }] },
    }),
    buildForm: endpointForm,
    doneHref: (obj) => `#/gateway/endpoint/${seg(obj.metadata.name)}`,
  });
}

function defaultKey() {
  const keys = store.apikeys || [];
  return keys.length === 1 ? keys[0].metadata.name : "";
}

/** Parses "k=v, k2=v2" into labels; an entry without "=" is a key with an empty value. */
// manifestBase copies obj as a manifest of kind with the form's name and
// labels, dropping what the server owns (status, generation).
export function manifestBase(obj, kind, name, labelsText) {
  const out = structuredClone(obj);
  out.apiVersion = "gateway/v1alpha1";
  out.kind = kind;
  delete out.status;
  const meta = { ...(obj.metadata || {}), name: name.trim() };
  delete meta.generation;
  const lb = parseLabels(labelsText);
  if (Object.keys(lb).length) meta.labels = lb;
  else delete meta.labels;
  out.metadata = meta;
  return out;
}

export function parseLabels(text) {
  const out = {};
  for (const part of String(text).split(",")) {
    const p = part.trim();
    if (!p) continue;
    const i = p.indexOf("=");
    if (i < 0) out[p] = "";
    else out[p.slice(0, i).trim()] = p.slice(i + 1).trim();
  }
  return out;
}

export function formatLabels(labels) {
  return Object.entries(labels || {})
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

/** An integer as a number; other non-empty text as typed, so the server names the problem. */
export function intOrText(s) {
  const t = String(s ?? "").trim();
  if (t === "") return undefined;
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

/** A labelled input inside a .field wrapper. */
export function field(label, input, help) {
  const id = input.id || newId("f");
  input.id = id;
  const helpId = help ? `${id}-help` : null;
  if (helpId) input.setAttribute("aria-describedby", helpId);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, help ? h("p", { class: "help", id: helpId }, help) : null);
}

function keyOptions(selected) {
  const keys = store.apikeys || [];
  const opts = [h("option", { value: "" }, "Choose an API key…")];
  for (const k of keys) {
    const p = store.provider(k.spec.provider);
    opts.push(h("option", { value: k.metadata.name, selected: k.metadata.name === selected }, `${k.metadata.name} (${p ? p.displayName : k.spec.provider})`));
  }
  if (selected && !keys.some((k) => k.metadata.name === selected)) {
    opts.push(h("option", { value: selected, selected: true }, `${selected} (no such API key)`));
  }
  return opts;
}

function endpointForm(obj, create) {
  const spec = obj.spec || {};
  const state = {
    targets: (spec.targets || []).map((t) => ({ model: t.model || "", apiKeyRef: t.apiKeyRef || "", weight: t.weight ?? "" })),
    fallbacks: (spec.fallbacks || []).map((t) => ({ model: t.model || "", apiKeyRef: t.apiKeyRef || "" })),
  };
  const name = h("input", {
    type: "text",
    value: obj.metadata.name || "",
    readOnly: !create,
    autocomplete: "off",
    spellcheck: "false",
    autocapitalize: "off",
    "data-field": "metadata.name",
  });
  const task = h(
    "select",
    { "data-field": "spec.task" },
    ["chat", "completions", "embeddings"].map((t) => h("option", { value: t, selected: (spec.task || "chat") === t }, t)),
  );
  const labels = h("input", { type: "text", value: formatLabels(obj.metadata.labels), autocomplete: "off", spellcheck: "false", "data-field": "metadata.labels", placeholder: "team=search, env=prod" });
  const retryAttempts = h("input", { type: "text", inputmode: "numeric", value: spec.retry ? String(spec.retry.attempts ?? "") : "", "data-field": "spec.retry.attempts", placeholder: "no retry" });
  const retryBackoff = h("input", { type: "text", value: spec.retry ? spec.retry.backoff || "" : "", "data-field": "spec.retry.backoff", placeholder: "250ms" });
  const timeout = h("input", { type: "text", value: spec.timeout || "", "data-field": "spec.timeout", placeholder: "e.g. 60s" });
  const rl = spec.rateLimit || {};
  const rpm = h("input", { type: "text", inputmode: "numeric", value: rl.requestsPerMinute ? String(rl.requestsPerMinute) : "", "data-field": "spec.rateLimit.requestsPerMinute", placeholder: "no limit" });
  const tpm = h("input", { type: "text", inputmode: "numeric", value: rl.tokensPerMinute ? String(rl.tokensPerMinute) : "", "data-field": "spec.rateLimit.tokensPerMinute", placeholder: "no limit" });

  const targetRows = h("div", { class: "rows" });
  const fallbackRows = h("div", { class: "rows" });

  const renderShares = () => {
    const shares = sharesOf(state.targets);
    targetRows.querySelectorAll("[data-share]").forEach((out, i) => {
      out.textContent = `${shares[i] ?? 0}%`;
      const fill = out.parentElement.querySelector(".bar-fill");
      if (fill) fill.style.width = `${shares[i] ?? 0}%`;
    });
  };

  const rowInputs = (list, kind, i, t, withWeight) => {
    const n = i + 1;
    const base = `spec.${kind}[${i}]`;
    const what = kind === "targets" ? "target" : "fallback";
    const model = h("input", { type: "text", value: t.model, autocomplete: "off", spellcheck: "false", "data-field": `${base}.model`, oninput: (e) => (t.model = e.target.value) });
    const key = h("select", { "data-field": `${base}.apiKeyRef`, onchange: (e) => (t.apiKeyRef = e.target.value) }, keyOptions(t.apiKeyRef));
    const cells = [
      field([`Model`, h("span", { class: "sr-only" }, ` of ${what} ${n}`)], model),
      field([`API key`, h("span", { class: "sr-only" }, ` of ${what} ${n}`)], key),
    ];
    if (withWeight) {
      const weight = h("input", {
        type: "text",
        inputmode: "numeric",
        value: String(t.weight ?? ""),
        placeholder: "equal",
        "data-field": `${base}.weight`,
        oninput: (e) => {
          t.weight = e.target.value;
          renderShares();
        },
      });
      const fill = h("span", { class: "bar-fill" });
      cells.push(field([`Weight`, h("span", { class: "sr-only" }, ` of ${what} ${n}`)], weight));
      cells.push(h("div", { class: "field share" }, h("span", { class: "label", "aria-hidden": "true" }, "Share"), h("span", { class: "share-value" }, h("span", { class: "bar", "aria-hidden": "true" }, fill), h("output", { "data-share": "", "aria-label": `Share of target ${n}` }))));
    }
    const buttons = [];
    if (!withWeight) {
      buttons.push(
        h("button", { type: "button", class: "btn small ghost", "aria-label": `Move fallback ${n} up`, disabled: i === 0, onclick: () => move(list, i, -1) }, "↑"),
        h("button", { type: "button", class: "btn small ghost", "aria-label": `Move fallback ${n} down`, disabled: i === list.length - 1, onclick: () => move(list, i, 1) }, "↓"),
      );
    }
    buttons.push(
      h(
        "button",
        {
          type: "button",
          class: "btn small ghost danger-text",
          "aria-label": `Remove ${what} ${n}`,
          onclick: () => {
            list.splice(i, 1);
            render();
          },
        },
        "Remove",
      ),
    );
    return h("div", { class: `row-item ${withWeight ? "target" : "fallback"}`, "data-field": base, role: "group", "aria-label": `${what[0].toUpperCase()}${what.slice(1)} ${n}` }, cells, h("div", { class: "row-buttons" }, buttons));
  };

  const move = (list, i, d) => {
    const j = i + d;
    [list[i], list[j]] = [list[j], list[i]];
    render();
  };

  const render = () => {
    targetRows.replaceChildren(...state.targets.map((t, i) => rowInputs(state.targets, "targets", i, t, true)));
    fallbackRows.replaceChildren(
      ...(state.fallbacks.length ? state.fallbacks.map((t, i) => rowInputs(state.fallbacks, "fallbacks", i, t, false)) : [h("p", { class: "muted" }, "None: a failed request fails.")]),
    );
    renderShares();
  };
  render();

  const el = h(
    "form",
    { class: "form", novalidate: true, onsubmit: (e) => e.preventDefault() },
    h(
      "fieldset",
      null,
      h("legend", null, "Endpoint"),
      field("Name", name, create ? "What clients send as model. Lowercase letters, digits and '-', at most 63 characters." : "The name cannot change; create a new endpoint to rename."),
      field("Task", task),
      field("Labels", labels, "Optional key=value pairs, comma-separated (used by gatewayctl apply --prune -l)."),
    ),
    h(
      "fieldset",
      { "data-field": "spec.targets" },
      h("legend", null, "Targets"),
      h("p", { class: "help" }, "Traffic is split by weight. Weights are relative (90 and 10, or 9 and 1, split the same way); a target without a weight gets the mean of the others."),
      targetRows,
      h(
        "button",
        {
          type: "button",
          class: "btn small",
          onclick: () => {
            state.targets.push({ model: "", apiKeyRef: defaultKey(), weight: "" });
            render();
            targetRows.lastElementChild.querySelector("input").focus();
          },
        },
        "Add target",
      ),
      (store.apikeys || []).length === 0 ? h("p", { class: "help" }, "There is no API key yet: ", h("a", { href: "#/apikeys/new" }, "create one"), " first.") : null,
    ),
    h(
      "fieldset",
      { "data-field": "spec.fallbacks" },
      h("legend", null, "Fallbacks"),
      h("p", { class: "help" }, "Tried in order when the chosen target fails with a retryable error (429, 5xx, timeout) before the answer starts."),
      fallbackRows,
      h(
        "button",
        {
          type: "button",
          class: "btn small",
          onclick: () => {
            state.fallbacks.push({ model: "", apiKeyRef: defaultKey() });
            render();
            fallbackRows.lastElementChild.querySelector("input").focus();
          },
        },
        "Add fallback",
      ),
    ),
    h(
      "fieldset",
      { "data-field": "spec" },
      h("legend", null, "Reliability and limits"),
      h(
        "div",
        { class: "grid" },
        field("Retry attempts", retryAttempts, "Tries per target, the first included (1–10). Empty: no retry."),
        field("Retry backoff", retryBackoff, "Pause before a retry, doubling each time (e.g. 250ms)."),
        field("Timeout", timeout, "Whole request, all attempts included (e.g. 120s)."),
        field("Requests per minute", rpm, "Empty: no limit."),
        field("Tokens per minute", tpm, "Prompt plus completion tokens. Empty: no limit."),
      ),
    ),
  );

  const read = () => {
    const out = manifestBase(obj, "Endpoint", name.value, labels.value);
    const s = { ...(obj.spec || {}) };
    s.task = task.value;
    s.targets = state.targets.map((t) => {
      const o = { model: t.model.trim(), apiKeyRef: t.apiKeyRef };
      const w = intOrText(t.weight);
      if (w !== undefined) o.weight = w;
      return o;
    });
    if (state.fallbacks.length) s.fallbacks = state.fallbacks.map((t) => ({ model: t.model.trim(), apiKeyRef: t.apiKeyRef }));
    else delete s.fallbacks;
    const attempts = intOrText(retryAttempts.value);
    const backoff = retryBackoff.value.trim();
    if (attempts !== undefined || backoff) {
      s.retry = {};
      if (attempts !== undefined) s.retry.attempts = attempts;
      if (backoff) s.retry.backoff = backoff;
    } else delete s.retry;
    if (timeout.value.trim()) s.timeout = timeout.value.trim();
    else delete s.timeout;
    const r = intOrText(rpm.value);
    const t = intOrText(tpm.value);
    if (r !== undefined || t !== undefined) {
      s.rateLimit = {};
      if (r !== undefined) s.rateLimit.requestsPerMinute = r;
      if (t !== undefined) s.rateLimit.tokensPerMinute = t;
    } else delete s.rateLimit;
    out.spec = s;
    return out;
  };

  return {
    el,
    read,
    showErrors: (errs) => markErrors(el, errs),
    clearErrors: () => clearErrors(el),
    hasSecret: () => false,
    clearSecret: () => {},
  };
}
