// First run: the bootstrap token, then the administrator (quick-setup), then a freshly minted agent token in the
// install one-liner.

import { h, replace, noticeArea, secretBox } from "../dom.js";
import { post, ApiError } from "../api.js";

export async function render(main, app) {
  const status = app.status || (await app.refreshStatus());
  if (!status.setupRequired) {
    main.append(h("div", { class: "card narrow" },
      h("h1", {}, "Setup is complete"),
      h("p", {}, "This hub already has an administrator. ", h("a", { href: "/login" }, "Sign in"), " instead.")));
    return;
  }
  const card = h("section", { class: "card narrow", id: "setup" });
  main.append(card);
  stepToken(card, app, status);
}

function stepToken(card, app, status) {
  const notice = noticeArea();
  const input = h("input", { type: "password", id: "setup-token", name: "setupToken", autocomplete: "off", required: true,
    spellcheck: "false", "aria-describedby": "setup-token-help" });
  const form = h("form", { class: "stack", id: "setup-token-form" },
    h("label", {}, "Bootstrap token", input),
    h("p", { class: "muted small", id: "setup-token-help" },
      "The hub printed it in its log when it started and stored it in ",
      h("code", {}, status.bootstrapTokenPath || "<data directory>/.bootstrap_token"),
      ". Running ", h("code", {}, "pulse-hub bootstrap-token"), " on the hub prints it again."),
    notice,
    h("div", {}, h("button", { type: "submit", class: "primary" }, "Continue")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) { notice.show("error", "Paste the bootstrap token first."); return; }
    notice.show("", "Checking the token…");
    try {
      await post("/api/security/validate-bootstrap-token", undefined, { headers: { "X-Setup-Token": token }, quietAuth: true });
      stepAdmin(card, app, token);
    } catch (error) {
      notice.show("error", error.status === 401
        ? "That is not this hub's bootstrap token. Copy it again from the hub's log or the file named below."
        : error.status === 409 ? "Setup was completed meanwhile. Sign in instead." : error.message);
    }
  });
  replace(card, h("h1", {}, "Welcome to Pulse"),
    h("p", {}, "Set up this hub: first prove you run it, then create the administrator account."), form);
  input.focus();
}

function stepAdmin(card, app, setupToken) {
  const notice = noticeArea();
  const username = h("input", { type: "text", id: "setup-username", name: "username", value: "admin", autocomplete: "username", required: true });
  const password = h("input", { type: "password", id: "setup-password", name: "password", autocomplete: "new-password", required: true });
  const confirm = h("input", { type: "password", id: "setup-confirm", name: "confirm", autocomplete: "new-password", required: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Create administrator");
  const form = h("form", { class: "stack", id: "setup-admin-form" },
    h("label", {}, "Username", username),
    h("label", {}, "Password (at least 12 characters)", password),
    h("label", {}, "Repeat the password", confirm),
    notice, h("div", {}, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (password.value.length < 12) { notice.show("error", "The password needs at least 12 characters."); password.focus(); return; }
    if (password.value !== confirm.value) { notice.show("error", "The two passwords differ."); confirm.focus(); return; }
    submit.disabled = true;
    notice.show("", "Creating the administrator…");
    try {
      const created = await post("/api/security/quick-setup", { username: username.value.trim(), password: password.value },
        { headers: { "X-Setup-Token": setupToken }, quietAuth: true });
      await post("/api/login", { username: username.value.trim(), password: password.value }, { quietAuth: true });
      app.user = created.username || username.value.trim();
      app.status = null;
      let install = null;
      let installError = null;
      try {
        install = await post("/api/agent-install-command", { name: `Agent install (first run)` });
      } catch (error) {
        installError = error;
      }
      stepDone(card, app, created, install, installError);
    } catch (error) {
      submit.disabled = false;
      notice.show("error", error instanceof ApiError ? error.message : "Setup failed. Try again.");
    }
  });
  replace(card, h("h1", {}, "Create the administrator"),
    h("p", {}, "This account signs in to the dashboard. The password is stored hashed (bcrypt) on the hub."), form);
  password.focus();
}

function stepDone(card, app, created, install, installError) {
  const parts = [
    h("h1", {}, "Pulse is ready"),
    h("div", { class: "notice ok", role: "status" }, `Administrator "${created.username}" created. You are signed in.`),
    h("h2", {}, "Install the agent on a machine to monitor"),
    h("p", {}, "Run this as root on each machine. It carries an agent token that can only send reports (scope ",
      h("code", {}, "host-agent:report"), "); you can revoke it under Settings → API tokens."),
  ];
  if (install) {
    parts.push(secretBox(install.command, { id: "install-command", multiline: true }),
      h("p", { class: "muted small" }, "Token id ", h("code", { id: "install-token-id" }, install.tokenId),
        ". More install commands (with Docker or Kubernetes) are under Settings → Agents."));
  } else {
    parts.push(h("div", { class: "notice error", role: "alert" },
      `The install command could not be created: ${installError ? installError.message : "unknown error"}. Create one under Settings → Agents.`));
  }
  if (created.apiToken) {
    parts.push(h("h2", {}, "Full-access API token"),
      h("p", {}, "Setup also created an API token with every permission, for scripts and automation. It is shown only now: copy it somewhere safe, or revoke it under Settings → API tokens."),
      secretBox(created.apiToken, { id: "setup-api-token" }));
  }
  parts.push(h("p", {}, h("a", { class: "button primary", href: "/", id: "go-dashboard" }, "Go to the dashboard")));
  replace(card, ...parts);
  card.querySelector("h1").setAttribute("tabindex", "-1");
  card.querySelector("h1").focus();
}
