// whatwg-url's lib/encoding.js on atoll's natives (see build.mjs).
export function utf8Encode(string) {
  return native.utf8Encode(string);
}
export function utf8DecodeWithoutBOM(bytes) {
  return native.utf8DecodeWithoutBOM(bytes);
}
