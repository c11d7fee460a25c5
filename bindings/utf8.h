#pragma once
// The UTF-8 decoder of the Encoding standard (https://encoding.spec.whatwg.org/#utf-8-decoder),
// for the parts V8 does not expose: validation (TextDecoder's `fatal`) and where a chunk ends in
// the middle of a sequence (`stream: true`). Decoding with replacement is V8's own
// String::NewFromUtf8, which follows the same algorithm.

#include <cstddef>
#include <cstdint>
#include <span>

namespace atl::bindings {

// True when `bytes` is well-formed UTF-8 (no surrogates, no overlongs, nothing past U+10FFFF).
bool IsValidUtf8(std::span<const uint8_t> bytes);

// How many bytes at the end of `bytes` are the start of a sequence that more input could
// complete (0 to 3). Those bytes are held back by a streaming decoder.
size_t IncompleteUtf8Tail(std::span<const uint8_t> bytes);

}  // namespace atl::bindings
