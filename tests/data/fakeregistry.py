#!/usr/bin/env python3
"""A registry that lies, for the pull tests: serves an OCI layout directory
over the registry v2 API on 127.0.0.1, misbehaving as told.

    fakeregistry.py LAYOUT_DIR PORT_FILE MODE

MODE: good, bearer (a token service on /token, then "Authorization: Bearer"),
truncate (layer bodies cut in half, then the connection drops),
corrupt (one byte of each layer flipped), oversize (layers followed by 1 MiB
more), missing (layers 404), lying-digest (Docker-Content-Digest of another
manifest).  Writes the port it listens on to PORT_FILE; logs each request
(with its Range header) to stderr.
"""
import hashlib, http.server, json, os, sys

root, port_file, mode = sys.argv[1:4]
index = json.load(open(os.path.join(root, "index.json")))

def blob(d):
    path = os.path.join(root, "blobs", "sha256", d.split(":", 1)[1])
    return open(path, "rb").read() if os.path.exists(path) else None

def by_tag(tag):
    for m in index["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return m["digest"], m["mediaType"]
    return None, None

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, fmt, *args):
        sys.stderr.write("%s range=%s\n" % (self.path, self.headers.get("Range")))
        sys.stderr.flush()
    def send(self, code, body=b"", ctype="application/octet-stream", extra=None, length=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        p = self.path
        if mode == "bearer":
            if p.startswith("/token?"):
                ok = "service=fake" in p and "scope=repository%3Abusybox%3Apull" in p
                return self.send(200 if ok else 400, b'{"token": "t0k3n"}' if ok else b"{}", "application/json")
            if self.headers.get("Authorization") != "Bearer t0k3n":
                port = self.server.server_address[1]
                return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', "application/json", {
                    "WWW-Authenticate": 'Bearer realm="http://127.0.0.1:%d/token",service="fake",'
                                        'scope="repository:busybox:pull"' % port})
        if p == "/v2/":
            return self.send(200, b"{}", "application/json")
        parts = p.split("/")
        if len(parts) < 5 or parts[1] != "v2":
            return self.send(404)
        kind, ref = parts[-2], parts[-1]
        if kind == "manifests":
            d, mt = (ref, None) if ref.startswith("sha256:") else by_tag(ref)
            data = blob(d) if d else None
            if data is None:
                return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', "application/json")
            mt = mt or json.loads(data).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
            dcd = d
            if mode == "lying-digest":
                dcd = "sha256:" + hashlib.sha256(b"another manifest").hexdigest()
            return self.send(200, data, mt, {"Docker-Content-Digest": dcd})
        if kind == "blobs":
            data = blob(ref)
            if data is None:
                return self.send(404)
            layer = data[:2] == b"\x1f\x8b" or data[:4] == b"\x28\xb5\x2f\xfd"
            start = 0
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes=") and mode == "good":
                start = int(rng[6:].split("-")[0])
            if layer and mode == "missing":
                return self.send(404)
            if layer and mode == "corrupt":
                data = data[:100] + bytes([data[100] ^ 1]) + data[101:]
            if layer and mode == "oversize":
                data = data + b"\0" * (1 << 20)
            if layer and mode == "truncate":
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if start:
                self.send_response(206)
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                self.wfile.write(data[start:])
                return
            return self.send(200, data)
        return self.send(404)

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
