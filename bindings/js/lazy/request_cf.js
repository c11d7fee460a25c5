// request.cf of an incoming request (js/30_request.js reads it through here on first use): a lazy
// module, since most handlers never read request.cf and the snapshot's size is paid by every
// per_request context.
// Cloudflare's IncomingRequestCfProperties, as far as atoll knows them: what the connection says
// (native.requestCf), and the JSON object the operator's edge put in the [server] cf_header
// header, whose members win (the edge faced the client). undefined once the request is no longer
// on a client connection (a service-binding call; answered before request.cf was first read).
const { ArrayIsArray, ObjectHasOwn } = internal.primordials;

function incomingCf(id) {
  const parts = native.requestCf(id);
  if (parts === undefined) return undefined;
  let cf = null;
  if (parts[4] !== undefined) {
    try {
      const edge = JSON.parse(parts[4]);
      if (edge !== null && typeof edge === "object" && !ArrayIsArray(edge)) cf = edge;
    } catch {
      // Not JSON: the edge's header is ignored, as if it were absent.
    }
  }
  if (cf === null) cf = {};
  const own = (name, value) => {
    if (value !== undefined && !ObjectHasOwn(cf, name)) cf[name] = value;
  };
  own("httpProtocol", parts[0]);
  own("tlsVersion", parts[1]);
  own("tlsCipher", parts[2]);
  own("clientTcpRtt", parts[3]);
  return cf;
}

export { incomingCf };
