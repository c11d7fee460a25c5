// A service-worker-syntax handler (no export): answers with the method and an awaited value.
addEventListener("fetch", (event) => {
  event.respondWith(
    (async () => {
      const value = await Promise.resolve(21);
      return new Response(`sw ${event.request.method} ${value * 2}`, { headers: { "x-sw": "yes" } });
    })(),
  );
});
