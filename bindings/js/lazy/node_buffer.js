// node:buffer (nodejs_compat; https://nodejs.org/api/buffer.html): feross/buffer 6.0.3, the
// browserify Buffer (a Uint8Array subclass), plus what Node's module adds that Workers has too.
const npm = require("atoll-npm:buffer");

const { Buffer, SlowBuffer, INSPECT_MAX_BYTES, kMaxLength } = npm;
const kStringMaxLength = (1 << 29) - 24;
const constants = { MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: kStringMaxLength };

function isUtf8(input) {
  try {
    new (internal.require("encoding").TextDecoder)("utf-8", { fatal: true }).decode(input);
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

const buffer = {
  Buffer, SlowBuffer, INSPECT_MAX_BYTES, kMaxLength, kStringMaxLength, constants, isUtf8, isAscii,
};
// Blob, File, atob and btoa are the globals' (atoll's encoding and blob modules, ~650 KB of a
// context once loaded): non-enumerable getters, so that importing node:buffer for Buffer does
// not load them. `buffer.Blob` works; a named import of them does not (use the globals).
for (const [name, module] of [["Blob", "blob"], ["File", "blob"], ["atob", "encoding"], ["btoa", "encoding"]]) {
  Object.defineProperty(buffer, name, { get: () => internal.require(module)[name], enumerable: false });
}

module.exports = buffer;
