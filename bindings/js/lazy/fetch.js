// fetch() (https://fetch.spec.whatwg.org/#fetch-method) and service bindings (env.NAME.fetch()).
// The request is built by the Request class, sent by the host (bindings/fetch.h: the HTTP client
// and SSRF guard of server/, or another tenant for a service binding), and answered as a Response
// whose body is a byte stream fed as the bytes arrive; the host stops reading the socket while
// that stream is full (64 KB). Redirects are followed here (redirect: "follow", at most 20;
// 301/302 turn POST into GET, 303 anything but HEAD into GET, as the spec says); "manual" returns
// the 3xx response, "error" rejects. Each hop is one subrequest. An AbortSignal rejects the
// promise with its reason, errors the body stream and closes the connection.
const { uncurryThis, fetchSinks, requestParts, newFetchedResponse, codedSources, Request: $Request } = internal;
const { ReadableStream, ReadableStreamDefaultReader, bodyStreams } = internal.require("streams");
const { URL: $URL } = internal.require("url");
const { signalAccess, AbortSignal } = internal.require("events");
const nativeFetchStart = native.fetchStart;
const nativeFetchWrite = native.fetchWrite;
const nativeFetchControl = native.fetchControl;
const nativeSerialize = native.doSerialize;
const nativeDeserialize = native.doDeserialize;
const $Proxy = Proxy;
const $Error = Error;
const utf8Encode = native.utf8Encode;
const $Promise = Promise;
const $TypeError = TypeError;
const $Uint8Array = Uint8Array;
const ObjectFreeze = Object.freeze;
const {
  MapSet, MapDelete, PromisePrototypeThen: PromiseThen, ArrayPrototypePush, StringPrototypeToLowerCase,
} = internal.primordials;
const WeakMapSet = uncurryThis(WeakMap.prototype.set);
const getReader = uncurryThis(ReadableStream.prototype.getReader);
const read = uncurryThis(ReadableStreamDefaultReader.prototype.read);
const cancelReader = uncurryThis(ReadableStreamDefaultReader.prototype.cancel);
const TypedArrayByteLength = uncurryThis(
  Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), "byteLength").get);
const AbortSignalAborted = uncurryThis(Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted").get);
const AbortSignalReason = uncurryThis(Object.getOwnPropertyDescriptor(AbortSignal.prototype, "reason").get);

// Kinds of internal.onFetchEvent (worker_host.h FetchEventKind).
const HEAD = 0;
const CHUNK = 1;
const END = 2;
const ERROR = 3;
const DRAIN = 4;

const MAX_REDIRECTS = 20;
const RESPONSE_HIGH_WATER_MARK = 64 * 1024;
// Request-body-header names (https://fetch.spec.whatwg.org/#request-body-header-name), dropped
// when a redirect turns the request into a GET.
const BODY_HEADERS = ["content-encoding", "content-language", "content-location", "content-type", "content-length"];

function isRedirect(status) {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function isNullBodyStatus(status) {
  return status === 101 || status === 103 || status === 204 || status === 205 || status === 304;
}

function flatGet(flat, name) {
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) return flat[i + 1];
  return null;
}

function flatWithout(flat, names) {
  const out = [];
  for (let i = 0; i < flat.length; i += 2) {
    const name = StringPrototypeToLowerCase(flat[i]);
    let drop = false;
    for (let j = 0; j < names.length; j++) if (names[j] === name) drop = true;
    if (!drop) ArrayPrototypePush(out, flat[i], flat[i + 1]);
  }
  return out;
}

function refusedScheme(url) {
  return new $TypeError(`fetch to ${url.href} refused: the ${url.protocol} scheme is not allowed (only http: and https:)`);
}

// Sends the body stream of a request to fetch `id`, chunk by chunk, waiting for the drain event
// when the host says its buffer is full. `length` >= 0: the head announced that many bytes (the
// stream's known length); a stream that gives more or fewer fails the fetch.
function pumpUpload(id, stream, length, state) {
  const reader = getReader(stream);
  state.uploadReader = reader;
  let sent = 0;
  const wrongLength = () => new $TypeError(
    `The request body stream gave ${sent < length ? "fewer" : "more"} bytes than its known length (${length}).`);
  const next = () => {
    if (state.done) return;
    PromiseThen(read(reader), (result) => {
      if (state.done) return;
      if (result.done) {
        if (length >= 0 && sent !== length) {
          state.fail(wrongLength());
          return;
        }
        nativeFetchWrite(id, null);
        return;
      }
      const chunk = result.value;
      if (!(chunk instanceof $Uint8Array)) {
        state.fail(new $TypeError("A request body stream chunk is not a Uint8Array."));
        return;
      }
      sent += TypedArrayByteLength(chunk);
      if (length >= 0 && sent > length) {
        state.fail(wrongLength());
        return;
      }
      if (nativeFetchWrite(id, chunk)) next();
      else state.waitDrain = next;
    }, (error) => state.fail(error));
  };
  next();
}

// One fetch() or service call: hop after hop until a response that is not followed.
function doFetch(input, init, service) {
  return new $Promise((resolve, reject) => {
    let request;
    try {
      request = new $Request(input, init);
    } catch (e) {
      reject(e);
      return;
    }
    const parts = requestParts(request);
    const signal = parts.signal;
    if (signal !== null && AbortSignalAborted(signal)) {
      reject(AbortSignalReason(signal));
      return;
    }
    let method = parts.method;
    let headers = parts.headers;
    let body = parts.body;
    let streamBody = null;
    let streamLength = -1; // streamBody's known length (bodyStreams.knownLength), or -1: chunked
    if (typeof body === "string") body = utf8Encode(body);
    else if (body !== null && !(body instanceof $Uint8Array)) {
      streamBody = body;
      streamLength = bodyStreams.knownLength(body);
      body = null;
    }
    let url;
    try {
      url = new $URL(parts.url);
    } catch {
      reject(new $TypeError(`Invalid URL: ${parts.url}`));
      return;
    }
    let redirects = 0;
    let settled = false;
    let current = 0; // fetch id in flight
    let controller = null; // of the response body stream, once the head came
    const state = { done: false, waitDrain: null, uploadReader: null, fail: null };

    const finish = () => {
      state.done = true;
      if (current !== 0) MapDelete(fetchSinks, current);
    };
    const fail = (error) => {
      if (state.done) return;
      const id = current;
      finish();
      if (id !== 0) nativeFetchControl(id, true);
      if (!settled) {
        settled = true;
        reject(error);
      } else if (controller !== null) {
        try {
          controller.error(error);
        } catch {}
      }
      if (state.uploadReader !== null) PromiseThen(cancelReader(state.uploadReader, error), undefined, () => {});
    };
    state.fail = fail;
    if (signal !== null) signalAccess.onAbort(signal, () => fail(AbortSignalReason(signal)));

    const start = () => {
      if (service === "" && url.protocol !== "http:" && url.protocol !== "https:") {
        fail(refusedScheme(url));
        return;
      }
      const https = url.protocol === "https:";
      const port = url.port === "" ? (https ? 443 : 80) : +url.port;
      let id;
      try {
        id = nativeFetchStart(service, method, url.href, https, url.hostname, port, `${url.pathname}${url.search}`,
          headers, body, streamBody !== null, streamLength);
      } catch (e) {
        fail(e);
        return;
      }
      current = id;
      MapSet(fetchSinks, id, (kind, a, b, c, d) => {
        if (kind === HEAD) return onHead(a, b, c, d);
        if (kind === CHUNK) {
          if (controller === null) return false;
          controller.enqueue(new $Uint8Array(a));
          return controller.desiredSize > 0;
        }
        if (kind === END) {
          finish();
          if (controller !== null) controller.close();
          return false;
        }
        if (kind === ERROR) {
          finish();
          const error = new $TypeError(`${a}`);
          if (!settled) {
            settled = true;
            reject(error);
          } else if (controller !== null) {
            controller.error(error);
          }
          return false;
        }
        if (kind === DRAIN) {
          const next = state.waitDrain;
          state.waitDrain = null;
          if (next !== null) next();
        }
        return false;
      });
      if (streamBody !== null) pumpUpload(id, streamBody, streamLength, state);
    };

    const onHead = (status, statusText, flat, socket) => {
      const location = isRedirect(status) ? flatGet(flat, "location") : null;
      if (location !== null && parts.redirect !== "manual") {
        if (parts.redirect === "error") {
          fail(new $TypeError(`fetch to ${url.href} failed: redirect (${status}) with redirect mode "error"`));
          return false;
        }
        let next;
        try {
          next = new $URL(location, url.href);
        } catch {
          fail(new $TypeError(`fetch to ${url.href} failed: invalid redirect location "${location}"`));
          return false;
        }
        if (++redirects > MAX_REDIRECTS) {
          fail(new $TypeError(`fetch to ${parts.url} failed: more than ${MAX_REDIRECTS} redirects`));
          return false;
        }
        if (streamBody !== null && status !== 303) {
          fail(new $TypeError(`fetch to ${url.href} failed: cannot follow a ${status} redirect with a streamed request body`));
          return false;
        }
        // https://fetch.spec.whatwg.org/#http-redirect-fetch step 12.
        if (((status === 301 || status === 302) && method === "POST") || (status === 303 && method !== "GET" && method !== "HEAD")) {
          method = "GET";
          body = null;
          streamBody = null;
          headers = flatWithout(headers, BODY_HEADERS);
        }
        if (next.origin !== url.origin) headers = flatWithout(headers, ["authorization"]);
        const id = current;
        MapDelete(fetchSinks, id);
        nativeFetchControl(id, true);
        current = 0;
        url = next;
        start();
        return false;
      }
      const id = current;
      let responseBody = null;
      if (!isNullBodyStatus(status) && method !== "HEAD") {
        responseBody = new ReadableStream({
          type: "bytes",
          start(c) {
            controller = c;
          },
          pull() {
            if (!state.done) nativeFetchControl(id, false);
          },
          cancel() {
            if (state.done) return;
            finish();
            nativeFetchControl(id, true);
          },
        }, { highWaterMark: RESPONSE_HIGH_WATER_MARK });
      }
      // As Workers: the body the tenant reads is decoded; the headers stay as they came
      // (Content-Encoding, and Content-Length of the coded bytes). Returned untouched, the
      // response sends the coded bytes again (internal.codedSources, 40_response.js).
      const coding = responseBody === null ? null : flatGet(flat, "content-encoding");
      if (coding !== null) {
        const decoded = internal.require("compression").decodedBody(responseBody, coding, `fetch to ${url.href} failed`);
        if (decoded !== null) {
          WeakMapSet(codedSources, decoded.stream, decoded.source);
          responseBody = decoded.stream;
        }
      }
      let webSocket = null;
      if (status === 101) {
        // An upgraded fetch (Upgrade: websocket): the socket, to accept() or to return in a 101.
        if (socket === undefined) {
          fail(new $TypeError(`fetch to ${url.href} failed: the WebSocket was refused (over the tenant's max_websockets)`));
          return false;
        }
        webSocket = internal.require("websocket").adoptSocket(socket, url.href);
      }
      settled = true;
      resolve(newFetchedResponse(status, statusText, flat, responseBody, url.href, redirects > 0, webSocket));
      return false;
    };

    // A stream body goes as it is read, with its backpressure: to a URL, to a service binding's
    // tenant (server/outbound.h), to a Durable Object in another process or node.
    start();
  });
}

export function fetch(input, init = undefined) {
  if (arguments.length < 1) {
    return $Promise.reject(new $TypeError("Failed to execute 'fetch': 1 argument required, but only 0 present."));
  }
  return doFetch(input, init, "");
}

// A call for a Durable Object another worker process owns (js/lazy/durable_objects.js): the
// host sends it to process N over loopback ("@do:N", server/durable_objects_service.h), or to
// the owner node ("@do-node:NAME", cluster mode: server/cluster_objects.h).
export function durableObjectFetch(input, init, service) {
  return doFetch(input, init, service);
}

// env.NAME for a [tenants.services] binding: fetch() goes to the other tenant, in this process;
// any other method is an RPC call to the other tenant's WorkerEntrypoint
// (https://developers.cloudflare.com/workers/runtime-apis/rpc/): the arguments and the result are
// structured clones (V8's serializer, as Durable Object calls), the call is a service call (its
// chain's limits and CPU) marked so that only a binding can make one (server/outbound.cc).
// `then` is not a method, so that the binding is not a thenable.
export function serviceBinding(name) {
  const target = ObjectFreeze({
    fetch(input, init = undefined) {
      if (arguments.length < 1) {
        return $Promise.reject(new $TypeError("Failed to execute 'fetch': 1 argument required, but only 0 present."));
      }
      return doFetch(input, init, name);
    },
  });
  return new $Proxy(target, {
    __proto__: null,
    get(t, prop) {
      if (prop === "fetch") return t.fetch;
      if (typeof prop !== "string" || prop === "then" || prop === "constructor") return undefined;
      return (...args) => serviceCall(name, prop, args);
    },
  });
}

async function serviceCall(name, method, args) {
  const body = new $Uint8Array(nativeSerialize([method, args]));
  const response = await doFetch("http://rpc.internal/", { method: "POST", headers: [["x-atoll-rpc", "1"]], body }, name);
  const bytes = await response.arrayBuffer();
  if (response.status !== 200) {
    const error = new $Error(`RPC call ${name}.${method}() failed: the service answered ${response.status}`);
    error.status = response.status;
    throw error;
  }
  const outcome = nativeDeserialize(bytes);
  if (outcome.ok) return outcome.value;
  throw rebuildError(outcome.error);
}

// The called method's exception, as the caller sees it (a structured clone keeps only data):
// RPC through service bindings and Durable Object calls another process runs
// (js/lazy/durable_objects.js).
export function rebuildError(error) {
  if (error === null || typeof error !== "object") return error;
  const Ctor = { TypeError: $TypeError, RangeError }[error.name] ?? $Error;
  const e = new Ctor(error.message);
  if (error.name !== e.name) e.name = error.name;
  return e;
}
