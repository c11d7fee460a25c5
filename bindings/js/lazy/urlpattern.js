// URLPattern (https://urlpattern.spec.whatwg.org/) from urlpattern-polyfill, the implementation
// the standard's authors maintain, on atoll's URL (see build.mjs).
import { URLPattern } from "urlpattern-polyfill/urlpattern";

internal.exposeInterface(URLPattern, "URLPattern", false);

export { URLPattern };
