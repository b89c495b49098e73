# SPDX-License-Identifier: MIT
"""metrics_client - scrape rcptdb-server's metrics endpoint and read it.

scrape(where) fetches /metrics over TCP ("127.0.0.1:PORT") or a unix socket
("unix:/path") with Python's own HTTP client, and returns a Scrape: the
status, the headers and the body, and the samples read from it:

    s = scrape(f"127.0.0.1:{port}")
    s.value("rcptdb_lookups_total", protocol="tcp_table", result="found")  # summed
    s.samples  # [(name, {label: value}, float)]

The reader follows the Prometheus text format (and OpenMetrics, which
differs only in what the tests do not read: # lines and the # EOF): a
sample is NAME{LABELS} VALUE, label values escape backslash, double quote
and newline.
"""
import http.client
import re
import socket

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def _unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def parse(body):
    """Returns [(name, labels dict, value)] for every sample line of body."""
    samples = []
    for line in body.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise AssertionError(f"not a sample line: {line!r}")
        labels = {}
        text = m.group(3) or ""
        pos = 0
        while pos < len(text):
            lm = _LABEL.match(text, pos)
            if not lm:
                raise AssertionError(f"unreadable labels in {line!r}")
            labels[lm.group(1)] = _unescape(lm.group(2))
            pos = lm.end()
        samples.append((m.group(1), labels, float(m.group(4))))
    return samples


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class Scrape:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.samples = parse(body) if status == 200 else []

    def values(self, name, **labels):
        """Every sample of name whose labels include labels."""
        return [v for n, l, v in self.samples
                if n == name and all(l.get(k) == str(x) for k, x in labels.items())]

    def value(self, name, **labels):
        """The sum of values(name, **labels); fails if there is none."""
        found = self.values(name, **labels)
        if not found:
            raise AssertionError(f"no sample {name} {labels} in:\n{self.body}")
        return sum(found)


def request(where, method="GET", path="/metrics", headers=None, body=None, timeout=10):
    """One HTTP request to where; returns (status, headers dict, body text)."""
    if where.startswith("unix:"):
        conn = _UnixConnection(where[5:], timeout)
    else:
        host, port = where.rsplit(":", 1)
        conn = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        data = res.read().decode("utf-8", "replace")
        return res.status, {k.lower(): v for k, v in res.getheaders()}, data
    finally:
        conn.close()


def scrape(where, accept=None, timeout=10):
    """GET /metrics from where (ADDR:PORT or unix:PATH); returns a Scrape."""
    status, headers, body = request(where, headers={"Accept": accept} if accept else None,
                                    timeout=timeout)
    return Scrape(status, headers, body)
