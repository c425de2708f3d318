// "Try it": sends a message to an Endpoint through the data plane's
// OpenAI-compatible routes (/gateway/mlflow/v1/...), streaming the answer in
// as it arrives. The data plane needs no client key, so no credential (and
// never the admin token) is sent.

import { h, newId } from "./dom.js";

const ROUTES = { chat: "/chat/completions", completions: "/completions", embeddings: "/embeddings" };

/** Renders the try-it panel for an Endpoint of the given task. */
export function tryPanel(name, task) {
  task = task || "chat";
  const inputId = newId("try-input");
  const transcript = h("div", { class: "transcript", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  const meta = h("p", { class: "muted try-meta", role: "status" });
  const input = h("textarea", {
    id: inputId,
    rows: "3",
    placeholder: task === "embeddings" ? "Text to embed" : "Say hello",
    spellcheck: "true",
  });
  const stream = h("input", { type: "checkbox", checked: task !== "embeddings", disabled: task === "embeddings" });
  const send = h("button", { type: "submit", class: "btn primary" }, "Send");
  const stop = h("button", { type: "button", class: "btn", hidden: true }, "Stop");
  const clear = h("button", { type: "button", class: "btn ghost" }, "Clear");
  let history = [];
  let abort = null;

  const busy = (on) => {
    send.disabled = on;
    stop.hidden = !on;
    input.readOnly = on;
  };
  clear.addEventListener("click", () => {
    if (abort) abort.abort();
    history = [];
    transcript.replaceChildren();
    meta.textContent = "";
  });
  stop.addEventListener("click", () => abort && abort.abort());
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  const form = h(
    "form",
    { class: "try-form" },
    h("label", { for: inputId }, task === "embeddings" ? "Input" : task === "completions" ? "Prompt" : "Message"),
    input,
    h(
      "div",
      { class: "row" },
      h("label", { class: "check" }, stream, " Stream the answer"),
      h("span", { class: "spacer" }),
      clear,
      stop,
      send,
    ),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text || abort) return;
    input.value = "";
    abort = new AbortController();
    busy(true);
    meta.textContent = "";
    transcript.append(h("div", { class: "msg user" }, h("span", { class: "who" }, "You"), h("div", { class: "text" }, text)));
    const answer = h("div", { class: "text", "data-answer": "" });
    const bubble = h("div", { class: "msg assistant pending" }, h("span", { class: "who" }, name), answer);
    transcript.append(bubble);
    const started = performance.now();
    let firstAt = 0;
    const onText = (t) => {
      if (!firstAt) firstAt = performance.now();
      answer.append(t);
      transcript.scrollTop = transcript.scrollHeight;
    };
    try {
      let body;
      if (task === "chat") {
        history.push({ role: "user", content: text });
        body = { model: name, messages: history };
      } else if (task === "completions") {
        body = { model: name, prompt: text, max_tokens: 256 };
      } else {
        body = { model: name, input: text };
      }
      if (stream.checked && task !== "embeddings") {
        body.stream = true;
        body.stream_options = { include_usage: true };
      }
      const out = await call(ROUTES[task], body, abort.signal, onText);
      if (task === "chat") history.push({ role: "assistant", content: answer.textContent });
      bubble.classList.remove("pending");
      const total = Math.round(performance.now() - started);
      const parts = [];
      if (out.model) parts.push(`model ${out.model}`);
      if (out.served) parts.push(out.served);
      if (out.usage) parts.push(`${out.usage.prompt_tokens ?? "?"} prompt + ${out.usage.completion_tokens ?? 0} completion tokens`);
      if (firstAt && body.stream) parts.push(`first token ${Math.round(firstAt - started)} ms`);
      parts.push(`${total} ms`);
      meta.textContent = parts.join(" · ");
    } catch (err) {
      if (task === "chat") history.pop();
      bubble.classList.remove("pending");
      bubble.classList.add("failed");
      answer.append(h("span", { class: "error-text", role: "alert" }, err.name === "AbortError" ? " (stopped)" : `Error: ${err.message}`));
    } finally {
      abort = null;
      busy(false);
      input.focus();
    }
  });

  return h(
    "section",
    { class: "card try", "aria-labelledby": `${inputId}-h`, id: "try" },
    h("h2", { id: `${inputId}-h` }, "Try it"),
    h("p", { class: "muted" }, `Sends to POST /gateway/mlflow/v1${ROUTES[task]} with model "${name}", exactly as a client would.`),
    transcript,
    form,
    meta,
  );
}

// call posts body and feeds the answer's text to onText, streamed or not.
// Resolves with {model, usage}.
async function call(route, body, signal, onText) {
  const resp = await fetch(`/gateway/mlflow/v1${route}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: body.stream ? "text/event-stream" : "application/json" },
    body: JSON.stringify(body),
    signal,
    cache: "no-store",
    credentials: "omit",
  });
  if (!resp.ok) {
    let msg = `${resp.status} ${resp.statusText}`;
    try {
      const j = await resp.json();
      if (j && j.error && j.error.message) msg = `${resp.status}: ${j.error.message}`;
    } catch {
      /* not JSON */
    }
    throw new Error(msg);
  }
  const served = servedBy(resp.headers);
  if (!body.stream) {
    const j = await resp.json();
    if (route === "/embeddings") {
      const v = (j.data && j.data[0] && j.data[0].embedding) || [];
      onText(`${v.length} dimensions: [${v.slice(0, 6).map((x) => Number(x).toFixed(4)).join(", ")}${v.length > 6 ? ", …" : ""}]`);
    } else {
      const c = (j.choices && j.choices[0]) || {};
      onText(c.message ? c.message.content || "" : c.text || "");
    }
    return { model: j.model, usage: j.usage, served };
  }
  return { ...(await readSSE(resp.body, onText)), served };
}

// servedBy renders the gateway's X-Gateway-* answer headers: which key and
// model answered, on which attempt, from which Endpoint generation.
function servedBy(headers) {
  const target = headers.get("X-Gateway-Target");
  if (!target) return "";
  const attempt = Number(headers.get("X-Gateway-Attempt") || "1");
  const endpoint = headers.get("X-Gateway-Endpoint") || "";
  return `served by ${target}${attempt > 1 ? ` on attempt ${attempt}` : ""}${endpoint ? ` (${endpoint})` : ""}`;
}

// readSSE reads an OpenAI-style event stream: "data: {json}" events, then
// "data: [DONE]". An error event carries {"error":{...}}.
async function readSSE(stream, onText) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  const out = { model: "", usage: null };
  const handle = (data) => {
    if (data === "[DONE]") return;
    const j = JSON.parse(data);
    if (j.error) throw new Error(j.error.message || "stream error");
    if (j.model) out.model = j.model;
    if (j.usage) out.usage = j.usage;
    for (const c of j.choices || []) {
      const t = c.delta ? c.delta.content : c.text;
      if (t) onText(t);
    }
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let i;
    while ((i = buf.search(/\r?\n\r?\n/)) >= 0) {
      const event = buf.slice(0, i);
      buf = buf.slice(i).replace(/^\r?\n\r?\n/, "");
      const data = event
        .split(/\r?\n/)
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).replace(/^ /, ""))
        .join("\n");
      if (data) handle(data);
    }
  }
  return out;
}
