// Small DOM helpers and formatters. Elements are built with h(), never from HTML strings, so data from the hub can
// never become markup, and no inline style is ever written (the page's CSP forbids it; widths go through CSSOM).

const SVG_NS = "http://www.w3.org/2000/svg";

function build(element, props, children) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    else if (key === "text") element.textContent = String(value);
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value);
    else if (key === "value" && "value" in element) element.value = value;
    else if (key === "checked" || key === "disabled" || key === "selected") element[key] = Boolean(value);
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h("a", {href: "/x", class: "y"}, "text", otherNode). */
export function h(tag, props, ...children) {
  return build(document.createElement(tag), props, children);
}

/** An SVG element. */
export function s(tag, props, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

/** Replaces an element's children. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

// Formatting

export function isNumber(value) {
  return typeof value === "number" && Number.isFinite(value);
}

export function fmtPercent(value, digits = 1) {
  return isNumber(value) ? `${value.toFixed(digits)}%` : "—";
}

export function fmtNumber(value, digits = 1) {
  if (!isNumber(value)) return "—";
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

export function fmtBytes(value, digits = 1) {
  if (!isNumber(value)) return "—";
  let unit = 0;
  let amount = Math.abs(value);
  while (amount >= 1024 && unit < BYTE_UNITS.length - 1) { amount /= 1024; unit += 1; }
  const sign = value < 0 ? "-" : "";
  return `${sign}${unit === 0 ? amount.toFixed(0) : amount.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

export function fmtRate(value) {
  return isNumber(value) ? `${fmtBytes(value)}/s` : "—";
}

export function fmtTemp(value) {
  return isNumber(value) ? `${value.toFixed(1)} °C` : "—";
}

export function fmtDuration(seconds) {
  if (!isNumber(seconds) || seconds < 0) return "—";
  const d = Math.floor(seconds / 86400);
  const hr = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d}d ${hr}h`;
  if (hr > 0) return `${hr}h ${m}m`;
  if (m > 0) return `${m}m`;
  return `${Math.floor(seconds)}s`;
}

/** A time (unix ms, RFC 3339 text, or Date) as "12 s ago". */
export function fmtAgo(time, now = Date.now()) {
  const ms = toMillis(time);
  if (ms === null) return "never";
  const seconds = Math.round((now - ms) / 1000);
  if (seconds < 0) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

export function toMillis(time) {
  if (time === undefined || time === null || time === "") return null;
  if (time instanceof Date) return time.getTime();
  if (isNumber(time)) return time < 1e11 ? time * 1000 : time; // seconds or milliseconds
  const parsed = Date.parse(time);
  return Number.isNaN(parsed) ? null : parsed;
}

export function fmtDateTime(time) {
  const ms = toMillis(time);
  if (ms === null) return "—";
  const date = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

// Components

/** A usage meter: bar plus value; warn from 75 %, critical from 90 %. */
export function meter(percent, label) {
  const known = isNumber(percent);
  const clamped = known ? Math.max(0, Math.min(100, percent)) : 0;
  const level = !known ? "" : percent >= 90 ? "crit" : percent >= 75 ? "warn" : "";
  const fill = h("span");
  fill.style.setProperty("width", `${clamped}%`);
  return h("div", { class: "meter", title: label ? `${label}: ${fmtPercent(percent)}` : undefined },
    h("div", { class: ["bar", level], role: "meter", "aria-valuemin": "0", "aria-valuemax": "100",
      "aria-valuenow": known ? percent.toFixed(1) : undefined, "aria-label": label || "usage" }, fill),
    h("span", { class: "value" }, fmtPercent(percent)));
}

export function badge(text, kind = "neutral", title) {
  return h("span", { class: ["badge", kind], title }, text);
}

export function statusBadge(status) {
  const value = String(status || "unknown").toLowerCase();
  const kind = value === "online" || value === "running" || value === "healthy" || value === "ready" ? "ok"
    : value === "offline" || value === "exited" || value === "dead" || value === "unhealthy" || value === "failed" ? "crit"
      : value === "unknown" || value === "none" ? "neutral" : "warn";
  return badge(value, kind);
}

/** A region that shows one message at a time (role=status or alert for errors). */
export function noticeArea() {
  const area = h("div", { class: "notice", role: "status", "aria-live": "polite" });
  area.show = (kind, message) => {
    area.className = `notice ${kind || ""}`;
    area.setAttribute("role", kind === "error" ? "alert" : "status");
    replace(area, message || "");
  };
  area.clear = () => { area.className = "notice"; replace(area); };
  return area;
}

/** Copies text to the clipboard; falls back to selecting it in a hidden field. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (_) { /* fall through to the selection fallback */ }
  const field = h("textarea", { readonly: true, class: "sr-copy", "aria-hidden": "true" });
  field.value = text;
  document.body.append(field);
  field.select();
  let done = false;
  try { done = document.execCommand("copy"); } catch (_) { done = false; }
  field.remove();
  return done;
}

/** A read-only value with a Copy button (tokens, install commands). */
export function secretBox(value, { id, label = "Copy", multiline = false } = {}) {
  const code = h(multiline ? "pre" : "code", { id, tabindex: "0" }, value);
  const button = h("button", { type: "button", class: "copy", "aria-label": `${label} to clipboard` }, label);
  button.addEventListener("click", async () => {
    const ok = await copyText(value);
    button.textContent = ok ? "Copied" : "Select and copy";
    if (!ok) {
      const range = document.createRange();
      range.selectNodeContents(code);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
  return h("div", { class: "secret" }, code, button);
}

/** A button that asks again before doing something destructive (no modal dialogs). */
export function confirmButton(label, confirmLabel, action) {
  const wrap = h("span", { class: "confirm" });
  const start = h("button", { type: "button", class: "danger small" }, label);
  const reset = () => replace(wrap, start);
  start.addEventListener("click", () => {
    const yes = h("button", { type: "button", class: "danger small" }, confirmLabel);
    const no = h("button", { type: "button", class: "small" }, "Cancel");
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      no.disabled = true;
      try { await action(); } finally { if (wrap.isConnected) reset(); }
    });
    no.addEventListener("click", () => { reset(); start.focus(); });
    replace(wrap, yes, " ", no);
    yes.focus();
  });
  reset();
  return wrap;
}

/** A table from column definitions: {label, cell(row) -> node|string, num?, className?}. */
export function table(columns, rows, { empty = "Nothing to show.", rowProps } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h("div", { class: "table-wrap" },
    h("table", {},
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: [c.num && "num", c.className], scope: "col" }, c.label)))),
      h("tbody", {}, rows.map((row) => h("tr", rowProps ? rowProps(row) : {},
        columns.map((c) => h("td", { class: [c.num && "num", c.className] }, c.cell(row))))))));
}

/** Runs async jobs with at most `limit` at once. */
export async function mapLimit(items, limit, job) {
  const results = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const index = next++;
      results[index] = await job(items[index], index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
