#pragma once
// The native half of Workers' HTMLRewriter
// (https://developers.cloudflare.com/workers/runtime-apis/html-rewriter/), whose JS is lazy module
// html_rewriter (js/lazy/html_rewriter.js, over the npm package html-rewriter-wasm: Cloudflare's
// lol-html compiled to Wasm). The .wasm is embedded in the binary (.incbin) and compiled once per
// process; every isolate shares that compilation (wasm_modules.h, BuiltinWasmModule).
//
//   native.htmlRewriterModule() -> WebAssembly.Module   (compiling it is not billed to the tenant)
//
// Each context that uses HTMLRewriter instantiates the module once: that instance's memory is the
// tenant's (charged to its memory_mb by isolates/wasm_memory_meter like any tenant Wasm memory).

#include <string_view>

namespace atl::bindings {
class NativeScope;

void InstallHtmlRewriter(NativeScope& scope);

// The embedded html_rewriter_bg.wasm (for tests).
std::string_view HtmlRewriterWasmBytes();
}  // namespace atl::bindings
