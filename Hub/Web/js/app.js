// Entry point: theme, layout, client-side routes (the hub serves index.html for every app path), and the
// first-run / sign-in gate.

import { h, replace } from "./dom.js";
import { get, post, onUnauthorized, resetSessionState, ApiError } from "./api.js";

const THEME_KEY = "pulse.theme";

function applyTheme(theme) {
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

function storedTheme() {
  try { return localStorage.getItem(THEME_KEY) || "auto"; } catch (_) { return "auto"; }
}

applyTheme(storedTheme());

const pages = {
  overview: () => import("./pages/overview.js"),
  host: () => import("./pages/host.js"),
  containers: () => import("./pages/containers.js"),
  settings: () => import("./pages/settings.js"),
  login: () => import("./pages/login.js"),
  setup: () => import("./pages/setup.js"),
};

/** Path → page and parameters. */
const routes = [
  { pattern: /^\/$/, page: "overview", nav: "overview", title: "Overview" },
  { pattern: /^\/hosts\/([^/]+)$/, page: "host", nav: "overview", title: "Host" },
  { pattern: /^\/containers$/, page: "containers", nav: "containers", title: "Containers and clusters" },
  { pattern: /^\/settings(?:\/([a-z-]+))?$/, page: "settings", nav: "settings", title: "Settings" },
  { pattern: /^\/login$/, page: "login", public: true, title: "Sign in" },
  { pattern: /^\/setup$/, page: "setup", public: true, title: "First-run setup" },
];

const app = {
  status: null,
  user: null,
  cleanup: null,
  renderToken: 0,
  navigate,
  refreshStatus,
};

async function refreshStatus() {
  app.status = await get("/api/security/status", undefined, { quietAuth: true });
  return app.status;
}

function navigate(path, { replace: replaceHistory = false } = {}) {
  if (path !== location.pathname + location.search) {
    if (replaceHistory) history.replaceState(null, "", path);
    else history.pushState(null, "", path);
  }
  render();
}

function matchRoute(pathname) {
  for (const route of routes) {
    const match = pathname.match(route.pattern);
    if (match) return { ...route, params: match.slice(1).map((part) => (part === undefined ? undefined : decodeURIComponent(part))) };
  }
  return null;
}

function themeButton() {
  const labels = { auto: "Theme: system", light: "Theme: light", dark: "Theme: dark" };
  const button = h("button", { type: "button", class: "small", id: "theme-toggle" }, labels[storedTheme()]);
  button.addEventListener("click", () => {
    const order = ["auto", "light", "dark"];
    const next = order[(order.indexOf(storedTheme()) + 1) % order.length];
    try { localStorage.setItem(THEME_KEY, next); } catch (_) { /* private mode: this page only */ }
    applyTheme(next);
    button.textContent = labels[next];
  });
  return button;
}

async function signOut() {
  try {
    await post("/api/logout", {}, { quietAuth: true });
  } catch (_) { /* the session may already be gone; either way we are signed out */ }
  resetSessionState();
  app.user = null;
  navigate("/login");
}

function layout(route) {
  const root = document.getElementById("app");
  const main = h("main", { id: "main", tabindex: "-1" });
  if (route && route.public) {
    replace(root, h("header", { class: "topbar" },
      h("a", { class: "brand", href: "/login" }, h("img", { src: "/favicon.svg", alt: "" }), "Pulse"),
      h("span", { class: "spacer" }), themeButton()), main);
    return main;
  }
  const link = (href, label, key) => h("a", { href, "aria-current": route && route.nav === key ? "page" : undefined }, label);
  replace(root,
    h("header", { class: "topbar" },
      h("a", { class: "brand", href: "/" }, h("img", { src: "/favicon.svg", alt: "" }), "Pulse"),
      h("nav", { class: "nav", "aria-label": "Main" },
        link("/", "Overview", "overview"), link("/containers", "Containers", "containers"),
        link("/settings", "Settings", "settings")),
      h("span", { class: "spacer" }),
      app.user ? h("span", { class: "user", id: "signed-in-user" }, app.user) : null,
      themeButton(),
      h("button", { type: "button", class: "small", id: "sign-out", onclick: signOut }, "Sign out")),
    main);
  return main;
}

async function render() {
  const token = ++app.renderToken;
  if (app.cleanup) { try { app.cleanup(); } catch (_) { /* ignore */ } app.cleanup = null; }
  const route = matchRoute(location.pathname);
  document.getElementById("app").dataset.state = "loading";
  try {
    if (!app.status) await refreshStatus();
    if (app.status.setupRequired && (!route || route.page !== "setup")) return navigate("/setup", { replace: true });
    if (route && !route.public && !app.user) {
      // Am I signed in? The status names the administrator only to authenticated callers.
      await refreshStatus();
      app.user = app.status.authUsername || app.status.proxyAuthUsername || (app.status.apiTokenHint ? "signed in" : null);
      if (!app.user) {
        const next = location.pathname === "/" ? "" : `?next=${encodeURIComponent(location.pathname + location.search)}`;
        return navigate(`/login${next}`, { replace: true });
      }
    }
  } catch (error) {
    const main = layout({ public: true });
    main.append(h("div", { class: "notice error", role: "alert" },
      error instanceof ApiError ? error.message : "The dashboard could not start.",
      " ", h("button", { type: "button", class: "small", onclick: () => render() }, "Try again")));
    document.getElementById("app").dataset.state = "error";
    return undefined;
  }
  if (token !== app.renderToken) return undefined;
  const main = layout(route);
  document.title = route ? `${route.title} · Pulse` : "Not found · Pulse";
  if (!route) {
    main.append(h("h1", {}, "Page not found"),
      h("p", {}, "There is no page at this address. ", h("a", { href: "/" }, "Go to the overview"), "."));
    document.getElementById("app").dataset.state = "ready";
    return undefined;
  }
  try {
    const module = await pages[route.page]();
    if (token !== app.renderToken) return undefined;
    // Pages get the app itself (so what they learn, such as who signed in, sticks) with this route's parameters.
    app.params = route.params;
    app.query = new URLSearchParams(location.search);
    app.cleanup = (await module.render(main, app)) || null;
  } catch (error) {
    main.append(h("div", { class: "notice error", role: "alert" },
      error instanceof ApiError ? error.message : "This page failed to load. Reload to try again."));
  }
  if (token === app.renderToken) {
    document.getElementById("app").dataset.state = "ready";
    if (app.focusMain) { app.focusMain = false; main.focus({ preventScroll: true }); }
  }
  return undefined;
}

/** Signed in: remember who, and go where the user was heading. */
app.signedIn = (username, next) => {
  app.user = username || "signed in";
  navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
};

onUnauthorized(() => {
  if (!app.user) return;
  app.user = null;
  resetSessionState();
  navigate(`/login?expired=1&next=${encodeURIComponent(location.pathname)}`, { replace: true });
});

document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = event.target.closest("a[href]");
  if (!anchor || anchor.target || anchor.hasAttribute("download")) return;
  const url = new URL(anchor.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/") || url.pathname.startsWith("/download/")) return;
  if (url.pathname === location.pathname && url.hash) return;
  event.preventDefault();
  app.focusMain = true;
  navigate(url.pathname + url.search);
});

window.addEventListener("popstate", () => render());
render();
