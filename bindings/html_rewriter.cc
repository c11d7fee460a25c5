#include "bindings/html_rewriter.h"

#include <string>

#include "bindings/native_scope.h"
#include "bindings/wasm_modules.h"
#include "bindings/worker.h"

// ATOLL_HTML_REWRITER_WASM: the path of node_modules/html-rewriter-wasm/dist/html_rewriter_bg.wasm
// (bindings/CMakeLists.txt), pinned in package-lock.json.
__asm__(".section .rodata\n"
        ".balign 16\n"
        "atoll_html_rewriter_wasm_begin:\n"
        ".incbin \"" ATOLL_HTML_REWRITER_WASM "\"\n"
        "atoll_html_rewriter_wasm_end:\n"
        ".previous\n");
extern "C" const char atoll_html_rewriter_wasm_begin[];
extern "C" const char atoll_html_rewriter_wasm_end[];

namespace atl::bindings {
namespace {

// native.htmlRewriterModule(): the shared lol-html module. The process's first call compiles it
// (~1 MB of Wasm); that, and wrapping the shared code for this isolate, is the platform's work:
// not charged to the run that needed it (Worker::EnterPlatform, as lazy modules are loaded).
void HtmlRewriterModule(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Worker* worker = NativeScope::WorkerFrom(info);
  if (worker != nullptr) worker->EnterPlatform();
  v8::Isolate* isolate = info.GetIsolate();
  auto module = BuiltinWasmModule(isolate, "html_rewriter", HtmlRewriterWasmBytes());
  if (worker != nullptr) worker->ExitPlatform();
  if (!module.ok()) {
    ThrowTypeError(isolate, std::string(module.status().message()));
    return;
  }
  info.GetReturnValue().Set(*module);
}

}  // namespace

std::string_view HtmlRewriterWasmBytes() {
  return {atoll_html_rewriter_wasm_begin,
          static_cast<size_t>(atoll_html_rewriter_wasm_end - atoll_html_rewriter_wasm_begin)};
}

void InstallHtmlRewriter(NativeScope& scope) { scope.SetFunction("htmlRewriterModule", HtmlRewriterModule); }

}  // namespace atl::bindings
