#pragma once
// The native half of the streams unit (js/lazy/streams.js): ArrayBuffer transfer for byte
// streams, and streamed bodies between the glue and the Worker.
//
//   native.transferArrayBuffer(buffer) -> a new ArrayBuffer with the same memory; `buffer` is
//                                         detached (https://tc39.es/ecma262/#sec-arraybuffer.prototype.transfer)
//   native.isDetachedArrayBuffer(buffer) -> boolean
//   native.writeBody(id, uint8Array) -> boolean   a chunk of request `id`'s streamed response
//                                                 body; false: wait for RESPONSE_DRAIN
//   native.endBody(id, complete)                  the streamed response body ended (or failed)
//   native.uploadControl(id, cancel)              the request body stream wants more (pull) or
//                                                 none of the rest (cancel)
// C++ answers through internal.onStreamEvent(id, kind, data) (kinds in js/lazy/streams.js).

namespace atl::bindings {
class NativeScope;

// What internal.onStreamEvent's `kind` means.
enum class StreamEvent {
  kUploadChunk = 0,     // data: ArrayBuffer; returns whether the stream wants more now
  kUploadEnd = 1,
  kUploadError = 2,     // data: message of the TypeError the body stream errors with
  kResponseDrain = 3,   // the client took what was written: write more
  kResponseCancel = 4,  // the client went away: cancel the response body stream
};

void InstallBodyStream(NativeScope& scope);
}  // namespace atl::bindings
