// A small YAML emitter for the YAML view of a resource: block style, keys in
// the order given, strings quoted (as JSON, which YAML reads as a
// double-quoted scalar) unless they are plainly safe. Parsing is the server's
// job: edited YAML goes to the API as is, so the page and gatewayctl share one
// decoder, strict field checks included.

const RESERVED = /^(?:true|false|yes|no|on|off|y|n|null|~|\.inf|\.nan)$/i;
const PLAIN_WORD = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const URL_LIKE = /^https?:\/\/[A-Za-z0-9._~\-/?=&%+:@]*$/;

function scalar(v) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  const s = String(v);
  if (s !== "" && !RESERVED.test(s) && (PLAIN_WORD.test(s) || DURATION.test(s) || (URL_LIKE.test(s) && !s.includes(": ")))) {
    return s;
  }
  return JSON.stringify(s);
}

function isEmpty(v) {
  return (Array.isArray(v) && v.length === 0) || (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0);
}

function inline(v) {
  if (Array.isArray(v)) return "[]";
  if (v && typeof v === "object") return "{}";
  return scalar(v);
}

function simple(v) {
  return v === null || typeof v !== "object" || isEmpty(v);
}

function block(v, ind) {
  const out = [];
  if (Array.isArray(v)) {
    for (const item of v) {
      if (simple(item)) {
        out.push(`${ind}- ${inline(item)}`);
        continue;
      }
      const sub = block(item, ind + "  ");
      sub[0] = `${ind}- ${sub[0].slice(ind.length + 2)}`;
      out.push(...sub);
    }
    return out;
  }
  for (const [k, val] of Object.entries(v)) {
    if (val === undefined || val === null) continue;
    const key = scalar(k);
    if (simple(val)) out.push(`${ind}${key}: ${inline(val)}`);
    else if (Array.isArray(val)) out.push(`${ind}${key}:`, ...block(val, ind));
    else out.push(`${ind}${key}:`, ...block(val, ind + "  "));
  }
  return out;
}

/** Renders a JSON-compatible value as a YAML document. */
export function toYAML(value) {
  if (simple(value)) return inline(value) + "\n";
  return block(value, "").join("\n") + "\n";
}

/**
 * The editable form of a resource: apiVersion, kind, metadata (without the
 * server's generation; resourceVersion stays, for optimistic concurrency) and
 * spec. Status is the server's and is left out.
 */
export function editable(obj) {
  const meta = { ...(obj.metadata || {}) };
  delete meta.generation;
  return { apiVersion: obj.apiVersion || "gateway/v1alpha1", kind: obj.kind, metadata: meta, spec: obj.spec || {} };
}
