// A Worker with a fetch and a scheduled handler, as written for Cloudflare.
import { describe } from "./describe.js";
import banner from "./banner.md";
import addModule from "./add.wasm";

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/env") {
      const add = new WebAssembly.Instance(env.ADD).exports.add;
      const auth = await (await env.AUTH.fetch("http://auth/check")).text();
      return Response.json({
        greeting: env.GREETING,
        limit: env.LIMIT,
        limitType: typeof env.LIMIT,
        features: env.FEATURES,
        sum: add(env.LIMIT, 2),
        imported: new WebAssembly.Instance(addModule).exports.add(1, 2),
        banner,
        auth,
      });
    }
    if (url.pathname === "/state") {
      const runs = await env.STORE.get("runs");
      const last = await env.STORE.get(`cron:${url.searchParams.get("cron")}`, "json");
      return Response.json({ runs: Number(runs || 0), last });
    }
    return new Response(describe(env.GREETING));
  },

  async scheduled(controller, env, ctx) {
    ctx.waitUntil((async () => {
      const runs = Number((await env.STORE.get("runs")) || 0) + 1;
      await env.STORE.put("runs", String(runs));
      await env.STORE.put(`cron:${controller.cron}`, JSON.stringify({
        cron: controller.cron,
        scheduledTime: controller.scheduledTime,
        type: typeof controller.scheduledTime,
      }));
    })());
  },
};
