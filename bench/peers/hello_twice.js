// bench/instructions.sh hello-twice: the hello handler's own JS done twice per request (a
// Response made and dropped, then the one returned): minus hello's count, the handler's cost.
export default {
  async fetch(request, env, ctx) {
    new Response("Hello from atoll!\n", { headers: { "content-type": "text/plain; charset=utf-8" } });
    return new Response("Hello from atoll!\n", {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  },
};
