#pragma once
// The zlib half of CompressionStream / DecompressionStream (https://compression.spec.whatwg.org/);
// the streams around it are js/lazy/compression.js. fetch() decodes coded bodies with it too
// (js/lazy/fetch.js: gzip, deflate, br).
//
//   native.zlibNew(format, decompress) -> handle   format 0 "gzip", 1 "deflate", 2 "deflate-raw",
//                                                   3 brotli (decompress only: fetch()'s "br" bodies)
//                                                   4 HTTP "deflate" (decompress only): zlib wrapper
//                                                     or raw, as the first two bytes say (browsers)
//   native.zlibWrite(handle, view, false) -> Uint8Array | null   up to 64 KB of output from `view`
//   native.zlibWrite(handle, null, false) -> Uint8Array | null   the next 64 KB from the same chunk
//   native.zlibWrite(handle, null, true) -> Uint8Array | null    the end, 64 KB at a time
// null: nothing more comes out of what was given so far (after `true`: the stream is done). A
// chunk's output is never made all at once: a 2 KB gzip bomb inflates only as far as it is read.
// Errors (corrupt or truncated input, data after the end) throw a TypeError. The handle is an
// ArrayBuffer one byte long whose backing store owns the zlib state: it is freed at the end, on
// an error, or when the handle is collected.

namespace atl::bindings {
class NativeScope;

void InstallCompression(NativeScope& scope);
}  // namespace atl::bindings
