// SPDX-License-Identifier: MIT
// status.h - the result of every fallible call in librcptdb
//
// A Status is either ok or carries a code and a one-line message meant for a
// log file or a terminal. Result<T> is a value or a non-ok Status. Nothing in
// librcptdb throws across its public interface; callers test ok().
//
// The codes keep the distinction that matters to a mail system: kTemporary
// (database trouble: Postfix and Dovecot must defer, never bounce) is never
// confused with kNotFound or kInvalid (the answer is a definite no).
//
// A Status also carries its cause (Cause: missing, locked, corrupt or
// wrong-version database, access denied, I/O...), set where the error
// happens, so that callers decide and log by cause, never by parsing the
// message (the model: Postfix's DICT_ERR_* and errno). The message is for
// people; the cause is for code. CauseName() is the one wording of each.
//
// Thread safety: plain values; copy freely.
#ifndef RCPTDB_STATUS_H
#define RCPTDB_STATUS_H

#include <optional>
#include <string>
#include <utility>

namespace rcptdb {

class Status {
 public:
  enum class Code {
    kOk,
    kNotFound,   // the named thing does not exist
    kInvalid,    // the input is malformed or violates a rule
    kConflict,   // the thing exists already, or is still referenced
    kTemporary,  // database trouble: retry later
  };

  // Why it failed. The first four follow from the code; the rest say what
  // kind of trouble a kTemporary (or an OS failure) is.
  enum class Cause {
    kNone,          // ok
    kNotFound,      // Code::kNotFound
    kInvalid,       // Code::kInvalid: bad input or a rule refused it
    kConflict,      // Code::kConflict
    kMissing,       // the database file (or its directory) does not exist
    kLocked,        // a writer holds the lock longer than the busy timeout
    kCorrupt,       // the file is not a database, or is damaged
    kWrongVersion,  // the schema version is not the one this build knows
    kAccess,        // permission denied (file, directory, -wal or -shm)
    kIo,            // an operating system or other I/O failure
    kUnreachable,   // the database server cannot be reached, or the
                    // connection to it was lost (PostgreSQL)
    kTimeout,       // a statement ran longer than its bound (PostgreSQL)
    kOther,         // any other database error
    kLimit,         // a resolver bound (alias depth, targets, reply size):
                    // this key cannot be answered, the database is fine
    kChanged,       // Code::kConflict: the record changed since the
                    // version the writer named (If-Match) was read
    kStale,         // a standby whose data may be older than the reader's
                    // bound (PostgreSQL: standby_freshness.h); the last
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status NotFound(std::string msg) {
    return Status(Code::kNotFound, Cause::kNotFound, std::move(msg));
  }
  static Status Invalid(std::string msg) {
    return Status(Code::kInvalid, Cause::kInvalid, std::move(msg));
  }
  static Status Conflict(std::string msg) {
    return Status(Code::kConflict, Cause::kConflict, std::move(msg));
  }
  // A write that named a record version (an ETag) other than the record's
  // now: kConflict with Cause::kChanged (HTTP 412, not 409).
  static Status Changed(std::string msg) {
    return Status(Code::kConflict, Cause::kChanged, std::move(msg));
  }
  // Database trouble of an unclassified kind (Cause::kOther).
  static Status Temporary(std::string msg) { return Temporary(Cause::kOther, std::move(msg)); }
  // Database trouble with its cause. REQUIRES: cause is not one of the
  // first four (they belong to the other codes).
  static Status Temporary(Cause cause, std::string msg) {
    return Status(Code::kTemporary, cause, std::move(msg));
  }
  // An operating system failure (socket, fork, setuid...): kTemporary with
  // Cause::kIo, or kAccess when the system said permission denied.
  static Status Io(std::string msg, bool access_denied = false) {
    return Temporary(access_denied ? Cause::kAccess : Cause::kIo, std::move(msg));
  }

  bool ok() const { return code_ == Code::kOk; }
  bool temporary() const { return code_ == Code::kTemporary; }
  Code code() const { return code_; }
  Cause cause() const { return cause_; }
  const std::string& message() const { return message_; }
  // Returns this status with message msg, code and cause kept (ok stays ok).
  Status Reworded(std::string msg) const {
    if (ok()) return *this;
    Status s = *this;
    s.message_ = std::move(msg);
    return s;
  }

 private:
  Status(Code code, Cause cause, std::string msg)
      : code_(code), cause_(cause), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  Cause cause_ = Cause::kNone;
  std::string message_;
};

// Returns the cause in a few words, the same everywhere it is shown: log
// lines and the reason in a temporary-failure reply ("database locked").
inline const char* CauseName(Status::Cause cause) {
  switch (cause) {
    case Status::Cause::kNone:
      return "ok";
    case Status::Cause::kNotFound:
      return "not found";
    case Status::Cause::kInvalid:
      return "invalid input";
    case Status::Cause::kConflict:
      return "conflict";
    case Status::Cause::kMissing:
      return "database missing";
    case Status::Cause::kLocked:
      return "database locked";
    case Status::Cause::kCorrupt:
      return "database corrupt";
    case Status::Cause::kWrongVersion:
      return "wrong schema version";
    case Status::Cause::kAccess:
      return "permission denied";
    case Status::Cause::kIo:
      return "I/O error";
    case Status::Cause::kUnreachable:
      return "database unreachable";
    case Status::Cause::kTimeout:
      return "database timeout";
    case Status::Cause::kOther:
      return "database error";
    case Status::Cause::kLimit:
      return "resolver bound";
    case Status::Cause::kChanged:
      return "changed meanwhile";
    case Status::Cause::kStale:
      return "standby lags";
  }
  return "database error";
}

// Returns true iff a temporary failure with this cause is the database's
// trouble (reconnect, report it once as the database's health), false if it
// is one key's (a resolver bound: the database is fine, nothing to reopen).
inline bool IsDatabaseTrouble(Status::Cause cause) { return cause != Status::Cause::kLimit; }

// Result<T> holds a T, or the Status that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok()
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace rcptdb

#endif
