// cloudflare:workflows (https://developers.cloudflare.com/workflows/build/sleeping-and-retrying/#force-a-workflow-instance-to-fail):
// NonRetryableError, which fails a step at once, without its retries (js/lazy/workflows.js).
module.exports = { NonRetryableError: internal.require("workflows").NonRetryableError };
