#!/usr/bin/env python3
"""A Kubernetes API look-alike over HTTPS (agent tests): bearer-token or client-certificate auth, paged lists.

objects JSON: {"version": {...}, "nodes": [...], "pods": [...], "deployments": [...]}. Lists honour `limit` and
`continue` (the token is the next offset, prefixed so it is opaque). Pods honour fieldSelector
status.phase!=Succeeded. Requests are appended to --log. Exits after --seconds; the test also stops it by PID.
"""
import argparse, http.server, json, ssl, threading, urllib.parse

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True); ap.add_argument("--certs", required=True)
ap.add_argument("--objects", required=True); ap.add_argument("--token", default="test-token")
ap.add_argument("--log", required=True); ap.add_argument("--seconds", type=int, default=120)
a = ap.parse_args()
with open(a.objects) as f:
    O = json.load(f)

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def send(self, code, obj):
        b = json.dumps(obj).encode(); self.send_response(code)
        self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(b)))
        self.end_headers(); self.wfile.write(b)
    def do_GET(self):
        peer = self.connection.getpeercert()
        cn = dict(x[0] for x in peer["subject"]).get("commonName") if peer else None
        auth = self.headers.get("Authorization")
        with open(a.log, "a") as log: log.write(json.dumps({"path": self.path, "cn": cn, "bearer": auth is not None}) + "\n")
        if auth != "Bearer " + a.token and not cn:
            return self.send(401, {"kind": "Status", "status": "Failure", "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
        url = urllib.parse.urlparse(self.path); q = urllib.parse.parse_qs(url.query)
        lists = {"/api/v1/nodes": "nodes", "/api/v1/pods": "pods", "/apis/apps/v1/deployments": "deployments"}
        if url.path == "/version": return self.send(200, O.get("version", {"gitVersion": "v1.29.2"}))
        if url.path in lists:
            items = O.get(lists[url.path], [])
            if url.path == "/api/v1/pods" and q.get("fieldSelector", [""])[0] == "status.phase!=Succeeded":
                items = [p for p in items if p.get("status", {}).get("phase") != "Succeeded"]
            start = int(q.get("continue", ["c0"])[0][1:] or 0)
            limit = int(q.get("limit", ["0"])[0] or 0) or len(items)
            page = items[start:start + limit]
            meta = {"resourceVersion": "1"}
            if start + limit < len(items): meta["continue"] = "c%d" % (start + limit)
            return self.send(200, {"kind": "List", "metadata": meta, "items": page})
        return self.send(404, {"kind": "Status", "code": 404, "message": "not found"})

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(a.certs + "/server.crt", a.certs + "/server.key")
ctx.verify_mode = ssl.CERT_OPTIONAL
ctx.load_verify_locations(a.certs + "/ca.crt")
srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), H)
srv.daemon_threads = True
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
threading.Timer(a.seconds, srv.shutdown).start()
print("ready", flush=True)
srv.serve_forever()
