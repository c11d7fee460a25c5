// Peer: Deno.serve. Usage: deno run --allow-net=127.0.0.1 deno_hello.js PORT (binds 127.0.0.1 only).
const port = Number(Deno.args[0]);
Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, () =>
  new Response("Hello from atoll!\n", {
    headers: { "content-type": "text/plain; charset=utf-8" },
  }));
