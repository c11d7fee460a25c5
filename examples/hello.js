// The smallest atoll tenant: a Workers-style ES module handler.
export default {
  async fetch(request, env, ctx) {
    return new Response("Hello from atoll!\n", {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  },
};
