// One Endpoint (#/gateway/endpoint/NAME): status and conditions, routing,
// how to call it (base URL, curl, SDK snippets, native routes) and "try it".

import { seg } from "./api.js";
import { h, statusBadge, copyButton, timeOf, newId } from "./dom.js";
import { store } from "./store.js";
import { baseURL, routingTable, settingsList, notReadyNote, deleteEndpoint, loadError } from "./gateway.js";
import { tryPanel } from "./tryit.js";

/** Renders the detail page into main; returns the cleanup function. */
export function endpointPage(main, name) {
  const summary = h("div", { class: "stack" });
  const usage = h("div");
  const tryBox = h("div");
  const head = h("div", { class: "page-head" });
  main.append(
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#/gateway" }, "Gateway"), " / ", name),
    head,
    h("div", { class: "stack" }, summary, usage, tryBox),
  );
  let last = "";
  let task = null;
  const render = () => {
    const ep = store.endpoint(name);
    const key = JSON.stringify([ep, store.apikeys, store.endpoints === null, store.error && store.error.message]);
    if (key === last) return;
    last = key;
    if (!ep) {
      head.replaceChildren(h("h1", null, name));
      summary.replaceChildren(
        store.endpoints === null
          ? store.error
            ? loadError(store.error)
            : h("p", { class: "muted", role: "status" }, "Loading…")
          : h("div", { class: "alert warn", role: "status" }, `There is no endpoint named "${name}" (any more). `, h("a", { href: "#/gateway" }, "Back to the gateway")),
      );
      return;
    }
    head.replaceChildren(
      h("div", null, h("h1", null, name, " ", statusBadge(ep)), h("p", { class: "lede" }, `Task: ${ep.spec.task || "chat"}`)),
      h(
        "div",
        { class: "actions" },
        h("a", { class: "btn", href: `#/gateway/edit/${seg(name)}` }, "Edit"),
        h(
          "button",
          {
            type: "button",
            class: "btn danger",
            onclick: async () => {
              if (await deleteEndpoint(store.endpoint(name) || ep)) location.hash = "#/gateway";
            },
          },
          "Delete",
        ),
      ),
    );
    summary.replaceChildren(
      h(
        "section",
        { class: "card", "aria-labelledby": "routing-h" },
        h("h2", { id: "routing-h" }, "Routing"),
        notReadyNote(ep),
        routingTable(ep),
        settingsList(ep),
      ),
      conditionsCard(ep),
    );
    // The usage snippets and the try-it panel depend only on the task; keep
    // them (and the conversation) across refreshes.
    const t = ep.spec.task || "chat";
    if (t !== task) {
      task = t;
      usage.replaceChildren(usageCard(name, t));
      tryBox.replaceChildren(tryPanel(name, t));
    }
  };
  render();
  return store.subscribe(render);
}

function conditionsCard(ep) {
  const conds = (ep.status && ep.status.conditions) || [];
  return h(
    "section",
    { class: "card", "aria-labelledby": "cond-h" },
    h("h2", { id: "cond-h" }, "Status"),
    h(
      "p",
      { class: "muted" },
      `Generation ${ep.metadata.generation || "?"}, observed ${(ep.status && ep.status.observedGeneration) || "?"}; resourceVersion ${ep.metadata.resourceVersion || "?"}.`,
    ),
    conds.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            null,
            h("caption", { class: "sr-only" }, "Conditions"),
            h("thead", null, h("tr", null, ["Type", "Status", "Reason", "Message", "Since"].map((c) => h("th", { scope: "col" }, c)))),
            h(
              "tbody",
              null,
              conds.map((c) =>
                h("tr", null, h("td", null, c.type), h("td", null, c.status), h("td", null, c.reason), h("td", null, c.message || "—"), h("td", null, timeOf(c.lastTransitionTime))),
              ),
            ),
          ),
        )
      : h("p", null, "Not reconciled yet."),
  );
}

/** The snippets that call an Endpoint, by task. */
export function snippets(name, task) {
  const base = baseURL();
  const origin = location.origin;
  const q = JSON.stringify;
  const out = [];
  if (task === "embeddings") {
    out.push([
      "curl",
      `curl -s ${base}/embeddings \\\n  -H 'content-type: application/json' \\\n  -d '${q({ model: name, input: ["hello"] })}'`,
    ]);
    out.push([
      "Python",
      `from openai import OpenAI\n\nclient = OpenAI(base_url=${q(base)}, api_key="unused")\nresp = client.embeddings.create(model=${q(name)}, input=["hello"])\nprint(len(resp.data[0].embedding))`,
    ]);
    out.push([
      "JavaScript",
      `import OpenAI from "openai";\n\nconst client = new OpenAI({ baseURL: ${q(base)}, apiKey: "unused" });\nconst resp = await client.embeddings.create({ model: ${q(name)}, input: ["hello"] });\nconsole.log(resp.data[0].embedding.length);`,
    ]);
  } else if (task === "completions") {
    out.push([
      "curl",
      `curl -s ${base}/completions \\\n  -H 'content-type: application/json' \\\n  -d '${q({ model: name, prompt: "Once upon a time", max_tokens: 64 })}'`,
    ]);
    out.push([
      "Python",
      `from openai import OpenAI\n\nclient = OpenAI(base_url=${q(base)}, api_key="unused")\nresp = client.completions.create(model=${q(name)}, prompt="Once upon a time", max_tokens=64)\nprint(resp.choices[0].text)`,
    ]);
  } else {
    out.push([
      "curl",
      `curl -sN ${base}/chat/completions \\\n  -H 'content-type: application/json' \\\n  -d '${q({ model: name, stream: true, messages: [{ role: "user", content: "hello" }] })}'`,
    ]);
    out.push([
      "Python",
      `from openai import OpenAI\n\nclient = OpenAI(base_url=${q(base)}, api_key="unused")\nstream = client.chat.completions.create(\n    model=${q(name)},\n    messages=[{"role": "user", "content": "hello"}],\n    stream=True,\n)\nfor chunk in stream:\n    if chunk.choices:\n        print(chunk.choices[0].delta.content or "", end="")`,
    ]);
    out.push([
      "JavaScript",
      `import OpenAI from "openai";\n\nconst client = new OpenAI({ baseURL: ${q(base)}, apiKey: "unused" });\nconst resp = await client.chat.completions.create({\n  model: ${q(name)},\n  messages: [{ role: "user", content: "hello" }],\n});\nconsole.log(resp.choices[0].message.content);`,
    ]);
  }
  out.push([
    "MLflow",
    `curl -s ${origin}/gateway/${name}/mlflow/invocations \\\n  -H 'content-type: application/json' \\\n  -d '${q(task === "embeddings" ? { input: ["hello"] } : task === "completions" ? { prompt: "hello" } : { messages: [{ role: "user", content: "hello" }] })}'`,
  ]);
  return out;
}

/** Native routes that reach the Endpoint, by task: [label, base URL, note]. */
export function nativeRoutes(name, task) {
  const origin = location.origin;
  const rows = [["OpenAI SDK (OpenAI-native routes)", `${origin}/gateway/openai/v1`, `model: "${name}"`]];
  if (task === "chat") {
    rows.push(["OpenAI Responses API", `${origin}/gateway/openai/v1`, `client.responses.create(model="${name}", ...)`]);
    rows.push(["Anthropic SDK (Messages API)", `${origin}/gateway/anthropic`, `model: "${name}"`]);
    rows.push(["Google Gen AI SDK (Gemini API)", `${origin}/gateway/gemini`, `model: "${name}" (generateContent, streamGenerateContent)`]);
  }
  if (task === "embeddings") {
    rows.push(["Google Gen AI SDK (Gemini API)", `${origin}/gateway/gemini`, `model: "${name}" (embedContent)`]);
  }
  return rows;
}

function usageCard(name, task) {
  const tabs = snippets(name, task);
  const panelId = newId("snippet");
  const pre = h("pre", { class: "code", id: panelId, role: "tabpanel", tabindex: "0" }, h("code", null, tabs[0][1]));
  let current = 0;
  const buttons = tabs.map(([label], i) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        class: "tab",
        "aria-selected": i === 0 ? "true" : "false",
        "aria-controls": panelId,
        tabindex: i === 0 ? "0" : "-1",
        onclick: () => select(i),
        onkeydown: (e) => {
          if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
            e.preventDefault();
            const n = (current + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length;
            select(n);
            buttons[n].focus();
          }
        },
      },
      label,
    ),
  );
  const select = (i) => {
    current = i;
    buttons.forEach((b, j) => {
      b.setAttribute("aria-selected", i === j ? "true" : "false");
      b.tabIndex = i === j ? 0 : -1;
    });
    pre.replaceChildren(h("code", null, tabs[i][1]));
  };
  return h(
    "section",
    { class: "card", "aria-labelledby": "use-h" },
    h("h2", { id: "use-h" }, "Call it"),
    h(
      "p",
      null,
      "Base URL ",
      h("code", { "data-base-url": "" }, baseURL()),
      ", model ",
      h("code", null, name),
      ". No client key is needed.",
    ),
    h("div", { class: "tabs", role: "tablist", "aria-label": "Examples" }, buttons),
    h("div", { class: "snippet" }, pre, copyButton(() => tabs[current][1])),
    h("h3", null, "Native routes"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        null,
        h("caption", { class: "sr-only" }, "Native routes"),
        h("thead", null, h("tr", null, ["Client", "Base URL", "Use"].map((c) => h("th", { scope: "col" }, c)))),
        h(
          "tbody",
          null,
          nativeRoutes(name, task).map(([label, url, note]) => h("tr", null, h("td", null, label), h("td", null, h("code", null, url)), h("td", null, h("code", null, note)))),
        ),
      ),
    ),
  );
}
