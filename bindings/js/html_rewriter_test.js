// HTMLRewriter (js/lazy/html_rewriter.js over lol-html in Wasm, bindings/html_rewriter.h):
// selectors, attributes, content edits, text chunks, comments, the document handlers, async
// handlers, errors from handlers, and streaming (chunks pulled only as the reader asks).
import { test, assert, run } from "./testing/harness.js";

const encode = (s) => new TextEncoder().encode(s);

// The body of `html` (a string, or an array of chunks) rewritten by `rewriter`, as text.
async function rewrite(rewriter, html, init) {
  const chunks = typeof html === "string" ? [html] : html;
  const body = new ReadableStream({
    pull(controller) {
      if (chunks.length === 0) controller.close();
      else controller.enqueue(encode(chunks.shift()));
    },
  });
  const response = rewriter.transform(new Response(body, init));
  return response.text();
}

test("HTMLRewriter is a lazy global", () => {
  assert.equal(typeof HTMLRewriter, "function");
  const rewriter = new HTMLRewriter();
  assert.equal(rewriter.on("p", {}), rewriter);
  assert.equal(rewriter.onDocument({}), rewriter);
  assert.throws(() => rewriter.transform("<p>"), TypeError);
});

test("selectors and attributes", async () => {
  const seen = [];
  const out = await rewrite(new HTMLRewriter()
    .on("a[href^='http://']", {
      element(e) {
        seen.push(e.tagName, e.getAttribute("href"), e.hasAttribute("class"), e.getAttribute("nope"));
        e.setAttribute("href", e.getAttribute("href").replace("http://", "https://"));
        e.removeAttribute("rel");
        e.setAttribute("data-x", "1");
      },
    })
    .on("div.box > span#s", { element(e) { e.tagName = "b"; } })
    .on("img", { element(e) { seen.push([...e.attributes].map(([k, v]) => `${k}=${v}`).join(",")); } }),
    `<a href="http://x.test/" rel="nofollow">x</a><a href="/rel">y</a><div class="box"><span id="s">s</span></div><img src="i.png" alt="A">`);
  assert.equal(out, `<a href="https://x.test/" data-x="1">x</a><a href="/rel">y</a><div class="box"><b id="s">s</b></div><img src="i.png" alt="A">`);
  assert.deepEqual(seen, ["a", "http://x.test/", false, null, "src=i.png,alt=A"]);
});

test("content edits, with {html: true} and escaped", async () => {
  const out = await rewrite(new HTMLRewriter()
    .on("h1", { element(e) { e.before("<hr>", { html: true }); e.after("<x>"); e.prepend("[", { html: true }); e.append("]"); } })
    .on("p.inner", { element(e) { e.setInnerContent("<i>new</i>", { html: true }); } })
    .on("p.gone", { element(e) { e.remove(); } })
    .on("p.keep", { element(e) { e.removeAndKeepContent(); } })
    .on("p.swap", { element(e) { e.replace("<em>swapped</em>", { html: true }); } })
    .on("span", { element(e) { e.onEndTag((end) => { end.after("!", { html: true }); }); } }),
    `<h1>T</h1><p class="inner">old <b>x</b></p><p class="gone">g</p><p class="keep">k<b>b</b></p><p class="swap">s</p><span>q</span>`);
  assert.equal(out, `<hr><h1>[T]</h1>&lt;x&gt;<p class="inner"><i>new</i></p>k<b>b</b><em>swapped</em><span>q</span>!`);
});

test("text chunks across input chunks", async () => {
  const texts = [];
  const out = await rewrite(new HTMLRewriter().on("p", {
    text(t) {
      texts.push([t.text, t.lastInTextNode]);
      if (t.text.includes("secret")) t.replace("[redacted]");
      else if (t.text === "drop") t.remove();
    },
  }), ["<p>hel", "lo wor", "ld</p><p>secret</p><p>drop</p>"]);
  assert.equal(out, "<p>hello world</p><p>[redacted]</p><p></p>");
  const joined = texts.filter(([, last]) => !last).map(([t]) => t).join("");
  assert.ok(joined.startsWith("hel"), `text chunks: ${JSON.stringify(texts)}`);
  assert.ok(texts.some(([t, last]) => t === "" && last), "a last chunk ends each text node");
});

test("comments, doctype and document end", async () => {
  const seen = [];
  const out = await rewrite(new HTMLRewriter()
    .on("div", { comments(c) { seen.push(c.text); c.text = "changed"; } })
    .onDocument({
      doctype(d) { seen.push(d.name); },
      comments(c) { if (c.text === "top") c.remove(); },
      end(end) { end.append("<!-- end -->", { html: true }); },
    }),
    `<!DOCTYPE html><!--top--><div><!--inner--></div>`);
  assert.equal(out, `<!DOCTYPE html><div><!--changed--></div><!-- end -->`);
  assert.deepEqual(seen, ["html", "inner"]);
});

test("async handlers are awaited before the rewriter goes on", async () => {
  const order = [];
  const out = await rewrite(new HTMLRewriter().on("p", {
    async element(e) {
      order.push(`start ${e.getAttribute("id")}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const value = await Promise.resolve(e.getAttribute("id").toUpperCase());
      e.setInnerContent(value);
      order.push(`end ${e.getAttribute("id")}`);
    },
  }), ["<p id=a>x</p>", "<p id=b>y</p>"]);
  assert.equal(out, "<p id=a>A</p><p id=b>B</p>");
  assert.deepEqual(order, ["start a", "end a", "start b", "end b"]);
});

test("errors thrown by a handler error the body", async () => {
  const response = new HTMLRewriter().on("p", { element() { throw new RangeError("handler failed"); } })
    .transform(new Response("<div>ok</div><p>x</p>"));
  await assert.rejects(response.text(), RangeError);
  const asyncFail = new HTMLRewriter().on("p", { async element() { await null; throw new Error("late"); } })
    .transform(new Response("<p>x</p>"));
  await assert.rejects(asyncFail.text(), Error);
  // The context's rewriter still works afterwards.
  assert.equal(await rewrite(new HTMLRewriter().on("p", { element(e) { e.setAttribute("k", "v"); } }), "<p>1</p>"),
    `<p k="v">1</p>`);
  assert.throws(() => new HTMLRewriter().on("p[", {}).transform(new Response("<p>")));
});

test("the response keeps status and headers, loses Content-Length", async () => {
  const response = new HTMLRewriter().on("p", {}).transform(new Response("<p>abc</p>", {
    status: 201, statusText: "Made", headers: { "content-type": "text/html", "content-length": "10", "x-a": "b" },
  }));
  assert.equal(response.status, 201);
  assert.equal(response.statusText, "Made");
  assert.equal(response.headers.get("x-a"), "b");
  assert.equal(response.headers.get("content-length"), null);
  assert.equal(await response.text(), "<p>abc</p>");
  assert.equal(new HTMLRewriter().transform(new Response(null, { status: 204 })).body, null);
});

test("streaming: input is pulled only as the output is read", async () => {
  let pulled = 0;
  const body = new ReadableStream({
    pull(controller) {
      pulled++;
      if (pulled > 1000) controller.close();
      else controller.enqueue(encode(`<p>chunk ${pulled}</p>`));
    },
  }, { highWaterMark: 0 });
  const out = new HTMLRewriter().on("p", { element(e) { e.setAttribute("n", "1"); } })
    .transform(new Response(body)).body.getReader();
  let text = "";
  while (!text.includes("chunk 2")) text += new TextDecoder().decode((await out.read()).value);
  assert.ok(text.startsWith(`<p n="1">chunk 1</p>`), text);
  assert.ok(pulled < 10, `pulled ${pulled} chunks for two paragraphs`);
  await out.cancel();
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
