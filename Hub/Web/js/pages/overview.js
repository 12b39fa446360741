// Every host, docker host and cluster: status, last seen, CPU / memory / disk bars, temperature and a CPU sparkline.
// Sortable columns, a filter box, and live refresh (state every 5 s, sparklines every 30 s).

import { h, replace, meter, statusBadge, fmtAgo, fmtTemp, noticeArea, isNumber } from "../dom.js";
import { get } from "../api.js";
import { sparkline } from "../charts.js";
import { resourceRows } from "../resources.js";
import { poll } from "../live.js";

const COLUMNS = [
  { key: "name", label: "Name", sort: (r) => r.name.toLowerCase() },
  { key: "kind", label: "Type", sort: (r) => r.kindLabel, className: "hide-sm" },
  { key: "status", label: "Status", sort: (r) => `${r.status === "online" ? 0 : 1}${r.name.toLowerCase()}` },
  { key: "cpu", label: "CPU", sort: (r) => r.cpu },
  { key: "memory", label: "Memory", sort: (r) => r.memory },
  { key: "disk", label: "Disk", sort: (r) => r.disk, className: "hide-sm" },
  { key: "temperature", label: "Temp", sort: (r) => r.temperature, className: "hide-sm" },
  { key: "trend", label: "CPU, last hour", className: "hide-sm" },
  { key: "lastSeen", label: "Last seen", sort: (r) => r.lastSeen, className: "hide-sm" },
];

export async function render(main) {
  const view = { state: null, charts: null, sortKey: "name", ascending: true, filter: "" };
  const notice = noticeArea();
  const summary = h("div", { class: "summary", id: "overview-summary" });
  const updated = h("span", { class: "muted small", id: "last-updated" });
  const filter = h("input", { type: "search", id: "overview-filter", placeholder: "Filter by name, type, status or tag",
    "aria-label": "Filter resources" });
  const body = h("div", { id: "overview-table" }, h("p", { class: "loading" }, "Loading resources…"));
  filter.addEventListener("input", () => { view.filter = filter.value.trim().toLowerCase(); draw(); });
  // On a phone the table becomes cards without a header row, so sorting gets its own control.
  const sortSelect = h("select", { id: "overview-sort", class: "show-sm", "aria-label": "Sort by" },
    COLUMNS.filter((c) => c.sort).map((c) => h("option", { value: c.key }, `Sort by ${c.label}`)));
  sortSelect.addEventListener("change", () => {
    view.sortKey = sortSelect.value;
    view.ascending = ["name", "kind", "status"].includes(view.sortKey);
    draw();
  });
  main.append(
    h("div", { class: "page-head" }, h("h1", {}, "Overview"), summary, h("span", { class: "spacer" }), updated),
    h("div", { class: "page-head" }, filter, sortSelect),
    notice, h("section", { class: "card" }, body));

  function sortHeader(column) {
    if (!column.sort) return h("th", { scope: "col", class: column.className }, column.label);
    const active = view.sortKey === column.key;
    const button = h("button", { type: "button", class: "sort", dataset: { sort: column.key } }, column.label);
    button.addEventListener("click", () => {
      if (view.sortKey === column.key) view.ascending = !view.ascending;
      else { view.sortKey = column.key; view.ascending = column.key === "name" || column.key === "kind" || column.key === "status"; }
      draw();
      body.querySelector(`button[data-sort="${column.key}"]`)?.focus();
    });
    return h("th", { scope: "col", class: column.className,
      "aria-sort": active ? (view.ascending ? "ascending" : "descending") : "none" }, button);
  }

  function trendFor(row) {
    const charts = view.charts || {};
    const series = row.kind === "host" ? charts.hostData?.[row.id]?.cpu
      : row.kind === "docker" ? charts.dockerHostData?.[row.id]?.cpu : undefined;
    if (!series) return h("span", { class: "muted" }, row.kind === "kubernetes" ? "" : "—");
    return sparkline(series, { label: `${row.name} CPU over the last hour` });
  }

  function draw() {
    if (!view.state) return;
    sortSelect.value = view.sortKey;
    const now = Date.now();
    const all = resourceRows(view.state);
    const online = all.filter((r) => r.status === "online").length;
    replace(summary, h("span", {}, h("strong", {}, String(all.length)), " resources"),
      h("span", {}, h("strong", {}, String(online)), " online"),
      h("span", {}, h("strong", {}, String(all.length - online)), " offline or unknown"));
    const rows = all.filter((r) => !view.filter || [r.name, r.kindLabel, r.status, r.detail, ...r.tags]
      .some((text) => String(text).toLowerCase().includes(view.filter)));
    const column = COLUMNS.find((c) => c.key === view.sortKey);
    rows.sort((a, b) => {
      const x = column.sort(a);
      const y = column.sort(b);
      const missingX = x === undefined || x === null;
      const missingY = y === undefined || y === null;
      if (missingX || missingY) return missingX === missingY ? 0 : missingX ? 1 : -1; // unknowns last
      const order = x < y ? -1 : x > y ? 1 : 0;
      return view.ascending ? order : -order;
    });
    if (!all.length) {
      replace(body, h("div", { class: "empty", id: "overview-empty" },
        h("p", {}, "No machine reports to this hub yet."),
        h("p", {}, "Install the agent on a machine: ", h("a", { href: "/settings/agents" }, "Settings → Agents"),
          " has the one-line install command.")));
      return;
    }
    if (!rows.length) {
      replace(body, h("p", { class: "empty" }, `Nothing matches “${filter.value}”.`));
      return;
    }
    replace(body, h("div", { class: "table-wrap" }, h("table", { id: "resources" },
      h("caption", { class: "sr-only" }, "Monitored resources"),
      h("thead", {}, h("tr", {}, COLUMNS.map(sortHeader))),
      h("tbody", {}, rows.map((row) => h("tr", { dataset: { kind: row.kind, id: row.id } },
        h("td", { class: "name" }, h("a", { href: row.href }, row.name), h("span", { class: "sub" }, row.detail),
          row.tags.length ? h("span", { class: "sub" }, row.tags.map((tag) => h("span", { class: "chip" }, tag))) : null),
        h("td", { class: "hide-sm" }, row.kindLabel),
        h("td", { class: "status" }, statusBadge(row.status)),
        h("td", { class: "cpu", dataset: { value: isNumber(row.cpu) ? String(row.cpu) : "", label: "CPU" } },
          isNumber(row.cpu) ? meter(row.cpu, "CPU") : "—"),
        h("td", { class: "memory", dataset: { value: isNumber(row.memory) ? String(row.memory) : "", label: "Memory" } },
          isNumber(row.memory) ? meter(row.memory, "Memory") : "—"),
        h("td", { class: "disk hide-sm" }, isNumber(row.disk) ? meter(row.disk, "Disk") : "—"),
        h("td", { class: "temperature num hide-sm" }, isNumber(row.temperature) ? fmtTemp(row.temperature) : "—"),
        h("td", { class: "trend hide-sm" }, trendFor(row)),
        h("td", { class: "last-seen hide-sm", title: row.lastSeen ? new Date(row.lastSeen).toLocaleString() : "" },
          fmtAgo(row.lastSeen, now))))))));
  }

  async function loadState() {
    try {
      view.state = await get("/api/state");
      notice.clear();
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
      main.dataset.loadedAt = String(Date.now());
      draw();
    } catch (error) {
      notice.show("error", `Could not refresh: ${error.message} Showing the last data received.`);
    }
  }

  async function loadCharts() {
    try {
      view.charts = await get("/api/charts", { range: "1h" });
      draw();
    } catch (_) {
      // Sparklines are decoration: the table still shows current values.
    }
  }

  const stopState = poll(loadState, 5000);
  const stopCharts = poll(loadCharts, 30000);
  return () => { stopState(); stopCharts(); };
}

