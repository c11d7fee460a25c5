#include "bindings/utf8.h"

namespace atl::bindings {
namespace {

// For a lead byte: how many continuation bytes follow, and the allowed range of the first one
// (the Encoding standard's "UTF-8 lower/upper boundary"). needed < 0: not a lead byte.
struct Lead {
  int needed;
  uint8_t lower, upper;
};

Lead LeadOf(uint8_t b) {
  if (b < 0x80) return {0, 0x80, 0xBF};
  if (b >= 0xC2 && b <= 0xDF) return {1, 0x80, 0xBF};
  if (b == 0xE0) return {2, 0xA0, 0xBF};
  if (b == 0xED) return {2, 0x80, 0x9F};
  if (b >= 0xE1 && b <= 0xEF) return {2, 0x80, 0xBF};
  if (b == 0xF0) return {3, 0x90, 0xBF};
  if (b == 0xF4) return {3, 0x80, 0x8F};
  if (b >= 0xF1 && b <= 0xF3) return {3, 0x80, 0xBF};
  return {-1, 0, 0};
}

}  // namespace

bool IsValidUtf8(std::span<const uint8_t> bytes) {
  size_t i = 0, n = bytes.size();
  while (i < n) {
    // ASCII runs, 8 bytes at a time.
    while (i + 8 <= n) {
      uint64_t word = 0;
      for (int k = 0; k < 8; ++k) word |= static_cast<uint64_t>(bytes[i + k]) << (8 * k);
      if (word & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    Lead lead = LeadOf(bytes[i]);
    if (lead.needed < 0) return false;
    if (lead.needed == 0) {
      ++i;
      continue;
    }
    if (i + static_cast<size_t>(lead.needed) >= n) return false;  // truncated
    if (bytes[i + 1] < lead.lower || bytes[i + 1] > lead.upper) return false;
    for (int k = 2; k <= lead.needed; ++k) {
      if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF) return false;
    }
    i += 1 + lead.needed;
  }
  return true;
}

size_t IncompleteUtf8Tail(std::span<const uint8_t> bytes) {
  size_t n = bytes.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    uint8_t b = bytes[n - back];
    if (b >= 0x80 && b <= 0xBF) continue;  // a continuation byte: look further back
    Lead lead = LeadOf(b);
    if (lead.needed <= 0 || static_cast<size_t>(lead.needed) < back) return 0;
    // The bytes after the lead must be valid so far.
    if (back >= 2 && (bytes[n - back + 1] < lead.lower || bytes[n - back + 1] > lead.upper)) return 0;
    return back;
  }
  return 0;
}

}  // namespace atl::bindings
