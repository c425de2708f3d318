// The editor shell shared by Endpoints and APIKeys: a form and a YAML view of
// one resource, save (POST to create, PUT with metadata.resourceVersion to
// replace), the API's field errors shown at their fields, the 409 of a stale
// write, and a preview of the change through POST /diff.
//
// Switching from YAML back to the form parses the YAML on the server (POST
// /apply?dryRun=true), so the page and gatewayctl share one strict decoder.

import { api, seg, fieldErrors, structuredFields } from "./api.js";
import { h, newId, toast } from "./dom.js";
import { store } from "./store.js";
import { toYAML, editable } from "./yaml.js";

/**
 * Mounts an editor into main. cfg:
 *   kind, plural ("endpoints"), noun ("endpoint"), name (null to create),
 *   crumbs: [label, href], template(): a new object,
 *   buildForm(obj, create): {el, read(), showErrors(fields) → unmatched, clearErrors(),
 *     hasSecret(), clearSecret()},
 *   yamlNote: optional node shown above the YAML,
 *   yamlToFormCheck(text): optional, a reason the YAML cannot go back to the form,
 *   doneHref(obj): where to go after saving.
 * Returns the cleanup function.
 */
export function mountEditor(main, cfg) {
  const create = !cfg.name;
  const title = create ? `New ${cfg.noun}` : `Edit ${cfg.noun} ${cfg.name}`;
  const alerts = h("div", { class: "alerts" });
  const formPanel = h("div", { role: "tabpanel", id: newId("form-panel") });
  const yamlId = newId("yaml");
  const textarea = h("textarea", {
    id: yamlId,
    class: "yaml",
    rows: "22",
    spellcheck: "false",
    autocapitalize: "off",
    autocomplete: "off",
    "data-field": "yaml",
  });
  const yamlPanel = h(
    "div",
    { role: "tabpanel", id: newId("yaml-panel"), hidden: true },
    cfg.yamlNote || null,
    h("label", { for: yamlId }, `${cfg.kind} manifest (YAML)`),
    textarea,
  );
  const preview = h("div", { class: "preview" });
  const saveBtn = h("button", { type: "button", class: "btn primary", "data-action": "save" }, create ? `Create ${cfg.noun}` : "Save changes");
  const previewBtn = h("button", { type: "button", class: "btn", "data-action": "preview" }, "Preview changes");
  const tabForm = h("button", { type: "button", role: "tab", class: "tab", "aria-selected": "true", "aria-controls": formPanel.id }, "Form");
  const tabYAML = h("button", { type: "button", role: "tab", class: "tab", "aria-selected": "false", "aria-controls": yamlPanel.id, tabindex: "-1" }, "YAML");
  const body = h("div", { class: "editor" }, h("p", { class: "muted", role: "status" }, "Loading…"));
  main.append(
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: cfg.crumbs[1] }, cfg.crumbs[0]), " / ", create ? "new" : cfg.name),
    h("div", { class: "page-head" }, h("h1", null, title)),
    body,
  );

  let mode = "form";
  let original = null;
  let form = null;
  let closed = false;
  // Unsaved changes are what Save would send compared with what was loaded,
  // not "a key was pressed": an edit typed and then undone does not count.
  // baseline is the form's object and its YAML as loaded; leaving is set by a
  // save or Cancel, after which navigating away must not ask.
  let baseline = null;
  let leaving = false;

  // rebase: the object is what is stored (loaded, reloaded, or YAML that
  // was not edited), so it becomes the baseline.
  const setForm = (obj, rebase = true) => {
    original = obj;
    form = cfg.buildForm(obj, create);
    formPanel.replaceChildren(form.el);
    if (rebase) {
      const read = form.read();
      baseline = { json: JSON.stringify(read), yaml: yamlOf(read) };
    }
  };

  const dirty = () => {
    if (leaving || closed || !form || !baseline) return false;
    if (mode === "yaml") return textarea.value !== baseline.yaml;
    return JSON.stringify(form.read()) !== baseline.json;
  };

  // Cancel discards the edits; a click that opens another tab does not.
  const discard = (e) => {
    if (e.button === 0 && !e.ctrlKey && !e.metaKey && !e.shiftKey) leaving = true;
  };

  // Closing or reloading the tab with unsaved changes gets the browser's own
  // prompt (its text cannot be set).
  const beforeUnload = (e) => {
    if (!dirty()) return;
    e.preventDefault();
    e.returnValue = "";
  };
  window.addEventListener("beforeunload", beforeUnload);

  const clearAlerts = () => {
    alerts.replaceChildren();
    if (form) form.clearErrors();
  };

  const showErrorList = (fields, heading) => {
    const items = fields.map(({ field, detail }) => {
      const text = [field ? h("code", null, field) : null, field ? `: ${detail}` : detail];
      const target = mode === "form" && field ? locate(form.el, field) : null;
      return h(
        "li",
        null,
        target
          ? h(
              "a",
              {
                href: "#",
                onclick: (e) => {
                  e.preventDefault();
                  target.focus();
                },
              },
              text,
            )
          : text,
      );
    });
    alerts.replaceChildren(
      h("div", { class: "alert error", role: "alert", "data-errors": "" }, h("strong", null, heading), h("ul", null, items)),
    );
  };

  const handleError = (e) => {
    if (e.status === 400 || e.status === 413) {
      const fields = e.fields.length ? e.fields : [{ field: "", detail: e.message }];
      if (mode === "form") form.showErrors(fields);
      showErrorList(fields, `The ${cfg.noun} was not saved: ${fields.length === 1 ? "one problem" : `${fields.length} problems`}.`);
    } else if (e.status === 409 && create) {
      const fields = [{ field: "metadata.name", detail: e.message }];
      if (mode === "form") form.showErrors(fields);
      showErrorList(fields, `An ${cfg.kind} with this name already exists.`);
    } else if (e.status === 409) {
      conflict(e);
    } else if (e.status === 404 && !create) {
      alerts.replaceChildren(
        h("div", { class: "alert error", role: "alert" }, h("strong", null, `${cfg.kind} ${cfg.name} no longer exists. `), "Someone deleted it after you opened it. Your edits are still here; copy them before leaving."),
      );
    } else {
      alerts.replaceChildren(h("div", { class: "alert error", role: "alert" }, h("strong", null, "Not saved. "), e.message || String(e)));
    }
  };

  const conflict = (e) => {
    const reload = h("button", { type: "button", class: "btn", "data-action": "reload" }, "Reload their version (discard my edits)");
    reload.addEventListener("click", async () => {
      try {
        const latest = await api("GET", `/${cfg.plural}/${seg(cfg.name)}`);
        clearAlerts();
        setForm(latest);
        if (mode === "yaml") textarea.value = toYAML(editable(latest));
        toast(`Reloaded ${cfg.noun} ${cfg.name} (resourceVersion ${latest.metadata.resourceVersion}).`, "info");
        saveBtn.focus();
      } catch (err) {
        handleError(err);
      }
    });
    alerts.replaceChildren(
      h(
        "div",
        { class: "alert conflict", role: "alert", "data-conflict": "" },
        h("strong", null, "Someone else changed this " + cfg.noun + " after you opened it."),
        h("p", null, "Your save was refused so that it would not overwrite their change. Your edits are still in the editor: reload to start again from their version, or copy what you need first."),
        h("p", { class: "muted" }, e.message),
        h("div", { class: "row" }, reload),
      ),
    );
  };

  const setMode = async (next) => {
    if (next === mode) return;
    clearAlerts();
    if (next === "yaml") {
      const obj = form.read();
      if (form.hasSecret()) {
        form.clearSecret();
        toast("The credential you typed was cleared: it is never shown as text. Type it again in the form.", "info");
      }
      textarea.value = yamlOf(obj);
    } else {
      const reason = cfg.yamlToFormCheck ? cfg.yamlToFormCheck(textarea.value) : "";
      if (reason) {
        showErrorList([{ field: "", detail: reason }], "Cannot show this YAML in the form.");
        return;
      }
      let res;
      try {
        res = await api("POST", "/apply", { yaml: textarea.value, query: { dryRun: "true" } });
      } catch (e) {
        handleError(e);
        return;
      }
      const r = (res.results || [])[0];
      if (!r || res.results.length !== 1) {
        showErrorList([{ field: "", detail: `the YAML must hold exactly one ${cfg.kind}` }], "Cannot show this YAML in the form.");
        return;
      }
      if (r.action === "invalid" || r.action === "conflict" || !r.object || r.kind !== cfg.kind) {
        const fields = structuredFields(r.fields) || (r.error ? fieldErrors(r.error) : [{ field: "kind", detail: `must be ${cfg.kind}` }]);
        showErrorList(fields, "Fix the YAML before going back to the form.");
        return;
      }
      setForm(r.object, textarea.value === baseline.yaml);
    }
    mode = next;
    tabForm.setAttribute("aria-selected", String(mode === "form"));
    tabYAML.setAttribute("aria-selected", String(mode === "yaml"));
    tabForm.tabIndex = mode === "form" ? 0 : -1;
    tabYAML.tabIndex = mode === "yaml" ? 0 : -1;
    formPanel.hidden = mode !== "form";
    yamlPanel.hidden = mode !== "yaml";
  };
  tabForm.addEventListener("click", () => setMode("form"));
  tabYAML.addEventListener("click", () => setMode("yaml"));
  for (const t of [tabForm, tabYAML]) {
    t.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        e.preventDefault();
        const other = t === tabForm ? tabYAML : tabForm;
        other.focus();
        other.click();
      }
    });
  }

  // request returns the body to send: the form's object, or the YAML text.
  const request = () => (mode === "form" ? { body: form.read() } : { yaml: textarea.value });

  const save = async () => {
    clearAlerts();
    preview.replaceChildren();
    const hadSecret = mode === "form" && form.hasSecret();
    saveBtn.disabled = true;
    let res;
    try {
      const opts = request();
      // The credential is in opts.body only for this request; the field is
      // cleared whatever the outcome.
      form.clearSecret();
      res = create ? await api("POST", `/${cfg.plural}`, opts) : await api("PUT", `/${cfg.plural}/${seg(cfg.name)}`, opts);
    } catch (e) {
      handleError(e);
      if (hadSecret) toast("The credential field was cleared; type it again before saving.", "info");
      return;
    } finally {
      saveBtn.disabled = false;
    }
    const name = res.metadata.name;
    leaving = true;
    toast(`${create ? "Created" : "Saved"} ${cfg.noun} ${name}.`, "ok");
    await store.refresh();
    if (!closed) location.hash = cfg.doneHref(res);
  };
  saveBtn.addEventListener("click", save);

  previewBtn.addEventListener("click", async () => {
    clearAlerts();
    try {
      const opts = request();
      if (opts.body && opts.body.spec && opts.body.spec.value) {
        // Never send a credential just to preview: the diff shows the secretRef it becomes.
        opts.body = structuredClone(opts.body);
        opts.body.spec.value = "(preview)";
      }
      const res = await api("POST", "/diff", opts);
      preview.replaceChildren(
        h(
          "section",
          { class: "card", "aria-label": "Preview of the change" },
          h("h2", null, "Preview"),
          (res.entries || []).map((e) =>
            h(
              "div",
              null,
              h("p", null, h("strong", null, `${e.kind}/${e.name}: `), e.action, e.error ? ` — ${e.error}` : ""),
              e.diff ? h("pre", { class: "code diff" }, h("code", null, e.diff)) : null,
            ),
          ),
        ),
      );
    } catch (e) {
      handleError(e);
    }
  });

  (async () => {
    try {
      if (store.endpoints === null || store.providers === null) await store.refresh();
      const obj = create ? cfg.template() : await api("GET", `/${cfg.plural}/${seg(cfg.name)}`);
      if (closed) return;
      setForm(obj);
      body.replaceChildren(
        h("div", { class: "tabs", role: "tablist", "aria-label": "Edit as" }, tabForm, tabYAML),
        alerts,
        formPanel,
        yamlPanel,
        h("div", { class: "row actions sticky" }, saveBtn, previewBtn, h("a", { class: "btn ghost", href: cfg.crumbs[1], onclick: discard }, "Cancel")),
        preview,
      );
      const first = form.el.querySelector("input:not([readonly]), select, textarea");
      if (first) first.focus();
    } catch (e) {
      body.replaceChildren(h("div", { class: "alert error", role: "alert" }, e.status === 404 ? `There is no ${cfg.noun} named "${cfg.name}".` : e.message));
    }
  })();

  const cleanup = () => {
    closed = true;
    window.removeEventListener("beforeunload", beforeUnload);
    if (form) form.clearSecret();
  };
  // app.js asks before leaving a page whose cleanup says it has unsaved changes.
  cleanup.hasUnsavedChanges = dirty;
  return cleanup;
}

// yamlOf is the YAML view of a form's object. A typed credential is never
// shown as text, so it is left out.
function yamlOf(obj) {
  const o = structuredClone(obj);
  if (o.spec) delete o.spec.value;
  return toYAML(editable(o));
}

/**
 * Finds the element for a field path, or the closest one above it:
 * spec.targets[2].model, then spec.targets[2], then spec.targets, then spec.
 */
export function locate(root, field) {
  let p = field;
  while (p) {
    const el = root.querySelector(`[data-field="${CSS.escape(p)}"]`);
    if (el) return el;
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    if (cut <= 0) break;
    p = p.slice(0, cut);
  }
  return null;
}

/**
 * Marks the fields named by errors in a form: aria-invalid, the message
 * beside the field. Returns the errors no field was found for.
 */
export function markErrors(root, errors) {
  const unmatched = [];
  for (const e of errors) {
    const el = e.field ? locate(root, e.field) : null;
    if (!el) {
      unmatched.push(e);
      continue;
    }
    el.classList.add("invalid");
    el.setAttribute("aria-invalid", "true");
    const msgId = newId("err");
    const msg = h("p", { class: "field-error", id: msgId, "data-error-for": e.field }, e.field === el.dataset.field ? e.detail : `${e.field}: ${e.detail}`);
    const anchor = el.closest(".field") || el;
    if (anchor.tagName === "FIELDSET") anchor.querySelector("legend").after(msg);
    else anchor.append(msg);
    el.setAttribute("aria-describedby", [el.getAttribute("aria-describedby"), msgId].filter(Boolean).join(" "));
  }
  const firstBad = root.querySelector(".invalid");
  if (firstBad) firstBad.focus();
  return unmatched;
}

/** Removes what markErrors added. */
export function clearErrors(root) {
  for (const m of root.querySelectorAll(".field-error")) {
    const owner = root.querySelector(`[aria-describedby~="${m.id}"]`);
    if (owner) {
      const rest = owner.getAttribute("aria-describedby").split(" ").filter((x) => x !== m.id).join(" ");
      if (rest) owner.setAttribute("aria-describedby", rest);
      else owner.removeAttribute("aria-describedby");
    }
    m.remove();
  }
  for (const el of root.querySelectorAll(".invalid")) {
    el.classList.remove("invalid");
    el.removeAttribute("aria-invalid");
  }
}
