// SPDX-License-Identifier: MIT
// socketmap_responder.h - answers socketmap(5) requests for every map
//
// One socketmap listener serves all maps; the request names the map
// ("recipients alice@example.com"). An unknown map name gets PERM (a
// configuration error on the Postfix side, not a missing key). The map
// "stats" answers the server's counters: key "all" (or any key that is no
// map name) for everything, or a map name for that map only. Framing
// errors and oversized requests get PERM and the connection is closed,
// since no safe place to resume exists; Postfix reconnects once by itself.
//
// Thread safety: one per session, on the worker's thread.
#ifndef RCPTDB_SOCKETMAP_RESPONDER_H
#define RCPTDB_SOCKETMAP_RESPONDER_H

#include <string>

#include "responder.h"
#include "worker.h"

namespace rcptdb {

class SocketmapResponder : public Responder {
 public:
  // peer names the client in log lines.
  SocketmapResponder(Worker& worker, std::string peer) : worker_(worker), peer_(std::move(peer)) {}
  Step Feed(std::string_view input, std::string& out) override;

 private:
  void Answer(const std::string& map, const std::string& key, std::string& out);
  void Warn(std::string_view what);
  Worker& worker_;
  std::string peer_;
  bool warned_ = false;  // one bad-request warning per connection
};

}  // namespace rcptdb

#endif
