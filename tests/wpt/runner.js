// Runs web-platform-tests data files through atoll's runtime. POST /<suite> with the data file
// as the body; answers {suite, total, passed, failed, failures: [{name, message}]} (at most 50
// failures listed). Each suite does what the upstream test file named beside it does.

const ATTRIBUTES = ["href", "protocol", "username", "password", "host", "hostname", "port",
  "pathname", "search", "hash"];

function check(results, name, fn) {
  results.total++;
  try {
    const problem = fn();
    if (problem === undefined) {
      results.passed++;
      return;
    }
    results.failures.push({ name, message: problem });
  } catch (error) {
    results.failures.push({ name, message: `threw ${error}` });
  }
}

function differs(attribute, actual, expected) {
  return actual === expected ? undefined : `${attribute}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`;
}

function compareUrl(url, expected, attributes) {
  for (const attribute of attributes) {
    if (!(attribute in expected)) continue;
    const problem = differs(attribute, url[attribute], expected[attribute]);
    if (problem) return problem;
  }
  return undefined;
}

function throwsTypeError(fn) {
  try {
    fn();
  } catch (error) {
    return error instanceof TypeError ? undefined : `threw ${error}, want a TypeError`;
  }
  return "did not throw";
}

const suites = {
  // url/url-constructor.any.js, url/url-origin.any.js, url/url-statics-canparse.any.js
  urltestdata(data, results) {
    for (const expected of data) {
      if (typeof expected === "string") continue;
      const name = `${JSON.stringify(expected.input)} against ${JSON.stringify(expected.base)}`;
      const make = () => (expected.base === null ? new URL(expected.input) : new URL(expected.input, expected.base));
      if (expected.failure) {
        check(results, `new URL(${name}) fails`, () => throwsTypeError(make));
        check(results, `URL.canParse(${name}) is false`, () =>
          differs("canParse", URL.canParse(expected.input, expected.base ?? undefined), false));
        continue;
      }
      check(results, `new URL(${name})`, () => {
        const url = make();
        const problem = compareUrl(url, expected, ATTRIBUTES);
        if (problem) return problem;
        if ("searchParams" in expected) return differs("searchParams", url.searchParams.toString(), expected.searchParams);
        return undefined;
      });
      if ("origin" in expected) {
        check(results, `origin of ${name}`, () => differs("origin", make().origin, expected.origin));
      }
      check(results, `URL.canParse(${name}) is true`, () =>
        differs("canParse", URL.canParse(expected.input, expected.base ?? undefined), true));
    }
  },
  // url/url-setters.any.js
  setters(data, results) {
    for (const [attribute, cases] of Object.entries(data)) {
      if (attribute === "comment") continue;
      for (const test of cases) {
        const name = `${JSON.stringify(test.href)}.${attribute} = ${JSON.stringify(test.new_value)}`;
        check(results, name, () => {
          const url = new URL(test.href);
          url[attribute] = test.new_value;
          return compareUrl(url, test.expected, Object.keys(test.expected));
        });
      }
    }
  },
  // url/toascii.window.js (the URL parts; the <a> element parts do not apply)
  toascii(data, results) {
    for (const test of data) {
      if (typeof test === "string") continue;
      const name = JSON.stringify(test.input);
      check(results, `new URL with host ${name}`, () => {
        if (test.output === null) return throwsTypeError(() => new URL(`https://${test.input}/x`));
        const url = new URL(`https://${test.input}/x`);
        return differs("host", url.host, test.output) ?? differs("hostname", url.hostname, test.output);
      });
      for (const attribute of ["host", "hostname"]) {
        check(results, `url.${attribute} = ${name}`, () => {
          const url = new URL("https://x/x");
          url[attribute] = test.input;
          return differs(attribute, url[attribute], test.output ?? "x");
        });
      }
    }
  },
  // url/IdnaTestV2.window.js: UTS #46 conformance data through the host parser; as upstream, the
  // code points that end a host are percent-encoded in the input (encodeHostEndingCodePoints)
  idna(data, results) {
    const encodeHostEnding = (input) => input.replace(/[:/?#\\]/g, (c) => encodeURIComponent(c));
    for (const test of data) {
      if (typeof test === "string" || test.input === "") continue;
      const input = encodeHostEnding(test.input);
      check(results, `ToASCII(${JSON.stringify(test.input)})`, () => {
        if (test.output === null) return throwsTypeError(() => new URL(`https://${input}/x`));
        const url = new URL(`https://${input}/x`);
        return differs("host", url.host, test.output) ?? differs("hostname", url.hostname, test.output) ??
          differs("pathname", url.pathname, "/x") ?? differs("href", url.href, `https://${test.output}/x`);
      });
    }
  },
  // url/percent-encoding.window.js, its UTF-8 half (the other encodings need an HTML document)
  percentencoding(data, results) {
    for (const test of data) {
      if (typeof test === "string" || !("utf-8" in test.output)) continue;
      check(results, `percent-encoding of ${JSON.stringify(test.input)}`, () => {
        const url = new URL(`https://doesnotmatter.invalid/?${test.input}#${test.input}`);
        return differs("search", url.search, `?${test.output["utf-8"]}`) ?? differs("hash", url.hash, `#${test.output["utf-8"]}`);
      });
    }
  },
  // html/webappapis/atob/base64.any.js on fetch/data-urls/resources/base64.json
  base64(data, results) {
    for (const [input, bytes] of data) {
      const name = `atob(${JSON.stringify(input)})`;
      check(results, name, () => {
        if (bytes === null) {
          try {
            atob(input);
          } catch (error) {
            return error instanceof DOMException && error.name === "InvalidCharacterError" ? undefined : `threw ${error}`;
          }
          return "did not throw";
        }
        const decoded = atob(input);
        const codes = Array.from(decoded, (c) => c.charCodeAt(0));
        return differs("bytes", JSON.stringify(codes), JSON.stringify(bytes));
      });
      if (bytes !== null) {
        check(results, `btoa round trip of ${name}`, () =>
          differs("round trip", atob(btoa(String.fromCharCode(...bytes))), String.fromCharCode(...bytes)));
      }
    }
  },
};

export default {
  async fetch(request) {
    const suite = new URL(request.url).pathname.slice(1);
    const run = suites[suite];
    if (!run) return new Response(`no suite ${suite}`, { status: 404 });
    const results = { suite, total: 0, passed: 0, failed: 0, failures: [] };
    run(await request.json(), results);
    results.failed = results.total - results.passed;
    results.failures = results.failures.slice(0, 50);
    return Response.json(results);
  },
};
