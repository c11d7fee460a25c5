#pragma once
// The zlib half of CompressionStream / DecompressionStream (https://compression.spec.whatwg.org/);
// the streams around it are js/lazy/compression.js.
//
//   native.zlibNew(format, decompress) -> handle   format 0 "gzip", 1 "deflate", 2 "deflate-raw"
//   native.zlibWrite(handle, view, false) -> Uint8Array | null   what zlib produced from `view`
//   native.zlibWrite(handle, null, true) -> Uint8Array | null    the end (compress: flushes)
// Errors (corrupt or truncated input, data after the end) throw a TypeError. The handle is an
// ArrayBuffer one byte long whose backing store owns the zlib state: it is freed at the end, on
// an error, or when the handle is collected.

namespace atl::bindings {
class NativeScope;

void InstallCompression(NativeScope& scope);
}  // namespace atl::bindings
