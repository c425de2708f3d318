// The gateway page (#/gateway): every Endpoint with its status, routing and
// limits, and the base URL to call it.

import { api, seg } from "./api.js";
import { h, statusBadge, readyCondition, copyButton, confirmDialog, toast } from "./dom.js";
import { store, sharesOf } from "./store.js";

/** The OpenAI-compatible base URL of this gateway. */
export function baseURL() {
  return `${location.origin}/gateway/mlflow/v1`;
}

/** Renders the list page into main; returns the cleanup function. */
export function gatewayPage(main) {
  const body = h("div", { class: "stack" });
  main.append(
    h(
      "div",
      { class: "page-head" },
      h("div", null, h("h1", null, "Gateway"), h("p", { class: "lede" }, "Endpoints are what clients call: each routes requests to provider models.")),
      h("a", { class: "btn primary", href: "#/gateway/new" }, "New endpoint"),
    ),
    callCard(),
    body,
  );
  let last = "";
  const render = () => {
    const key = JSON.stringify([store.endpoints, store.apikeys, store.fileErrors, store.error && store.error.message]);
    if (key === last) return;
    last = key;
    body.replaceChildren(...listContent());
  };
  render();
  return store.subscribe(render);
}

function callCard() {
  const url = baseURL();
  return h(
    "section",
    { class: "card call", "aria-labelledby": "call-h" },
    h("h2", { id: "call-h" }, "Call the gateway"),
    h(
      "p",
      null,
      "Point any OpenAI SDK at this base URL and set ",
      h("code", null, "model"),
      " to an endpoint's name. Provider keys stay on the server: clients need none (an SDK that insists on one can send any value).",
    ),
    h("div", { class: "copyline" }, h("code", { class: "url", "data-base-url": "" }, url), copyButton(url)),
    h(
      "p",
      { class: "muted" },
      "Every route is also served under /api/gateway/: a Databricks App lets clients that sign in with a token reach /api/ paths only, so they use ",
      h("code", { "data-api-base-url": "" }, `${location.origin}/api/gateway/mlflow/v1`),
      " with a Databricks OAuth token as the API key.",
    ),
  );
}

function listContent() {
  const out = [];
  if (store.fileErrors.length) out.push(fileErrorsBox(store.fileErrors));
  if (store.endpoints === null) {
    out.push(store.error ? loadError(store.error) : h("p", { class: "muted", role: "status" }, "Loading endpoints…"));
    return out;
  }
  if (store.endpoints.length === 0) {
    out.push(
      h(
        "div",
        { class: "card empty" },
        h("h2", null, "No endpoints yet"),
        h("p", null, "Create one, or add a manifest to the gateway's manifest folder."),
        h("a", { class: "btn primary", href: "#/gateway/new" }, "New endpoint"),
      ),
    );
    return out;
  }
  out.push(h("div", { class: "cards", role: "list", "aria-label": "Endpoints" }, store.endpoints.map((ep) => endpointCard(ep))));
  return out;
}

/** The error a failed first load shows. */
export function loadError(err) {
  return h("div", { class: "alert error", role: "alert" }, h("strong", null, "Could not load the gateway's state. "), err.message || String(err));
}

/** Lists manifest files that failed to load (errors not tied to a resource). */
export function fileErrorsBox(errs) {
  return h(
    "div",
    { class: "alert warn", role: "status" },
    h("strong", null, `${errs.length} manifest ${errs.length === 1 ? "problem" : "problems"} not tied to a resource:`),
    h("ul", null, errs.map((e) => h("li", null, h("code", null, e)))),
  );
}

function endpointCard(ep) {
  const name = ep.metadata.name;
  const id = `ep-${name}`;
  return h(
    "article",
    { class: "card endpoint", role: "listitem", "aria-labelledby": id, dataset: { endpoint: name } },
    h(
      "header",
      { class: "card-head" },
      h("h2", { id }, h("a", { href: `#/gateway/endpoint/${seg(name)}` }, name)),
      h("span", { class: "badge task" }, ep.spec.task || "chat"),
      statusBadge(ep),
    ),
    notReadyNote(ep),
    routingTable(ep),
    settingsList(ep),
    h(
      "footer",
      { class: "card-actions" },
      h("a", { class: "btn small", href: `#/gateway/endpoint/${seg(name)}` }, "Use & try it"),
      h("a", { class: "btn small ghost", href: `#/gateway/edit/${seg(name)}` }, "Edit"),
      h("button", { type: "button", class: "btn small ghost danger-text", onclick: () => deleteEndpoint(ep) }, "Delete"),
    ),
  );
}

/** The Ready=False reason and message, or null. */
export function notReadyNote(obj) {
  const c = readyCondition(obj);
  if (!c || c.status === "True") return null;
  return h("p", { class: "reason" }, h("strong", null, c.reason || c.status), c.message ? `: ${c.message}` : "");
}

function providerCell(keyName) {
  const k = store.apikey(keyName);
  if (!k) return h("span", { class: "missing", title: `No APIKey named ${keyName}` }, "missing key");
  const p = store.provider(k.spec.provider);
  return h("span", { title: p ? p.displayName : k.spec.provider }, k.spec.provider);
}

/** The targets table (model, provider, key, weight, share) and the fallbacks of an Endpoint. */
export function routingTable(ep) {
  const targets = ep.spec.targets || [];
  const shares = sharesOf(targets);
  const name = ep.metadata.name;
  const table = h(
    "table",
    { class: "targets" },
    h("caption", { class: "sr-only" }, `Targets of ${name}`),
    h("thead", null, h("tr", null, ["Model", "Provider", "API key", "Weight", "Share"].map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      null,
      targets.map((t, i) => {
        const bar = h("span", { class: "bar-fill" });
        bar.style.width = `${shares[i]}%`;
        return h(
          "tr",
          { dataset: { target: String(i) } },
          h("td", null, h("code", null, t.model)),
          h("td", null, providerCell(t.apiKeyRef)),
          h("td", null, t.apiKeyRef),
          h("td", null, t.weight === undefined || t.weight === null ? h("span", { class: "muted" }, "equal") : String(t.weight)),
          h("td", { class: "share" }, h("span", { class: "bar", "aria-hidden": "true" }, bar), h("span", { dataset: { share: "" } }, `${shares[i]}%`)),
        );
      }),
    ),
  );
  const fallbacks = ep.spec.fallbacks || [];
  return h(
    "div",
    { class: "routing" },
    h("div", { class: "table-wrap" }, table),
    fallbacks.length
      ? h(
          "div",
          { class: "fallbacks" },
          h("span", { class: "label" }, "Fallbacks, in order:"),
          h(
            "ol",
            null,
            fallbacks.map((f) => h("li", null, h("code", null, f.model), " via ", f.apiKeyRef, " (", providerCell(f.apiKeyRef), ")")),
          ),
        )
      : null,
  );
}

/** Retry, timeout and rate limits as a definition list. */
export function settingsList(ep) {
  const s = ep.spec;
  const items = [];
  if (s.retry) items.push(["Retry", `${s.retry.attempts || 1} attempts, ${s.retry.backoff || "250ms"} backoff`]);
  items.push(["Timeout", s.timeout || "default"]);
  const rl = s.rateLimit || {};
  const limits = [];
  if (rl.requestsPerMinute) limits.push(`${rl.requestsPerMinute} requests/min`);
  if (rl.tokensPerMinute) limits.push(`${rl.tokensPerMinute} tokens/min`);
  items.push(["Rate limit", limits.length ? limits.join(", ") : "none"]);
  const labels = Object.entries(ep.metadata.labels || {}).map(([k, v]) => `${k}=${v}`);
  if (labels.length) items.push(["Labels", labels.join(", ")]);
  return h(
    "dl",
    { class: "settings" },
    items.map(([k, v]) => h("div", null, h("dt", null, `${k}:`), h("dd", null, v))),
  );
}

/** Asks, then deletes an Endpoint; resolves true when it was deleted. */
export async function deleteEndpoint(ep) {
  const name = ep.metadata.name;
  const ok = await confirmDialog({
    title: `Delete endpoint ${name}?`,
    body: [`Clients calling "${name}" will get 404 at once. Its manifest file is removed from the manifest folder.`],
    confirm: "Delete endpoint",
    danger: true,
  });
  if (!ok) return false;
  try {
    await api("DELETE", `/endpoints/${seg(name)}`, { query: { resourceVersion: ep.metadata.resourceVersion || "" } });
    toast(`Deleted endpoint ${name}.`, "ok");
    await store.refresh();
    return true;
  } catch (e) {
    const msg = e.status === 409 ? `Endpoint ${name} was changed by someone else since this page loaded it; reload and try again.` : e.message;
    toast(`Could not delete ${name}: ${msg}`, "error");
    await store.refresh();
    return false;
  }
}
