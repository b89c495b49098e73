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

  Status() = default;
  static Status Ok() { return Status(); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Invalid(std::string msg) { return Status(Code::kInvalid, std::move(msg)); }
  static Status Conflict(std::string msg) { return Status(Code::kConflict, std::move(msg)); }
  static Status Temporary(std::string msg) { return Status(Code::kTemporary, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  bool temporary() const { return code_ == Code::kTemporary; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

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
