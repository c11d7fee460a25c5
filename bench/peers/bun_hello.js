// Peer: Bun.serve. Usage: bun bun_hello.js PORT (binds 127.0.0.1 only).
const port = Number(process.argv[2]);
Bun.serve({
  hostname: "127.0.0.1",
  port,
  fetch() {
    return new Response("Hello from atoll!\n", {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  },
});
