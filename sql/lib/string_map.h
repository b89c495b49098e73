// SPDX-License-Identifier: MIT
// string_map.h - a hash map keyed by std::string that find() asks by view
//
// StringMap<V>::find(std::string_view) hashes the view itself (a
// transparent hash), so looking up a kept key allocates nothing: what the
// per-lookup memo and cache of librcptdb need on their hot path.
//
// Thread safety: as std::unordered_map.
#ifndef RCPTDB_STRING_MAP_H
#define RCPTDB_STRING_MAP_H

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace rcptdb {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

}  // namespace rcptdb

#endif
