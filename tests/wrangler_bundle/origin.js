// The origin tests/wrangler_bundle_test.cc's app calls through node:http and node-fetch: a second
// atoll server, so that what crosses is real HTTP on loopback.
export default {
  async fetch(request) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/echo": {
        const headers = {};
        for (const [name, value] of request.headers) headers[name] = value;
        return Response.json({ method: request.method, path: url.pathname + url.search, headers, body: await request.text() });
      }
      case "/redirect":
        return new Response(null, { status: 302, headers: { location: "/echo" } });
      case "/cookies": {
        const headers = new Headers({ "content-type": "text/plain" });
        headers.append("set-cookie", "a=1; Path=/");
        headers.append("set-cookie", "b=2; Path=/");
        return new Response("two cookies", { status: 201, statusText: "Made", headers });
      }
      case "/stream": {
        const chunks = Number(url.searchParams.get("chunks") ?? 4);
        let sent = 0;
        const body = new ReadableStream({
          async pull(controller) {
            if (sent === chunks) return controller.close();
            await new Promise((resolve) => setTimeout(resolve, 20));
            controller.enqueue(new TextEncoder().encode(`chunk${sent++};`));
          },
        });
        return new Response(body);
      }
      case "/gzip":
        return new Response(new Blob(["compressed ".repeat(100)]).stream().pipeThrough(new CompressionStream("gzip")),
          { headers: { "content-encoding": "gzip" }, encodeBody: "manual" });
      case "/slow":
        await new Promise((resolve) => setTimeout(resolve, 3000));
        return new Response("late");
      default:
        return new Response("no such path", { status: 404 });
    }
  },
};
