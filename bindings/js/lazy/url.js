// URL and URLSearchParams (https://url.spec.whatwg.org/) from whatwg-url, the reference
// implementation by the standard's editors, with IDNA on ICU (shims/tr46.js).
export { URL, URLSearchParams } from "whatwg-url";
