#!/usr/bin/env python3
"""A Docker Engine API look-alike on a unix socket, driven by a scenario file (agent tests).

scenario JSON: {"ping": {"Api-Version": "1.43", ...headers}, "version": {...}, "info": {...},
"containers": [summaries], "inspect": {id: doc | "raw text"}, "stats": {id: [doc, doc, ...] | "raw text"},
"services": [...], "tasks": [...], "delay": {id: seconds}}. Stats documents are served in turn (the last
repeats). Requests are appended to <socket>.log. Exits after --seconds; the test also stops it by PID.
"""
import argparse, http.server, json, os, socketserver, threading, time, urllib.parse

ap = argparse.ArgumentParser()
ap.add_argument("sock"); ap.add_argument("scenario"); ap.add_argument("--seconds", type=int, default=120)
ap.add_argument("--mode", default="0660")
a = ap.parse_args()
with open(a.scenario) as f:
    S = json.load(f)
calls = {}
lock = threading.Lock()

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def address_string(self): return "unix"
    def log_message(self, *args): pass
    def send(self, code, body, headers=None):
        raw = body if isinstance(body, (bytes, bytearray)) else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items(): self.send_header(k, v)
        self.send_header("Content-Length", str(len(raw))); self.end_headers(); self.wfile.write(raw)
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        path = url.path
        parts = path.strip("/").split("/")
        if parts and parts[0].startswith("v1."): parts = parts[1:]
        with open(a.sock + ".log", "a") as log: log.write(self.path + "\n")
        if parts == ["_ping"]:
            return self.send(200, "OK", S.get("ping", {"Api-Version": "1.43"}))
        if parts == ["version"]: return self.send(200, S.get("version", {"Version": "24.0.7", "ApiVersion": "1.43"}))
        if parts == ["info"]: return self.send(200, S.get("info", {}))
        if parts == ["containers", "json"]: return self.send(200, S.get("containers", []))
        if parts == ["services"]: return self.send(200, S.get("services", []))
        if parts == ["tasks"]: return self.send(200, S.get("tasks", []))
        if len(parts) == 3 and parts[0] == "containers":
            cid, what = parts[1], parts[2]
            delay = S.get("delay", {}).get(cid)
            if delay: time.sleep(delay)
            if what == "json":
                doc = S.get("inspect", {}).get(cid)
                if doc is None: return self.send(404, {"message": "No such container: " + cid})
                return self.send(200, doc)
            if what == "stats":
                docs = S.get("stats", {}).get(cid)
                if docs is None: return self.send(404, {"message": "no stats"})
                if isinstance(docs, str): return self.send(200, docs)
                with lock:
                    n = calls.get(cid, 0); calls[cid] = n + 1
                return self.send(200, docs[min(n, len(docs) - 1)])
        return self.send(404, {"message": "page not found"})

class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

if os.path.exists(a.sock): os.unlink(a.sock)
srv = Server(a.sock, H)
os.chmod(a.sock, int(a.mode, 8))
threading.Timer(a.seconds, srv.shutdown).start()
print("ready", flush=True)
srv.serve_forever()
os.unlink(a.sock)
