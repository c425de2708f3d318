// Browser tests of the web UI: Playwright (playwright-core, no bundled
// browser) drives Debian's Chromium against a real gatewayd with the UI
// embedded. Started by ui/web/e2e_test.go (`go test ./ui/web/ -run TestBrowser`),
// which runs two gatewayds and passes, through the environment:
//
//   E2E_BASE_URL        gatewayd serving the example manifests, no admin token
//   E2E_MANIFESTS       its manifest folder (checked for leaked credentials)
//   E2E_SECRET          a canary credential the tests type into the UI
//   E2E_TOKEN_BASE_URL  a second gatewayd that requires an admin token
//   E2E_ADMIN_TOKEN     that token
//   E2E_CHROMIUM        the browser (default /usr/bin/chromium)
//
// Every test also fails on a console error, an uncaught exception or a
// request to any origin but the gatewayd under test.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set: run through go test ./ui/web/ -run TestBrowser`);
  return v;
};
const BASE = env("E2E_BASE_URL");
const MANIFESTS = env("E2E_MANIFESTS");
const SECRET = env("E2E_SECRET");
const TOKEN_BASE = env("E2E_TOKEN_BASE_URL");
const ADMIN_TOKEN = env("E2E_ADMIN_TOKEN");
const CHROMIUM = process.env.E2E_CHROMIUM || "/usr/bin/chromium";
const TIMEOUT = 10_000;

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"],
  });
});

after(async () => {
  if (browser) await browser.close();
});

/**
 * Opens a page on base + path in a fresh context, watching for console
 * errors, page errors, requests to other origins, and recording every
 * response body. expectStatuses: HTTP statuses the test provokes on purpose
 * (Chromium logs each failed fetch as a console error).
 */
async function open(path, { base = BASE, expectStatuses = [] } = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const origin = new URL(base).origin;
  const s = { ctx, page, problems: [], bodies: [], requests: [], pending: [] };
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const failed = m.text().match(/^Failed to load resource: the server responded with a status of (\d+)/);
    if (failed && expectStatuses.includes(Number(failed[1]))) return;
    s.problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => s.problems.push(`uncaught: ${e.message}`));
  ctx.on("request", (r) => {
    s.requests.push(r);
    const u = r.url();
    if (!u.startsWith("data:") && new URL(u).origin !== origin) s.problems.push(`request left the origin: ${r.method()} ${u}`);
  });
  ctx.on("response", (r) => {
    s.pending.push(
      r.text().then(
        (t) => s.bodies.push({ url: r.url(), status: r.status(), type: r.headers()["content-type"] || "", text: t }),
        () => {},
      ),
    );
  });
  await page.goto(base + path);
  return s;
}

async function finish(s) {
  await Promise.all(s.pending);
  await s.ctx.close();
  assert.deepEqual(s.problems, [], "console errors, page errors or off-origin requests");
}

function el(page, field) {
  return page.locator(`[data-field="${field}"]`);
}

async function readyBadge(page, scope) {
  return page.locator(`${scope} .badge.status`).first();
}

async function api(method, path, body) {
  const resp = await fetch(BASE + "/api/v1alpha1" + path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await resp.text();
  return { status: resp.status, json: text ? JSON.parse(text) : null };
}

function filesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

test("the gateway page lists the example endpoints with their Ready status", async () => {
  const s = await open("/");
  const { page } = s;
  await page.waitForFunction(() => location.hash === "#/gateway");
  for (const name of ["mock-chat", "mock-completions", "mock-embeddings"]) {
    const card = page.locator(`[data-endpoint="${name}"]`);
    await card.locator('.badge.status[data-ready="True"]').waitFor();
    assert.equal(await card.locator(".badge.status").textContent(), "Ready");
  }
  const chat = page.locator('[data-endpoint="mock-chat"]');
  assert.equal(await chat.locator(".badge.task").textContent(), "chat");
  assert.equal(await chat.locator('tr[data-target="0"] td').first().textContent(), "mock-1");
  assert.equal(await chat.locator("[data-share]").first().textContent(), "100%");
  assert.match(await chat.locator("dl.settings").textContent(), /Retry:\s*2 attempts, 100ms backoff.*Timeout:\s*30s/);
  assert.equal(await page.locator(".call [data-base-url]").textContent(), `${BASE}/gateway/mlflow/v1`);
  assert.equal(await page.locator(".call [data-api-base-url]").textContent(), `${BASE}/api/gateway/mlflow/v1`);
  assert.equal(await page.locator('[data-nav="gateway"]').getAttribute("aria-current"), "page");

  // /#/gateway opens the same page; an endpoint's page says how to call it.
  await page.goto(`${BASE}/#/gateway`);
  await page.locator('[data-endpoint="mock-chat"] a').first().click();
  await page.waitForFunction(() => location.hash === "#/gateway/endpoint/mock-chat");
  await page.getByRole("tab", { name: "Python" }).click();
  const code = await page.locator("pre.code").first().textContent();
  assert.match(code, new RegExp(`base_url="${BASE}/gateway/mlflow/v1"`));
  assert.match(code, /model="mock-chat"/);
  assert.match(await page.locator("section", { hasText: "Native routes" }).textContent(), /\/gateway\/anthropic/);
  await finish(s);
});

test("an API key created with a credential is Ready, and the credential is never shown or stored", async () => {
  const s = await open("/#/apikeys/new");
  const { page } = s;
  await el(page, "metadata.name").fill("e2e-openai");
  await el(page, "spec.provider").selectOption("openai");
  assert.equal(await page.locator('input[type="radio"][value="value"]').isChecked(), true);
  const secret = page.locator("input[data-secret]");
  assert.equal(await secret.getAttribute("type"), "password");
  await secret.fill(SECRET);
  await page.getByRole("button", { name: "Create API key" }).click();

  await page.waitForFunction(() => location.hash === "#/apikeys");
  const row = page.locator('tr[data-apikey="e2e-openai"]');
  await row.locator('.badge.status[data-ready="True"]').waitFor();
  assert.equal(await row.locator("[data-credential]").textContent(), "Secret store: ai-gateway/e2e-openai");

  // Editing it offers to keep the stored credential; the field starts empty.
  await page.goto(`${BASE}/#/apikeys/edit/e2e-openai`);
  await page.locator('input[type="radio"][value="keep"]').waitFor();
  assert.equal(await page.locator('input[type="radio"][value="keep"]').isChecked(), true);
  assert.equal(await page.locator("input[data-secret]").inputValue(), "");
  // The YAML view shows the secretRef, not the credential.
  await page.getByRole("tab", { name: "YAML" }).click();
  const yaml = await page.locator("textarea.yaml").inputValue();
  assert.match(yaml, /secretRef:\n\s+key: e2e-openai\n\s+scope: ai-gateway|secretRef:\n\s+scope: ai-gateway\n\s+key: e2e-openai/);

  // The credential went to the server once, in the create request...
  const creates = s.requests.filter((r) => r.method() === "POST" && r.url().endsWith("/api/v1alpha1/apikeys"));
  assert.equal(creates.length, 1);
  assert.ok(creates[0].postData().includes(SECRET), "the create request carries the credential");
  // ...and nowhere else: not in any answer the page received, the page, its
  // storage or its fields, nor any file of the manifest folder.
  await Promise.all(s.pending);
  assert.ok(s.bodies.length > 5);
  for (const b of s.bodies) assert.ok(!b.text.includes(SECRET), `response of ${b.url} holds the credential`);
  assert.ok(!(await page.content()).includes(SECRET), "page holds the credential");
  const stored = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, [...document.querySelectorAll("input, textarea")].map((e) => e.value)]));
  assert.ok(!stored.includes(SECRET), "storage or a field holds the credential");
  for (const f of filesUnder(MANIFESTS)) assert.ok(!readFileSync(f, "utf8").includes(SECRET), `${f} holds the credential`);
  await finish(s);
});

test("an endpoint created in the form is served: try it streams the answer", async () => {
  const s = await open("/#/gateway/new");
  const { page } = s;
  await el(page, "metadata.name").fill("e2e-chat");
  await el(page, "spec.task").selectOption("chat");
  await el(page, "spec.targets[0].model").fill("mock-1");
  await el(page, "spec.targets[0].apiKeyRef").selectOption("mock");
  await el(page, "spec.targets[0].weight").fill("3");
  await page.getByRole("button", { name: "Add target" }).click();
  await el(page, "spec.targets[1].model").fill("mock-2");
  await el(page, "spec.targets[1].apiKeyRef").selectOption("mock");
  await el(page, "spec.targets[1].weight").fill("1");
  // The form shows each target's share as weights are typed.
  assert.deepEqual(await page.locator("output[data-share]").allTextContents(), ["75%", "25%"]);
  await page.getByRole("button", { name: "Add fallback" }).click();
  await el(page, "spec.fallbacks[0].model").fill("mock-1");
  await el(page, "spec.fallbacks[0].apiKeyRef").selectOption("mock");
  await el(page, "spec.retry.attempts").fill("2");
  await el(page, "spec.timeout").fill("20s");
  await el(page, "spec.rateLimit.requestsPerMinute").fill("600");
  await page.getByRole("button", { name: "Create endpoint" }).click();

  await page.waitForFunction(() => location.hash === "#/gateway/endpoint/e2e-chat");
  await page.locator('h1 .badge.status[data-ready="True"]').waitFor();
  assert.deepEqual(await page.locator("table.targets [data-share]").allTextContents(), ["75%", "25%"]);
  assert.match(await page.locator(".fallbacks").textContent(), /mock-1 via mock/);
  assert.match(await page.locator("dl.settings").first().textContent(), /Timeout:\s*20s.*600 requests\/min/);
  const file = readFileSync(join(MANIFESTS, "endpoints", "e2e-chat.yaml"), "utf8");
  assert.match(file, /weight: 3/);

  // Try it: the mock provider echoes, one chunk per word.
  const message = "hello from the browser test";
  await page.evaluate(() => {
    window.__chunks = 0;
    const answerObserver = new MutationObserver((ms) => {
      for (const m of ms) if (m.target.closest && m.target.closest("[data-answer]")) window.__chunks += m.addedNodes.length;
    });
    answerObserver.observe(document.querySelector(".transcript"), { subtree: true, childList: true });
  });
  await page.getByLabel("Message").fill(message);
  await page.getByRole("button", { name: "Send" }).click();
  await page.waitForFunction((m) => {
    const a = document.querySelector(".msg.assistant:not(.pending) [data-answer]");
    return a && a.textContent === m;
  }, message);
  assert.ok((await page.evaluate(() => window.__chunks)) >= message.split(" ").length, "the answer arrived in several chunks");
  assert.match(await page.locator(".try-meta").textContent(), /model mock-[12]/);
  // The gateway's X-Gateway-* headers say which key, model and Endpoint generation answered.
  assert.match(await page.locator(".try-meta").textContent(), /served by [a-z0-9-]+\/mock-[12] \([a-z0-9-]+@\d+\)/);
  await Promise.all(s.pending);
  const chat = s.bodies.find((b) => b.url.endsWith("/gateway/mlflow/v1/chat/completions"));
  assert.ok(chat, "a chat request was sent");
  assert.match(chat.type, /text\/event-stream/);
  await finish(s);
});

test("editing weights changes the split", async () => {
  const s = await open("/#/gateway/edit/e2e-chat");
  const { page } = s;
  await el(page, "spec.targets[0].weight").fill("1");
  assert.deepEqual(await page.locator("output[data-share]").allTextContents(), ["50%", "50%"]);
  assert.equal(await el(page, "metadata.name").getAttribute("readonly"), "");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.waitForFunction(() => location.hash === "#/gateway/endpoint/e2e-chat");
  await page.waitForFunction(() => [...document.querySelectorAll("table.targets [data-share]")].map((e) => e.textContent).join() === "50%,50%");
  const { json } = await api("GET", "/endpoints/e2e-chat");
  assert.deepEqual(json.spec.targets.map((t) => t.weight), [1, 1]);
  await finish(s);
});

test("validation errors are shown at the field that is wrong", async () => {
  const s = await open("/#/gateway/new", { expectStatuses: [400] });
  const { page } = s;
  await el(page, "metadata.name").fill("Bad_Name");
  await el(page, "spec.targets[0].apiKeyRef").selectOption("mock");
  await page.getByRole("button", { name: "Create endpoint" }).click();
  const summary = page.locator("[data-errors]");
  await summary.waitFor();
  const text = await summary.textContent();
  assert.match(text, /metadata\.name: must be a DNS-1123 label/);
  assert.match(text, /spec\.targets\[0\]\.model: required/);
  for (const f of ["metadata.name", "spec.targets[0].model"]) {
    assert.equal(await el(page, f).getAttribute("aria-invalid"), "true", `${f} is marked invalid`);
    const described = await el(page, f).getAttribute("aria-describedby");
    const msg = await page.locator(`[data-error-for="${f}"]`).getAttribute("id");
    assert.ok(described.split(" ").includes(msg), `${f} is described by its error`);
  }
  assert.equal(await page.evaluate(() => location.hash), "#/gateway/new");
  // Fixing the fields clears the marks on the next save.
  await el(page, "metadata.name").fill("e2e-fixed");
  await el(page, "spec.targets[0].model").fill("mock-1");
  await page.getByRole("button", { name: "Create endpoint" }).click();
  await page.waitForFunction(() => location.hash === "#/gateway/endpoint/e2e-fixed");
  assert.equal((await api("DELETE", "/endpoints/e2e-fixed")).status, 200);
  await finish(s);
});

test("a save over someone else's change gets the conflict message, and reload recovers", async () => {
  const s = await open("/#/gateway/edit/e2e-chat", { expectStatuses: [409] });
  const { page } = s;
  await el(page, "spec.timeout").waitFor();
  assert.equal(await el(page, "spec.timeout").inputValue(), "20s");
  // Someone else changes the endpoint behind the page's back.
  const cur = (await api("GET", "/endpoints/e2e-chat")).json;
  cur.spec.timeout = "45s";
  assert.equal((await api("PUT", "/endpoints/e2e-chat", cur)).status, 200);

  await el(page, "spec.rateLimit.requestsPerMinute").fill("900");
  await page.getByRole("button", { name: "Save changes" }).click();
  const banner = page.locator("[data-conflict]");
  await banner.waitFor();
  assert.match(await banner.textContent(), /Someone else changed this endpoint after you opened it/);
  assert.equal(await el(page, "spec.rateLimit.requestsPerMinute").inputValue(), "900", "the user's edits are kept");
  assert.equal((await api("GET", "/endpoints/e2e-chat")).json.spec.timeout, "45s", "their change is kept");

  await page.getByRole("button", { name: /Reload their version/ }).click();
  await page.waitForFunction(() => document.querySelector('[data-field="spec.timeout"]').value === "45s");
  assert.equal(await banner.count(), 0);
  await el(page, "spec.rateLimit.requestsPerMinute").fill("900");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.waitForFunction(() => location.hash === "#/gateway/endpoint/e2e-chat");
  const after = (await api("GET", "/endpoints/e2e-chat")).json.spec;
  assert.equal(after.timeout, "45s");
  assert.equal(after.rateLimit.requestsPerMinute, 900);
  await finish(s);
});

test("the YAML view round-trips, and its errors name the field", async () => {
  const s = await open("/#/gateway/edit/e2e-chat", { expectStatuses: [400] });
  const { page } = s;
  await el(page, "spec.timeout").waitFor();
  await page.getByRole("tab", { name: "YAML" }).click();
  const area = page.locator("textarea.yaml");
  const yaml = await area.inputValue();
  assert.match(yaml, /^apiVersion: gateway\/v1alpha1\nkind: Endpoint\nmetadata:\n/);
  assert.match(yaml, /\n  name: e2e-chat\n/);
  assert.match(yaml, /\n  resourceVersion: "?[0-9a-f]+"?\n/);
  assert.match(yaml, /\n  timeout: 45s\n/);
  assert.doesNotMatch(yaml, /status:|generation:/);

  // YAML → form → YAML keeps an edit.
  await area.fill(yaml.replace("timeout: 45s", "timeout: 50s"));
  await page.getByRole("tab", { name: "Form" }).click();
  await page.waitForFunction(() => document.querySelector('[data-field="spec.timeout"]').value === "50s");
  assert.equal(await el(page, "spec.targets[1].model").inputValue(), "mock-2");
  await page.getByRole("tab", { name: "YAML" }).click();
  assert.match(await area.inputValue(), /\n  timeout: 50s\n/);

  // An unknown field is refused with its path.
  const good = await area.inputValue();
  await area.fill(good.replace("    weight: 1\n", "    wieght: 1\n"));
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.locator("[data-errors]").waitFor();
  assert.match(await page.locator("[data-errors]").textContent(), /spec\.targets\[\d\]\.wieght: unknown field/);

  // Saved from the YAML view.
  await area.fill(good);
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.waitForFunction(() => location.hash === "#/gateway/endpoint/e2e-chat");
  await page.waitForFunction(() => /Timeout:\s*50s/.test(document.querySelector("dl.settings").textContent));
  assert.equal((await api("GET", "/endpoints/e2e-chat")).json.spec.timeout, "50s");
  await finish(s);
});

test("deleting an endpoint asks first, then it is gone", async () => {
  const s = await open("/#/gateway/endpoint/e2e-chat");
  const { page } = s;
  await page.locator("h1 .badge.status").waitFor();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Delete endpoint e2e-chat?" });
  await dialog.waitFor();
  // Cancel keeps it.
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal((await api("GET", "/endpoints/e2e-chat")).status, 200);
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await dialog.getByRole("button", { name: "Delete endpoint" }).click();
  await page.waitForFunction(() => location.hash === "#/gateway");
  await page.locator('[data-endpoint="mock-chat"]').waitFor();
  assert.equal(await page.locator('[data-endpoint="e2e-chat"]').count(), 0);
  assert.equal((await api("GET", "/endpoints/e2e-chat")).status, 404);
  assert.ok(!filesUnder(MANIFESTS).some((f) => f.endsWith("e2e-chat.yaml")), "the manifest file is removed");
  const resp = await fetch(`${BASE}/gateway/mlflow/v1/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: "e2e-chat", messages: [{ role: "user", content: "hi" }] }),
  });
  assert.equal(resp.status, 404);
  await finish(s);
});

test("leaving an editor with unsaved changes asks first; saving, cancelling or no change does not", async () => {
  const s = await open("/#/gateway/edit/mock-chat");
  const { page } = s;
  const hash = () => page.evaluate(() => location.hash);
  const dialog = page.getByRole("dialog", { name: "Leave without saving?" });
  const unloadPrompts = [];
  page.on("dialog", (d) => {
    unloadPrompts.push(d.type());
    d.dismiss();
  });

  // No change: leaving does not ask.
  await el(page, "spec.timeout").waitFor();
  await page.locator('[data-nav="apikeys"]').click();
  await page.waitForFunction(() => location.hash === "#/apikeys");
  assert.equal(await dialog.isVisible(), false);

  // An edit in the form: another nav link asks, and "stay" keeps the edit.
  await page.goto(`${BASE}/#/gateway/edit/mock-chat`);
  await el(page, "spec.timeout").waitFor();
  const timeout = await el(page, "spec.timeout").inputValue();
  await el(page, "spec.timeout").fill("31s");
  await page.locator('[data-nav="apikeys"]').click();
  await dialog.waitFor();
  assert.equal(await hash(), "#/gateway/edit/mock-chat", "the address stays while the dialog asks");
  await dialog.getByRole("button", { name: "Stay on this page" }).click();
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await hash(), "#/gateway/edit/mock-chat");
  assert.equal(await el(page, "spec.timeout").inputValue(), "31s", "the edit is kept");

  // Closing the tab gets the browser's prompt (dismissed: the page stays).
  await page.close({ runBeforeUnload: true });
  for (let i = 0; i < 100 && unloadPrompts.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(unloadPrompts, ["beforeunload"]);
  assert.equal(await el(page, "spec.timeout").inputValue(), "31s");

  // An edit typed and undone is no change.
  await el(page, "spec.timeout").fill(timeout);
  await page.locator('[data-nav="apikeys"]').click();
  await page.waitForFunction(() => location.hash === "#/apikeys");
  assert.equal(await dialog.isVisible(), false);

  // "Leave" navigates and drops the edit.
  await page.goto(`${BASE}/#/gateway/edit/mock-chat`);
  await el(page, "spec.timeout").fill("32s");
  await page.locator('[data-nav="apikeys"]').click();
  await dialog.getByRole("button", { name: "Leave without saving" }).click();
  await page.waitForFunction(() => location.hash === "#/apikeys");
  assert.equal((await api("GET", "/endpoints/mock-chat")).json.spec.timeout, timeout);

  // Cancel discards without asking.
  await page.goto(`${BASE}/#/gateway/edit/mock-chat`);
  await el(page, "spec.timeout").fill("33s");
  await page.getByRole("link", { name: "Cancel" }).click();
  await page.waitForFunction(() => location.hash === "#/gateway");
  assert.equal(await dialog.isVisible(), false);

  // The YAML view: an edit asks too; after saving, nothing asks.
  await page.goto(`${BASE}/#/apikeys/edit/e2e-openai`);
  await page.locator('input[type="radio"][value="keep"]').waitFor();
  await page.getByRole("tab", { name: "YAML" }).click();
  const area = page.locator("textarea.yaml");
  await area.fill((await area.inputValue()).replace("metadata:\n", "metadata:\n  labels:\n    team: e2e\n"));
  await page.locator('[data-nav="gateway"]').click();
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Stay on this page" }).click();
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await hash(), "#/apikeys/edit/e2e-openai");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.waitForFunction(() => location.hash === "#/apikeys");
  assert.equal(await dialog.isVisible(), false);
  assert.deepEqual((await api("GET", "/apikeys/e2e-openai")).json.metadata.labels, { team: "e2e" });
  await page.locator('[data-nav="gateway"]').click();
  await page.waitForFunction(() => location.hash === "#/gateway");
  assert.equal(await dialog.isVisible(), false);
  assert.deepEqual(unloadPrompts, ["beforeunload"], "no other prompt");
  await finish(s);
});

test("with an admin token set, the UI asks for it and then works", async () => {
  const s = await open("/", { base: TOKEN_BASE, expectStatuses: [401] });
  const { page } = s;
  const dialog = page.getByRole("dialog", { name: "Admin token required" });
  await dialog.waitFor();
  await dialog.getByLabel("Admin token").fill("not-the-token");
  await dialog.getByLabel("Admin token").press("Enter");
  await dialog.locator("[data-note]").filter({ hasText: "not accepted" }).waitFor();
  await dialog.getByLabel("Admin token").fill(ADMIN_TOKEN);
  await dialog.getByRole("button", { name: "Sign in" }).click();
  await page.locator('[data-endpoint="mock-chat"] .badge.status[data-ready="True"]').waitFor();
  assert.equal(await dialog.isVisible(), false);
  const storage = await page.evaluate(() => ({ local: { ...localStorage }, session: { ...sessionStorage } }));
  assert.deepEqual(storage.local, {});
  assert.deepEqual(Object.values(storage.session), [ADMIN_TOKEN]);
  // The data plane is called without the token.
  await page.goto(`${TOKEN_BASE}/#/gateway/endpoint/mock-chat`);
  await page.getByLabel("Message").fill("token test");
  await page.getByRole("button", { name: "Send" }).click();
  await page.waitForFunction(() => {
    const a = document.querySelector(".msg.assistant:not(.pending) [data-answer]");
    return a && a.textContent === "token test";
  });
  const chat = s.requests.find((r) => r.url().endsWith("/gateway/mlflow/v1/chat/completions"));
  assert.equal(chat.headers().authorization, undefined);
  assert.ok(s.requests.some((r) => r.url().includes("/api/v1alpha1/") && r.headers().authorization === `Bearer ${ADMIN_TOKEN}`));
  // A reload in the same tab keeps the session: no second prompt.
  await page.reload();
  await page.locator('[data-endpoint], .badge.status[data-ready="True"]').first().waitFor();
  assert.equal(await dialog.isVisible(), false);
  // Forgetting the token asks again.
  await page.getByRole("button", { name: "Forget token" }).click();
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await page.locator("#live", { hasText: "Not signed in" }).waitFor();
  await finish(s);
});
