// SPDX-License-Identifier: MIT
// tcp_table_responder.h - answers tcp_table(5) requests for one map
//
// Each tcp_table listener serves exactly one map (Postfix names a table by
// its address, tcp:127.0.0.1:10041), so the responder is bound to a MapId.
// Requests that are not a valid "get KEY" get "500 not found" and the
// connection goes on. A line longer than 4096 bytes gets one 500 and the
// rest of it, up to the next LF, is discarded: Postfix never sends one, but
// closing would make a confused client reconnect in a loop. Database
// trouble gets a 400; Postfix then closes the connection itself and defers.
//
// Thread safety: one per session, on the worker's thread.
#ifndef RCPTDB_TCP_TABLE_RESPONDER_H
#define RCPTDB_TCP_TABLE_RESPONDER_H

#include <string>

#include "map_answers.h"
#include "responder.h"
#include "worker.h"

namespace rcptdb {

class TcpTableResponder : public Responder {
 public:
  // peer names the client in log lines.
  TcpTableResponder(Worker& worker, MapId map, std::string peer)
      : worker_(worker), map_(map), peer_(std::move(peer)) {}
  Step Feed(std::string_view input, std::string& out) override;

 private:
  void Answer(std::string_view key, std::string& out);
  void Refuse(const char* cause, std::string_view line, std::string& out);
  Worker& worker_;
  MapId map_;
  std::string peer_;
  bool skipping_ = false;  // discarding the rest of an overlong line
  bool warned_ = false;    // one bad-request warning per connection
};

}  // namespace rcptdb

#endif
