// Peer: deno_hello.js with the handler's Response made twice (bench/instructions.sh deno-hello-twice).
const port = Number(Deno.args[0]);
Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, () => {
  new Response("Hello from atoll!\n", { headers: { "content-type": "text/plain; charset=utf-8" } });
  return new Response("Hello from atoll!\n", {
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
});
