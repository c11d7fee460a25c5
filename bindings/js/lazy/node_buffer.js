// node:buffer (nodejs_compat; https://nodejs.org/api/buffer.html): feross/buffer 6.0.3, the
// browserify Buffer (a Uint8Array subclass), plus what Node's module adds that Workers has too.
import * as npm from "atoll-npm:buffer";

const { Buffer, SlowBuffer, INSPECT_MAX_BYTES, kMaxLength } = npm;
const encoding = internal.require("encoding");
const blob = internal.require("blob");

const kStringMaxLength = (1 << 29) - 24;
const constants = { MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: kStringMaxLength };

function isUtf8(input) {
  try {
    new encoding.TextDecoder("utf-8", { fatal: true }).decode(input);
    return true;
  } catch {
    return false;
  }
}

function isAscii(input) {
  const bytes = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
                                          : new Uint8Array(input);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 0x7f) return false;
  return true;
}

export {
  Buffer, SlowBuffer, INSPECT_MAX_BYTES, kMaxLength, kStringMaxLength, constants, isUtf8, isAscii,
};
export const atob = encoding.atob;
export const btoa = encoding.btoa;
export const Blob = blob.Blob;
export const File = blob.File;
