// SPDX-License-Identifier: MIT
// responder.h - turns the bytes a client sent into the bytes it gets back
//
// A Responder is the protocol half of a session: the session (session.h)
// owns the socket, reads and writes; the Responder parses requests with a
// pure codec, asks the Worker for answers and encodes the replies. It keeps
// only its own small state (e.g. "skipping the rest of an overlong line"),
// so a session's memory is bounded by the codec's limits.
//
// Thread safety: one Responder per session, used on the worker's thread.
#ifndef RCPTDB_RESPONDER_H
#define RCPTDB_RESPONDER_H

#include <cstddef>
#include <string>
#include <string_view>

namespace rcptdb {

// Feed() stops adding replies once out holds this much, so that a client
// that sends many requests at once still gets them answered in bounded
// chunks, each written before more input is parsed.
inline constexpr std::size_t kFlushBytes = 16384;

class Responder {
 public:
  struct Step {
    std::size_t consumed = 0;  // bytes of input used; 0: need more input
    bool close = false;        // write out, then close the connection
  };
  virtual ~Responder() = default;
  // Answers the complete requests at the front of input, appending the
  // replies to out, until input holds no complete request or out reaches
  // kFlushBytes.
  virtual Step Feed(std::string_view input, std::string& out) = 0;
};

}  // namespace rcptdb

#endif
