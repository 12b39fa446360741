// Agents: the install one-liner (a fresh report-only token each time), per-host remote commands and profile
// assignment, host removal, and agent profiles.

import { h, replace, noticeArea, secretBox, confirmButton, table, statusBadge, fmtAgo, fmtDateTime, mapLimit } from "../../dom.js";
import { get, post, put, patch, del } from "../../api.js";
import { asArray } from "../../resources.js";

export async function render(panel) {
  panel.append(installSection(), hostsSection(), profilesSection());
}

function installSection() {
  const name = h("input", { type: "text", id: "install-name", maxlength: "128", placeholder: "e.g. web01" });
  const docker = h("input", { type: "checkbox", id: "install-docker" });
  const kubernetes = h("input", { type: "checkbox", id: "install-kubernetes" });
  const notice = noticeArea();
  const output = h("div", { id: "install-output" });
  const form = h("form", { class: "stack", id: "install-form" },
    h("div", { class: "row" }, h("label", {}, "Token name (optional)", name)),
    h("div", { class: "row" },
      h("label", { class: "check" }, docker, "Also monitor Docker / Podman containers"),
      h("label", { class: "check" }, kubernetes, "Also monitor a Kubernetes cluster")),
    notice, h("div", {}, h("button", { type: "submit", class: "primary" }, "Create install command")), output);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const result = await post("/api/agent-install-command", {
        name: name.value.trim() || undefined, enableDocker: docker.checked, enableKubernetes: kubernetes.checked,
      });
      notice.clear();
      replace(output, h("p", {}, "Run as root on the machine to monitor. The token in it can only send reports; revoke it under API tokens (id ",
        h("code", {}, result.tokenId), ")."), secretBox(result.command, { id: "install-command", multiline: true }));
    } catch (error) {
      notice.show("error", error.message);
    }
  });
  return h("section", { class: "card" }, h("h2", {}, "Install the agent"),
    h("p", { class: "muted" }, "Each command carries a new agent token, so every machine can be revoked on its own."), form);
}

function hostsSection() {
  const pageNotice = noticeArea();
  pageNotice.id = "agent-hosts-notice";
  const body = h("div", { id: "agent-hosts" }, h("p", { class: "loading" }, "Loading hosts…"));
  async function load() {
    let state;
    let profiles = [];
    let assignments = [];
    try {
      [state, profiles, assignments] = await Promise.all([
        get("/api/state"), get("/api/admin/profiles"), get("/api/admin/profiles/assignments")]);
    } catch (error) {
      replace(body, h("div", { class: "notice error", role: "alert" }, `Could not load the agents: ${error.message}`));
      return;
    }
    const hosts = asArray(state.hosts);
    const overrides = await mapLimit(hosts, 4, async (host) => {
      try {
        const answer = await get(`/api/agents/host/${encodeURIComponent(host.id)}/config`);
        return answer.config ? answer.config.commandsEnabled : undefined;
      } catch (_) { return undefined; }
    });
    const assigned = new Map(asArray(assignments).map((a) => [a.agent_id, a.profile_id]));
    const rows = hosts.map((host, index) => ({ host, override: overrides[index], profile: assigned.get(host.id) || "" }));
    replace(body, table([
      { label: "Host", cell: (r) => [h("a", { href: `/hosts/${encodeURIComponent(r.host.id)}` }, r.host.displayName || r.host.hostname),
        h("span", { class: "sub" }, `agent ${r.host.agentVersion || "?"} · seen ${fmtAgo(r.host.lastSeen)}`)] },
      { label: "Status", cell: (r) => statusBadge(r.host.status) },
      { label: "Remote commands", cell: (r) => commandsSelect(r, pageNotice) },
      { label: "Profile", cell: (r) => profileSelect(r, asArray(profiles), pageNotice) },
      { label: "", cell: (r) => confirmButton("Remove", "Remove host", async () => {
        try {
          await del(`/api/agents/host/${encodeURIComponent(r.host.id)}`);
          pageNotice.show("ok", `Host "${r.host.hostname}" removed; its token was revoked if no other host used it.`);
          await load();
        } catch (error) {
          pageNotice.show("error", `Could not remove "${r.host.hostname}": ${error.message}`);
        }
      }) },
    ], rows, { empty: "No hosts yet: install the agent above.", rowProps: (r) => ({ dataset: { hostId: r.host.id } }) }));
  }
  load();
  return h("section", { class: "card" }, h("h2", {}, "Hosts"),
    h("p", { class: "muted" }, "Remote commands: whether the hub may ask this agent to run commands. “Agent default” uses the agent's own setting."),
    pageNotice, body);
}

function commandsSelect(row, notice) {
  const label = `Remote commands for ${row.host.hostname}`;
  const current = row.override === true ? "on" : row.override === false ? "off" : "default";
  const select = h("select", { "aria-label": label, dataset: { commandsFor: row.host.id } },
    h("option", { value: "default", selected: current === "default" }, `Agent default (${row.host.commandsEnabled ? "on" : "off"})`),
    h("option", { value: "on", selected: current === "on" }, "Enabled"),
    h("option", { value: "off", selected: current === "off" }, "Disabled"));
  select.addEventListener("change", async () => {
    const value = select.value === "on" ? true : select.value === "off" ? false : null;
    try {
      await patch(`/api/agents/host/${encodeURIComponent(row.host.id)}/config`, { commandsEnabled: value });
      notice.show("ok", `Remote commands for "${row.host.hostname}": ${value === null ? "agent default" : value ? "enabled" : "disabled"}. The agent picks it up with its next report.`);
    } catch (error) {
      notice.show("error", `Could not change remote commands for "${row.host.hostname}": ${error.message}`);
    }
  });
  return select;
}

function profileSelect(row, profiles, notice) {
  const select = h("select", { "aria-label": `Profile for ${row.host.hostname}`, dataset: { profileFor: row.host.id } },
    h("option", { value: "", selected: !row.profile }, "No profile"),
    profiles.map((profile) => h("option", { value: profile.id, selected: profile.id === row.profile }, profile.name)));
  select.addEventListener("change", async () => {
    try {
      if (select.value) await post("/api/admin/profiles/assignments", { agent_id: row.host.id, profile_id: select.value });
      else await del(`/api/admin/profiles/assignments/${encodeURIComponent(row.host.id)}`);
      notice.show("ok", `Profile for "${row.host.hostname}" ${select.value ? "assigned" : "removed"}. The agent applies it within one report interval.`);
    } catch (error) {
      notice.show("error", `Could not change the profile of "${row.host.hostname}": ${error.message}`);
    }
  });
  return select;
}

function profilesSection() {
  const pageNotice = noticeArea();
  const list = h("div", { id: "profile-list" }, h("p", { class: "loading" }, "Loading profiles…"));
  const name = h("input", { type: "text", id: "profile-name", maxlength: "128", required: true });
  const config = h("textarea", { id: "profile-config", spellcheck: "false", class: "mono",
    placeholder: '{\n  "interval": "30s",\n  "log_level": "info"\n}' });
  const notice = noticeArea();
  const submit = h("button", { type: "submit", class: "primary" }, "Create profile");
  const cancel = h("button", { type: "button", hidden: true }, "Cancel editing");
  let editing = null;
  const form = h("form", { class: "stack", id: "profile-form" },
    h("label", {}, "Name", name),
    h("label", {}, "Settings (JSON object)", config),
    h("p", { class: "muted small" }, "Keys: interval, log_level, report_ip, disk_exclude, disabled_collectors, disable_ceph, enable_docker, enable_kubernetes, enable_commands, disable_auto_update, docker_runtime, and others listed in docs/API.md."),
    notice, h("div", { class: "row" }, submit, cancel));

  function startEditing(profile) {
    editing = profile;
    name.value = profile ? profile.name : "";
    config.value = profile ? JSON.stringify(profile.config || {}, null, 2) : "";
    submit.textContent = profile ? "Save profile" : "Create profile";
    cancel.hidden = !profile;
    notice.clear();
    if (profile) name.focus();
  }
  cancel.addEventListener("click", () => startEditing(null));

  async function load() {
    try {
      const profiles = asArray(await get("/api/admin/profiles"));
      replace(list, table([
        { label: "Name", cell: (p) => p.name },
        { label: "Settings", cell: (p) => h("code", {}, JSON.stringify(p.config || {})) },
        { label: "Updated", cell: (p) => fmtDateTime(p.updated_at), className: "hide-sm" },
        { label: "", cell: (p) => [h("button", { type: "button", class: "small", onclick: () => startEditing(p) }, "Edit"), " ",
          confirmButton("Delete", "Delete profile", async () => {
            try {
              await del(`/api/admin/profiles/${encodeURIComponent(p.id)}`);
              pageNotice.show("ok", `Profile "${p.name}" deleted; hosts that used it fall back to their own settings.`);
              await load();
            } catch (error) {
              pageNotice.show("error", `Could not delete "${p.name}": ${error.message}`);
            }
          })] },
      ], profiles, { empty: "No profiles yet." }));
    } catch (error) {
      replace(list, h("div", { class: "notice error", role: "alert" }, `Could not load the profiles: ${error.message}`));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let settings;
    try {
      settings = config.value.trim() ? JSON.parse(config.value) : {};
      if (typeof settings !== "object" || Array.isArray(settings) || settings === null) throw new Error("not an object");
    } catch (_) {
      notice.show("error", "Settings must be a JSON object, like {\"interval\": \"30s\"}.");
      config.focus();
      return;
    }
    try {
      const body = { name: name.value.trim(), config: settings };
      if (editing) await put(`/api/admin/profiles/${encodeURIComponent(editing.id)}`, body);
      else await post("/api/admin/profiles", body);
      pageNotice.show("ok", `Profile "${body.name}" ${editing ? "saved" : "created"}.`);
      startEditing(null);
      await load();
    } catch (error) {
      const details = error.body && error.body.details ? Object.entries(error.body.details).map(([k, v]) => `${k}: ${v}`).join("; ") : "";
      notice.show("error", details ? `${error.message} (${details})` : error.message);
    }
  });
  load();
  return h("section", { class: "card" }, h("h2", {}, "Agent profiles"),
    h("p", { class: "muted" }, "A profile is a named set of agent settings; assign it to hosts above."), pageNotice, list,
    h("h3", {}, "Create or edit a profile"), form);
}
