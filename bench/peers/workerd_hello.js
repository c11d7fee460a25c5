// Peer: the same ES-module hello as examples/hello.js, run by workerd (see workerd.capnp).
export default {
  async fetch(request, env, ctx) {
    return new Response("Hello from atoll!\n", {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  },
};
