// SPDX-License-Identifier: MIT
// exposition_reader.h - read a Prometheus text or OpenMetrics scrape
//
// `rcptdb top` reads what rcptdb-server's metrics endpoint sends. This is
// the reading half, a pure codec with a fuzz target like the protocol
// codecs: the text in, the samples out. It reads the sample lines of the
// Prometheus text format 0.0.4 and of OpenMetrics 1.0 alike
// (NAME{LABEL="VALUE",...} VALUE [TIMESTAMP]); "#" lines (HELP, TYPE,
// UNIT, EOF) and blank lines are skipped, since top needs only the
// samples. Label values are unescaped (\\, \" and \n). A line it cannot
// read makes the whole scrape Invalid, naming the line number: a scrape
// that is not what rcptdb-server sends is not shown as if it were.
//
// Bounded: at most kMaxSamples samples and kMaxLabels labels a sample;
// the caller bounds the text itself (metrics_fetch.h).
//
// Thread safety: pure function.
#ifndef RCPTDB_ADMIN_EXPOSITION_READER_H
#define RCPTDB_ADMIN_EXPOSITION_READER_H

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "status.h"

namespace rcptdb::admin {

inline constexpr std::size_t kMaxSamples = 100000;
inline constexpr std::size_t kMaxLabels = 32;

struct ExposedSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;

  // Returns the value of label name, or "" if the sample has none.
  std::string_view Label(std::string_view label) const;
};

// Returns the samples of text; Invalid naming the first unreadable line.
Result<std::vector<ExposedSample>> ReadExposition(std::string_view text);

}  // namespace rcptdb::admin

#endif
