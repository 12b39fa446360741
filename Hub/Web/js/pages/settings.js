// Settings: one tab per concern, each its own module under settings/.

import { h } from "../dom.js";

const TABS = [
  ["tokens", "API tokens", () => import("./settings/tokens.js")],
  ["agents", "Agents", () => import("./settings/agents.js")],
  ["audit", "Audit log", () => import("./settings/audit.js")],
  ["webhooks", "Audit webhooks", () => import("./settings/webhooks.js")],
  ["reporting", "Reporting", () => import("./settings/reporting.js")],
  ["security", "Security", () => import("./settings/security.js")],
];

export async function render(main, app) {
  const wanted = app.params[0] || "tokens";
  const tab = TABS.find(([key]) => key === wanted);
  main.append(h("h1", {}, "Settings"),
    h("nav", { class: "tabs", "aria-label": "Settings sections" },
      TABS.map(([key, label]) => h("a", { href: `/settings/${key}`, "aria-current": key === wanted ? "page" : undefined }, label))));
  const panel = h("div", { id: `settings-${wanted}` });
  main.append(panel);
  if (!tab) {
    panel.append(h("p", {}, "There is no such settings section."));
    return undefined;
  }
  const module = await tab[2]();
  return module.render(panel, app);
}
