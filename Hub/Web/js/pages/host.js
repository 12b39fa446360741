// One host: system facts, history charts (1h / 24h / 7d / 30d from /api/metrics-store/history), and the disks,
// SMART, RAID, sensors and network tables.

import {
  h, replace, meter, statusBadge, badge, fmtAgo, fmtBytes, fmtRate, fmtDuration, fmtDateTime, fmtNumber, fmtTemp,
  fmtPercent, noticeArea, table, isNumber,
} from "../dom.js";
import { get } from "../api.js";
import { lineChart } from "../charts.js";
import { asArray, temperatureReason } from "../resources.js";
import { poll } from "../live.js";

/** Short axis labels for byte rates: "750 B/s", "1.5 MiB/s". */
const axisRate = (value) => (value === 0 ? "0" : `${fmtBytes(value, value >= 1024 && value < 10240 ? 1 : 0)}/s`);

const RANGES = [["1h", "1 hour"], ["24h", "24 hours"], ["7d", "7 days"], ["30d", "30 days"]];
const RANGE_MS = { "1h": 3600e3, "24h": 86400e3, "7d": 7 * 86400e3, "30d": 30 * 86400e3 };

export async function render(main, app) {
  const hostID = app.params[0];
  const view = { range: app.query.get("range") in RANGE_MS ? app.query.get("range") : "1h", host: null };
  const notice = noticeArea();
  const title = h("h1", { id: "host-title" }, hostID);
  const statusSlot = h("span");
  const facts = h("section", { class: "card", id: "host-facts" }, h("p", { class: "loading" }, "Loading…"));
  const charts = h("div", { class: "charts", id: "host-charts" }, h("p", { class: "loading" }, "Loading history…"));
  const tables = h("div", { id: "host-tables" });
  const rangeButtons = RANGES.map(([key, label]) => {
    const button = h("button", { type: "button", "aria-pressed": String(key === view.range), dataset: { range: key },
      title: `Last ${label}` }, key);
    button.addEventListener("click", () => {
      view.range = key;
      rangeButtons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.range === key)));
      history.replaceState(null, "", `${location.pathname}?range=${key}`);
      loadHistory();
    });
    return button;
  });
  main.append(
    h("p", { class: "small" }, h("a", { href: "/" }, "← Overview")),
    h("div", { class: "page-head" }, title, statusSlot),
    notice, facts,
    h("div", { class: "page-head" }, h("h2", {}, "History"), h("span", { class: "spacer" }),
      h("div", { class: "segmented", role: "group", "aria-label": "Time range" }, rangeButtons)),
    charts, tables);

  async function loadState() {
    let state;
    try {
      state = await get("/api/state");
    } catch (error) {
      notice.show("error", `Could not refresh: ${error.message}`);
      return;
    }
    const host = asArray(state.hosts).find((one) => one.id === hostID);
    if (!host) {
      notice.show("error", "This host is not known to the hub. It may have been removed, or the address is wrong.");
      replace(facts, h("p", {}, h("a", { href: "/" }, "Back to the overview")));
      return;
    }
    notice.clear();
    view.host = host;
    drawHost(host);
  }

  function drawHost(host) {
    const name = host.displayName || host.hostname || host.id;
    title.textContent = name;
    document.title = `${name} · Pulse`;
    replace(statusSlot, statusBadge(host.status), " ", h("span", { class: "muted small" }, `last seen ${fmtAgo(host.lastSeen)}`));
    const memory = host.memory || {};
    const load = asArray(host.loadAverage).map((v) => fmtNumber(v, 2)).join(" / ");
    const fact = (label, value) => (value === undefined || value === null || value === "" ? null : [h("dt", {}, label), h("dd", {}, value)]);
    replace(facts,
      h("div", { class: "grid" },
        h("dl", { class: "facts" },
          fact("Hostname", host.hostname), fact("Host id", h("code", {}, host.id)),
          fact("Operating system", [host.osName, host.osVersion].filter(Boolean).join(" ") || host.platform),
          fact("Kernel", host.kernelVersion), fact("Architecture", host.architecture),
          fact("CPU", [host.cpuModel, isNumber(host.cpuCount) ? `${host.cpuCount} cores` : ""].filter(Boolean).join(", ")),
          fact("Uptime", isNumber(host.uptimeSeconds) ? fmtDuration(host.uptimeSeconds) : ""),
          fact("Address", host.reportIp),
          fact("Agent", [host.agentVersion, isNumber(host.intervalSeconds) ? `every ${host.intervalSeconds} s` : ""].filter(Boolean).join(", ")),
          fact("Agent token", host.tokenName ? `${host.tokenName} (${host.tokenHint || ""})` : ""),
          fact("Remote commands", host.commandsEnabled ? "enabled" : "disabled"),
          fact("Tags", asArray(host.tags).length ? asArray(host.tags).map((tag) => h("span", { class: "chip" }, tag)) : h("span", { class: "muted" }, "none"))),
        h("div", { class: "stack" },
          h("div", {}, h("h3", {}, "CPU"), h("div", { id: "host-cpu", dataset: { value: isNumber(host.cpuUsage) ? String(host.cpuUsage) : "" } },
            meter(host.cpuUsage, "CPU")), load ? h("p", { class: "muted small" }, `Load ${load}`) : null),
          h("div", {}, h("h3", {}, "Memory"), meter(memory.usage, "Memory"),
            h("p", { class: "muted small" }, `${fmtBytes(memory.used)} of ${fmtBytes(memory.total)}`,
              memory.swapTotal ? ` · swap ${fmtBytes(memory.swapUsed)} of ${fmtBytes(memory.swapTotal)}` : "")),
          h("div", {}, h("h3", {}, "Hottest sensor"), h("p", {}, temperatureSummary(host))))));
    drawTables(host);
  }

  function temperatureSummary(host) {
    const temps = Object.values(host.sensors?.temperatureCelsius || {}).filter(isNumber);
    if (temps.length) return fmtTemp(Math.max(...temps));
    return temperatureReason(host.sensors?.temperatureUnavailableReason);
  }

  function drawTables(host) {
    const disks = asArray(host.disks);
    const smart = asArray(host.sensors?.smart);
    const raid = asArray(host.raid);
    const sensorRows = [];
    for (const [group, unit] of [["temperatureCelsius", "°C"], ["fanRpm", "RPM"], ["powerWatts", "W"], ["additional", ""]]) {
      for (const [name, value] of Object.entries(host.sensors?.[group] || {})) sensorRows.push({ name, value, unit, group });
    }
    const nics = asArray(host.networkInterfaces);
    replace(tables,
      h("section", { class: "card", id: "host-disks" }, h("h2", {}, "Disks"), table([
        { label: "Mount", cell: (d) => d.mountpoint || "—" },
        { label: "Device", cell: (d) => d.device || "—", className: "hide-sm" },
        { label: "Type", cell: (d) => d.type || "—", className: "hide-sm" },
        { label: "Used", cell: (d) => `${fmtBytes(d.used)} of ${fmtBytes(d.total)}`, num: true },
        { label: "Usage", cell: (d) => meter(d.usage, `Disk ${d.mountpoint}`) },
      ], disks, { empty: "No filesystems reported." })),
      h("section", { class: "card", id: "host-smart" }, h("h2", {}, "SMART"), table([
        { label: "Device", cell: (d) => d.device || "—" },
        { label: "Model", cell: (d) => d.model || "—" },
        { label: "Serial", cell: (d) => d.serial || "—", className: "hide-sm" },
        { label: "Type", cell: (d) => d.type || "—", className: "hide-sm" },
        { label: "Health", cell: (d) => d.standby ? badge("standby", "neutral")
          : badge(d.health || "unknown", /pass|ok/i.test(d.health || "") ? "ok" : d.health ? "crit" : "neutral") },
        { label: "Temperature", cell: (d) => fmtTemp(d.temperature), num: true },
      ], smart, { empty: "No SMART data (smartctl missing on the host, or no disks that report it)." })),
      h("section", { class: "card", id: "host-raid" }, h("h2", {}, "RAID"), table([
        { label: "Array", cell: (a) => a.device || a.name || "—" },
        { label: "Level", cell: (a) => a.level || "—" },
        { label: "State", cell: (a) => badge(a.state || "unknown", /clean|active/i.test(a.state || "") && !(a.failedDevices > 0) ? "ok" : "warn") },
        { label: "Devices", cell: (a) => `${a.activeDevices ?? "?"} active of ${a.totalDevices ?? "?"}`, num: true },
        { label: "Failed", cell: (a) => String(a.failedDevices ?? 0), num: true },
        { label: "Rebuild", cell: (a) => isNumber(a.rebuildPercent) ? `${fmtPercent(a.rebuildPercent)} ${a.rebuildSpeed || ""}` : "—" },
      ], raid, { empty: "No software RAID arrays." })),
      h("section", { class: "card", id: "host-sensors" }, h("h2", {}, "Sensors"), table([
        { label: "Sensor", cell: (r) => r.name },
        { label: "Kind", cell: (r) => ({ temperatureCelsius: "temperature", fanRpm: "fan", powerWatts: "power", additional: "other" })[r.group] },
        { label: "Value", cell: (r) => `${fmtNumber(r.value)} ${r.unit}`.trim(), num: true },
      ], sensorRows, { empty: temperatureReason(host.sensors?.temperatureUnavailableReason) })),
      h("section", { class: "card", id: "host-network" }, h("h2", {}, "Network interfaces"), table([
        { label: "Interface", cell: (n) => n.name || "—" },
        { label: "Addresses", cell: (n) => asArray(n.addresses).join(", ") || "—" },
        { label: "Received", cell: (n) => fmtBytes(n.rxBytes), num: true },
        { label: "Sent", cell: (n) => fmtBytes(n.txBytes), num: true },
      ], nics, { empty: "No network interfaces reported." })));
  }

  async function loadHistory() {
    const range = view.range;
    let history;
    try {
      history = await get("/api/metrics-store/history", { resourceType: "host", resourceId: hostID, range, maxPoints: 300 });
    } catch (error) {
      replace(charts, h("div", { class: "notice error", role: "alert" }, `History is unavailable: ${error.message}`));
      return;
    }
    if (range !== view.range) return;
    const metrics = history.metrics || {};
    const start = isNumber(history.start) ? history.start : Date.now() - RANGE_MS[range];
    const end = isNumber(history.end) ? history.end : Date.now();
    const named = (prefix, rename = (k) => k) => Object.keys(metrics).filter((k) => k.startsWith(prefix)).sort()
      .map((key) => ({ name: rename(key), points: metrics[key] }));
    const chart = (id, heading, series, options) => h("section", { class: "card", id },
      h("h3", {}, heading), lineChart(series.filter((one) => one.points), { title: heading, start, end, ...options }));
    const diskSeries = named("disk:", (k) => k.slice(5));
    replace(charts,
      chart("chart-cpu", "CPU", [{ name: "cpu", points: metrics.cpu }], { percent: true, format: (v) => fmtPercent(v, 0) }),
      chart("chart-memory", "Memory", [{ name: "memory", points: metrics.memory }, { name: "swap", points: metrics.swap }],
        { percent: true, format: (v) => fmtPercent(v, 0) }),
      chart("chart-disk", "Disk usage", diskSeries.length ? diskSeries : [{ name: "disk", points: metrics.disk }],
        { percent: true, format: (v) => fmtPercent(v, 0) }),
      chart("chart-network", "Network", [{ name: "in", points: metrics.netin }, { name: "out", points: metrics.netout }],
        { format: fmtRate, axisFormat: axisRate }),
      chart("chart-diskio", "Disk I/O", [{ name: "read", points: metrics.diskread }, { name: "write", points: metrics.diskwrite }],
        { format: fmtRate, axisFormat: axisRate }),
      chart("chart-temperature", "Temperatures", named("temp:", (k) => k.slice(5)), { format: (v) => `${v.toFixed(0)} °C` }));
    charts.dataset.range = range;
    charts.dataset.loadedAt = fmtDateTime(Date.now());
  }

  const stopState = poll(loadState, 10000);
  const stopHistory = poll(() => loadHistory(), 30000);
  return () => { stopState(); stopHistory(); };
}
