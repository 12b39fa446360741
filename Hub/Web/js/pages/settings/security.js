// Security: the hub's posture from /api/security/status, changing the password, and clearing a login lockout.

import { h, replace, noticeArea, badge } from "../../dom.js";
import { get, post } from "../../api.js";

function statusRows(status) {
  const yes = (ok, text, kind = "ok") => badge(text, ok ? kind : "warn");
  return [
    ["Signed in as", status.authUsername || status.proxyAuthUsername || "—"],
    ["Authentication", yes(status.hasAuthentication, status.hasAuthentication ? "configured" : "not configured")],
    ["HTTPS", status.hasHTTPS ? badge("on", "ok") : badge(status.isPrivateNetwork ? "off (private network)" : "off", status.isPrivateNetwork ? "neutral" : "crit")],
    ["Audit log", yes(status.hasAuditLogging, status.hasAuditLogging ? "signed, on" : "off")],
    ["Credentials at rest", yes(status.credentialsEncrypted, status.credentialsEncrypted ? "encrypted / hashed" : "plain")],
    ["API tokens", status.apiTokenConfigured ? `configured${status.apiTokenHint ? ` (newest ${status.apiTokenHint})` : ""}` : "none"],
    ["Proxy authentication", status.hasProxyAuth ? badge("on", "ok") : badge("off", "neutral")],
    ["Single sign-on (OIDC)", status.oidcEnabled ? badge("on", "ok") : badge("off", "neutral")],
    ["Your address", `${status.clientIP || "?"}${status.isTrustedNetwork ? " (trusted network)" : status.isPrivateNetwork ? " (private network)" : " (public)"}`],
    ["Agents connect to", status.agentUrl || "—"],
  ];
}

export async function render(panel) {
  const notice = noticeArea();
  const posture = h("div", { id: "security-status" }, h("p", { class: "loading" }, "Loading…"));
  try {
    const status = await get("/api/security/status");
    replace(posture, h("dl", { class: "facts" }, statusRows(status).map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)])),
      status.deprecatedDisableAuth ? h("div", { class: "notice warn" }, "DISABLE_AUTH is set on the hub; it is ignored (authentication stays on). Remove it.") : null);
  } catch (error) {
    replace(posture, h("div", { class: "notice error", role: "alert" }, `Could not load the security status: ${error.message}`));
  }

  const current = h("input", { type: "password", id: "password-current", autocomplete: "current-password", required: true });
  const fresh = h("input", { type: "password", id: "password-new", autocomplete: "new-password", required: true });
  const again = h("input", { type: "password", id: "password-again", autocomplete: "new-password", required: true });
  const passwordNotice = noticeArea();
  const passwordForm = h("form", { class: "stack", id: "password-form" },
    h("label", {}, "Current password", current), h("label", {}, "New password (at least 12 characters)", fresh),
    h("label", {}, "Repeat the new password", again), passwordNotice,
    h("div", {}, h("button", { type: "submit", class: "primary" }, "Change password")));
  passwordForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (fresh.value.length < 12) { passwordNotice.show("error", "The new password needs at least 12 characters."); return; }
    if (fresh.value !== again.value) { passwordNotice.show("error", "The two new passwords differ."); return; }
    try {
      const answer = await post("/api/security/change-password", { currentPassword: current.value, newPassword: fresh.value });
      passwordForm.reset();
      passwordNotice.show("ok", answer.message || "Password changed.");
    } catch (error) {
      passwordNotice.show("error", error.code === "invalid_credentials" ? "The current password is wrong." : error.message);
    }
  });

  const identifier = h("input", { type: "text", id: "lockout-identifier", placeholder: "a username or an IP address", required: true });
  const lockoutNotice = noticeArea();
  const lockoutForm = h("form", { class: "stack", id: "lockout-form" },
    h("label", {}, "Username or address", identifier), lockoutNotice,
    h("div", {}, h("button", { type: "submit" }, "Clear lockout")));
  lockoutForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const answer = await post("/api/security/reset-lockout", { identifier: identifier.value.trim() });
      lockoutNotice.show("ok", answer.message || "Lockout cleared.");
    } catch (error) {
      lockoutNotice.show("error", error.message);
    }
  });

  panel.append(notice, h("section", { class: "card" }, h("h2", {}, "Security status"), posture),
    h("div", { class: "grid" },
      h("section", { class: "card" }, h("h2", {}, "Change your password"),
        h("p", { class: "muted small" }, "Your other sessions are signed out."), passwordForm),
      h("section", { class: "card" }, h("h2", {}, "Clear a login lockout"),
        h("p", { class: "muted small" }, "After 5 failed sign-ins a username is locked for 15 minutes from that address."), lockoutForm)));
}
