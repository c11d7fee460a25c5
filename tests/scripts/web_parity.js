// Web-platform parity on incoming requests (tests/web_parity_test.cc): each path reads the
// request the way a Workers/Deno handler would and answers what it saw.
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/blob-type") {
      const blob = await request.blob();
      return new Response(`${blob.type}|${blob.size}`);
    }
    if (path === "/form") {
      const form = await request.formData();
      const parts = [];
      for (const [name, value] of form) {
        parts.push(typeof value === "string" ? `${name}=${value}` : `${name}:${value.name}:${value.type}:${await value.text()}`);
      }
      return new Response(parts.join("\n"));
    }
    if (path === "/decode") {
      const label = request.headers.get("x-encoding");
      return new Response(new TextDecoder(label).decode(await request.arrayBuffer()));
    }
    if (path === "/clone") {
      // The body arrives as a stream; the clone's bytes stay what the client sent while the
      // original's reader overwrites every chunk it gets.
      const clone = request.clone();
      const reader = request.body.getReader();
      let total = 0;
      for (let step = await reader.read(); !step.done; step = await reader.read()) {
        total += step.value.length;
        step.value.fill(0x2a);
      }
      return new Response(`${total}|${await clone.text()}`);
    }
    return new Response("no such test", { status: 404 });
  },
};
