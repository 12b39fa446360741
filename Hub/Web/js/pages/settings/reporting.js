// Reporting: a PDF or CSV report of one resource's metrics over a range, downloaded from
// GET /api/admin/reports/generate. A hub without the reporting engine answers 404, and this says so.

import { h, replace, noticeArea, fmtBytes } from "../../dom.js";
import { api, get, isMissingEndpoint } from "../../api.js";
import { asArray } from "../../resources.js";

const TYPES = [
  ["host", "Host", ["cpu", "memory", "swap", "disk", "load1", "netin", "netout", "diskread", "diskwrite"]],
  ["dockerHost", "Docker host", ["cpu", "memory", "disk"]],
  ["dockerContainer", "Container", ["cpu", "memory", "disk"]],
];
const METRIC_LABELS = { cpu: "CPU", memory: "Memory", swap: "Swap", disk: "Disk", load1: "Load (1 min)", netin: "Network in",
  netout: "Network out", diskread: "Disk read", diskwrite: "Disk write" };

function resourcesOf(state, type) {
  if (type === "host") return asArray(state.hosts).map((x) => [x.id, x.displayName || x.hostname || x.id]);
  if (type === "dockerHost") return asArray(state.dockerHosts).map((x) => [x.id, x.displayName || x.hostname || x.id]);
  return asArray(state.dockerHosts).flatMap((dockerHost) => asArray(dockerHost.containers)
    .map((c) => [c.id, `${c.name || c.id} (on ${dockerHost.displayName || dockerHost.hostname || dockerHost.id})`]));
}

function filenameFrom(disposition, fallback) {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition || "");
  return match ? decodeURIComponent(match[1]) : fallback;
}

export async function render(panel) {
  const notice = noticeArea();
  let state = { hosts: [] };
  try { state = await get("/api/state"); } catch (error) { notice.show("error", `Could not load the resources: ${error.message}`); }
  const type = h("select", { id: "report-type" }, TYPES.map(([value, label]) => h("option", { value }, label)));
  const resource = h("select", { id: "report-resource" });
  const metric = h("select", { id: "report-metric" });
  const range = h("select", { id: "report-range" }, [["1h", "Last hour"], ["24h", "Last 24 hours"], ["7d", "Last 7 days"], ["30d", "Last 30 days"]]
    .map(([value, label]) => h("option", { value, selected: value === "24h" }, label)));
  const format = h("select", { id: "report-format" }, h("option", { value: "pdf" }, "PDF"), h("option", { value: "csv" }, "CSV"));
  const title = h("input", { type: "text", id: "report-title", maxlength: "200", placeholder: "optional" });
  const submit = h("button", { type: "submit", class: "primary", id: "report-download" }, "Download report");

  function fillResources() {
    const options = resourcesOf(state, type.value);
    replace(resource, options.length ? options.map(([value, label]) => h("option", { value }, label))
      : h("option", { value: "" }, "Nothing of this kind reports yet"));
    const metrics = TYPES.find(([value]) => value === type.value)[2];
    replace(metric, h("option", { value: "" }, "All metrics"), metrics.map((m) => h("option", { value: m }, METRIC_LABELS[m] || m)));
  }
  type.addEventListener("change", fillResources);
  fillResources();

  const form = h("form", { class: "stack", id: "report-form" },
    h("div", { class: "row" }, h("label", {}, "Resource type", type), h("label", {}, "Resource", resource)),
    h("div", { class: "row" }, h("label", {}, "Metric", metric), h("label", {}, "Range", range), h("label", {}, "Format", format)),
    h("label", {}, "Title", title), notice, h("div", {}, submit));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!resource.value) { notice.show("error", "Choose a resource first: nothing of this kind reports to the hub yet."); return; }
    submit.disabled = true;
    notice.show("", "Generating the report…");
    try {
      const response = await api("/api/admin/reports/generate", { raw: true, query: {
        format: format.value, resourceType: type.value, resourceId: resource.value, metricType: metric.value,
        range: range.value, title: title.value.trim(),
      } });
      const blob = await response.blob();
      const name = filenameFrom(response.headers.get("Content-Disposition"), `report-${resource.value}.${format.value}`);
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: name, class: "sr-only" }, name);
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      notice.show("ok", `Downloaded ${name} (${fmtBytes(blob.size)}).`);
    } catch (error) {
      notice.show("error", isMissingEndpoint(error)
        ? "This hub cannot make reports yet: it has no reporting endpoint (it answered 404). Update the hub to a version with PDF/CSV reporting."
        : `The report could not be made: ${error.message}`);
    } finally {
      submit.disabled = false;
    }
  });

  panel.append(h("section", { class: "card" }, h("h2", {}, "Reports"),
    h("p", { class: "muted" }, "A PDF with a summary table and charts, or a CSV of the samples, for one resource over a time range."),
    form));
}
