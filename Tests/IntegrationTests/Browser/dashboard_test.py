#!/usr/bin/env python3
"""Drives the Pulse web dashboard in headless Chromium (Debian's chromium + chromium-driver, Selenium) against a
real hub, with a real pulse-agent reporting to it.

Run by Tests/IntegrationTests/DashboardBrowserTests.swift, which starts the hub and reads the JSON result; it can
also run by hand against a fresh hub (see --help). Every process started here (chromium --dump-dom, chromedriver
with its browser, the agent) is stopped by PID before exit, also on SIGTERM.
"""

import argparse
import base64
import http.client
import threading
import json
import os
import re
import signal
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.common.exceptions import (NoSuchElementException, StaleElementReferenceException, TimeoutException,
                                        WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--no-first-run", "--disable-extensions", "--disable-background-networking", "--mute-audio"]
PASSWORD = "correct horse battery staple"
HOSTNAME = "dash-it-host"

# Collected in the page before any of its scripts run (CDP scripts are not subject to the page's CSP).
ERROR_CATCHER = """
window.__pulseErrors = [];
addEventListener('error', (e) => window.__pulseErrors.push('error: ' + (e.message || e.type) + ' at ' + (e.filename || '') + ':' + (e.lineno || '')), true);
addEventListener('unhandledrejection', (e) => window.__pulseErrors.push('unhandled rejection: ' + String(e.reason && (e.reason.stack || e.reason.message) || e.reason)));
document.addEventListener('securitypolicyviolation', (e) => window.__pulseErrors.push('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));
"""


class Run:
    """The checks, console errors and screenshots of one run, written as JSON at the end."""

    def __init__(self, args):
        self.args = args
        self.checks = []
        self.console = []
        self.screenshots = []
        self.children = []
        self.driver = None
        self.service = None
        self.api_token = None

    # Bookkeeping

    def check(self, name, ok, detail=""):
        self.checks.append({"name": name, "ok": bool(ok), "detail": str(detail)[:2000]})
        print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)[:500]), flush=True)
        return ok

    def write(self):
        with open(self.args.result, "w") as handle:
            json.dump({"checks": self.checks, "console": self.console, "screenshots": self.screenshots}, handle, indent=2)

    def screenshot(self, name, full=True):
        """The whole page (not only the window), through the DevTools protocol."""
        path = os.path.join(self.args.artifacts, name + ".png")
        try:
            if full:
                metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
                size = metrics.get("cssContentSize") or metrics["contentSize"]
                width = self.driver.execute_script("return window.innerWidth")
                shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
                    "format": "png", "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": width, "height": min(int(size["height"]), 6000), "scale": 1}})
                with open(path, "wb") as handle:
                    handle.write(base64.b64decode(shot["data"]))
            else:
                self.driver.save_screenshot(path)
            self.screenshots.append(path)
        except WebDriverException as error:
            self.check("screenshot " + name, False, error)

    # Processes

    def spawn(self, argv, log_name, env=None):
        log = open(os.path.join(self.args.work, log_name), "ab")
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                   start_new_session=True)
        self.children.append(process)
        return process

    def stop(self, process, timeout=10):
        if process.poll() is not None:
            return process.returncode
        process.terminate()
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait(5)

    def cleanup(self):
        if self.driver is not None:
            try:
                self.driver.quit()
            except Exception:  # noqa: BLE001 - best effort, the PID kill below is the guarantee
                pass
            self.driver = None
        if self.service is not None and self.service.process is not None:
            process = self.service.process
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
        for process in self.children:
            if process.poll() is None:
                self.stop(process)

    # HTTP with the setup's full-access API token

    def api(self, path, token=None, method="GET", body=None):
        headers = {"Accept": "application/json"}
        token = token if token is not None else self.api_token
        if token:
            headers["X-API-Token"] = token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.args.hub + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                if "json" not in (response.headers.get("Content-Type") or ""):
                    return response.status, raw
                text = raw.decode()
                return response.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            try:
                return error.code, json.loads(text)
            except ValueError:
                return error.code, text

    def state_host(self, hostname=HOSTNAME):
        status, state = self.api("/api/state")
        if status != 200:
            return None
        return next((h for h in state.get("hosts", []) if h.get("hostname") == hostname), None)

    # Browser

    def start_browser(self):
        options = webdriver.ChromeOptions()
        options.binary_location = self.args.chromium
        for flag in CHROME_FLAGS + ["--window-size=1366,900"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.service = Service(self.args.chromedriver, log_output=os.path.join(self.args.work, "chromedriver.log")) \
            if "log_output" in Service.__init__.__code__.co_varnames else \
            Service(self.args.chromedriver, log_path=os.path.join(self.args.work, "chromedriver.log"))
        self.driver = webdriver.Chrome(service=self.service, options=options)
        self.driver.set_page_load_timeout(30)
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ERROR_CATCHER})

    def wait(self, condition, timeout=20, what="condition"):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.2,
                                 ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(condition)
        except TimeoutException:
            return None

    def css(self, selector, timeout=20):
        return self.wait(lambda d: (d.find_elements(By.CSS_SELECTOR, selector) or [None])[0], timeout, selector)

    def ready(self, timeout=20):
        return self.wait(lambda d: d.execute_script("return document.getElementById('app').dataset.state") == "ready", timeout)

    def open(self, path):
        self.driver.get(self.args.hub + path)
        self.ready()

    def collect_console(self, page):
        """Browser errors since the last call: JavaScript errors, CSP violations, failed loads of the app's files."""
        problems = []
        try:
            entries = self.driver.get_log("browser")
        except WebDriverException:
            entries = []
        for entry in entries:
            if entry.get("level") != "SEVERE":
                continue
            message = entry.get("message", "")
            if entry.get("source") == "network" and "/api/" in message:
                continue  # an API answering 4xx is shown to the user in words, not a script error
            problems.append(f"{entry.get('source')}: {message}")
        try:
            caught = self.driver.execute_script("const e = window.__pulseErrors || []; window.__pulseErrors = []; return e;")
        except WebDriverException:
            caught = []
        problems += caught or []
        for problem in problems:
            self.console.append({"page": page, "message": problem})
        self.check(f"no JavaScript errors on {page}", not problems, "; ".join(problems))

    def text(self, selector):
        element = self.css(selector, timeout=5)
        return element.text if element is not None else ""


# Docker / Podman hosts and a Kubernetes cluster in the shapes of hub-api 11.1 and agent-protocol 2.2 / 2.3. The
# hub in this branch does not ingest those reports yet, so a proxy adds them to /api/state for the pages that show
# them (and answers the report download the same way); everything else goes to the real hub unchanged.
NOW_MS = int(time.time() * 1000)
FIXTURE_DOCKER = [{
    "id": "docker-fixture-1", "agentId": "agent-d1", "hostname": "docker-box", "displayName": "docker-box",
    "runtime": "podman", "runtimeVersion": "4.3.1", "dockerVersion": "4.3.1", "cpus": 4, "totalMemoryBytes": 8 << 30,
    "cpuUsagePercent": 37.25, "memory": {"total": 8 << 30, "used": 3 << 30, "usage": 37.5},
    "disks": [{"mountpoint": "/", "total": 100 << 30, "used": 40 << 30, "usage": 40.0}],
    "status": "online", "lastSeen": NOW_MS, "intervalSeconds": 30,
    "containers": [
        {"id": "c-web", "name": "web", "image": "nginx:1.25", "state": "running", "status": "Up 3 hours", "health": "healthy",
         "cpuPercent": 12.5, "memoryUsageBytes": 64 << 20, "memoryLimitBytes": 256 << 20, "memoryPercent": 25.0,
         "uptimeSeconds": 10800, "restartCount": 0},
        {"id": "c-db", "name": "db", "image": "postgres:15", "state": "running", "status": "Up 2 days", "health": "unhealthy",
         "cpuPercent": 3.75, "memoryUsageBytes": 512 << 20, "memoryLimitBytes": 1 << 30, "memoryPercent": 50.0,
         "uptimeSeconds": 180000, "restartCount": 2},
        {"id": "c-job", "name": "nightly-job", "image": "busybox", "state": "exited", "status": "Exited (1) 2 hours ago",
         "cpuPercent": 0, "memoryUsageBytes": 0, "memoryLimitBytes": 0, "memoryPercent": 0, "uptimeSeconds": 0,
         "restartCount": 5, "exitCode": 1},
    ],
}]
FIXTURE_CLUSTERS = [{
    "id": "k8s-fixture-1", "name": "prod-cluster", "version": "v1.29.2", "status": "online", "lastSeen": NOW_MS,
    "nodes": [
        {"uid": "n1", "name": "node-a", "ready": True, "roles": ["control-plane"], "kubeletVersion": "v1.29.2",
         "capacity": {"cpuCores": 4, "memoryBytes": 16 << 30, "pods": 110}},
        {"uid": "n2", "name": "node-b", "ready": False, "roles": ["worker"], "kubeletVersion": "v1.29.2",
         "capacity": {"cpuCores": 8, "memoryBytes": 32 << 30, "pods": 110}},
    ],
    "pods": [
        {"uid": "p1", "name": "api-7c9", "namespace": "shop", "phase": "Running", "restarts": 0, "nodeName": "node-a",
         "containers": [{"name": "api", "ready": True, "state": "running"}]},
        {"uid": "p2", "name": "worker-5f2", "namespace": "shop", "phase": "Running", "restarts": 14, "nodeName": "node-a",
         "containers": [{"name": "worker", "ready": False, "state": "waiting", "reason": "CrashLoopBackOff"}]},
        {"uid": "p3", "name": "migrate-1", "namespace": "shop", "phase": "Succeeded", "restarts": 0},
        {"uid": "p4", "name": "cache-0", "namespace": "infra", "phase": "Pending", "reason": "Unschedulable", "restarts": 0},
    ],
    "deployments": [
        {"uid": "d1", "name": "api", "namespace": "shop", "desiredReplicas": 2, "readyReplicas": 2, "availableReplicas": 2, "updatedReplicas": 2},
        {"uid": "d2", "name": "worker", "namespace": "shop", "desiredReplicas": 3, "readyReplicas": 1, "availableReplicas": 1, "updatedReplicas": 3},
    ],
}]


class FixtureProxy:
    """A loopback HTTP proxy to the hub that adds the fixtures above to /api/state and answers report downloads."""

    def __init__(self, hub):
        target = urlsplit(hub)
        outer = self
        self.requests = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                outer.requests.append(self.path)
                if self.path.startswith("/api/admin/reports/generate"):
                    csv = b"# Pulse Metrics Report\n# SUMMARY\nMetric,Count,Min,Max,Average,Current,Unit\ncpu,3,1,3,2,3,%\n"
                    return self.reply(200, [("Content-Type", "text/csv"),
                                            ("Content-Disposition", 'attachment; filename="report-fixture-20260101.csv"')], csv)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "accept-encoding", "connection")}
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=15)
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    data = response.read()
                    out = [(k, v) for k, v in response.getheaders()
                           if k.lower() not in ("content-length", "transfer-encoding", "connection")]
                    if self.path.split("?")[0] == "/api/state" and response.status == 200:
                        state = json.loads(data)
                        state["dockerHosts"] = FIXTURE_DOCKER
                        state["kubernetesClusters"] = FIXTURE_CLUSTERS
                        data = json.dumps(state).encode()
                    self.reply(response.status, out, data)
                finally:
                    connection.close()

            def reply(self, status, headers, data):
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def fixture_pages(run):
    """Containers, clusters and the report download, against the documented shapes (through the proxy)."""
    d = run.driver
    proxy = FixtureProxy(run.args.hub)
    try:
        d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": run.args.work})
        d.get(proxy.url + "/containers")
        run.ready()
        section = run.css("#docker-docker-fixture-1", timeout=15)
        if run.check("the containers page shows a Podman host from /api/state", section is not None, run.text("main")[:400]):
            rows = d.find_elements(By.CSS_SELECTOR, "#docker-docker-fixture-1 tbody tr")
            names = [r.get_attribute("data-container") for r in rows]
            run.check("containers are listed running first", names == ["c-db", "c-web", "c-job"], names)
            web = d.find_element(By.CSS_SELECTOR, "tr[data-container='c-web']").text
            run.check("a container row shows state, health, CPU and memory",
                      all(part in web for part in ("running", "healthy", "12.5%", "64.0 MiB of 256.0 MiB")), web)
            run.check("an unhealthy container is flagged", "unhealthy" in d.find_element(By.CSS_SELECTOR, "tr[data-container='c-db']").text)
            run.check("the runtime and its version are named", "Podman 4.3.1" in section.text, section.text[:200])
        cluster = run.css("#cluster-k8s-fixture-1", timeout=5)
        text = cluster.text if cluster is not None else ""
        run.check("the cluster shows its nodes, with the one not ready", "node-a" in text and "node-b" in text and "not ready" in text, text[:600])
        run.check("problem pods list the crash-looping and pending pods only",
                  "worker-5f2" in text and "cache-0" in text and "CrashLoopBackOff" in text and "api-7c9" not in text
                  and "migrate-1" not in text, text[:800])
        run.check("deployments show ready of desired", "1/3" in text and "2/2" in text, text[-400:])
        filter_box = run.css("#containers-filter")
        filter_box.send_keys("postgres")
        run.check("the containers filter narrows the rows", run.wait(
            lambda d: [r.get_attribute("data-container") for r in d.find_elements(By.CSS_SELECTOR, "#docker-docker-fixture-1 tbody tr")] == ["c-db"], 5))
        filter_box.send_keys(Keys.CONTROL, "a")
        filter_box.send_keys(Keys.DELETE)
        run.check("clearing the filter shows every container again", run.wait(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "#docker-docker-fixture-1 tbody tr")) == 3, 5))
        run.screenshot("15-containers-and-clusters")
        run.collect_console("containers (documented shapes)")

        d.get(proxy.url + "/")
        run.ready()
        docker_row = run.css("tr[data-kind=docker][data-id='docker-fixture-1'] td.cpu", timeout=15)
        run.check("the overview lists docker hosts with their CPU", docker_row is not None and docker_row.get_attribute("data-value") == "37.25")
        k8s_row = run.css("tr[data-kind=kubernetes][data-id='k8s-fixture-1']", timeout=5)
        run.check("the overview lists clusters with node readiness", k8s_row is not None and "1/2 nodes ready" in k8s_row.text,
                  k8s_row.text if k8s_row is not None else "")
        run.screenshot("16-overview-all-kinds")
        run.collect_console("overview (documented shapes)")

        d.get(proxy.url + "/settings/reporting")
        run.ready()
        Select(run.css("#report-type")).select_by_value("dockerContainer")
        options = [o.get_attribute("value") for o in run.css("#report-resource").find_elements(By.TAG_NAME, "option")]
        run.check("reports can be made for containers", options == ["c-web", "c-db", "c-job"], options)
        Select(run.css("#report-format")).select_by_value("csv")
        run.css("#report-download").click()
        notice = run.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#report-form .notice.ok").text, 15)
        run.check("a report download is offered under the hub's file name", notice and "report-fixture-20260101.csv" in notice, notice)
        asked = [p for p in proxy.requests if p.startswith("/api/admin/reports/generate")]
        run.check("the report request carries the documented parameters",
                  asked and all(k in asked[-1] for k in ("format=csv", "resourceType=dockerContainer", "resourceId=c-web", "range=24h")),
                  asked)
        downloaded = os.path.join(run.args.work, "report-fixture-20260101.csv")
        run.check("the browser saved the report", run.wait(lambda d: os.path.exists(downloaded), 10), os.listdir(run.args.work))
        run.collect_console("reporting (download)")
    finally:
        proxy.close()


def dump_dom(run, path, expect, name):
    """chromium --dump-dom: the DOM after the app's scripts ran, without WebDriver."""
    argv = [run.args.chromium] + CHROME_FLAGS + ["--virtual-time-budget=5000", "--dump-dom", run.args.hub + path]
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    run.children.append(process)
    try:
        out, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
    dom = out.decode(errors="replace")
    with open(os.path.join(run.args.artifacts, name + ".dom.html"), "w") as handle:
        handle.write(dom)
    missing = [needle for needle in expect if needle not in dom]
    run.check(f"--dump-dom {path} renders the app", not missing and 'data-state="ready"' in dom,
              f"missing {missing}; DOM starts {dom[:300]!r}")


def setup_flow(run):
    d = run.driver
    run.open("/")
    run.check("a fresh hub sends the browser to first-run setup", run.wait(lambda d: d.current_url.endswith("/setup")),
              d.current_url)
    token_input = run.css("#setup-token")
    token_input.send_keys("0" * 48)
    token_input.send_keys(Keys.ENTER)
    run.check("a wrong bootstrap token is refused in words", run.wait(
        lambda d: "not this hub's bootstrap token" in d.find_element(By.CSS_SELECTOR, "#setup-token-form .notice").text),
        run.text("#setup-token-form .notice"))
    token_input.clear()
    token_input.send_keys(run.args.bootstrap_token)
    run.screenshot("01-setup-token")
    token_input.send_keys(Keys.ENTER)
    run.check("the bootstrap token is accepted", run.css("#setup-admin-form") is not None)
    run.css("#setup-password").send_keys("short")
    run.css("#setup-confirm").send_keys("short")
    run.css("#setup-admin-form button[type=submit]").click()
    run.check("a short password is refused before asking the hub",
              "12 characters" in run.text("#setup-admin-form .notice"), run.text("#setup-admin-form .notice"))
    for selector in ("#setup-password", "#setup-confirm"):
        run.css(selector).clear()
        run.css(selector).send_keys(PASSWORD)
    run.css("#setup-admin-form button[type=submit]").click()
    command_element = run.css("#install-command", timeout=30)
    if not run.check("setup ends with the agent install command", command_element is not None, run.text("#setup")):
        return None
    command = command_element.text
    run.api_token = run.text("#setup-api-token")
    token_id = run.text("#install-token-id")
    run.screenshot("02-setup-done")
    run.check("the install one-liner fetches install.sh from this hub and passes its URL",
              f"{run.args.hub}/install.sh" in command and f"--url {run.args.hub}" in command, command)
    match = re.search(r"--token ([0-9a-f]{64})", command)
    run.check("the install one-liner carries a 64-hex agent token", match, command)
    run.check("setup shows the full-access API token once", re.fullmatch(r"[0-9a-f]{32,}", run.api_token or ""), run.api_token)
    status, tokens = run.api("/api/security/tokens")
    record = next((t for t in (tokens or {}).get("tokens", []) if t.get("id") == token_id), None)
    run.check("the agent token is scoped to host-agent:report only", record and record.get("scopes") == ["host-agent:report"],
              record or tokens)
    run.css("#go-dashboard").click()
    run.check("after setup the browser is signed in and on the dashboard",
              run.wait(lambda d: d.find_elements(By.ID, "signed-in-user") and d.find_element(By.ID, "signed-in-user").text == "admin"),
              run.driver.current_url)
    run.collect_console("setup")
    return match.group(1) if match else None


def start_agent(run, token):
    env = {"PATH": "/usr/bin:/bin", "PULSE_TOKEN": token}
    agent = run.spawn([run.args.agent, "--url", run.args.hub, "--interval", "1s", "--hostname", HOSTNAME,
                       "--spool-dir", os.path.join(run.args.work, "agent-spool"), "--health-addr", "",
                       "--remote-config-interval", "0", "--disable-auto-update", "--tag", "browser-test",
                       "--log-level", "warn"], "agent.log", env=env)
    deadline = time.time() + 40
    host = None
    points = 0
    while time.time() < deadline:
        host = run.state_host()
        if host:
            status, history = run.api(f"/api/metrics-store/history?resourceType=host&resourceId={host['id']}&metric=cpu&range=1h&maxPoints=300")
            points = len((history or {}).get("points", [])) if status == 200 else 0
            if points >= 3:
                break
        time.sleep(0.5)
    run.check("the real agent reports with the minted token and the hub keeps its CPU history", host and points >= 3,
              f"host={bool(host)} points={points}")
    # Stop reporting so /api/state stays still while the pages are compared with it (the host stays online for
    # its offline window, 60 s).
    run.check("the agent stops cleanly on SIGTERM", run.stop(agent) == 0)
    return host["id"] if host else None


def login_flow(run):
    d = run.driver
    run.css("#sign-out").click()
    run.check("sign out leads to the sign-in page", run.wait(lambda d: "/login" in d.current_url))
    run.ready()
    run.css("#login-username").send_keys("admin")
    run.css("#login-password").send_keys("wrong password here")
    run.css("#login-submit").click()
    run.check("a wrong password is explained, with the attempts left",
              run.wait(lambda d: "Wrong username or password" in d.find_element(By.CSS_SELECTOR, "#login-form .notice").text
                       and "left" in d.find_element(By.CSS_SELECTOR, "#login-form .notice").text),
              run.text("#login-form .notice"))
    run.screenshot("03-login-error")
    password = run.css("#login-password")
    password.clear()
    password.send_keys(PASSWORD)
    run.css("#login-submit").click()
    run.check("signing in leads to the overview", run.wait(lambda d: d.current_url.rstrip("/") == run.args.hub))
    cookies = {c["name"]: c for c in d.get_cookies()}
    run.check("the session cookie is HttpOnly and the CSRF cookie readable",
              cookies.get("pulse_session", {}).get("httpOnly") is True and cookies.get("pulse_csrf", {}).get("httpOnly") is False,
              cookies)
    run.collect_console("login")


def overview(run, host_id, agent_token):
    d = run.driver
    row = run.css(f"tr[data-kind=host][data-id='{host_id}']", timeout=20)
    if not run.check("the overview lists the agent's host", row is not None, d.page_source[:500]):
        return
    host = run.state_host()
    # The table is redrawn on every poll: read it fresh for each check.
    row = d.find_element(By.CSS_SELECTOR, f"tr[data-kind=host][data-id='{host_id}']")
    shown = row.find_element(By.CSS_SELECTOR, "td.cpu").get_attribute("data-value")
    run.check("the overview's CPU value is the one in /api/state",
              host and shown and abs(float(shown) - float(host["cpuUsage"])) < 1e-9, f"DOM {shown} vs state {host and host.get('cpuUsage')}")
    cells = run.wait(lambda d: (d.find_element(By.CSS_SELECTOR, f"tr[data-id='{host_id}'] td.cpu .value").text,
                                d.find_element(By.CSS_SELECTOR, f"tr[data-id='{host_id}'] td.status").text), 5) or ("", "")
    run.check("the CPU cell shows the value in words", cells[0] == f"{host['cpuUsage']:.1f}%", cells[0])
    run.check("the host shows online", "online" in cells[1], cells[1])
    spark = run.wait(lambda d: int(d.find_element(By.CSS_SELECTOR, f"tr[data-id='{host_id}'] svg.sparkline").get_attribute("data-points") or 0) >= 1, 40)
    run.check("the overview's sparkline has points", spark)
    tags = run.wait(lambda d: d.find_element(By.CSS_SELECTOR, f"tr[data-id='{host_id}'] td.name").text, 5)
    run.check("the host's tags are shown", tags and "browser-test" in tags, tags)
    run.screenshot("04-overview")

    # Sorting and filtering.
    run.css("button[data-sort=cpu]").click()
    run.check("sorting by CPU marks the column", run.wait(
        lambda d: d.find_element(By.CSS_SELECTOR, "button[data-sort=cpu]").find_element(By.XPATH, "..").get_attribute("aria-sort") in ("ascending", "descending")))
    box = run.css("#overview-filter")
    box.send_keys("no-such-thing")
    run.check("the filter box hides what does not match", run.wait(lambda d: "Nothing matches" in d.find_element(By.ID, "overview-table").text))
    box.clear()
    box.send_keys("DASH-IT")
    run.check("the filter matches case-insensitively", run.css(f"tr[data-id='{host_id}']", timeout=5) is not None)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)

    # Live refresh: a second host reporting now appears without reloading the page.
    d.execute_script("window.__sameDocument = true;")
    report = {"agent": {"id": "live-agent", "version": "1.0.0", "type": "unified", "intervalSeconds": 30},
              "host": {"hostname": "dash-live-host", "id": "dash-live-host", "platform": "linux", "osName": "Debian"},
              "metrics": {"cpuUsagePercent": 42.5, "memory": {"totalBytes": 1000, "usedBytes": 500, "usage": 50}},
              "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    status, _ = run.api("/api/agents/host/report", token=agent_token, method="POST", body=report)
    run.check("a second report is accepted", status == 200, status)
    live = run.css("tr[data-id='dash-live-host'] td.cpu", timeout=15)
    run.check("live refresh shows the new host within one poll, without a reload",
              live is not None and live.get_attribute("data-value") == "42.5" and d.execute_script("return window.__sameDocument === true"))
    run.collect_console("overview")


def host_page(run, host_id):
    d = run.driver
    d.find_element(By.CSS_SELECTOR, f"tr[data-id='{host_id}'] td.name a").click()
    run.check("the host link opens the host page", run.wait(lambda d: f"/hosts/{host_id}" in d.current_url))
    cpu_chart = run.wait(lambda d: int((d.find_elements(By.CSS_SELECTOR, "#chart-cpu figure") or [None])[0].get_attribute("data-points") or 0) > 0
                         if d.find_elements(By.CSS_SELECTOR, "#chart-cpu figure") else False, 20)
    points = d.find_element(By.CSS_SELECTOR, "#chart-cpu figure").get_attribute("data-points") if cpu_chart else "0"
    run.check("the CPU chart has points", int(points) >= 3, points)
    path = d.find_elements(By.CSS_SELECTOR, "#chart-cpu svg path.series")
    run.check("the CPU chart draws a line", path and len(path[0].get_attribute("d") or "") > 10)
    status, history = run.api(f"/api/metrics-store/history?resourceType=host&resourceId={host_id}&range=1h&maxPoints=300")
    run.check("the chart shows every point the history API returns",
              status == 200 and int(points) == len(history["metrics"].get("cpu", [])), f"{points} vs {status}")
    host = run.state_host()
    shown = run.css("#host-cpu").get_attribute("data-value")
    run.check("the host page's CPU value is the one in /api/state", shown and abs(float(shown) - float(host["cpuUsage"])) < 1e-9,
              f"{shown} vs {host['cpuUsage']}")
    facts = run.text("#host-facts")
    run.check("system facts are shown", HOSTNAME in facts and (host.get("kernelVersion") or "") in facts, facts[:300])
    run.check("the disks table lists the root filesystem", any(c.text == "/" for c in d.find_elements(By.CSS_SELECTOR, "#host-disks td")),
              run.text("#host-disks"))
    for section in ("#host-smart", "#host-raid", "#host-sensors", "#host-network", "#chart-memory", "#chart-disk", "#chart-network",
                    "#chart-temperature"):
        run.check(f"the host page has {section}", run.css(section, timeout=5) is not None)
    run.screenshot("05-host")
    d.find_element(By.CSS_SELECTOR, "button[data-range='24h']").click()
    run.check("the 24h range reloads the charts", run.wait(lambda d: d.find_element(By.ID, "host-charts").get_attribute("data-range") == "24h"))
    # Dark theme.
    toggle = run.css("#theme-toggle")
    toggle.click()
    toggle.click()
    run.check("the theme toggle switches to dark", d.execute_script("return document.documentElement.dataset.theme") == "dark")
    background = d.execute_script("return getComputedStyle(document.body).backgroundColor")
    run.check("the dark theme darkens the page", background.startswith("rgb(13, 17, 23"), background)
    run.screenshot("06-host-dark")
    run.css("#theme-toggle").click()
    run.collect_console("host detail")


def containers_page(run):
    run.open("/containers")
    run.check("the containers page explains that nothing reports containers yet", run.css("#containers-empty", timeout=10) is not None,
              run.text("main"))
    run.screenshot("07-containers")
    run.collect_console("containers")


def tokens_page(run):
    d = run.driver
    run.open("/settings/tokens")
    run.css("#token-name").send_keys("browser-reader")
    run.css("#token-limited").click()
    d.find_element(By.CSS_SELECTOR, "input[name=scope][value='monitoring:read']").click()
    run.css("#token-form button[type=submit]").click()
    value = run.css("#new-token-value", timeout=10)
    raw = value.text if value is not None else ""
    run.check("a created token is shown once", re.fullmatch(r"[0-9a-f]{64}", raw), raw)
    status, _ = run.api("/api/state", token=raw)
    run.check("the new token reads monitoring data", status == 200, status)
    status, body = run.api("/api/security/tokens", token=raw)
    run.check("the new token has only its scope", status == 403 and body.get("requiredScope") == "settings:read", body)
    run.screenshot("08-settings-tokens")
    status, tokens = run.api("/api/security/tokens")
    record = next(t for t in tokens["tokens"] if t["name"] == "browser-reader")
    row = run.css(f"tr[data-token-id='{record['id']}']")
    row.find_element(By.CSS_SELECTOR, "button.danger").click()
    run.wait(lambda d: d.find_element(By.CSS_SELECTOR, f"tr[data-token-id='{record['id']}'] .confirm button.danger").text == "Revoke now", 5)
    d.find_element(By.CSS_SELECTOR, f"tr[data-token-id='{record['id']}'] .confirm button.danger").click()
    run.check("revoking removes the token from the list",
              run.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, f"tr[data-token-id='{record['id']}']"), 10))
    status, _ = run.api("/api/state", token=raw)
    run.check("a revoked token is refused", status == 401, status)
    run.collect_console("settings: API tokens")


def agents_page(run, host_id):
    d = run.driver
    run.open("/settings/agents")
    select = run.css(f"select[data-commands-for='{host_id}']", timeout=15)
    if not run.check("the agents page lists the host", select is not None):
        return
    Select(select).select_by_value("on")
    run.wait(lambda d: "Remote commands" in d.find_element(By.CSS_SELECTOR, "#agent-hosts-notice").text, 10)
    status, config = run.api(f"/api/agents/host/{host_id}/config")
    run.check("per-host remote commands are saved through PATCH", status == 200 and config["config"].get("commandsEnabled") is True, config)
    run.css("#profile-name").send_keys("browser-profile")
    run.css("#profile-config").send_keys('{"bogus_key": 1}')
    run.css("#profile-form button[type=submit]").click()
    run.check("an invalid profile is explained, naming the key",
              run.wait(lambda d: "bogus_key" in d.find_element(By.CSS_SELECTOR, "#profile-form .notice").text, 10),
              run.text("#profile-form .notice"))
    area = run.css("#profile-config")
    area.send_keys(Keys.CONTROL, "a")
    area.send_keys(Keys.DELETE)
    area.send_keys('{"interval": "30s"}')
    run.css("#profile-form button[type=submit]").click()
    run.check("a profile is created", run.wait(lambda d: "browser-profile" in d.find_element(By.ID, "profile-list").text, 10))
    run.open("/settings/agents")
    profile_select = run.css(f"select[data-profile-for='{host_id}']", timeout=15)
    status, profiles = run.api("/api/admin/profiles")
    profile = next((p for p in profiles or [] if p["name"] == "browser-profile"), None)
    if profile_select is not None and profile:
        Select(profile_select).select_by_value(profile["id"])
        run.wait(lambda d: "assigned" in d.find_element(By.CSS_SELECTOR, "#agent-hosts-notice").text, 10)
    status, assignments = run.api("/api/admin/profiles/assignments")
    run.check("a profile is assigned to the host", profile and any(a["agent_id"] == host_id and a["profile_id"] == profile["id"]
                                                                  for a in assignments or []), assignments)
    run.css("#install-docker").click()
    run.css("#install-form button[type=submit]").click()
    command = run.css("#install-output #install-command", timeout=10)
    run.check("an install command with Docker is minted", command is not None and "--enable-docker" in command.text)
    run.screenshot("09-settings-agents")
    run.collect_console("settings: agents")


def audit_page(run):
    d = run.driver
    run.open("/settings/audit")
    rows = run.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#audit-results tbody tr"), 15)
    run.check("the audit log lists events", rows and len(rows) >= 3, len(rows or []))
    events = [r.find_element(By.CSS_SELECTOR, "td code").text for r in rows or []]
    run.check("setup, logins and token changes are in the audit log", {"setup", "login", "token_created", "token_revoked"} <= set(events), events)
    verified = run.wait(lambda d: all(v.get_attribute("data-verified") for v in d.find_elements(By.CSS_SELECTOR, "#audit-results .verify")), 20)
    badges = [v.get_attribute("data-verified") for v in d.find_elements(By.CSS_SELECTOR, "#audit-results .verify")]
    run.check("every event shows a verified signature badge", verified and badges and all(b == "true" for b in badges), badges)
    run.screenshot("10-settings-audit")
    run.css("#audit-event").send_keys("login")
    run.css("#audit-filters button[type=submit]").click()
    run.wait(lambda d: all(r.find_element(By.CSS_SELECTOR, "td code").text == "login" for r in d.find_elements(By.CSS_SELECTOR, "#audit-results tbody tr")), 10)
    events = [r.find_element(By.CSS_SELECTOR, "td code").text for r in d.find_elements(By.CSS_SELECTOR, "#audit-results tbody tr")]
    run.check("the event filter narrows the list", events and set(events) == {"login"}, events)
    failed = Select(run.css("#audit-outcome"))
    failed.select_by_value("false")
    run.css("#audit-filters button[type=submit]").click()
    run.check("the outcome filter finds the failed login",
              run.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#audit-results tbody tr") and
                       all("failed" in r.text for r in d.find_elements(By.CSS_SELECTOR, "#audit-results tbody tr")), 10))
    run.collect_console("settings: audit log")


def webhooks_page(run):
    run.open("/settings/webhooks")
    run.css("#webhook-urls").send_keys("http://127.0.0.1:9/audit")
    run.css("#webhook-form button[type=submit]").click()
    notice = run.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#webhook-form .notice.error").text, 10)
    run.check("a webhook to a private address is refused in words", notice and "HTTP 400" not in notice and len(notice) > 20, notice)
    run.check("the deliveries table is shown", run.css("#webhook-deliveries", timeout=5) is not None)
    run.screenshot("11-settings-webhooks")
    run.collect_console("settings: webhooks")


def reporting_page(run, host_id):
    run.open("/settings/reporting")
    resource = run.css("#report-resource")
    run.check("the reporting form offers the host", resource is not None and host_id in
              [o.get_attribute("value") for o in resource.find_elements(By.TAG_NAME, "option")])
    Select(run.css("#report-format")).select_by_value("csv")
    run.css("#report-download").click()
    notice = run.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#report-form .notice").text
                      if "Generating" not in d.find_element(By.CSS_SELECTOR, "#report-form .notice").text else None, 15)
    status, _ = run.api("/api/admin/reports/generate?format=csv&resourceType=host&resourceId=" + host_id + "&range=1h")
    if status == 404:
        run.check("without a reporting engine the page says so in words", notice and "no reporting endpoint" in notice, notice)
    else:
        run.check("the report downloads", notice and notice.startswith("Downloaded"), notice)
    run.screenshot("12-settings-reporting")
    run.collect_console("settings: reporting")


def security_page(run):
    run.open("/settings/security")
    text = run.text("#security-status")
    run.check("the security status names the signed-in administrator", "admin" in text and "HTTPS" in text, text[:300])
    run.screenshot("13-settings-security")
    run.collect_console("settings: security")


def phone_and_keyboard(run, host_id):
    d = run.driver
    d.set_window_size(390, 844)
    run.open("/")
    run.css(f"tr[data-id='{host_id}']")
    overflow = d.execute_script("return Math.max(document.documentElement.scrollWidth, document.querySelector('#resources').scrollWidth) - window.innerWidth")
    run.check("the overview fits a phone's width, without sideways scrolling", overflow <= 1, overflow)
    Select(run.css("#overview-sort")).select_by_value("cpu")
    first = run.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#resources tbody tr").get_attribute("data-id"), 5)
    run.check("a phone sorts with its own control (by CPU, highest first)", first == host_id or first == "dash-live-host", first)
    run.screenshot("14-overview-phone")
    d.set_window_size(1366, 900)
    run.open("/")
    run.css(f"tr[data-id='{host_id}']")
    d.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    first = d.execute_script("return document.activeElement.className")
    run.check("the first Tab reaches the skip link", "skip-link" in (first or ""), first)
    reached = set()
    for _ in range(25):
        d.switch_to.active_element.send_keys(Keys.TAB)
        element = d.switch_to.active_element
        reached.add(element.get_attribute("id") or element.get_attribute("data-sort") or element.text)
    run.check("the keyboard reaches the navigation, the filter and the sort buttons",
              {"Settings", "overview-filter", "cpu"} <= reached, sorted(reached))
    run.collect_console("phone and keyboard")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hub", required=True, help="hub base URL, e.g. http://127.0.0.1:7655")
    parser.add_argument("--bootstrap-token", required=True)
    parser.add_argument("--agent", required=True, help="pulse-agent binary")
    parser.add_argument("--artifacts", required=True, help="directory for screenshots and DOM dumps")
    parser.add_argument("--work", required=True, help="scratch directory (logs, agent spool)")
    parser.add_argument("--result", required=True, help="JSON result file")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    os.makedirs(args.artifacts, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    run = Run(args)

    def terminate(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")
    signal.signal(signal.SIGTERM, terminate)

    try:
        dump_dom(run, "/setup", ['id="setup-token-form"', "Bootstrap token"], "setup")
        run.start_browser()
        agent_token = setup_flow(run)
        host_id = start_agent(run, agent_token) if agent_token else None
        login_flow(run)
        if host_id:
            overview(run, host_id, agent_token)
            host_page(run, host_id)
        containers_page(run)
        tokens_page(run)
        if host_id:
            agents_page(run, host_id)
        audit_page(run)
        webhooks_page(run)
        if host_id:
            reporting_page(run, host_id)
        security_page(run)
        fixture_pages(run)
        if host_id:
            phone_and_keyboard(run, host_id)
        run.driver.delete_all_cookies()
        dump_dom(run, "/login", ['id="login-form"', "Sign in to Pulse"], "login")
    except BaseException as error:  # noqa: BLE001 - recorded as a failed check, then cleaned up
        run.check("the browser run completes", False, "".join(traceback.format_exception(error))[-3000:])
        if run.driver is not None:
            run.screenshot("zz-failure")
    finally:
        run.cleanup()
        run.write()
    failed = [c for c in run.checks if not c["ok"]]
    print(f"browser checks: {len(run.checks) - len(failed)} passed, {len(failed)} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
