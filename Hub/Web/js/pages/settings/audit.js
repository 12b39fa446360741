// The audit log: filters, pages of events, and a signature/chain verification badge on each event.

import { h, replace, noticeArea, table, badge, fmtDateTime, mapLimit } from "../../dom.js";
import { get } from "../../api.js";

const EVENTS = ["login", "logout", "lockout", "password_change", "lockout_reset", "csrf_failure", "token_created",
  "token_revoked", "token_regenerated", "setup", "credentials_reset", "bootstrap_token_invalid", "recovery_token_created",
  "recovery_mode_enabled", "recovery_mode_disabled", "host_deleted", "host_uninstalled", "host_unlinked",
  "host_config_updated", "profile_created", "profile_updated", "profile_deleted", "profile_assigned", "profile_unassigned",
  "audit_webhooks_updated"];

function toRFC3339(localValue) {
  if (!localValue) return undefined;
  const date = new Date(localValue);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export async function render(panel) {
  const notice = noticeArea();
  const event = h("input", { type: "text", id: "audit-event", list: "audit-events", placeholder: "any" });
  const user = h("input", { type: "text", id: "audit-user", placeholder: "any" });
  const outcome = h("select", { id: "audit-outcome" },
    h("option", { value: "" }, "Any"), h("option", { value: "true" }, "Succeeded"), h("option", { value: "false" }, "Failed"));
  const from = h("input", { type: "datetime-local", id: "audit-from" });
  const to = h("input", { type: "datetime-local", id: "audit-to" });
  const limit = h("select", { id: "audit-limit" }, [25, 50, 100].map((n) => h("option", { value: String(n), selected: n === 50 }, String(n))));
  const results = h("div", { id: "audit-results" }, h("p", { class: "loading" }, "Loading events…"));
  const pager = h("div", { class: "row", id: "audit-pager" });
  let offset = 0;

  const form = h("form", { class: "stack", id: "audit-filters" },
    h("datalist", { id: "audit-events" }, EVENTS.map((name) => h("option", { value: name }))),
    h("div", { class: "row" },
      h("label", {}, "Event", event), h("label", {}, "User", user), h("label", {}, "Outcome", outcome)),
    h("div", { class: "row" },
      h("label", {}, "From", from), h("label", {}, "To", to), h("label", {}, "Per page", limit)),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Apply filters"),
      h("button", { type: "reset" }, "Clear")));
  form.addEventListener("submit", (e) => { e.preventDefault(); offset = 0; load(); });
  form.addEventListener("reset", () => { setTimeout(() => { offset = 0; load(); }, 0); });

  function verification(cell, id) {
    return get(`/api/audit/${encodeURIComponent(id)}/verify`).then((result) => {
      const verified = result.available !== false && result.verified === true;
      replace(cell, badge(verified ? "verified" : result.available === false ? "unavailable" : "tampered",
        verified ? "ok" : result.available === false ? "neutral" : "crit", result.message));
      cell.dataset.verified = String(verified);
    }).catch((error) => {
      replace(cell, badge("not checked", "warn", error.message));
      cell.dataset.verified = "error";
    });
  }

  async function load() {
    const size = Number(limit.value);
    const query = { event: event.value.trim(), user: user.value.trim(), success: outcome.value,
      startTime: toRFC3339(from.value), endTime: toRFC3339(to.value), limit: size, offset };
    let answer;
    try {
      answer = await get("/api/audit", query);
      notice.clear();
    } catch (error) {
      replace(results);
      replace(pager);
      notice.show("error", `Could not load the audit log: ${error.message}`);
      return;
    }
    const events = answer.events || [];
    const cells = new Map();
    replace(results, table([
      { label: "Time", cell: (e) => fmtDateTime(e.timestamp) },
      { label: "Event", cell: (e) => h("code", {}, e.event) },
      { label: "User", cell: (e) => e.user || "—" },
      { label: "Address", cell: (e) => e.ip || "—", className: "hide-sm" },
      { label: "Outcome", cell: (e) => (e.success ? badge("ok", "ok") : badge("failed", "crit")) },
      { label: "Details", cell: (e) => [e.details || "", e.path ? h("span", { class: "sub" }, e.path) : null] },
      { label: "Signature", cell: (e) => {
        const cell = h("span", { class: "verify", dataset: { eventId: e.id } }, badge("checking…", "neutral"));
        cells.set(e.id, cell);
        return cell;
      } },
    ], events, { empty: "No events match these filters.", rowProps: (e) => ({ dataset: { eventId: e.id } }) }));
    const total = Number(answer.total) || 0;
    replace(pager,
      h("span", { class: "muted" }, total ? `${offset + 1}–${offset + events.length} of ${total}` : "0 events"),
      h("button", { type: "button", disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - size); load(); } }, "Newer"),
      h("button", { type: "button", disabled: offset + events.length >= total, onclick: () => { offset += size; load(); } }, "Older"));
    await mapLimit(events, 4, (e) => verification(cells.get(e.id), e.id));
  }

  panel.append(h("section", { class: "card" }, h("h2", {}, "Audit log"),
    h("p", { class: "muted" }, "Every security-relevant action, signed and hash-chained by the hub. A badge shows whether the event's signature and its link to the previous event verify."),
    form), notice, h("section", { class: "card" }, results, pager));
  await load();
}
