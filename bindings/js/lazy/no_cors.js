// The Fetch spec's no-CORS request-header filter, for the "request-no-cors" guard of js/10_headers.js
// (the headers of `new Request(url, {mode: "no-cors"})`): which headers are no-CORS-safelisted, and
// removing the privileged ones. A lazy module: only a no-cors request loads it.
// https://fetch.spec.whatwg.org/#cors-unsafe-request-header-byte
const CORS_UNSAFE_BYTE = /[\0-\x08\x0a-\x1f"():<>?@[\\\]{}\x7f]/;
const LANGUAGE_VALUE = /^[0-9A-Za-z *,\-.;=]*$/;

// https://fetch.spec.whatwg.org/#no-cors-safelisted-request-header: name lower-case, value
// normalized.
function isNoCorsSafelisted(lower, value) {
  if (value.length > 128) return false;
  switch (lower) {
    case "accept":
      return !CORS_UNSAFE_BYTE.test(value);
    case "accept-language":
    case "content-language":
      return LANGUAGE_VALUE.test(value);
    case "content-type": {
      if (CORS_UNSAFE_BYTE.test(value)) return false;
      const mimeType = internal.require("blob").parseMimeType(value);
      if (mimeType === null) return false;
      const essence = `${mimeType.type}/${mimeType.subtype}`;
      return essence === "application/x-www-form-urlencoded" || essence === "multipart/form-data" || essence === "text/plain";
    }
    default:
      return false;
  }
}

// https://fetch.spec.whatwg.org/#concept-headers-remove-privileged-no-cors-request-headers
function removePrivileged(list) {
  let j = 0;
  for (let i = 0; i < list.length; i += 2) {
    if (list[i] === "range") continue;
    list[j] = list[i];
    list[j + 1] = list[i + 1];
    j += 2;
  }
  list.length = j;
}

export { isNoCorsSafelisted, removePrivileged };
