// Audit webhooks: the URLs every audit event is POSTed to (signed), and the delivery history.

import { h, replace, noticeArea, table, badge, fmtDateTime } from "../../dom.js";
import { get, post } from "../../api.js";

export async function render(panel) {
  const notice = noticeArea();
  const urls = h("textarea", { id: "webhook-urls", spellcheck: "false", class: "mono", placeholder: "https://siem.example.com/pulse-audit" });
  const form = h("form", { class: "stack", id: "webhook-form" },
    h("label", {}, "Webhook URLs (one per line, at most 10)", urls),
    h("p", { class: "muted small" }, "Each event is sent as JSON with an ", h("code", {}, "X-Pulse-Signature"),
      " header (HMAC-SHA256 under the audit key). Addresses in private networks are refused unless the hub allows them (PULSE_WEBHOOK_ALLOWED_PRIVATE_CIDRS)."),
    notice, h("div", {}, h("button", { type: "submit", class: "primary" }, "Save webhooks")));
  const deliveries = h("div", { id: "webhook-deliveries" }, h("p", { class: "loading" }, "Loading deliveries…"));

  async function loadURLs() {
    try {
      const answer = await get("/api/admin/webhooks/audit");
      urls.value = (answer.urls || []).join("\n");
    } catch (error) {
      notice.show("error", `Could not load the webhooks: ${error.message}`);
    }
  }

  async function loadDeliveries() {
    try {
      const answer = await get("/api/admin/webhooks/audit/deliveries", { limit: 50 });
      const list = answer.deliveries || [];
      replace(deliveries,
        h("p", { class: "muted" }, `${answer.pending || 0} waiting to be delivered.`),
        table([
          { label: "Queued", cell: (d) => fmtDateTime(d.createdAt) },
          { label: "Event", cell: (d) => h("code", {}, d.event || d.eventId) },
          { label: "URL", cell: (d) => h("span", { class: "mono small" }, d.url) },
          { label: "Status", cell: (d) => badge(d.status, d.status === "delivered" ? "ok" : d.status === "failed" ? "crit" : "warn") },
          { label: "Attempts", cell: (d) => String(d.attempts ?? 0), num: true },
          { label: "Last answer", cell: (d) => d.lastError || (d.lastStatus ? `HTTP ${d.lastStatus}` : "—"), className: "hide-sm" },
          { label: "Next try", cell: (d) => (d.nextAttemptAt ? fmtDateTime(d.nextAttemptAt) : "—"), className: "hide-sm" },
        ], list, { empty: "No deliveries yet." }));
    } catch (error) {
      replace(deliveries, h("div", { class: "notice error", role: "alert" }, `Could not load the deliveries: ${error.message}`));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const list = urls.value.split("\n").map((line) => line.trim()).filter(Boolean);
    try {
      await post("/api/admin/webhooks/audit", { urls: list });
      notice.show("ok", list.length ? `Saved ${list.length} webhook URL${list.length === 1 ? "" : "s"}.` : "Saved: no webhooks, nothing is sent.");
      await loadURLs();
      await loadDeliveries();
    } catch (error) {
      notice.show("error", error.message);
    }
  });

  panel.append(h("section", { class: "card" }, h("h2", {}, "Audit webhooks"), form),
    h("section", { class: "card" }, h("h2", {}, "Recent deliveries"), deliveries));
  await Promise.all([loadURLs(), loadDeliveries()]);
}
