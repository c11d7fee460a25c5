// Static assets' binding (https://developers.cloudflare.com/workers/static-assets/binding/):
// env.ASSETS for a tenant's [tenants.assets] binding is a Fetcher whose fetch() answers a request
// as the assets answer it on the request path (html_handling, not_found_handling, ETag and 304,
// 307 redirects, 405, 404), whatever the URL's host: the native assetsServe (bindings/env_assets.h)
// resolves it against the files the server read (assets/asset_response.h). A path alone
// ("/index.html") is taken as that path. Written against internal.primordials, as cache.js.
// Worker::NewContext calls newAssets(index) for the binding.
const { $TypeError, $Promise, ObjectDefineProperty, SymbolToStringTag } = internal.primordials;
const { Request: $Request, Response: $Response } = internal;
const kCreate = { __proto__: null };  // the constructor's token

class Fetcher {
  #index;
  constructor(token, index) {
    if (token !== kCreate) throw new $TypeError("Illegal constructor");
    this.#index = index;
  }

  fetch(input, init = undefined) {
    try {
      if (arguments.length < 1) throw new $TypeError("Failed to execute 'fetch': 1 argument required, but only 0 present.");
      if (typeof input === "string" && input[0] === "/") input = "http://assets.invalid" + input;
      const request = new $Request(input, init);
      const headers = request.headers;
      // Indexed reads only: a tenant may have patched Array.prototype's iterator or push.
      const answer = native.assetsServe(
          this.#index, request.method, request.url, headers.get("if-none-match") ?? "",
          headers.get("sec-fetch-mode") === "navigate", !headers.has("authorization") && !headers.has("range"));
      const flat = answer[1];
      const pairs = [];
      for (let i = 0; i < flat.length; i += 2) pairs[i / 2] = [flat[i], flat[i + 1]];
      return $Promise.resolve(new $Response(answer[2], { status: answer[0], headers: pairs }));
    } catch (error) {
      return $Promise.reject(error);
    }
  }

  connect() {
    throw new $TypeError("connect() is not available on an assets binding");
  }
}

ObjectDefineProperty(Fetcher.prototype, SymbolToStringTag, { value: "Fetcher", configurable: true });

export function newAssets(index) {
  return new Fetcher(kCreate, index);
}
