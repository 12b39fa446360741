// API tokens: list, create with scopes (the raw token is shown once), revoke.

import { h, replace, noticeArea, secretBox, confirmButton, table, fmtDateTime, fmtAgo } from "../../dom.js";
import { get, post, del } from "../../api.js";

export const SCOPES = [
  ["monitoring:read", "Read monitoring data (state, charts, history)"],
  ["monitoring:write", "Change monitoring data"],
  ["host-agent:report", "Send host agent reports"],
  ["host-agent:manage", "Manage host agents"],
  ["docker:report", "Send Docker reports"],
  ["docker:manage", "Manage Docker hosts"],
  ["kubernetes:report", "Send Kubernetes reports"],
  ["kubernetes:manage", "Manage Kubernetes clusters"],
  ["settings:read", "Read settings, audit log and reports"],
  ["settings:write", "Change settings and tokens"],
];

export async function render(panel) {
  const notice = noticeArea();
  const list = h("div", { id: "token-list" }, h("p", { class: "loading" }, "Loading tokens…"));
  const created = h("div", { id: "token-created" });

  async function load() {
    try {
      const { tokens = [] } = await get("/api/security/tokens");
      replace(list, table([
        { label: "Name", cell: (t) => t.name },
        { label: "Token", cell: (t) => h("code", {}, `${t.prefix}…${t.suffix}`) },
        { label: "Scopes", cell: (t) => (t.scopes || ["*"]).map((scope) => h("span", { class: "chip" }, scope === "*" ? "full access" : scope)) },
        { label: "Created", cell: (t) => fmtDateTime(t.createdAt), className: "hide-sm" },
        { label: "Last used", cell: (t) => (t.lastUsedAt ? fmtAgo(t.lastUsedAt) : "never"), className: "hide-sm" },
        { label: "", cell: (t) => confirmButton("Revoke", "Revoke now", async () => {
          try {
            await del(`/api/security/tokens/${encodeURIComponent(t.id)}`);
            notice.show("ok", `Token "${t.name}" revoked. Anything using it is refused from now on.`);
            await load();
          } catch (error) {
            notice.show("error", `Could not revoke "${t.name}": ${error.message}`);
          }
        }) },
      ], tokens, { empty: "No API tokens.", rowProps: (t) => ({ dataset: { tokenId: t.id } }) }));
    } catch (error) {
      replace(list, h("div", { class: "notice error", role: "alert" }, `Could not load the tokens: ${error.message}`));
    }
  }

  const name = h("input", { type: "text", id: "token-name", name: "name", maxlength: "128", placeholder: "e.g. grafana, backup-script" });
  const full = h("input", { type: "radio", name: "access", value: "full", checked: true });
  const limited = h("input", { type: "radio", name: "access", value: "limited", id: "token-limited" });
  const boxes = SCOPES.map(([scope, label]) => h("label", { class: "check" },
    h("input", { type: "checkbox", name: "scope", value: scope, disabled: true }), h("span", {}, h("code", {}, scope), h("span", { class: "sub muted small" }, label))));
  const syncBoxes = () => boxes.forEach((box) => { box.querySelector("input").disabled = !limited.checked; });
  full.addEventListener("change", syncBoxes);
  limited.addEventListener("change", syncBoxes);
  const formNotice = noticeArea();
  const form = h("form", { class: "stack", id: "token-form" },
    h("label", {}, "Name", name),
    h("fieldset", {}, h("legend", {}, "Access"),
      h("label", { class: "check" }, full, "Full access (every scope)"),
      h("label", { class: "check" }, limited, "Only these scopes:"),
      h("div", { class: "checks" }, boxes)),
    formNotice,
    h("div", {}, h("button", { type: "submit", class: "primary" }, "Create token")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim() || undefined };
    if (limited.checked) {
      body.scopes = boxes.map((box) => box.querySelector("input")).filter((input) => input.checked).map((input) => input.value);
      if (!body.scopes.length) { formNotice.show("error", "Tick at least one scope, or choose full access."); return; }
    }
    try {
      const result = await post("/api/security/tokens", body);
      formNotice.clear();
      replace(created, h("div", { class: "notice ok", role: "status" },
        h("p", {}, h("strong", {}, `Token "${result.record.name}" created. `), "Copy it now: it is shown only once."),
        secretBox(result.token, { id: "new-token-value" })));
      form.reset();
      syncBoxes();
      await load();
    } catch (error) {
      formNotice.show("error", error.message);
    }
  });

  panel.append(notice, created,
    h("section", { class: "card" }, h("h2", {}, "API tokens"),
      h("p", { class: "muted" }, "Tokens let scripts and agents use the API. The hub keeps only a hash of each."), list),
    h("section", { class: "card" }, h("h2", {}, "Create a token"), form));
  await load();
}
