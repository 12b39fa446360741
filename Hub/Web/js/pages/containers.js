// Docker / Podman hosts with their containers, and Kubernetes clusters with nodes, problem pods and deployments,
// from /api/state's dockerHosts and kubernetesClusters (hub-api 11.1; agent-protocol 2.2 and 2.3 shapes).

import { h, replace, statusBadge, badge, fmtAgo, fmtBytes, fmtDuration, fmtPercent, noticeArea, table, isNumber, meter } from "../dom.js";
import { get } from "../api.js";
import { asArray, problemPods } from "../resources.js";
import { poll } from "../live.js";

export async function render(main) {
  const notice = noticeArea();
  const filter = h("input", { type: "search", id: "containers-filter", placeholder: "Filter containers, pods, deployments",
    "aria-label": "Filter containers, pods and deployments" });
  const body = h("div", { id: "containers-body" }, h("p", { class: "loading" }, "Loading…"));
  let state = null;
  let scrolled = false;
  filter.addEventListener("input", () => draw());
  main.append(h("div", { class: "page-head" }, h("h1", {}, "Containers and clusters"), h("span", { class: "spacer" }), filter),
    notice, body);

  const matches = (...texts) => {
    const wanted = filter.value.trim().toLowerCase();
    return !wanted || texts.some((text) => String(text || "").toLowerCase().includes(wanted));
  };

  function dockerSection(dockerHost) {
    const containers = asArray(dockerHost.containers)
      .filter((c) => matches(c.name, c.image, c.state, c.health, dockerHost.hostname))
      .sort((a, b) => (a.state === "running" ? 0 : 1) - (b.state === "running" ? 0 : 1) || String(a.name).localeCompare(String(b.name)));
    const name = dockerHost.customDisplayName || dockerHost.displayName || dockerHost.hostname || dockerHost.id;
    const runtime = dockerHost.runtime === "podman" ? "Podman" : "Docker";
    const version = dockerHost.runtimeVersion || dockerHost.dockerVersion;
    return h("section", { class: "card", id: `docker-${dockerHost.id}`, dataset: { kind: "docker", id: dockerHost.id } },
      h("div", { class: "page-head" }, h("h2", {}, name), statusBadge(dockerHost.status),
        h("span", { class: "muted small" }, `${runtime}${version ? ` ${version}` : ""} · last seen ${fmtAgo(dockerHost.lastSeen)}`)),
      table([
        { label: "Container", cell: (c) => [c.name || c.id, h("span", { class: "sub" }, c.image || "")] },
        { label: "State", cell: (c) => [statusBadge(c.state), c.status ? h("span", { class: "sub" }, c.status) : null] },
        { label: "Health", cell: (c) => (c.health && c.health !== "none" ? statusBadge(c.health) : h("span", { class: "muted" }, "—")) },
        { label: "CPU", cell: (c) => fmtPercent(c.cpuPercent), num: true, className: "cpu" },
        { label: "Memory", cell: (c) => [
          isNumber(c.memoryPercent) ? meter(c.memoryPercent, `${c.name} memory`) : "—",
          h("span", { class: "sub" }, isNumber(c.memoryUsageBytes)
            ? `${fmtBytes(c.memoryUsageBytes)}${c.memoryLimitBytes ? ` of ${fmtBytes(c.memoryLimitBytes)}` : ""}` : ""),
        ] },
        { label: "Uptime", cell: (c) => (c.state === "running" ? fmtDuration(c.uptimeSeconds) : "—"), num: true, className: "hide-sm" },
        { label: "Restarts", cell: (c) => String(c.restartCount ?? 0), num: true, className: "hide-sm" },
      ], containers, {
        empty: asArray(dockerHost.containers).length ? "No container matches the filter." : "No containers on this host.",
        rowProps: (c) => ({ dataset: { container: c.id || c.name } }),
      }));
  }

  function clusterSection(cluster) {
    const name = cluster.customDisplayName || cluster.displayName || cluster.name || cluster.id;
    const nodes = asArray(cluster.nodes).filter((n) => matches(n.name, ...(n.roles || [])));
    const pods = problemPods(cluster.pods).filter((p) => matches(p.name, p.namespace, p.phase, p.reason, p.nodeName));
    const deployments = asArray(cluster.deployments).filter((d) => matches(d.name, d.namespace));
    return h("section", { class: "card", id: `cluster-${cluster.id}`, dataset: { kind: "kubernetes", id: cluster.id } },
      h("div", { class: "page-head" }, h("h2", {}, name), statusBadge(cluster.status),
        h("span", { class: "muted small" }, `Kubernetes ${cluster.version || ""} · last seen ${fmtAgo(cluster.lastSeen)}`)),
      h("h3", {}, "Nodes"),
      table([
        { label: "Node", cell: (n) => n.name },
        { label: "Ready", cell: (n) => (n.ready ? badge("ready", "ok") : badge("not ready", "crit")) },
        { label: "Roles", cell: (n) => asArray(n.roles).join(", ") || "—", className: "hide-sm" },
        { label: "Kubelet", cell: (n) => n.kubeletVersion || "—", className: "hide-sm" },
        { label: "CPU", cell: (n) => (isNumber(n.capacity?.cpuCores) ? `${n.capacity.cpuCores} cores` : "—"), num: true },
        { label: "Memory", cell: (n) => fmtBytes(n.capacity?.memoryBytes), num: true },
        { label: "Schedulable", cell: (n) => (n.unschedulable ? badge("cordoned", "warn") : "yes"), className: "hide-sm" },
      ], nodes, { empty: "No nodes reported." }),
      h("h3", {}, "Problem pods"),
      table([
        { label: "Pod", cell: (p) => [p.name, h("span", { class: "sub" }, p.namespace || "")] },
        { label: "Phase", cell: (p) => statusBadge(p.phase || "unknown") },
        { label: "Reason", cell: (p) => p.reason || asArray(p.containers).map((c) => c.reason).filter(Boolean).join(", ") || "—" },
        { label: "Restarts", cell: (p) => String(p.restarts ?? 0), num: true },
        { label: "Node", cell: (p) => p.nodeName || "—", className: "hide-sm" },
      ], pods, { empty: filter.value.trim() ? "No problem pod matches the filter."
        : `All ${asArray(cluster.pods).length} pods are running or completed.` }),
      h("h3", {}, "Deployments"),
      table([
        { label: "Deployment", cell: (d) => [d.name, h("span", { class: "sub" }, d.namespace || "")] },
        { label: "Ready", cell: (d) => {
          const desired = d.desiredReplicas ?? 0;
          const ready = d.readyReplicas ?? 0;
          return badge(`${ready}/${desired}`, ready >= desired ? "ok" : ready === 0 ? "crit" : "warn");
        } },
        { label: "Up to date", cell: (d) => String(d.updatedReplicas ?? 0), num: true, className: "hide-sm" },
        { label: "Available", cell: (d) => String(d.availableReplicas ?? 0), num: true },
      ], deployments, { empty: "No deployments reported." }));
  }

  function draw() {
    if (!state) return;
    const dockerHosts = asArray(state.dockerHosts);
    const clusters = asArray(state.kubernetesClusters);
    if (!dockerHosts.length && !clusters.length) {
      replace(body, h("section", { class: "card empty", id: "containers-empty" },
        h("p", {}, "No Docker or Podman hosts and no Kubernetes clusters report to this hub yet."),
        h("p", {}, "Install the agent with container monitoring on: ", h("a", { href: "/settings/agents" }, "Settings → Agents"),
          " makes the command (tick Docker or Kubernetes).")));
      return;
    }
    replace(body,
      dockerHosts.length ? h("h2", {}, "Docker and Podman") : null, dockerHosts.map(dockerSection),
      clusters.length ? h("h2", {}, "Kubernetes") : null, clusters.map(clusterSection));
    if (!scrolled && location.hash) {
      scrolled = true;
      document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
    }
  }

  async function load() {
    try {
      state = await get("/api/state");
      notice.clear();
      draw();
    } catch (error) {
      notice.show("error", `Could not refresh: ${error.message}`);
    }
  }

  return poll(load, 10000);
}
