// The management API client: /api/v1alpha1 on this gatewayd, same origin.
//
// Auth: locally the API answers loopback clients without a token; with
// GATEWAY_ADMIN_TOKEN set it needs "Authorization: Bearer". On a 401 the page
// asks for the token once (one prompt however many requests were refused),
// keeps it in this tab's sessionStorage only and retries. Inside a Databricks
// App the platform's proxy authenticates and no token is ever asked for.

export const PREFIX = "/api/v1alpha1";
const TOKEN_KEY = "ai-gateway.admin-token";

/**
 * An error answer of the API: status, code, message and the field errors in
 * it: the answer's own "fields" list when it has one, else read from the message.
 */
export class APIError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.name = "APIError";
    this.status = status;
    this.code = code;
    this.fields = structuredFields(fields) || fieldErrors(message);
  }
}

/** Converts the API's [{field, message}] into [{field, detail}], or null. */
export function structuredFields(fields) {
  if (!Array.isArray(fields) || fields.length === 0) return null;
  return fields.map((f) => ({ field: String(f.field || ""), detail: String(f.message || "") }));
}

const FIELD_ROOT = "(?:apiVersion|kind|metadata|spec|status)";
const FIELD_PATH = new RegExp(`^(${FIELD_ROOT}(?:\\.[A-Za-z0-9_]+|\\[[^\\]]*\\])*): ([\\s\\S]*)$`);
const NEXT_FIELD = new RegExp(`; (?=${FIELD_ROOT}(?:[.\\[][^:]*)?: )`);

/**
 * Splits a validation message of the API into field errors. The server words
 * them "<file>: document <n>: <Kind>/<name>: <path>: <detail>; <path>: <detail>"
 * (api/v1alpha1 DocumentError). Returns [{field, detail}]; field is "" for a
 * problem with the whole document (a YAML syntax error, say).
 */
export function fieldErrors(message) {
  let rest = String(message || "");
  const doc = rest.match(/^.*?document \d+: /);
  if (!doc) {
    const m = rest.match(FIELD_PATH);
    if (m) return [{ field: m[1], detail: m[2] }];
    return rest ? [{ field: "", detail: rest }] : [];
  }
  rest = rest.slice(doc[0].length);
  rest = rest.replace(/^(?:Endpoint|APIKey)(?:\/(?:"(?:[^"\\]|\\.)*"|\S+?))?: /, "");
  return rest.split(NEXT_FIELD).map((part) => {
    const m = part.match(FIELD_PATH);
    return m ? { field: m[1], detail: m[2] } : { field: "", detail: part };
  });
}

let askToken = null; // set by the page: (message) => Promise<string|null>
let pendingPrompt = null;

/** Sets the function that asks the user for the admin token. */
export function setTokenPrompt(fn) {
  askToken = fn;
}

/** Reports whether a token is kept for this tab. */
export function hasToken() {
  return !!sessionStorage.getItem(TOKEN_KEY);
}

/** Forgets the token kept for this tab. */
export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// One prompt at a time: requests refused while it is open wait for its answer.
function promptOnce(message) {
  if (!pendingPrompt) {
    pendingPrompt = Promise.resolve(askToken ? askToken(message) : null).finally(() => {
      pendingPrompt = null;
    });
  }
  return pendingPrompt;
}

/**
 * Calls the management API. opts: body (sent as JSON), yaml (a manifest text,
 * sent as YAML), query (an object of query parameters). Resolves with the
 * decoded JSON answer; rejects with an APIError (or a TypeError when the
 * network fails).
 */
export async function api(method, path, opts = {}) {
  let url = PREFIX + path;
  if (opts.query) {
    const q = new URLSearchParams(opts.query).toString();
    if (q) url += "?" + q;
  }
  for (let attempt = 0; ; attempt++) {
    const headers = { Accept: "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = "Bearer " + token;
    let body;
    if (opts.yaml !== undefined) {
      headers["Content-Type"] = "application/yaml";
      body = opts.yaml;
    } else if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    const resp = await fetch(url, { method, headers, body, cache: "no-store", credentials: "same-origin", redirect: "error" });
    let data = null;
    const text = await resp.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (resp.ok) return data;
    const err = (data && data.error) || {};
    const message = err.message || `${resp.status} ${resp.statusText}`;
    if (resp.status === 401 && askToken && attempt < 5) {
      const sentToken = token;
      const again = await promptOnce(sentToken ? "That token was not accepted. Check GATEWAY_ADMIN_TOKEN and try again." : "");
      if (again) {
        sessionStorage.setItem(TOKEN_KEY, again);
        continue;
      }
      // The prompt was dismissed; a token another request got meanwhile is tried once more.
      if (sessionStorage.getItem(TOKEN_KEY) && sessionStorage.getItem(TOKEN_KEY) !== sentToken) continue;
    }
    throw new APIError(resp.status, err.code || "", message, err.fields);
  }
}

/** Encodes a resource name for a path segment. */
export function seg(name) {
  return encodeURIComponent(name);
}
