#include "isolates/compiled_scripts.h"

#include <memory>
#include <vector>

namespace atl::isolates {

void CompiledScripts::Remember(v8::Isolate* isolate, const std::string& key, v8::Local<v8::UnboundScript> script) {
  auto [it, added] = compiled_.try_emplace(key);
  if (added) it->second.script.Reset(isolate, script);
}

void CompiledScripts::Remember(v8::Isolate* isolate, const std::string& key,
                               v8::Local<v8::UnboundModuleScript> module) {
  auto [it, added] = compiled_.try_emplace(key);
  if (added) it->second.module.Reset(isolate, module);
}

size_t CompiledScripts::RefreshCodeCache(v8::Isolate* isolate, cache::CodeCache* code_cache) {
  if (code_cache == nullptr) return 0;
  size_t replaced = 0;
  for (auto& [key, compiled] : compiled_) {
    if (!code_cache->ClaimRefresh(key)) continue;
    std::unique_ptr<v8::ScriptCompiler::CachedData> data(
        compiled.module.IsEmpty() ? v8::ScriptCompiler::CreateCodeCache(compiled.script.Get(isolate))
                                  : v8::ScriptCompiler::CreateCodeCache(compiled.module.Get(isolate)));
    if (data == nullptr || data->length <= 0) continue;
    code_cache->Insert(key, std::vector<uint8_t>(data->data, data->data + data->length));
    ++replaced;
  }
  return replaced;
}

}  // namespace atl::isolates
