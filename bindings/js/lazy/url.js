// URL and URLSearchParams (https://url.spec.whatwg.org/) from whatwg-url, the reference
// implementation by the standard's editors, with IDNA on ICU (shims/tr46.js) and a fast path
// for URLs already in canonical form (lib/url_fast_path.js).
import usm from "whatwg-url/lib/url-state-machine.js";
import { installFastPath } from "./lib/url_fast_path.js";

export { URL, URLSearchParams } from "whatwg-url";

const slowParse = installFastPath(usm);
// For the conformance runner: parse without the fast path.
export function parseWithoutFastPath(input, base) {
  return slowParse(input, base === undefined ? undefined : { baseURL: slowParse(base) });
}
export const serializeURL = usm.serializeURL;
