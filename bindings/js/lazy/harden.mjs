// hardenSource(text): rewrites a bundled lazy module so that its uses of built-ins go through the
// intrinsics captured before any tenant code ran (internal.safeCalls, js/lazy/safe_calls.js):
//   Object, Array.prototype.slice, Object.defineProperty, ...  -> __atoll_g3 (its captured value)
//   x.push(a), s.slice(1), p.then(f), fn.call(t, a), ...       -> __atoll_m0(x, a) (a dispatcher)
//   x.byteLength, x.byteOffset, x.buffer, x.size               -> __atoll_r1(x)
//   for (... of e), [...e], f(...e), [a, b] = e                -> e through __atoll_S.iter(e)
//   new Map(e), new Set(e)                                     -> __atoll_S.construct(Map, e)
// A RegExp is hardened where a String method gets it while RegExp.prototype is patched
// (safe_calls.js). Method calls are rewritten by name (the names of the built-in prototypes' methods); at run time a
// receiver that is not a built-in (an object of the module, a tenant object) gets its own method.
// Parses with acorn, pinned in package-lock.json (npm ci).
import * as acorn from "acorn";

// The roots 00_inspect.js captures (captureIntrinsics): global names, and their prototypes.
const ROOT_NAMES = ["Object", "Function", "Array", "String", "Number", "Boolean", "Symbol", "BigInt", "RegExp",
  "Promise", "Map", "Set", "WeakMap", "WeakSet", "ArrayBuffer", "DataView", "Uint8Array", "Int8Array",
  "Uint8ClampedArray", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array",
  "BigInt64Array", "BigUint64Array", "Date", "Error", "TypeError", "RangeError", "SyntaxError", "Math", "JSON",
  "Reflect", "parseInt", "parseFloat", "isNaN", "isFinite", "encodeURIComponent", "decodeURIComponent",
  "encodeURI", "decodeURI"];
const ROOTS = new Set(ROOT_NAMES);
const GETTERS = new Set(["byteLength", "byteOffset", "buffer", "size"]);
const METHODS = new Set();
for (const name of ROOT_NAMES) {
  const proto = globalThis[name].prototype;
  if (proto === undefined || proto === null) continue;
  const protos = [proto];
  if (ArrayBuffer.isView(proto) || name.endsWith("Array") && name !== "Array") protos.push(Object.getPrototypeOf(proto));
  for (const p of protos) {
    for (const key of Object.getOwnPropertyNames(p)) {
      const desc = Object.getOwnPropertyDescriptor(p, key);
      if (key !== "constructor" && typeof desc.value === "function") METHODS.add(key);
    }
  }
}
for (const p of [Object.getPrototypeOf([][Symbol.iterator]()), Object.getPrototypeOf(new Map().entries())]) {
  for (const key of Object.getOwnPropertyNames(p)) METHODS.add(key);
}

// "Root.key" (or "Root.prototype.key") when node has that own property as a function or object:
// the path safe_calls.js can hand out; else null.
function capturedPath(parts) {
  for (let n = Math.min(parts.length, 3); n >= 2; n--) {
    const rootParts = parts.slice(0, n - 1);
    if (rootParts.length === 2 && rootParts[1] !== "prototype") continue;
    let root = globalThis[rootParts[0]];
    if (rootParts.length === 2) root = root.prototype;
    if (root === undefined || root === null) continue;
    const desc = Object.getOwnPropertyDescriptor(root, parts[n - 1]);
    if (desc === undefined || desc.get !== undefined) continue;
    if (typeof desc.value === "function" || (typeof desc.value === "object" && desc.value !== null)) {
      return { path: parts.slice(0, n).join("."), used: n };
    }
  }
  return null;
}

function isNode(value) {
  return value !== null && typeof value === "object" && typeof value.type === "string";
}

export function hardenSource(text, moduleName) {
  const ast = acorn.parse(text, { ecmaVersion: "latest", sourceType: "script", allowReturnOutsideFunction: true });
  // Each captured value a module uses becomes one variable of the module (a context slot: a
  // direct read, where a lookup on a prototype-less object would be a dictionary lookup).
  const globals = new Map();
  const methods = new Map();
  const getters = new Map();
  const slot = (map, prefix, name) => {
    if (!map.has(name)) map.set(name, `${prefix}${map.size}`);
    return map.get(name);
  };
  const G = (name) => slot(globals, "__atoll_g", name);
  const M = (name) => slot(methods, "__atoll_m", name);
  const R = (name) => slot(getters, "__atoll_r", name);

  // No binding may shadow a root: the rewrite treats every such identifier as the global.
  (function checkBindings(node) {
    const names = [];
    if (node.type === "VariableDeclarator" && node.id.type === "Identifier") names.push(node.id.name);
    if ((node.type === "FunctionDeclaration" || node.type === "ClassDeclaration") && node.id) names.push(node.id.name);
    if (node.params) for (const p of node.params) if (p.type === "Identifier") names.push(p.name);
    for (const name of names) {
      if (ROOTS.has(name)) throw new Error(`${moduleName}: a binding named ${name} shadows the global`);
    }
    for (const key of Object.keys(node)) {
      const value = node[key];
      if (Array.isArray(value)) value.forEach((v) => isNode(v) && checkBindings(v));
      else if (isNode(value)) checkBindings(value);
    }
  })(ast);

  const src = (node) => text.slice(node.start, node.end);

  // The node's text with its children emitted; `skip` lists fields that stay as written.
  function generic(node, ctxFor = () => "expr") {
    const children = [];
    for (const key of Object.keys(node)) {
      const value = node[key];
      if (Array.isArray(value)) {
        for (const v of value) if (isNode(v)) children.push([v, ctxFor(key, v)]);
      } else if (isNode(value)) {
        children.push([value, ctxFor(key, value)]);
      }
    }
    children.sort((a, b) => a[0].start - b[0].start);
    let out = "";
    let pos = node.start;
    for (const [child, ctx] of children) {
      if (child.start < pos) continue;  // shorthand property: key and value share a range
      const before = text.slice(pos, child.start);
      const emitted = emit(child, ctx);
      // `return"a".slice(1)` -> `return __atoll_m0("a", 1)`: keep tokens apart.
      const last = before.length > 0 ? before[before.length - 1] : out[out.length - 1];
      const glue = last !== undefined && /[\w$]/.test(last) && /^[\w$]/.test(emitted) && !/^[\w$]/.test(text[child.start]) ? " " : "";
      out += before + glue + emitted;
      pos = child.end;
    }
    return out + text.slice(pos, node.end);
  }

  // A member chain Root.a.b (all non-computed) -> ["Root", "a", "b"], else null.
  function chainOf(node) {
    const parts = [];
    while (node.type === "MemberExpression" && !node.computed && !node.optional && node.property.type === "Identifier") {
      parts.unshift(node.property.name);
      node = node.object;
    }
    if (node.type !== "Identifier" || !ROOTS.has(node.name)) return null;
    parts.unshift(node.name);
    return parts;
  }

  // `Root.a.b...` with the longest captured prefix replaced; null if the chain has no root.
  function emitChain(node) {
    const parts = chainOf(node);
    if (parts === null) return null;
    const found = capturedPath(parts);
    const used = found ? found.used : 1;
    const path = found ? found.path : parts[0];
    return G(path) + parts.slice(used).map((p) => "." + p).join("");
  }

  // "/1" for a call with one argument; "/*" with a spread or more than three.
  const arity = (list) => (list.length > 3 || list.some((a) => a.type === "SpreadElement") ? "/*" : `/${list.length}`);
  const iter = (node) => `__atoll_S.iter(${emit(node)})`;
  const args = (list) => list.map((a) => (a.type === "SpreadElement" ? "..." + iter(a.argument) : emit(a))).join(", ");

  // Array patterns among a function's parameters become a temporary, destructured (through iter)
  // at the start of the body: function f([a, b]) {...} -> function f(t) { var [a, b] = iter(t); ... }
  const replaced = new Map();
  const bodyPrefix = new Map();
  function hoistParamPatterns(fn) {
    const prefix = [];
    for (const param of fn.params) {
      let pattern = param;
      let fallback = null;
      if (param.type === "AssignmentPattern" && param.left.type === "ArrayPattern") {
        pattern = param.left;
        fallback = param.right;
      }
      if (pattern.type !== "ArrayPattern") continue;
      const temp = `__atoll_p${param.start}`;
      replaced.set(param, fallback ? `${temp} = ${emit(fallback)}` : temp);
      prefix.push(`var ${generic(pattern, () => "pattern")} = __atoll_S.iter(${temp});`);
    }
    if (prefix.length > 0) bodyPrefix.set(fn.body, prefix.join(" "));
  }

  function emit(node, ctx = "expr") {
    if (replaced.has(node)) return replaced.get(node);
    if (bodyPrefix.has(node)) {
      const prefix = bodyPrefix.get(node);
      bodyPrefix.delete(node);
      return "{" + prefix + emit(node).slice(1);
    }
    switch (node.type) {
      case "Identifier":
        if ((ctx === "expr" || ctx === "callee" || ctx === "chain") && ROOTS.has(node.name)) {
          return G(node.name);
        }
        return node.name;
      case "MemberExpression": {
        if (ctx === "chain") {
          return generic(node, (key) => (key === "property" && !node.computed ? "name" : key === "object" ? "chain" : "expr"));
        }
        if (ctx === "expr" || ctx === "callee") {
          const chain = emitChain(node);
          if (chain !== null) return chain;
        }
        if (ctx === "expr" && !node.computed && !node.optional && node.property.type === "Identifier" &&
            GETTERS.has(node.property.name) && node.object.type !== "Super") {
          return `${R(node.property.name)}(${emit(node.object)})`;
        }
        return generic(node, (key) => (key === "property" && !node.computed ? "name" : "expr"));
      }
      case "CallExpression": {
        const callee = node.callee;
        if (ctx === "chain") {
          return generic(node, (key, v) => (key === "callee" ? "chain" : v.type === "SpreadElement" ? "spread" : "expr"));
        }
        // x[Symbol.iterator]() & co.: the well-known symbol's method, by receiver, as for names.
        if (!node.optional && callee.type === "MemberExpression" && callee.computed && !callee.optional &&
            callee.object.type !== "Super") {
          const key = chainOf(callee.property);
          if (key !== null && key.length === 2 && key[0] === "Symbol" && typeof Symbol[key[1]] === "symbol") {
            const name = "@@" + key[1];
            const rest = node.arguments.length > 0 ? ", " + args(node.arguments) : "";
            return `${M(name + arity(node.arguments))}(${emit(callee.object)}${rest})`;
          }
        }
        if (!node.optional && callee.type === "MemberExpression" && !callee.computed && !callee.optional &&
            callee.property.type === "Identifier" && callee.object.type !== "Super") {
          const parts = chainOf(callee);
          const staticCall = parts !== null && capturedPath(parts) !== null && capturedPath(parts).used === parts.length;
          if (!staticCall && METHODS.has(callee.property.name)) {
            const rest = node.arguments.length > 0 ? ", " + args(node.arguments) : "";
            return `${M(callee.property.name + arity(node.arguments))}(${emit(callee.object)}${rest})`;
          }
        }
        return generic(node, (key, v) => (key === "callee" ? "callee" : v.type === "SpreadElement" ? "spread" : "expr"));
      }
      case "ChainExpression":
        // a?.b.push(x) must still stop at a nullish `a`: the chain's own calls and reads stay as written.
        return generic(node, () => "chain");
      case "NewExpression": {
        const callee = node.callee;
        if (callee.type === "Identifier" && ["Map", "Set", "WeakMap", "WeakSet"].includes(callee.name) &&
            node.arguments.length === 1 && node.arguments[0].type !== "SpreadElement") {
          return `__atoll_S.construct(${G(callee.name)}, ${emit(node.arguments[0])})`;
        }
        return generic(node, (key, v) => (key === "arguments" && v.type === "SpreadElement" ? "spread" : "expr"));
      }
      case "SpreadElement":
        return ctx === "spread" ? "..." + iter(node.argument) : generic(node);
      case "ArrayExpression":
        return generic(node, (key, v) => (v.type === "SpreadElement" ? "spread" : "expr"));
      case "ForOfStatement": {
        if (node.await) return generic(node, (key) => (key === "left" ? "pattern" : "expr"));
        const left = node.left;
        const declared = left.type === "VariableDeclaration" ? left.declarations[0].id : left;
        if (declared.type === "ArrayPattern") {
          // for (const [a, b] of e) body -> for (const x of iter(e)) { const [a, b] = iter(x); body }
          const temp = `__atoll_entry${node.start}`;
          const kind = left.type === "VariableDeclaration" ? left.kind + " " : "";
          const pattern = generic(declared, () => "pattern");
          const binding = left.type === "VariableDeclaration" ? "const" : "let";
          return `for (${binding} ${temp} of ${iter(node.right)}) { ${kind}${pattern} = __atoll_S.iter(${temp}); ${emit(node.body)} }`;
        }
        return `for (${generic(left, () => "pattern")} of ${iter(node.right)}) ${emit(node.body)}`;
      }
      case "VariableDeclarator":
        if (node.id.type === "ArrayPattern" && node.init) {
          return `${generic(node.id, () => "pattern")} = ${iter(node.init)}`;
        }
        return generic(node, (key) => (key === "id" ? "pattern" : "expr"));
      case "AssignmentExpression":
        if (node.left.type === "ArrayPattern" && node.operator === "=") {
          return `${generic(node.left, () => "pattern")} = ${iter(node.right)}`;
        }
        return generic(node, (key) => (key === "left" ? "target" : "expr"));
      case "UpdateExpression":
        return generic(node, () => "target");
      case "UnaryExpression":
        return generic(node, () => (node.operator === "delete" ? "target" : "expr"));
      case "Property":
        if (node.shorthand && ctx !== "pattern" && node.value.type === "Identifier" && ROOTS.has(node.value.name)) {
          return `${node.key.name}: ${emit(node.value)}`;
        }
        return generic(node, (key) => (key === "key" && !node.computed ? "name" : ctx === "pattern" && key === "value" ? "pattern" : "expr"));
      case "MethodDefinition":
      case "PropertyDefinition":
        return generic(node, (key) => (key === "key" && !node.computed ? "name" : "expr"));
      case "AssignmentPattern":
        return generic(node, (key) => (key === "left" ? "pattern" : "expr"));
      case "ArrayPattern":
      case "ObjectPattern":
      case "RestElement":
        return generic(node, () => "pattern");
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        hoistParamPatterns(node);
        if (node.expression && bodyPrefix.has(node.body)) {
          // (..., [a, b]) => (expr): a block (the body may be in parentheses in the source).
          const prefix = bodyPrefix.get(node.body);
          bodyPrefix.delete(node.body);
          const params = node.params.map((param) => emit(param, "pattern")).join(", ");
          return `${node.async ? "async " : ""}(${params}) => { ${prefix} return (${emit(node.body)}); }`;
        }
        return generic(node, (key) => (key === "params" || key === "id" ? "pattern" : "expr"));
      case "ClassDeclaration":
      case "ClassExpression":
        return generic(node, (key) => (key === "params" || key === "id" ? "pattern" : "expr"));
      case "CatchClause":
        return generic(node, (key) => (key === "param" ? "pattern" : "expr"));
      case "LabeledStatement":
      case "BreakStatement":
      case "ContinueStatement":
        return generic(node, (key) => (key === "label" ? "name" : "expr"));
      case "ForInStatement":
        return generic(node, (key) => (key === "left" ? "pattern" : "expr"));
      default:
        return generic(node, () => (ctx === "pattern" ? "pattern" : "expr"));
    }
  }

  const body = emit(ast);
  const declare = (map, table) => [...map].map(([name, variable]) => `,${variable}=${table}[${JSON.stringify(name)}]`).join("");
  const list = (map) => JSON.stringify([...map.keys()]);
  // A module that reaches no built-in through the safe calls (it uses internal.primordials) gets
  // no prelude, and so does not load the safe-calls runtime into its context (js/lazy/url.js).
  if (globals.size === 0 && methods.size === 0 && getters.size === 0 && !body.includes("__atoll_S")) return body;
  const result = `var __atoll_S=internal.safeCalls,__atoll_G=__atoll_S.globals(${list(globals)}),` +
      `__atoll_M=__atoll_S.methods(${list(methods)}),__atoll_R=__atoll_S.getters(${list(getters)})` +
      declare(globals, "__atoll_G") + declare(methods, "__atoll_M") + declare(getters, "__atoll_R") + ";\n" + body;
  try {
    acorn.parse(result, { ecmaVersion: "latest", sourceType: "script", allowReturnOutsideFunction: true });
  } catch (error) {
    throw new Error(`${moduleName}: the rewrite is not valid JS (${error.message}): ` +
        result.slice(Math.max(0, error.pos - 120), error.pos + 40));
  }
  return result;
}
