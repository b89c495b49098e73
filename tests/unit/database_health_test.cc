// database_health_test.cc - the causes of database trouble the server
// logs once each (database_health.h).
#include "database_health.h"

#include <gtest/gtest.h>

namespace rcptdb {
namespace {

TEST(DatabaseHealth, ClassifiesStoreMessages) {
  EXPECT_STREQ(DatabaseHealth::CauseOf("cannot open database /x: No such file or directory"),
               "database missing");
  EXPECT_STREQ(DatabaseHealth::CauseOf("cannot open database /x: no such file"),
               "database missing");
  EXPECT_STREQ(DatabaseHealth::CauseOf("database /x: looking up domain: database is locked"),
               "database locked");
  EXPECT_STREQ(
      DatabaseHealth::CauseOf("database /x: reading schema version: file is not a database"),
      "database corrupt");
  EXPECT_STREQ(DatabaseHealth::CauseOf("database /x has schema version 7, this build knows 1"),
               "wrong schema version");
  EXPECT_STREQ(DatabaseHealth::CauseOf("something else"), "database error");
}

}  // namespace
}  // namespace rcptdb
