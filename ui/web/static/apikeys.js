// The API keys page (#/apikeys) and editor (#/apikeys/new,
// #/apikeys/edit/NAME). An APIKey is a provider credential plus the
// provider's non-secret settings. The credential is write-only: the API never
// returns it, and the page only ever holds a typed value in a password field
// until the request that stores it has been sent (then the field is cleared).

import { api, seg } from "./api.js";
import { h, statusBadge, confirmDialog, toast } from "./dom.js";
import { store } from "./store.js";
import { mountEditor, markErrors, clearErrors } from "./editor.js";
import { field, formatLabels, manifestBase } from "./endpoint-form.js";
import { loadError, fileErrorsBox, notReadyNote } from "./gateway.js";

/** Describes where an APIKey's credential comes from, never the credential. */
export function credentialSource(spec) {
  if (spec.secretRef) return `Secret store: ${spec.secretRef.scope}/${spec.secretRef.key}`;
  if (spec.env) return `Environment variable ${spec.env}`;
  return "None";
}

function usedBy(name) {
  return (store.endpoints || []).filter((ep) => [...(ep.spec.targets || []), ...(ep.spec.fallbacks || [])].some((t) => t.apiKeyRef === name)).map((ep) => ep.metadata.name);
}

/** Renders the list page into main; returns the cleanup function. */
export function apikeysPage(main) {
  const body = h("div", { class: "stack" });
  main.append(
    h(
      "div",
      { class: "page-head" },
      h("div", null, h("h1", null, "API keys"), h("p", { class: "lede" }, "Provider credentials the gateway uses to reach upstream models. Values are write-only: stored in the secret store, never shown.")),
      h("a", { class: "btn primary", href: "#/apikeys/new" }, "New API key"),
    ),
    body,
  );
  let last = "";
  const render = () => {
    const key = JSON.stringify([store.apikeys, store.endpoints, store.providers, store.fileErrors, store.error && store.error.message]);
    if (key === last) return;
    last = key;
    body.replaceChildren(...content());
  };
  render();
  return store.subscribe(render);
}

function content() {
  const out = [];
  if (store.fileErrors.length) out.push(fileErrorsBox(store.fileErrors));
  if (store.apikeys === null) {
    out.push(store.error ? loadError(store.error) : h("p", { class: "muted", role: "status" }, "Loading API keys…"));
    return out;
  }
  if (!store.apikeys.length) {
    out.push(h("div", { class: "card empty" }, h("h2", null, "No API keys yet"), h("a", { class: "btn primary", href: "#/apikeys/new" }, "New API key")));
    return out;
  }
  out.push(
    h(
      "div",
      { class: "card table-wrap" },
      h(
        "table",
        { class: "apikeys" },
        h("caption", { class: "sr-only" }, "API keys"),
        h("thead", null, h("tr", null, ["Name", "Provider", "Credential", "Base URL", "Used by", "Status", h("span", { class: "sr-only" }, "Actions")].map((c) => h("th", { scope: "col" }, c)))),
        h(
          "tbody",
          null,
          store.apikeys.map((k) => {
            const name = k.metadata.name;
            const p = store.provider(k.spec.provider);
            const users = usedBy(name);
            return h(
              "tr",
              { dataset: { apikey: name } },
              h("th", { scope: "row" }, name),
              h("td", null, p ? p.displayName : k.spec.provider, h("span", { class: "muted" }, ` (${k.spec.provider})`)),
              h("td", { "data-credential": "" }, credentialSource(k.spec)),
              h("td", null, k.spec.config && k.spec.config.baseURL ? h("code", null, k.spec.config.baseURL) : h("span", { class: "muted" }, "default")),
              h("td", null, users.length ? users.map((u, i) => [i ? ", " : "", h("a", { href: `#/gateway/endpoint/${seg(u)}` }, u)]) : h("span", { class: "muted" }, "—")),
              h("td", null, statusBadge(k), notReadyNote(k)),
              h(
                "td",
                { class: "row-actions" },
                h("a", { class: "btn small ghost", href: `#/apikeys/edit/${seg(name)}`, "aria-label": `Edit ${name}` }, "Edit"),
                h("button", { type: "button", class: "btn small ghost danger-text", "aria-label": `Delete ${name}`, onclick: () => deleteKey(k) }, "Delete"),
              ),
            );
          }),
        ),
      ),
    ),
  );
  return out;
}

async function deleteKey(k) {
  const name = k.metadata.name;
  const users = usedBy(name);
  const ok = await confirmDialog({
    title: `Delete API key ${name}?`,
    body: users.length
      ? [`It is used by ${users.join(", ")}: ${users.length === 1 ? "that endpoint turns" : "those endpoints turn"} Not ready (APIKeyNotFound) and keep serving their last good configuration until fixed.`]
      : ["No endpoint uses it."],
    confirm: "Delete API key",
    danger: true,
  });
  if (!ok) return;
  try {
    await api("DELETE", `/apikeys/${seg(name)}`, { query: { resourceVersion: k.metadata.resourceVersion || "" } });
    toast(`Deleted API key ${name}.`, "ok");
  } catch (e) {
    toast(`Could not delete ${name}: ${e.status === 409 ? "it was changed by someone else; reload and try again." : e.message}`, "error");
  }
  await store.refresh();
}

/** Mounts the APIKey editor; name is null to create one. */
export function apikeyEditor(main, name) {
  return mountEditor(main, {
    kind: "APIKey",
    plural: "apikeys",
    noun: "API key",
    name,
    crumbs: ["API keys", "#/apikeys"],
    template: () => ({ apiVersion: "gateway/v1alpha1", kind: "APIKey", metadata: { name: "" }, spec: { provider: "" } }),
    buildForm: apikeyForm,
    yamlNote: h(
      "p",
      { class: "alert info" },
      "A credential typed into YAML (spec.value) is visible on screen. Prefer the form's write-only field; either way it is moved into the secret store on save and never written to the manifest.",
    ),
    yamlToFormCheck: (text) => (/^\s*value\s*:/m.test(text) ? "The YAML holds spec.value (a credential), which the form never shows. Save from the YAML view, or remove the value and set it in the form." : ""),
    doneHref: () => "#/apikeys",
  });
}

const PROVIDER_SETTINGS = {
  azure: [["azure", "apiVersion", "Azure API version", "e.g. 2024-10-21"]],
  bedrock: [["aws", "region", "AWS region", "e.g. us-east-1"]],
  "vertex-ai": [
    ["vertex", "project", "Google Cloud project", ""],
    ["vertex", "location", "Vertex AI location", "e.g. us-central1"],
  ],
};

function apikeyForm(obj, create) {
  const spec = obj.spec || {};
  const cfg = spec.config || {};
  const name = h("input", { type: "text", value: obj.metadata.name || "", readOnly: !create, autocomplete: "off", spellcheck: "false", autocapitalize: "off", "data-field": "metadata.name" });
  const providers = store.providers || [];
  const provider = h(
    "select",
    { "data-field": "spec.provider" },
    h("option", { value: "" }, "Choose a provider…"),
    providers.map((p) => h("option", { value: p.id, selected: p.id === spec.provider }, `${p.displayName} (${p.id})`)),
    spec.provider && !providers.some((p) => p.id === spec.provider) ? h("option", { value: spec.provider, selected: true }, `${spec.provider} (unknown provider)`) : null,
  );
  const labels = h("input", { type: "text", value: formatLabels(obj.metadata.labels), autocomplete: "off", spellcheck: "false", "data-field": "metadata.labels", placeholder: "team=search" });

  // Credential source. "keep" exists only when editing a key that has one.
  const existing = spec.secretRef || spec.env ? credentialSource(spec) : "";
  const value = h("input", {
    type: "password",
    autocomplete: "new-password",
    spellcheck: "false",
    autocapitalize: "off",
    "data-field": "spec.value",
    "data-secret": "",
  });
  const env = h("input", { type: "text", value: spec.env || "", autocomplete: "off", spellcheck: "false", "data-field": "spec.env", placeholder: "OPENAI_API_KEY" });
  const radioName = `cred-${Math.random().toString(36).slice(2)}`;
  const choices = [];
  const choice = (id, label, detail) => {
    const input = h("input", { type: "radio", name: radioName, value: id, onchange: () => sync() });
    choices.push(input);
    return h("label", { class: "choice" }, input, h("span", null, h("strong", null, label), detail ? h("span", { class: "muted" }, ` ${detail}`) : null));
  };
  const valueField = field("Credential", value, "Write-only: sent once when you save, stored in the gateway's secret store, never shown again nor written to a manifest.");
  const envField = field("Environment variable", env, "Read from gatewayd's environment when the key is reconciled.");
  const credBox = h(
    "fieldset",
    { "data-field": "spec" },
    h("legend", null, "Credential"),
    existing ? choice("keep", "Keep the current credential", `(${existing})`) : null,
    choice("value", existing ? "Replace it with a new value" : "Enter a value", "(stored in the secret store)"),
    choice("env", "Read an environment variable of gatewayd"),
    choice("none", "No credential", "(mock, a local Ollama or vLLM)"),
    valueField,
    envField,
  );
  const baseURL = h("input", { type: "url", value: cfg.baseURL || "", autocomplete: "off", spellcheck: "false", "data-field": "spec.config.baseURL" });
  const extra = h("div", { class: "grid" });
  const extraInputs = {};
  const sync = () => {
    const mode = (choices.find((c) => c.checked) || {}).value;
    valueField.hidden = mode !== "value";
    envField.hidden = mode !== "env";
    if (mode !== "value") value.value = "";
    const p = store.provider(provider.value);
    baseURL.placeholder = p && p.defaultBaseURL ? p.defaultBaseURL : p && p.needsBaseURL ? "required, e.g. http://localhost:8000/v1" : "provider default";
    extra.replaceChildren(
      ...(PROVIDER_SETTINGS[provider.value] || []).map(([group, key, label, ph]) => {
        const k = `${group}.${key}`;
        if (!extraInputs[k]) extraInputs[k] = h("input", { type: "text", value: (cfg[group] && cfg[group][key]) || "", placeholder: ph, "data-field": `spec.config.${k}` });
        return field(label, extraInputs[k]);
      }),
    );
  };
  const initial = existing ? "keep" : create ? "" : "none";
  provider.addEventListener("change", () => {
    // A new key defaults to what its provider needs.
    if (create && !choices.some((c) => c.checked && c.dataset.touched)) {
      const p = store.provider(provider.value);
      const want = p && !p.needsCredential ? "none" : "value";
      choices.forEach((c) => (c.checked = c.value === want));
    }
    sync();
  });
  choices.forEach((c) => {
    c.addEventListener("change", () => (c.dataset.touched = "1"));
    c.checked = c.value === (initial || "value");
  });
  sync();

  const el = h(
    "form",
    { class: "form", novalidate: true, autocomplete: "off", onsubmit: (e) => e.preventDefault() },
    h(
      "fieldset",
      null,
      h("legend", null, "API key"),
      field("Name", name, create ? "Endpoint targets refer to it by this name. Lowercase letters, digits and '-'." : "The name cannot change."),
      field("Provider", provider),
      field("Labels", labels, "Optional key=value pairs, comma-separated."),
    ),
    credBox,
    h("fieldset", { "data-field": "spec.config" }, h("legend", null, "Provider settings"), field("Base URL", baseURL, "Optional override of the provider's base URL (OpenAI-style: include /v1)."), extra),
  );

  const read = () => {
    const out = manifestBase(obj, "APIKey", name.value, labels.value);
    const s = { ...(obj.spec || {}), provider: provider.value };
    delete s.secretRef;
    delete s.env;
    delete s.value;
    const mode = (choices.find((c) => c.checked) || {}).value;
    if (mode === "keep") {
      if (spec.secretRef) s.secretRef = spec.secretRef;
      if (spec.env) s.env = spec.env;
    } else if (mode === "value") {
      if (value.value) s.value = value.value;
    } else if (mode === "env") {
      s.env = env.value.trim();
    }
    const c = structuredClone(cfg);
    if (baseURL.value.trim()) c.baseURL = baseURL.value.trim();
    else delete c.baseURL;
    for (const group of ["azure", "aws", "vertex"]) delete c[group];
    for (const [k, input] of Object.entries(extraInputs)) {
      if (!(PROVIDER_SETTINGS[provider.value] || []).some(([g, key]) => `${g}.${key}` === k)) continue;
      const [group, key] = k.split(".");
      if (input.value.trim()) c[group] = { ...(c[group] || {}), [key]: input.value.trim() };
    }
    if (Object.keys(c).length) s.config = c;
    else delete s.config;
    out.spec = s;
    return out;
  };

  return {
    el,
    read,
    showErrors: (errs) => markErrors(el, errs),
    clearErrors: () => clearErrors(el),
    hasSecret: () => value.value !== "",
    clearSecret: () => {
      value.value = "";
    },
  };
}
