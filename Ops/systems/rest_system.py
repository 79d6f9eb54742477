"""A real REST system on 127.0.0.1 for the http adapter's tests and the `ferry demo`
scenarios: what a vendor's JSON API looks like, with the faults such APIs have.

Usage: rest_system.py PORTFILE [--token T] [--tls CERT KEY CLIENT_CA] [--collection NAME=KEY,VERSION]...

Collections live in memory, records keyed by "id" and sorted by ("updated", "id"), or by
the key and version fields a --collection names. It writes its port to PORTFILE and
stops when its standard input closes. Reads, by paging style:
  GET /page/C?page=N&size=M            {"items": [...], "total": T}
  GET /offset/C?offset=K&limit=M       {"data": {"rows": [...]}}
  GET /cursor/C?cursor=X&limit=M       {"records": [...], "next_cursor": X or null}
  GET /link/C?page=N&size=M            [...] with a Link rel="next" header
  GET /plain/C, GET /c/C               [...]
  GET /keyset/C?after_updated=U&after_id=I&limit=M
                                       {"items": [...]}: records after (U, I) in (updated, id) order
  GET /since/C?updated_since=V&limit=M {"items": [...]}: records with updated >= V ("at or after")
  GET /envelope/C                      {"code": 0, "msg": "ok", "data": [...]}
each also taking updated_since=V (records with updated > V; >= under /since/).
Writes (to any style's path):
  PUT /c/C/ID       one record; 409 when the stored version is newer; 422 when name is empty
  DELETE /c/C/ID    204, or 404 when absent
  POST /c/C         an array (answers one result per item) or one object; or multipart/form-data
                    with the record as JSON in part "record" and files in the others (kept by file name)
Files:
  PUT /files/NAME   stores the raw body and its Content-Type
  GET /files/NAME   answers a stored file with its Content-Type
  GET /_files       [{"name", "size", "sha256", "content_type"}] of every stored file
Control:
  POST /_faults     {"prefix": "/page/x", "status": 429, "times": 2, "retry_after": "1", "delay": 0}
                    ("body": {...} answers it instead of {"error": "injected"}, with status 200 by default)
  GET /_log         every request so far: method, path, time, whether it carried credentials
"""
import email.parser
import email.policy
import hashlib
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port_file = sys.argv[1]
args = sys.argv[2:]
token = args[args.index("--token") + 1] if "--token" in args else None
tls = args[args.index("--tls") + 1:args.index("--tls") + 4] if "--tls" in args else None
fields = dict((spec.split("=", 1)[0], tuple(spec.split("=", 1)[1].split(",", 1)))
              for spec in (args[i + 1] for i, arg in enumerate(args) if arg == "--collection"))

lock = threading.Lock()
collections = {}
files = {}
faults = []
log = []


def key_of(name):
    """The (key, version) fields of a collection's records."""
    return fields.get(name, ("id", "updated"))


def ordered(name, since):
    key, version = key_of(name)
    rows = sorted(collections.get(name, {}).values(), key=lambda r: (str(r.get(version, "")), str(r.get(key, ""))))
    return [r for r in rows if since is None or str(r.get(version, "")) > since]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def answer(self, status, body=None, headers=()):
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(length) or b"null")

    def admitted(self):
        """Logs the request, applies a pending fault and the token check; False when answered."""
        path = urllib.parse.urlsplit(self.path).path
        with lock:
            log.append({"method": self.command, "path": self.path, "time": time.time(),
                        "authorized": self.headers.get("Authorization") is not None})
            fault = next((f for f in faults if path.startswith(f["prefix"]) and f["times"] > 0), None)
            if fault:
                fault["times"] -= 1
        if path.startswith("/_"):
            return True
        if fault:
            if fault.get("delay"):
                time.sleep(fault["delay"])
            if fault.get("status") or "body" in fault:
                headers = [("Retry-After", fault["retry_after"])] if fault.get("retry_after") else []
                self.answer(fault.get("status") or 200, fault.get("body", {"error": "injected"}), headers)
                return False
        if token and self.headers.get("Authorization") != "Bearer " + token:
            self.answer(401, {"error": "unauthorized"})
            return False
        return True

    def do_GET(self):
        if not self.admitted():
            return
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        parts = url.path.strip("/").split("/")
        if parts == ["_log"]:
            with lock:
                return self.answer(200, log)
        if parts == ["_files"]:
            with lock:
                return self.answer(200, [{"name": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest(), "content_type": t}
                                         for n, (d, t) in sorted(files.items())])
        if len(parts) == 2 and parts[0] == "files":
            with lock:
                stored = files.get(urllib.parse.unquote(parts[1]))
            if stored is None:
                return self.answer(404, {"error": "no such file"})
            self.send_response(200)
            self.send_header("Content-Type", stored[1])
            self.send_header("Content-Length", str(len(stored[0])))
            self.end_headers()
            return self.wfile.write(stored[0])
        if len(parts) != 2:
            return self.answer(404, {"error": "no such path"})
        style, name = parts
        with lock:
            since = query.get("updated_since")
            rows = ordered(name, None if style == "since" else since)
        if style == "since":
            rows = [r for r in rows if since is None or str(r.get("updated", "")) >= since]
            return self.answer(200, {"items": rows[:int(query.get("limit", "100"))]})
        if style == "keyset":
            if "after_updated" in query:
                after = (query["after_updated"], query.get("after_id", ""))
                rows = [r for r in rows if (str(r.get("updated", "")), str(r.get("id", ""))) > after]
            return self.answer(200, {"items": rows[:int(query.get("limit", "100"))]})
        if style == "envelope":
            return self.answer(200, {"code": 0, "msg": "ok", "data": rows})
        if style in ("plain", "c"):
            return self.answer(200, rows)
        if style == "page":
            page, size = int(query.get("page", "1")), int(query.get("size", "100"))
            return self.answer(200, {"items": rows[(page - 1) * size:page * size], "total": len(rows)})
        if style == "offset":
            offset, limit = int(query.get("offset", "0")), int(query.get("limit", "100"))
            return self.answer(200, {"data": {"rows": rows[offset:offset + limit]}})
        if style == "cursor":
            start, limit = int(query.get("cursor", "0") or "0"), int(query.get("limit", "2"))
            chunk = rows[start:start + limit]
            more = start + limit < len(rows)
            return self.answer(200, {"records": chunk, "next_cursor": str(start + limit) if more else None})
        if style == "link":
            page, size = int(query.get("page", "1")), int(query.get("size", "2"))
            headers = []
            if page * size < len(rows):
                query["page"] = str(page + 1)
                headers.append(("Link", '<%s?%s>; rel="next", </link/%s?page=1>; rel="first"'
                                % (url.path, urllib.parse.urlencode(query), name)))
            return self.answer(200, rows[(page - 1) * size:page * size], headers)
        return self.answer(404, {"error": "no such style"})

    def store(self, name, record):
        """One record's result: applied, older (a newer version is held) or rejected."""
        key, version = key_of(name)
        if not isinstance(record, dict) or not record.get(key):
            return {"status": "rejected", "reason": f"{key} is required"}
        if record.get("name") == "":
            return {"status": "rejected", "reason": "name must not be empty"}
        held = collections.setdefault(name, {}).get(str(record[key]))
        if held and str(held.get(version, "")) > str(record.get(version, "")):
            return {"status": "older"}
        if record.get("_op") == "delete":
            collections[name].pop(str(record[key]), None)
        else:
            collections[name][str(record[key])] = record
        return {"status": "applied"}

    def do_PUT(self):
        if not self.admitted():
            return
        parts = urllib.parse.urlsplit(self.path).path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "files":
            data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                files[urllib.parse.unquote(parts[1])] = (data, self.headers.get("Content-Type", ""))
            return self.answer(201, {"ok": True})
        if len(parts) != 3:
            return self.answer(404, {"error": "no such path"})
        record = self.body()
        if str(record.get(key_of(parts[1])[0])) != urllib.parse.unquote(parts[2]):
            return self.answer(422, {"error": "id in the path and the body differ"})
        with lock:
            result = self.store(parts[1], record)
        status = {"applied": 200, "older": 409, "rejected": 422}[result["status"]]
        return self.answer(status, result)

    def do_DELETE(self):
        if not self.admitted():
            return
        parts = urllib.parse.urlsplit(self.path).path.strip("/").split("/")
        with lock:
            held = collections.get(parts[1], {}).pop(urllib.parse.unquote(parts[2]), None) if len(parts) == 3 else None
        return self.answer(204 if held else 404)

    def do_POST(self):
        if not self.admitted():
            return
        parts = urllib.parse.urlsplit(self.path).path.strip("/").split("/")
        if self.headers.get("Content-Type", "").startswith("multipart/form-data"):
            return self.multipart(parts)
        body = self.body()
        if parts == ["_faults"]:
            with lock:
                faults.append(body)
            return self.answer(200, {"ok": True})
        if len(parts) != 2:
            return self.answer(404, {"error": "no such path"})
        with lock:
            if isinstance(body, list):
                return self.answer(200, [self.store(parts[1], record) for record in body])
            result = self.store(parts[1], body)
        return self.answer({"applied": 201, "older": 409, "rejected": 422}[result["status"]], result)

    def multipart(self, parts):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + raw)
        record = None
        with lock:
            for part in message.iter_parts():
                if part.get_param("name", header="content-disposition") == "record":
                    record = json.loads(part.get_payload(decode=True))
                else:
                    files[part.get_filename()] = (part.get_payload(decode=True), part.get_content_type())
            result = self.store(parts[-1], record)
        return self.answer({"applied": 201, "older": 409, "rejected": 422}[result["status"]], result)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if tls:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls[0], tls[1])
    context.load_verify_locations(tls[2])
    context.verify_mode = ssl.CERT_REQUIRED
    server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as out:
    out.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)


def orphaned():
    """Ends the server when the test process that started it goes, even by a crash."""
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=orphaned, daemon=True).start()
server.serve_forever()
