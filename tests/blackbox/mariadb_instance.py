# SPDX-License-Identifier: MIT
"""mariadb_instance - a private MariaDB server for black-box tests.

PrivateMariadb runs Debian's `mariadb-install-db` into a directory of the
test (as the unprivileged user mysql), then `mariadbd` on a unix socket in
that directory and a free loopback port, both with --no-defaults so that
/etc/mysql is never read. The server is a process of the test
(harness.BlackBoxTest.start) and is stopped by its pid (SIGTERM: a clean
shutdown), also when the test fails. root logs in over the private
socket (unix_socket authentication, as the test runs as root).

    db = PrivateMariadb(os.path.join(test.dir, "mariadb")).start(test)
    db.sql("CREATE DATABASE postfix")
    db.sql("SELECT 1", database="postfix")   # rows, tab-separated
"""
import os
import pwd
import shutil
import time

import harness

OWNER = "mysql"


class PrivateMariadb:
    def __init__(self, d):
        self.dir = d
        self.data = os.path.join(d, "data")
        self.sock = os.path.join(d, "mysqld.sock")
        self.port = harness.free_port()
        self.process = None
        owner = pwd.getpwnam(OWNER)
        os.makedirs(self.data, exist_ok=True)
        os.chmod(d, 0o755)
        for path in (d, self.data):
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def start(self, test):
        if shutil.which("mariadbd") is None and not os.path.exists("/usr/sbin/mariadbd"):
            raise AssertionError("mariadbd not found: install mariadb-server")
        harness.run(["mariadb-install-db", "--no-defaults", f"--datadir={self.data}",
                     f"--user={OWNER}", "--skip-test-db", "--auth-root-authentication-method=socket"],
                    timeout=180)
        self.process = test.start(
            ["/usr/sbin/mariadbd", "--no-defaults", f"--datadir={self.data}",
             f"--socket={self.sock}", f"--port={self.port}", "--bind-address=127.0.0.1",
             f"--user={OWNER}", f"--pid-file={os.path.join(self.dir, 'mariadbd.pid')}",
             "--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=32M",
             "--innodb-log-file-size=8M", "--innodb-flush-log-at-trx-commit=0"],
            "mariadbd")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not self.process.alive():
                raise AssertionError(f"mariadbd exited:\n{self.process.output()[-3000:]}")
            if self.sql("SELECT 1", check=False).returncode == 0:
                return self
            time.sleep(0.2)
        raise AssertionError(f"mariadbd did not answer:\n{self.process.output()[-3000:]}")

    def sql(self, text, database=None, check=True):
        """Runs text as root over the private socket; returns stdout (rows,
        tab-separated), or with check=False the completed process."""
        argv = ["mariadb", "--no-defaults", f"--socket={self.sock}", "-u", "root", "-N", "-B"]
        if database:
            argv.append(database)
        res = harness.run(argv, input=text, check=False, timeout=120)
        if not check:
            return res
        if res.returncode != 0:
            raise AssertionError(f"mariadb exited {res.returncode}: {res.stderr}")
        return res.stdout

    def uri(self, database, user="root"):
        """rcptdb adopt's URI for database, over the private socket."""
        return f"mysql://{user}@/{database}?socket={self.sock}"
