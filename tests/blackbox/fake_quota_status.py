# SPDX-License-Identifier: MIT
"""fake_quota_status - a stand-in for Dovecot's quota-status service.

Speaks the policy protocol on a loopback port, like `quota-status -p
postfix`: a request block in, `action=...` and an empty line out, the
connection kept for more. What Dovecot cannot be made to do on purpose,
this one does on request:
  - answers per recipient (`answers`; `default` otherwise);
  - waits `delay` seconds before answering (a slow service);
  - closes every idle connection (`close_idle()`), as Dovecot's
    quota-status processes do when they end (at every restart);
  - records each question (`asked`: recipient and size, in order) and
    counts connections (`connections`).
Runs in a thread of the test; stop() closes everything.
"""
import socket
import threading
import time


def _shut_down(conns):
    """Shuts each connection down both ways; its reader sees EOF and ends."""
    for conn in conns:
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class FakeQuotaStatus:
    def __init__(self, default="DUNNO", answers=None, delay=0.0):
        self.default = default
        self.answers = dict(answers or {})
        self.delay = delay
        self.asked = []
        self.connections = 0
        self._lock = threading.Lock()
        self._idle = set()
        self._open = set()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._stopping = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stopping:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.add(conn)
                self._idle.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        data = b""
        try:
            while True:
                while b"\n\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                block, _, data = data.partition(b"\n\n")
                with self._lock:
                    self._idle.discard(conn)
                attrs = dict(line.split("=", 1) for line in block.decode().split("\n")
                             if "=" in line)
                recipient = attrs.get("recipient", "")
                with self._lock:
                    self.asked.append((recipient, attrs.get("size", "")))
                if self.delay:
                    time.sleep(self.delay)
                action = self.answers.get(recipient, self.default)
                conn.sendall(f"action={action}\n\n".encode())
                with self._lock:
                    self._idle.add(conn)
        except OSError:
            return
        finally:
            with self._lock:
                self._idle.discard(conn)
                self._open.discard(conn)
            conn.close()

    def close_idle(self):
        """Closes every connection waiting for a question (a restart)."""
        with self._lock:
            idle = list(self._idle)
        _shut_down(idle)

    def stop(self):
        self._stopping = True
        self._listener.close()
        with self._lock:
            conns = list(self._open)
        _shut_down(conns)
