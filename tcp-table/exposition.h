// SPDX-License-Identifier: MIT
// exposition.h - metric families written as Prometheus text or OpenMetrics
//
// A pure codec, like the protocol codecs: MetricFamily values in, the
// bytes of one scrape out. Two formats:
//   - the Prometheus text format 0.0.4 (text/plain; version=0.0.4), the
//     default, which every scraper reads;
//   - OpenMetrics 1.0 (application/openmetrics-text; version=1.0.0), only
//     when the scraper's Accept header prefers it: it differs in the
//     family names of counters ("# TYPE x counter", samples x_total), has
//     # UNIT lines and info families, and must end with "# EOF".
// A family's name is its OpenMetrics name: without "_total" for a counter
// and without "_info" for an info family; the writer adds the suffixes.
// Label values and help texts are escaped as both formats require, so any
// text is safe in them; names are the caller's constants.
//
// Thread safety: pure functions.
#ifndef RCPTDB_EXPOSITION_H
#define RCPTDB_EXPOSITION_H

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rcptdb {

enum class ExpositionFormat { kPrometheusText, kOpenMetrics };

// Returns the format an Accept header asks for: OpenMetrics iff it names
// application/openmetrics-text with a higher quality than any range that
// matches text/plain (text/plain, text/*, */*); otherwise, and for a
// missing or unreadable header, the Prometheus text format.
ExpositionFormat ChooseExposition(std::string_view accept);
// Returns the Content-Type header value of format.
const char* ContentTypeOf(ExpositionFormat format);

enum class MetricType { kCounter, kGauge, kHistogram, kInfo };

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

struct MetricSample {
  std::string suffix;  // "_bucket", "_sum", "_count" for histograms; else ""
  MetricLabels labels;
  double value = 0;
  bool integer = true;  // written without a fraction (exact below 2^53)
};

struct MetricFamily {
  std::string name;  // OpenMetrics name: no _total, no _info
  MetricType type = MetricType::kGauge;
  std::string unit;  // "seconds", "bytes" (the name's suffix), or ""
  std::string help;
  std::vector<MetricSample> samples;

  // Adds a sample with an integer value.
  void Add(MetricLabels labels, std::uint64_t value);
  // Adds a sample with a floating-point value.
  void AddReal(MetricLabels labels, double value);
};

// Returns one scrape's body: every family, in order, in format.
std::string EncodeExposition(const std::vector<MetricFamily>& families, ExpositionFormat format);

}  // namespace rcptdb

#endif
