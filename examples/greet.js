// A tenant with configuration: env.GREETING comes from [tenants.vars] in atoll.toml.
export default {
  fetch(request, env) {
    const name = request.url.split("/").pop() || "world";
    return Response.json({ greeting: `${env.GREETING}, ${name}!` });
  },
};
