export default {
  fetch(request, env) {
    return new Response(`authorized in ${env.REALM}`);
  },
};
