// The hub's REST API (docs/API.md), and only that. Sessions ride on the HttpOnly pulse_session cookie; every
// state-changing request carries X-CSRF-Token (the pulse_csrf cookie, or the freshest token the hub sent), and a
// 403 csrf_failed is retried once with the fresh token that comes with it.

let csrfToken = null;
const listeners = new Set();

/** Called with no arguments when a request finds the session gone (401). */
export function onUnauthorized(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

function currentCSRF() {
  return csrfToken || cookie("pulse_csrf");
}

export function resetSessionState() {
  csrfToken = null;
}

/** An error from the hub (or from reaching it), with a message meant for people. */
export class ApiError extends Error {
  constructor({ status = 0, code = "", message, body = null, requestId = null, retryAfter = null }) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.body = body;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** Turns a hub answer into words: the hub's own message when it wrote one for people, else one by status. */
export function describeError(status, body, { retryAfter, requestId } = {}) {
  const code = (body && (body.code || body.error)) || "";
  const hubMessage = body && typeof body.error === "string" && body.error.includes(" ") ? body.error
    : body && typeof body.message === "string" && body.message.includes(" ") ? body.message : "";
  switch (code) {
    case "missing_scope":
      return `The credentials in use lack the "${body.requiredScope}" permission this needs.`;
    case "admin_required":
      return "This needs an administrator.";
    case "csrf_failed":
      return "The page's security token was refused twice. Reload the page and try again.";
    case "session_required":
      return "This needs a signed-in session; an API token cannot do it.";
    case "account_locked": {
      const minutes = Number(body.remainingMinutes) || 15;
      return `Too many failed sign-in attempts. This account is locked for ${plural(minutes, "more minute")}.`;
    }
    case "invalid_credentials":
      if (body.locked) return `Wrong username or password. Too many failures: sign-in is locked for ${body.lockoutDuration || "15 minutes"}.`;
      if (Number.isFinite(body.remaining)) {
        return `Wrong username or password. ${plural(body.remaining, "attempt")} left before a 15-minute lockout.`;
      }
      return hubMessage || "Wrong username or password.";
    case "rate_limit":
      return `Too many attempts in a short time. Wait ${retryAfter ? plural(Number(retryAfter), "second") : "a minute"} and try again.`;
    case "request_too_large":
      return "That is more data than the hub accepts in one request.";
    default:
      break;
  }
  if (status === 0) return "Cannot reach the Pulse hub. Check that it is running and that this computer can reach it, then try again.";
  if (status === 401) return hubMessage && code !== "unauthorized" && code !== "invalid_token"
    ? hubMessage : "You are not signed in, or your session has ended. Sign in again.";
  if (status === 429) return `The hub is limiting requests from this address. Wait ${retryAfter ? plural(Number(retryAfter), "second") : "a minute"} and try again.`;
  if (status === 500) return `The hub ran into an internal error. Its log has the details${requestId ? ` under request id ${requestId}` : ""}.`;
  if (status === 502 || status === 504) return "A proxy in front of the hub could not reach it. Try again shortly.";
  if (status === 503) return hubMessage || `The hub is busy right now. Try again in ${retryAfter ? plural(Number(retryAfter), "second") : "a few seconds"}.`;
  if (hubMessage && code !== "not_found") return hubMessage;
  if (status === 404) return "The hub does not know this address or item.";
  if (status === 405) return "The hub does not accept this action here.";
  return `The hub refused the request (HTTP ${status}).`;
}

function buildURL(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function readBody(response) {
  const type = response.headers.get("Content-Type") || "";
  if (response.status === 204 || response.status === 304) return null;
  const text = await response.text();
  if (!text) return null;
  if (type.includes("json")) {
    try { return JSON.parse(text); } catch (_) { return { error: text }; }
  }
  return { error: text.trim() };
}

/**
 * Calls the API. Options: method, query (object), body (JSON-encoded), headers, raw (return the Response of a
 * successful call, e.g. a file download), quietAuth (a 401 is not a lost session, e.g. while signing in).
 * Resolves to the parsed JSON (null for empty bodies); rejects with an ApiError.
 */
export async function api(path, { method = "GET", query, body, headers = {}, raw = false, quietAuth = false } = {}) {
  const mutating = !["GET", "HEAD"].includes(method);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const sent = { Accept: "application/json", ...headers };
    if (body !== undefined) sent["Content-Type"] = "application/json";
    if (mutating) {
      const token = currentCSRF();
      if (token) sent["X-CSRF-Token"] = token;
    }
    let response;
    try {
      response = await fetch(buildURL(path, query), {
        method, headers: sent, credentials: "same-origin", cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (_) {
      throw new ApiError({ status: 0, code: "network", message: describeError(0, null) });
    }
    const fresh = response.headers.get("X-CSRF-Token");
    if (fresh) csrfToken = fresh;
    if (response.ok && raw) return response;
    const parsed = await readBody(response);
    if (response.ok) return parsed;
    const code = (parsed && (parsed.code || parsed.error)) || "";
    if (response.status === 403 && code === "csrf_failed" && attempt === 0 && fresh) continue;
    const retryAfter = response.headers.get("Retry-After");
    const requestId = response.headers.get("X-Request-ID");
    if (response.status === 401 && !quietAuth) listeners.forEach((listener) => listener());
    throw new ApiError({ status: response.status, code, body: parsed, requestId, retryAfter,
      message: describeError(response.status, parsed, { retryAfter, requestId }) });
  }
  throw new ApiError({ status: 403, code: "csrf_failed", message: describeError(403, { code: "csrf_failed" }) });
}

export const get = (path, query, options = {}) => api(path, { ...options, query });
export const post = (path, body, options = {}) => api(path, { ...options, method: "POST", body });
export const put = (path, body, options = {}) => api(path, { ...options, method: "PUT", body });
export const patch = (path, body, options = {}) => api(path, { ...options, method: "PATCH", body });
export const del = (path, options = {}) => api(path, { ...options, method: "DELETE" });

/** Whether an error means "this hub has no such endpoint" (a feature not in this hub yet). */
export function isMissingEndpoint(error) {
  return error instanceof ApiError && error.status === 404 && (error.code === "not_found" || error.code === "");
}
