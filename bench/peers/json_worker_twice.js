// bench/instructions.sh json-twice: json_worker.js with payload() (the 20 items and
// JSON.stringify, given the parsed URL and the header) run twice per request: minus json's
// count, what one payload() costs the engine. The URL is parsed and the header read once.
import { payload } from "./json_payload.js";

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const id = request.headers.get("x-request-id");
    payload(url, id);
    const body = payload(url, id);
    return new Response(body, { headers: { "content-type": "application/json" } });
  },
};
