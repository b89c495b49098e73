# SPDX-License-Identifier: MIT
"""bench_pgsql - the private PostgreSQL side of the benchmarks in tests/bench/.

BenchCluster starts a private PostgreSQL 15 cluster with
tests/support/pg-cluster (trust authentication, a unix socket in its own
directory and a free loopback port; never the system cluster), loads
sql/schema-pgsql.sql and the bench's addresses as active mailboxes of one
hosted domain with plain SQL in one transaction (COPY), and stops the
postmaster by its pid. Its processes (the postmaster and every backend
below it, from /proc) are what the bench adds to the CPU per RCPT of a map
that reads PostgreSQL.

Only the benchmarks that read PostgreSQL use this module (postfix-bench's
PostgreSQL maps, postmap-bench, pg-roundtrips): postfix-bench's other maps
never start a cluster.
"""
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
PG_CLUSTER = os.path.join(TOP, "tests", "support", "pg-cluster")
PG_SCHEMA = os.path.join(TOP, "sql", "schema-pgsql.sql")

# Postfix's pgsql: table (pgsql_table(5)) through proxymap: a
# PostfixAdmin-style query, "an active mailbox of an active domain", against
# rcptdb's own schema. Postfix quotes %s itself; no other value is spliced in.
PGSQL_QUERY = ("SELECT 'OK' FROM mailboxes JOIN domains ON domains.name = mailboxes.domain "
               "WHERE mailboxes.address = '%s' AND mailboxes.active = 1 "
               "AND domains.active = 1")


class BenchCluster:
    """A private cluster in directory d (created here, removed by the caller)."""

    def __init__(self, d):
        self.dir = d
        self.uri = None
        self.port = None

    def start(self):
        os.makedirs(self.dir)
        out = subprocess.run([PG_CLUSTER, "start", self.dir], check=True,
                             stdout=subprocess.PIPE, text=True).stdout.strip()
        self.uri = out.splitlines()[-1]
        with open(os.path.join(self.dir, "data", "postmaster.pid")) as f:
            self.port = int(f.read().splitlines()[3])

    def stop(self):
        """Stops the postmaster by its pid; harmless if it never started."""
        if not os.path.isdir(self.dir):
            return
        subprocess.run([PG_CLUSTER, "stop", self.dir], check=False)

    def postmaster_pid(self):
        with open(os.path.join(self.dir, "data", "postmaster.pid")) as f:
            return int(f.readline())

    def loopback_uri(self):
        """The database over the loopback port: what rcptdb-server and
        Postfix both use, so that both pay the same transport."""
        return f"postgresql://rcptdb@127.0.0.1:{self.port}/rcptdb"

    def psql(self, text):
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.uri, "-f", "-"],
                       check=True, input=text, text=True, stdout=subprocess.DEVNULL)

    def load(self, domain, addresses):
        """The schema, then domain (hosted) and its active mailboxes."""
        with open(PG_SCHEMA) as f:
            self.psql("SET client_min_messages = warning;\n" + f.read())
        rows = "".join(a + "\n" for a in addresses)
        # COPY's text format: the addresses hold no tab, backslash or newline.
        self.psql("BEGIN;\n"
                  "COPY domains (name, kind) FROM STDIN;\n" + domain + "\thosted\n\\.\n"
                  "COPY mailboxes (address) FROM STDIN;\n" + rows + "\\.\n"
                  "COMMIT;\nANALYZE;\n")

    def pgsql_cf(self, path):
        """Writes the pgsql_table(5) file of the pgsql map to path."""
        with open(path, "w") as f:
            f.write(f"hosts = inet:127.0.0.1:{self.port}\n"
                    "user = rcptdb\n"
                    "dbname = rcptdb\n"
                    f"query = {PGSQL_QUERY}\n")
        os.chmod(path, 0o644)
        return path
