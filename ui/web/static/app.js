// The web UI's entry point: hash routes, the admin-token prompt, the
// "live" indicator and polling.
//
// Routes (DESIGN §3: `/` and `/#/gateway` open the gateway page):
//   #/gateway                   endpoints (the default)
//   #/gateway/new               new endpoint
//   #/gateway/endpoint/NAME     one endpoint: status, how to call it, try it
//   #/gateway/edit/NAME         edit an endpoint
//   #/apikeys                   API keys
//   #/apikeys/new               new API key
//   #/apikeys/edit/NAME         edit an API key

import { setTokenPrompt, hasToken, forgetToken } from "./api.js";
import { h, focusHeading, toast, confirmDialog } from "./dom.js";
import { store } from "./store.js";
import { gatewayPage } from "./gateway.js";
import { endpointPage } from "./endpoint.js";
import { endpointEditor } from "./endpoint-form.js";
import { apikeysPage, apikeyEditor } from "./apikeys.js";

const main = document.getElementById("main");
let cleanup = null;
// shown is the hash of the route on screen, to go back to when leaving it is
// called off; asking is set while the leave dialog is open.
let shown = "";
let asking = false;

function parseRoute(hash) {
  const parts = hash.replace(/^#\/?/, "").split("/").map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const [section, action, name] = parts;
  if (!section || (section === "gateway" && !action)) return { page: "gateway", nav: "gateway", title: "Gateway" };
  if (section === "gateway" && action === "new") return { page: "endpoint-new", nav: "gateway", title: "New endpoint" };
  if (section === "gateway" && action === "endpoint" && name) return { page: "endpoint", nav: "gateway", name, title: name };
  if (section === "gateway" && action === "edit" && name) return { page: "endpoint-edit", nav: "gateway", name, title: `Edit ${name}` };
  if (section === "apikeys" && !action) return { page: "apikeys", nav: "apikeys", title: "API keys" };
  if (section === "apikeys" && action === "new") return { page: "apikey-new", nav: "apikeys", title: "New API key" };
  if (section === "apikeys" && action === "edit" && name) return { page: "apikey-edit", nav: "apikeys", name, title: `Edit ${name}` };
  return { page: "missing", nav: "", title: "Not found" };
}

function route() {
  // Hashes that are not routes (an in-page anchor) leave the page as it is.
  if (location.hash && !location.hash.startsWith("#/")) return;
  const r = parseRoute(location.hash);
  shown = location.hash;
  if (cleanup) cleanup();
  cleanup = null;
  main.replaceChildren();
  document.title = `${r.title} · AI Gateway`;
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === r.nav) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  switch (r.page) {
    case "gateway":
      cleanup = gatewayPage(main);
      break;
    case "endpoint":
      cleanup = endpointPage(main, r.name);
      break;
    case "endpoint-new":
      cleanup = endpointEditor(main, null);
      break;
    case "endpoint-edit":
      cleanup = endpointEditor(main, r.name);
      break;
    case "apikeys":
      cleanup = apikeysPage(main);
      break;
    case "apikey-new":
      cleanup = apikeyEditor(main, null);
      break;
    case "apikey-edit":
      cleanup = apikeyEditor(main, r.name);
      break;
    default:
      main.append(h("h1", null, "Page not found"), h("p", null, h("a", { href: "#/gateway" }, "Go to the gateway")));
  }
  focusHeading(main);
}

// onHashChange routes, but first asks before leaving an editor with unsaved
// changes. The hash has already changed when the event fires, so the page's
// own hash is put back (replaceState fires no event) while the dialog is up,
// and the target is restored only if the user chooses to leave.
async function onHashChange() {
  if (location.hash && !location.hash.startsWith("#/")) return;
  const target = location.hash;
  if (cleanup && cleanup.hasUnsavedChanges && cleanup.hasUnsavedChanges()) {
    history.replaceState(null, "", shown);
    // Back or Forward pressed while the dialog is up: stay, the dialog decides.
    if (asking) return;
    asking = true;
    const leave = await confirmDialog({
      title: "Leave without saving?",
      body: "Your changes in this editor have not been saved. If you leave, they are lost.",
      confirm: "Leave without saving",
      cancel: "Stay on this page",
      danger: true,
    });
    asking = false;
    if (!leave) return;
    history.replaceState(null, "", target);
  }
  route();
}

// The admin-token prompt: a modal asking for GATEWAY_ADMIN_TOKEN. Resolves
// with the token, or null when dismissed. The token is kept by api.js in
// sessionStorage (this tab only), never in localStorage or a cookie.
function askToken(message) {
  const dlg = document.getElementById("auth-dialog");
  const input = dlg.querySelector("input");
  const note = dlg.querySelector("[data-note]");
  note.textContent = message || "";
  note.hidden = !message;
  input.value = "";
  return new Promise((resolve) => {
    const done = () => {
      dlg.removeEventListener("close", done);
      const token = dlg.returnValue === "ok" ? input.value.trim() : "";
      input.value = "";
      updateSignOut();
      resolve(token || null);
    };
    dlg.returnValue = "";
    dlg.addEventListener("close", done);
    dlg.showModal();
    input.focus();
  });
}

function updateSignOut() {
  document.getElementById("sign-out").hidden = !hasToken();
}

function updateLive() {
  const live = document.getElementById("live");
  if (store.error && store.error.status === 401) {
    live.className = "live bad";
    live.textContent = "Not signed in";
  } else if (store.error) {
    live.className = "live bad";
    live.textContent = "Cannot reach the gateway; retrying";
  } else if (store.updated) {
    live.className = "live ok";
    live.textContent = `Live · ${store.updated.toLocaleTimeString()}`;
  }
  updateSignOut();
}

function init() {
  setTokenPrompt(askToken);
  document.getElementById("sign-out").addEventListener("click", () => {
    forgetToken();
    updateSignOut();
    toast("The admin token was forgotten in this tab.", "info");
    store.refresh();
  });
  document.getElementById("skip").addEventListener("click", (e) => {
    e.preventDefault();
    focusHeading(main);
  });
  store.subscribe(updateLive);
  window.addEventListener("hashchange", onHashChange);
  if (!location.hash || location.hash === "#" || location.hash === "#/") history.replaceState(null, "", "#/gateway");
  route();
  store.refresh();
  store.poll();
}

init();
