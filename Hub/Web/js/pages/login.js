// Sign in with the administrator's username and password (POST /api/login sets the session and CSRF cookies).

import { h, noticeArea } from "../dom.js";
import { post, resetSessionState } from "../api.js";

export async function render(main, app) {
  const status = app.status || (await app.refreshStatus());
  if (status.setupRequired) { app.navigate("/setup", { replace: true }); return; }
  const next = app.query.get("next") || "/";
  const notice = noticeArea();
  const username = h("input", { type: "text", id: "login-username", name: "username", autocomplete: "username", required: true });
  const password = h("input", { type: "password", id: "login-password", name: "password", autocomplete: "current-password", required: true });
  const remember = h("input", { type: "checkbox", id: "login-remember", name: "rememberMe" });
  const submit = h("button", { type: "submit", class: "primary", id: "login-submit" }, "Sign in");
  const form = h("form", { class: "stack", id: "login-form" },
    h("label", {}, "Username", username),
    h("label", {}, "Password", password),
    h("label", { class: "check" }, remember, "Keep me signed in for 30 days"),
    notice,
    h("div", {}, submit));
  if (app.query.get("expired")) notice.show("warn", "Your session has ended. Sign in again to continue.");
  if (status.hideLocalLogin) notice.show("warn", "Password sign-in is turned off on this hub; use your organisation's sign-in.");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!username.value.trim() || !password.value) { notice.show("error", "Enter your username and password."); return; }
    submit.disabled = true;
    notice.show("", "Signing in…");
    resetSessionState();
    try {
      await post("/api/login", { username: username.value.trim(), password: password.value, rememberMe: remember.checked },
        { quietAuth: true });
      app.status = null;
      app.signedIn(username.value.trim(), next);
    } catch (error) {
      submit.disabled = false;
      notice.show("error", error.message);
      password.select();
    }
  });
  main.append(h("section", { class: "card narrow" }, h("h1", {}, "Sign in to Pulse"), form));
  username.focus();
}
