// The page's copy of the gateway's state: Endpoints, APIKeys (never a
// credential: the API does not return one), the provider catalog and the
// controller's status. Refreshed every few seconds while the tab is visible,
// and right after each write, so Ready conditions follow the controller.

import { api } from "./api.js";

export const POLL_MS = 4000;

export const store = {
  endpoints: null, // [] once loaded
  apikeys: null,
  providers: null,
  fileErrors: [],
  updated: null, // Date of the last good refresh
  error: null, // the last refresh's error, or null
  listeners: new Set(),
  inflight: null,

  /** Calls fn after each refresh; returns the function that unsubscribes. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  },

  notify() {
    for (const fn of [...this.listeners]) {
      try {
        fn(this);
      } catch (e) {
        console.error(e); // eslint-disable-line no-console
      }
    }
  },

  /** Reloads everything; concurrent calls share one round of requests. */
  refresh() {
    if (!this.inflight) {
      this.inflight = this.load().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  },

  async load() {
    try {
      const [eps, keys, status, provs] = await Promise.all([
        api("GET", "/endpoints"),
        api("GET", "/apikeys"),
        api("GET", "/status"),
        this.providers ? null : api("GET", "/providers"),
      ]);
      this.endpoints = byName(eps.items);
      this.apikeys = byName(keys.items);
      this.fileErrors = status.fileErrors || [];
      if (provs) this.providers = provs.providers || [];
      this.updated = new Date();
      this.error = null;
    } catch (e) {
      this.error = e;
    }
    this.notify();
  },

  endpoint(name) {
    return (this.endpoints || []).find((e) => e.metadata.name === name) || null;
  },

  apikey(name) {
    return (this.apikeys || []).find((k) => k.metadata.name === name) || null;
  },

  provider(id) {
    return (this.providers || []).find((p) => p.id === id) || null;
  },

  /** The provider id an APIKey names, or "" when there is no such APIKey. */
  providerOfKey(name) {
    const k = this.apikey(name);
    return k ? k.spec.provider : "";
  },

  /** Starts polling; returns the function that stops it. */
  poll() {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") this.refresh();
    }, POLL_MS);
    const onVisible = () => document.visibilityState === "visible" && this.refresh();
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  },
};

function byName(items) {
  return [...(items || [])].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/**
 * The effective weight of each target, as the controller computes it
 * (controller.EffectiveWeights): a target without a weight gets the mean of
 * the weights given (at least 1), or 1 when none is given.
 */
export function effectiveWeights(targets) {
  let set = 0;
  let sum = 0;
  for (const t of targets) {
    const w = weightOf(t);
    if (w !== null) {
      set += 1;
      sum += w;
    }
  }
  const def = set > 0 ? Math.max(Math.trunc(sum / set), 1) : 1;
  return targets.map((t) => {
    const w = weightOf(t);
    return w === null ? def : w;
  });
}

function weightOf(t) {
  if (t.weight === undefined || t.weight === null || t.weight === "") return null;
  const n = Number(t.weight);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** Each target's share of traffic in percent, two decimals (as the API's diff shows). */
export function sharesOf(targets) {
  const w = effectiveWeights(targets);
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((x) => (sum > 0 ? Math.round((x * 10000) / sum) / 100 : 0));
}
