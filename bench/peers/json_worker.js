// The JSON workload as a Workers-style module: atoll and workerd serve it as is, deno and bun
// call its fetch() from their own servers.
import { payload } from "./json_payload.js";

export default {
  async fetch(request) {
    const body = payload(new URL(request.url), request.headers.get("x-request-id"));
    return new Response(body, { headers: { "content-type": "application/json" } });
  },
};
