// SPDX-License-Identifier: MIT
// NAME
//   rcptdb-plugin - Dovecot LMTP plugin: answer RCPT as Postfix was told
// SUMMARY
//   Dovecot 2.3:
//     protocol lmtp { mail_plugins = $mail_plugins rcptdb }
//     plugin { rcptdb_database = /var/lib/rcptdb/rcptdb.sqlite }
//   Dovecot 2.4:
//     protocol lmtp { mail_plugins { rcptdb = yes } }
//     rcptdb_database = /var/lib/rcptdb/rcptdb.sqlite
// DESCRIPTION
//   Dovecot's lmtp calls the client-created hook for every connection; the
//   plugin overrides that client's cmd_rcpt. Each RCPT is resolved with
//   librcptdb (through RcptCheck, rcpt_check.h) and then:
//
//     reject            550 with the enhanced code Postfix's map implied
//     defer             451 4.3.0 (database trouble, never a bounce)
//     accept, rewrite   the path becomes the mailbox address (alias, alias
//                       domain, case, +detail Dovecot does not strip); the
//                       original stays as ORCPT; then Dovecot's own RCPT
//     accept            Dovecot's own RCPT (userdb lookup, quota check)
//
//   A reply goes to that one recipient only, so the other recipients of
//   the transaction are delivered as usual.
//
//   One RcptCheck per process serves every connection: lmtp processes are
//   reused, and the database is opened when the first client is created,
//   while the process still runs as root, then reused.
//
//   Every RCPT the plugin judges ends with the named event
//   rcptdb_rcpt_finished (sent as a debug event: Dovecot's stats count it
//   whenever a metric's filter names it, whether debug logging is on or
//   not), with the fields result (accept, reject or defer), reason (the
//   resolver's verdict or the deferral's cause) and, on PostgreSQL,
//   data_version; its duration is the check's. doc/examples has the metric
//   blocks for Dovecot 2.3 and 2.4.
//
//   No C++ exception leaves this file: Dovecot is C and would terminate.
// DIAGNOSTICS
//   Rejections are logged at info level with the resolver's reason,
//   deferrals as errors with the database path and cause. A warning, once
//   per process, when Dovecot's recipient_delimiter differs from the
//   database's delimiter setting.
// SEE ALSO
//   rcptdb-plugin(7), rcpt_check.h, rcpt_decision.h, rcpt_replies.h,
//   dovecot_series.h (what differs between Dovecot 2.3 and 2.4), Dovecot's
//   src/lmtp/lmtp-commands.c (client_default_cmd_rcpt)
// Dovecot's config.h first (dovecot_config.h), then lmtp-common.h (it
// brings lib.h, which every other Dovecot header expects), then the rest.
// The same headers exist in Dovecot 2.3 and 2.4; what differs between the
// two is behind dovecot_series.h.
extern "C" {
// clang-format off
#include "dovecot_config.h"
#include "lmtp-common.h"
#include "lmtp-recipient.h"
#include "module-context.h"
#include "smtp-address.h"
#include "smtp-params.h"
#include "smtp-server.h"
#include "str-sanitize.h"
// clang-format on

// Dovecot finds these by name (module_dir_load); C linkage, and extern so
// that the const objects are exported at all.
extern const char *rcptdb_plugin_version;
extern const char rcptdb_plugin_binary_dependency[];
void rcptdb_plugin_init(struct module *module);
void rcptdb_plugin_deinit(void);
}

#include <cstdint>
#include <exception>
#include <optional>
#include <string>

#include "dovecot_series.h"
#include "rcpt_check.h"
#include "rcpt_replies.h"
#include "store.h"

const char *rcptdb_plugin_version = DOVECOT_ABI_VERSION;
// An array, not a pointer: Dovecot reads the symbol's bytes as the name.
const char rcptdb_plugin_binary_dependency[] = "lmtp";

namespace {

constexpr size_t kLogPathMax = 256;

// The per-client module context: Dovecot's vfuncs before ours.
struct RcptdbClient {
  union lmtp_module_context module_ctx;
  struct lmtp_client_vfuncs super;
};

MODULE_CONTEXT_DEFINE_INIT(rcptdb_client_module, &lmtp_module_register);

lmtp_client_created_func_t *next_hook_client_created = nullptr;

// Per-process state, created with the first client and kept until deinit.
rcptdb::RcptCheck *process_check = nullptr;
bool delimiter_compared = false;

RcptdbClient *ClientContext(struct client *client) {
  return static_cast<RcptdbClient *>(MODULE_CONTEXT(client, rcptdb_client_module));
}

// Warns once per process if the two delimiter settings disagree: the
// database decides what an address means, Dovecot only strips details.
void CompareDelimitersOnce(struct event *event, const char *dovecot_delimiters) {
  if (delimiter_compared || process_check == nullptr) return;
  auto mismatch = process_check->DelimiterMismatch(dovecot_delimiters);
  if (!mismatch.ok()) return;  // try again once the database is readable
  delimiter_compared = true;
  if (*mismatch) {
    e_warning(event,
              "rcptdb: Dovecot's recipient_delimiter \"%s\" differs from the delimiter "
              "setting \"%s\" in %s; the database decides what an address means, so "
              "set recipient_delimiter = %s",
              dovecot_delimiters, (*mismatch)->c_str(),
              rcptdb::RedactSpec(process_check->db_path()).c_str(), (*mismatch)->c_str());
  }
}

// Makes sure the process has its RcptCheck for path, opened if possible.
void PrepareProcessCheck(struct client *client) {
  const char *error = nullptr;
  const char *path = rcptdb_series_database(client, &error);
  if (path == nullptr) {
    // Without its setting the plugin cannot know which database is meant:
    // keep what the process has (none: every RCPT is deferred).
    e_error(client->event, "rcptdb: cannot read " RCPTDB_DATABASE_SETTING ": %s", error);
    return;
  }
  if (*path == '\0') path = rcptdb::kDefaultDatabasePath;
  if (process_check != nullptr && process_check->db_path() == path) return;
  delete process_check;
  process_check = nullptr;
  process_check = new rcptdb::RcptCheck(path);
  delimiter_compared = false;
  rcptdb::Status opened = process_check->Open();
  if (!opened.ok()) {
    e_warning(client->event, "rcptdb: %s (every RCPT is deferred until it opens)",
              opened.message().c_str());
  }
  CompareDelimitersOnce(client->event, rcptdb_series_delimiters(client));
}

// Replaces the recipient's path with address, keeping the original as
// ORCPT. Returns false if address does not parse (then nothing changed).
bool RewritePath(struct smtp_server_recipient *rcpt, const std::string &address) {
  struct smtp_address *parsed = nullptr;
  const char *error = nullptr;
  if (smtp_address_parse_mailbox(rcpt->pool, address.c_str(),
                                 static_cast<enum smtp_address_parse_flags>(0), &parsed,
                                 &error) < 0) {
    e_error(rcpt->event, "rcptdb: cannot use rewritten address <%s>: %s", address.c_str(), error);
    return false;
  }
  // An ORCPT from the client already names the original; keep it.
  if (!smtp_params_rcpt_has_orcpt(&rcpt->params))
    smtp_params_rcpt_set_orcpt(&rcpt->params, rcpt->pool, rcpt->path);
  rcpt->path = parsed;
  return true;
}

// The path as a log line may show it: bounded, no control characters.
const char *LogPath(const char *path) { return str_sanitize(path, kLogPathMax); }

// Defers the recipient with the table's deferral, unless it has been
// answered already: for trouble inside the plugin itself.
void DeferRecipient(struct smtp_server_recipient *rcpt) {
  if (smtp_server_recipient_is_replied(rcpt)) return;
  const rcptdb::ReplyWording &w = rcptdb::Wording(rcptdb::ReplyId::kTemporaryFailure);
  smtp_server_recipient_reply(rcpt, w.code, w.enhanced, "%s", w.reason);
}

// The event rcptdb_rcpt_finished of one RCPT: created when the check
// begins (so that its duration is the check's), sent once with the
// outcome, released at the end of the RCPT whatever happens.
class FinishedEvent {
 public:
  explicit FinishedEvent(struct event *parent) : event_(event_create(parent)) {
    event_set_name(event_, "rcptdb_rcpt_finished");
  }
  ~FinishedEvent() { event_unref(&event_); }
  FinishedEvent(const FinishedEvent &) = delete;
  FinishedEvent &operator=(const FinishedEvent &) = delete;

  // Sends the event with the outcome, unless it was sent already.
  void Send(const char *result, const char *reason, std::optional<std::uint64_t> version) {
    if (sent_) return;
    sent_ = true;
    event_add_str(event_, "result", result);
    event_add_str(event_, "reason", reason);
    if (version) event_add_int(event_, "data_version", static_cast<intmax_t>(*version));
    e_debug(event_, "rcptdb: %s (%s)", result, reason);
  }

 private:
  struct event *event_;
  bool sent_ = false;
};

const char *ResultWord(rcptdb::RcptReply::Kind kind) {
  switch (kind) {
    case rcptdb::RcptReply::Kind::kAccept:
      return "accept";
    case rcptdb::RcptReply::Kind::kReject:
      return "reject";
    case rcptdb::RcptReply::Kind::kDefer:
      break;
  }
  return "defer";
}

// What DecideRecipient did with the recipient.
enum class Decision {
  kContinue,  // checked: go on with Dovecot's own RCPT
  kAnswered,  // replied to here (refused or deferred)
};

// Decides the recipient, replying to it unless it is to be delivered.
Decision DecideRecipient(struct client *client, struct lmtp_recipient *lrcpt,
                         FinishedEvent &finished) {
  struct smtp_server_recipient *rcpt = lrcpt->rcpt;
  const char *path = smtp_address_encode(rcpt->path);
  if (process_check == nullptr) {
    e_error(rcpt->event, "rcptdb: deferred <%s>: plugin has no database", LogPath(path));
    finished.Send("defer", "no database", std::nullopt);
    DeferRecipient(rcpt);
    return Decision::kAnswered;
  }
  const char *delimiters = rcptdb_series_delimiters(client);
  CompareDelimitersOnce(client->event, delimiters);
  rcptdb::RcptCheck::Outcome out = process_check->Check(path, delimiters);
  const rcptdb::RcptReply &reply = out.reply;
  finished.Send(ResultWord(reply.kind), out.reason.c_str(), out.data_version);
  std::string text = rcptdb::ReplyTextWithoutPath(reply, path);

  switch (reply.kind) {
    case rcptdb::RcptReply::Kind::kReject:
#if defined(RCPTDB_MUTANT) && RCPTDB_MUTANT == 1
      return Decision::kContinue;  // Test-only mutant (tests/mutants/run): refuses nothing.
#endif
      e_info(rcpt->event, "rcptdb: rejected <%s>: %d %s (%s)", LogPath(path), reply.code,
             reply.enhanced.c_str(), out.cause.c_str());
      smtp_server_recipient_reply(rcpt, reply.code, reply.enhanced.c_str(), "%s", text.c_str());
      return Decision::kAnswered;
    case rcptdb::RcptReply::Kind::kDefer:
      e_error(rcpt->event, "rcptdb: deferred <%s>: %s", LogPath(path), out.cause.c_str());
      smtp_server_recipient_reply(rcpt, reply.code, reply.enhanced.c_str(), "%s", text.c_str());
      return Decision::kAnswered;
    case rcptdb::RcptReply::Kind::kAccept:
      break;
  }
  if (!reply.rewrite.empty()) {
    if (!RewritePath(rcpt, reply.rewrite)) {
      DeferRecipient(rcpt);
      return Decision::kAnswered;
    }
    rcptdb_series_path_rewritten(lrcpt);
    e_debug(rcpt->event, "rcptdb: <%s> is delivered to <%s>", LogPath(path), reply.rewrite.c_str());
  }
  return Decision::kContinue;
}

int RcptdbCmdRcpt(struct client *client, struct smtp_server_cmd_ctx *cmd,
                  struct lmtp_recipient *lrcpt) {
  RcptdbClient *ctx = ClientContext(client);
  FinishedEvent finished(lrcpt->rcpt->event);
  try {
    if (DecideRecipient(client, lrcpt, finished) == Decision::kAnswered) return -1;
  } catch (const std::exception &e) {
    e_error(lrcpt->rcpt->event, "rcptdb: deferred <%s>: exception: %s",
            LogPath(smtp_address_encode(lrcpt->rcpt->path)), e.what());
    finished.Send("defer", "exception", std::nullopt);
    DeferRecipient(lrcpt->rcpt);
    return -1;
  } catch (...) {
    e_error(lrcpt->rcpt->event, "rcptdb: deferred <%s>: unknown exception",
            LogPath(smtp_address_encode(lrcpt->rcpt->path)));
    finished.Send("defer", "exception", std::nullopt);
    DeferRecipient(lrcpt->rcpt);
    return -1;
  }
  return ctx->super.cmd_rcpt(client, cmd, lrcpt);
}

void RcptdbClientCreated(struct client **clientp) {
  struct client *client = *clientp;
  // Install the check first: if preparing the database fails below, every
  // RCPT is deferred rather than delivered unchecked.
  RcptdbClient *ctx = p_new(client->pool, RcptdbClient, 1);
  ctx->super = client->v;
  client->v.cmd_rcpt = RcptdbCmdRcpt;
  MODULE_CONTEXT_SET(client, rcptdb_client_module, ctx);
  try {
    PrepareProcessCheck(client);
  } catch (const std::exception &e) {
    e_error(client->event, "rcptdb: cannot prepare database: %s", e.what());
  } catch (...) {
    e_error(client->event, "rcptdb: cannot prepare database: unknown exception");
  }
  if (next_hook_client_created != nullptr) next_hook_client_created(clientp);
}

}  // namespace

void rcptdb_plugin_init(struct module *module ATTR_UNUSED) {
  next_hook_client_created = lmtp_client_created_hook_set(RcptdbClientCreated);
}

void rcptdb_plugin_deinit(void) {
  lmtp_client_created_hook_set(next_hook_client_created);
  delete process_check;
  process_check = nullptr;
}
