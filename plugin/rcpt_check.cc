// SPDX-License-Identifier: MIT
// NAME
//   rcpt_check - decide one LMTP RCPT from the recipient database
// DESCRIPTION
//   The Dovecot-free half of the LMTP plugin. The plugin hands over the
//   path of each RCPT and gets back the reply: the same Resolver that feeds
//   Postfix's maps decides, DecideRcpt (rcpt_decision.cc) picks the reply, and
//   this file adds only what a long-lived reader needs on top: a verdict
//   only from a healthy database, a fresh connection after any trouble, and
//   no exception past its interface (the caller is C code).
// SEE ALSO
//   rcpt_check.h, rcptdb-plugin.cc, rcpt_decision.h, live_store.h
#include "rcpt_check.h"

#include <algorithm>
#include <exception>

#include "resolver.h"

namespace rcptdb {
namespace {

// The characters of a delimiter set, sorted and without repeats, so that
// "+-" and "-+" compare equal.
std::string CharSet(std::string_view chars) {
  std::string set(chars);
  std::sort(set.begin(), set.end());
  set.erase(std::unique(set.begin(), set.end()), set.end());
  return set;
}

// One line for the log saying why the resolver answered as it did.
std::string Why(const Resolution& r) {
  std::string why = VerdictName(r.verdict);
  if (!r.path.empty()) {
    // Alias expansion indents its lines; the log wants just the words.
    std::string_view last = r.path.back();
    last.remove_prefix(std::min(last.find_first_not_of(' '), last.size()));
    why += ": " + std::string(last);
  }
  return why;
}

}  // namespace

RcptCheck::RcptCheck(std::string db_path, int busy_timeout_ms)
    : live_(std::move(db_path), busy_timeout_ms) {}

Status RcptCheck::Open() noexcept {
  try {
    Result<Store*> store = live_.Get();
    return store.ok() ? Status::Ok() : store.status();
  } catch (const std::exception& e) {
    live_.Invalidate();
    return Status::Temporary(std::string("cannot open database: ") + e.what());
  } catch (...) {
    live_.Invalidate();
    return Status::Temporary("cannot open database: unknown exception");
  }
}

// Builds the deferral through DecideRcpt, so its wording stays in one place.
RcptCheck::Outcome RcptCheck::Defer(std::string_view path, std::string cause, Status::Cause why) {
  Result<Resolution> failed = Status::Temporary(cause);
  if (why == Status::Cause::kNone) why = Status::Cause::kOther;
  return {DecideRcpt(failed, path, ""), std::move(cause), CauseName(why), std::nullopt};
}

RcptCheck::Outcome RcptCheck::Check(std::string_view path,
                                    std::string_view dovecot_delimiters) noexcept {
  try {
    Result<Store*> store = live_.Get();
    if (!store.ok()) return Defer(path, store.status().message(), store.status().cause());
    // One read snapshot per RCPT (resolver.h). On PostgreSQL it is begun
    // here, so that its change counter (read with the BEGIN, in the same
    // round trip) names the data that answered; the resolver then reads
    // inside it. The snapshot ends with this scope, before a failure
    // drops the connection.
    std::optional<std::uint64_t> version;
    Result<Resolution> res = Status::Temporary("not resolved");
    {
      Transaction snapshot(**store);
      Status ready = Status::Ok();
      if (IsPostgresSpec(live_.path())) {
        ready = snapshot.BeginRead();
        Result<std::uint64_t> v =
            ready.ok() ? (*store)->SnapshotVersion() : Result<std::uint64_t>(ready);
        if (v.ok()) version = *v;
        ready = v.status();
      }
      res = ready.ok() ? Resolver(**store).Resolve(path) : Result<Resolution>(ready);
      if (res.ok() && version) {
        Status done = snapshot.Commit();
        if (!done.ok()) res = done;
      }
    }
    if (!res.ok()) {
      // A lock held too long or a broken file: start over next time
      // rather than trusting this connection again.
      live_.Invalidate();
      return Defer(path, res.status().message(), res.status().cause());
    }
    Outcome out{DecideRcpt(res, path, dovecot_delimiters), "", VerdictName(res->verdict), version};
    if (out.reply.kind != RcptReply::Kind::kAccept) out.cause = Why(*res);
    return out;
  } catch (const std::exception& e) {
    live_.Invalidate();
    return Defer(path, std::string("exception: ") + e.what(), Status::Cause::kOther);
  } catch (...) {
    live_.Invalidate();
    return Defer(path, "unknown exception", Status::Cause::kOther);
  }
}

Result<std::optional<std::string>> RcptCheck::DelimiterMismatch(
    std::string_view dovecot_delimiters) noexcept {
  try {
    Result<Store*> store = live_.Get();
    if (!store.ok()) return store.status();
    Result<std::string> ours = (*store)->GetSetting("delimiter");
    if (!ours.ok()) {
      live_.Invalidate();
      return ours.status();
    }
    if (CharSet(*ours) == CharSet(dovecot_delimiters)) return std::optional<std::string>();
    return std::optional<std::string>(*ours);
  } catch (const std::exception& e) {
    live_.Invalidate();
    return Status::Temporary(std::string("exception: ") + e.what());
  } catch (...) {
    live_.Invalidate();
    return Status::Temporary("unknown exception");
  }
}

std::string ReplyTextWithoutPath(const RcptReply& reply, std::string_view path) {
  std::string prefix = "<" + std::string(path) + ">: ";
  std::string_view text = reply.text;
  if (text.starts_with(prefix)) text.remove_prefix(prefix.size());
  return std::string(text);
}

}  // namespace rcptdb
