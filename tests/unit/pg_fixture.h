// SPDX-License-Identifier: MIT
// pg_fixture.h - a PostgreSQL database for the unit tests, when one is given
//
// The PostgreSQL tests run against the database that RCPTDB_TEST_PGSQL_URI
// names (tests/support/pg-cluster starts a private one; scripts/check's
// pgsql stage sets the variable). Without the variable they skip; with it
// set but the server unreachable they fail, loudly, never skip. Each test
// gets a fresh schema: ResetPgSchema() drops and recreates the schema
// public, so the database must be one the tests may wipe.
//
// PgRawSql() runs plain SQL on a connection of its own, as an admin's
// psql would: the guards of sql/schema-pgsql.sql are proven with it.
#ifndef RCPTDB_TESTS_PG_FIXTURE_H
#define RCPTDB_TESTS_PG_FIXTURE_H

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace rcptdb::test {

// Returns $RCPTDB_TEST_PGSQL_URI, or "" if unset.
inline std::string PgTestUri() {
  const char* uri = std::getenv("RCPTDB_TEST_PGSQL_URI");
  return uri ? uri : "";
}

// Runs sql (one or more statements) on a new connection to uri. Returns
// "" on success, else the SQLSTATE, a blank, and the name of the violated
// constraint if there is one, else the server's message (first line).
inline std::string PgRawSql(const std::string& uri, const std::string& sql) {
  PGconn* conn = PQconnectdb(uri.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = std::string("cannot connect: ") + PQerrorMessage(conn);
    PQfinish(conn);
    return msg;
  }
  PGresult* res = PQexec(conn, ("SET client_min_messages = warning;" + sql).c_str());
  std::string out;
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char* constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
    const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    out = std::string(state ? state : "?????") + " " +
          (constraint ? constraint
           : primary  ? primary
                      : PQerrorMessage(conn));
  }
  PQclear(res);
  PQfinish(conn);
  return out;
}

// Returns the first column of the first row of a query, or "" (and a test
// failure) if it fails.
inline std::string PgRawValue(const std::string& uri, const std::string& sql) {
  PGconn* conn = PQconnectdb(uri.c_str());
  PGresult* res = PQexec(conn, sql.c_str());
  std::string out;
  if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
    out = PQgetvalue(res, 0, 0);
  else
    ADD_FAILURE() << sql << ": " << PQerrorMessage(conn);
  PQclear(res);
  PQfinish(conn);
  return out;
}

// Empties the test database: DROP SCHEMA public CASCADE, CREATE SCHEMA
// public. Returns "" on success, else why not (the server unreachable).
inline std::string ResetPgSchema(const std::string& uri) {
  return PgRawSql(uri, "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;");
}

// Returns $RCPTDB_TEST_PGSQL_STANDBY_URI, a streaming standby of the
// RCPTDB_TEST_PGSQL_URI database (tests/support/pg-cluster standby), or ""
// if unset: the standby tests skip then.
inline std::string PgTestStandbyUri() {
  const char* uri = std::getenv("RCPTDB_TEST_PGSQL_STANDBY_URI");
  return uri ? uri : "";
}

// Returns uri with the reader's standby lag bound (rcptdb.max_standby_lag,
// pg_store.h) set to value in its options, as an admin would set it.
inline std::string WithLagBound(const std::string& uri, const std::string& value) {
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") +
         "options=-c%20rcptdb.max_standby_lag%3D" + value;
}

// Waits until standby has replayed everything primary has written; false
// if it has not within 10 s.
inline bool PgCatchUp(const std::string& primary, const std::string& standby) {
  std::string target = PgRawValue(primary, "SELECT pg_current_wal_lsn()");
  for (int i = 0; i < 200; ++i) {
    if (PgRawValue(standby, "SELECT pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn") == "t")
      return true;
    usleep(50000);
  }
  return false;
}

// The PostgreSQL tests' fixture: skips without RCPTDB_TEST_PGSQL_URI,
// fails if it is set and the schema cannot be reset.
class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uri_ = PgTestUri();
    if (uri_.empty()) GTEST_SKIP() << "RCPTDB_TEST_PGSQL_URI is not set";
    std::string err = ResetPgSchema(uri_);
    ASSERT_EQ(err, "") << "RCPTDB_TEST_PGSQL_URI is set but unusable: " << err;
  }
  std::string uri_;
};

}  // namespace rcptdb::test

#endif
