// SPDX-License-Identifier: MIT
// NAME
//   fuzz_exposition - libFuzzer target for the metrics scrape reader
// DESCRIPTION
//   rcptdb top reads whatever a metrics endpoint sends, so
//   ReadExposition() gets arbitrary bytes here. Aborts when a promise of
//   exposition_reader.h breaks:
//     - more than kMaxSamples samples, or a sample with more than
//       kMaxLabels labels, is returned;
//     - what it read, written again by the server's writer
//       (tcp-table/exposition.h) in either format, does not read back to
//       the same names, labels and values: reader and writer agree on
//       escaping and numbers.
// SEE ALSO
//   admin/exposition_reader.h, tcp-table/exposition.h, tests/fuzz/run-fuzzers
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exposition.h"
#include "exposition_reader.h"
#include "fuzz_check.h"

namespace {

bool Same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcptdb;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto read = admin::ReadExposition(text);
  if (!read.ok()) return 0;
  CHECK(read->size() <= admin::kMaxSamples);
  std::vector<MetricFamily> families;
  for (const admin::ExposedSample& s : *read) {
    CHECK(s.labels.size() <= admin::kMaxLabels);
    MetricFamily f;
    f.name = s.name;
    f.help = "fuzz";
    f.AddReal(s.labels, s.value);
    families.push_back(std::move(f));
  }
  for (ExpositionFormat format :
       {ExpositionFormat::kPrometheusText, ExpositionFormat::kOpenMetrics}) {
    auto again = admin::ReadExposition(EncodeExposition(families, format));
    CHECK(again.ok());
    CHECK(again->size() == read->size());
    for (std::size_t i = 0; i < read->size(); ++i) {
      CHECK((*again)[i].name == (*read)[i].name);
      CHECK((*again)[i].labels == (*read)[i].labels);
      CHECK(Same((*again)[i].value, (*read)[i].value));
    }
  }
  return 0;
}
