// SVG charts drawn by hand: a line chart with axes, gaps where data is missing, a legend and a hover readout,
// and a sparkline. Colours come from the stylesheet (classes c0…c5), so both themes apply.

import { h, s, isNumber, replace } from "./dom.js";

const WIDTH = 640;
const HEIGHT = 220;
const MARGIN = { left: 78, right: 12, top: 12, bottom: 26 };

/** A round upper bound for the y axis. */
export function niceMax(value) {
  if (!isNumber(value) || value <= 0) return 1;
  const exponent = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    if (value <= step * exponent) return step * exponent;
  }
  return 10 * exponent;
}

function timeLabel(ms, span) {
  const date = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  if (span > 2 * 86400000) return `${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The path for one series, broken where consecutive points are far apart (missing reports). */
function pathFor(points, x, y) {
  if (!points.length) return "";
  const steps = [];
  for (let i = 1; i < points.length; i += 1) steps.push(points[i].timestamp - points[i - 1].timestamp);
  const sorted = steps.slice().sort((a, b) => a - b);
  const typical = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
  let d = "";
  points.forEach((point, i) => {
    const gap = i > 0 && typical > 0 && point.timestamp - points[i - 1].timestamp > typical * 4;
    d += `${i === 0 || gap ? "M" : "L"}${x(point.timestamp).toFixed(1)},${y(point.value).toFixed(1)}`;
  });
  // A single point still shows: a short flat line.
  if (points.length === 1) d += `h2`;
  return d;
}

/**
 * A line chart. series: [{name, points: [{timestamp (ms), value}]}]. Options: title, format (value → text),
 * percent (y axis 0–100), start and end (ms; the x range, else the data's).
 */
export function lineChart(series, { title = "", format = (v) => String(v), axisFormat, percent = false, start, end } = {}) {
  const tick = axisFormat || format;
  const usable = series.map((one) => ({ ...one, points: (one.points || []).filter((p) => isNumber(p.value) && isNumber(p.timestamp)) }));
  const all = usable.flatMap((one) => one.points);
  const total = all.length;
  const figure = h("figure", { class: "chart", dataset: { points: String(total) } });
  if (!total) {
    figure.append(h("p", { class: "empty" }, "No data for this range yet."));
    return figure;
  }
  const first = isNumber(start) ? start : Math.min(...all.map((p) => p.timestamp));
  let last = isNumber(end) ? end : Math.max(...all.map((p) => p.timestamp));
  if (last <= first) last = first + 60000;
  const peak = Math.max(...all.map((p) => p.value));
  const top = percent ? (peak > 100 ? niceMax(peak) : 100) : niceMax(peak * 1.05);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (t) => MARGIN.left + ((t - first) / (last - first)) * plotW;
  const y = (v) => MARGIN.top + plotH - (Math.max(0, Math.min(v, top)) / top) * plotH;

  const svg = s("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "chart-svg", role: "img",
    "aria-label": `${title}: ${usable.map((one) => one.name).join(", ")}`, dataset: { points: String(total) } });
  svg.append(s("title", {}, title));
  const axis = s("g", { class: "axis" });
  for (let i = 0; i <= 4; i += 1) {
    const value = (top / 4) * i;
    const py = y(value);
    axis.append(s("line", { class: "gridline", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: py, y2: py }));
    axis.append(s("text", { x: MARGIN.left - 6, y: py + 4, "text-anchor": "end" }, tick(value)));
  }
  for (let i = 0; i <= 4; i += 1) {
    const t = first + ((last - first) / 4) * i;
    axis.append(s("text", { x: x(t), y: HEIGHT - 6, "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" },
      timeLabel(t, last - first)));
  }
  svg.append(axis);
  usable.forEach((one, index) => {
    if (!one.points.length) return;
    svg.append(s("path", { class: `series c${index % 6}`, d: pathFor(one.points, x, y),
      dataset: { series: one.name, points: String(one.points.length) } }));
  });
  const cursor = s("line", { class: "cursor", x1: 0, x2: 0, y1: MARGIN.top, y2: MARGIN.top + plotH, visibility: "hidden" });
  svg.append(cursor);

  const readout = h("div", { class: "readout", "aria-live": "off" });
  const legend = h("div", { class: "legend" }, usable.map((one, index) => {
    const latest = one.points[one.points.length - 1];
    return h("span", {}, h("span", { class: `swatch c${index % 6}` }), `${one.name} `,
      h("strong", {}, latest ? format(latest.value) : "—"));
  }));

  // Hover readout: the values nearest the pointer.
  svg.addEventListener("pointermove", (event) => {
    const box = svg.getBoundingClientRect();
    const px = ((event.clientX - box.left) / box.width) * WIDTH;
    if (px < MARGIN.left || px > WIDTH - MARGIN.right) return;
    const t = first + ((px - MARGIN.left) / plotW) * (last - first);
    cursor.setAttribute("x1", px.toFixed(1));
    cursor.setAttribute("x2", px.toFixed(1));
    cursor.setAttribute("visibility", "visible");
    const parts = usable.filter((one) => one.points.length).map((one) => {
      let best = one.points[0];
      for (const point of one.points) if (Math.abs(point.timestamp - t) < Math.abs(best.timestamp - t)) best = point;
      return `${one.name} ${format(best.value)}`;
    });
    replace(readout, `${timeLabel(t, 0)} · ${parts.join(" · ")}`);
  });
  svg.addEventListener("pointerleave", () => {
    cursor.setAttribute("visibility", "hidden");
    replace(readout);
  });
  figure.append(svg, legend, readout);
  return figure;
}

/** A small trend line (0–100 by default) with the point count in data-points. */
export function sparkline(points, { max = 100, label = "trend" } = {}) {
  const usable = (points || []).filter((p) => isNumber(p.value) && isNumber(p.timestamp));
  const svg = s("svg", { class: "sparkline", viewBox: "0 0 100 24", preserveAspectRatio: "none", role: "img",
    "aria-label": label, dataset: { points: String(usable.length) } });
  if (usable.length < 1) return svg;
  const first = usable[0].timestamp;
  const span = Math.max(1, usable[usable.length - 1].timestamp - first);
  const top = Math.max(max, ...usable.map((p) => p.value));
  const coords = usable.map((p) => {
    const px = usable.length === 1 ? 50 : ((p.timestamp - first) / span) * 100;
    const py = 22 - (Math.max(0, p.value) / top) * 20;
    return `${px.toFixed(1)},${py.toFixed(1)}`;
  });
  if (coords.length === 1) coords.push(coords[0].replace(/^[^,]+/, "52"));
  svg.append(s("polyline", { points: coords.join(" "), "vector-effect": "non-scaling-stroke" }));
  return svg;
}
