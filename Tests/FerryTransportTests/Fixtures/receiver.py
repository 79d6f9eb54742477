"""A real HTTP receiver on 127.0.0.1 for HTTPPush tests.

POST /in/NAME stores the body as DIR/NAME and answers 201; POST /busy/NAME answers 503;
POST /gone/NAME answers 404. Writes the chosen port to PORTFILE once it listens.
"""
import http.server
import os
import sys

directory, port_file = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        parts = self.path.strip("/").split("/")
        if parts[0] == "busy":
            self.send_response(503)
            self.end_headers()
            self.wfile.write(b"try later")
            return
        if parts[0] != "in" or len(parts) != 2:
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b"no such endpoint")
            return
        with open(os.path.join(directory, parts[1]), "wb") as out:
            out.write(body)
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
