#include "isolates/compiled_scripts.h"

#include <memory>

namespace atl::isolates {

CompiledScripts::Entry* CompiledScripts::Add(const std::string& key) {
  if (!keys_.insert(key).second) return nullptr;
  Entry& entry = entries_.emplace_back();
  entry.key = key;
  return &entry;
}

void CompiledScripts::Remember(v8::Isolate* isolate, const std::string& key, v8::Local<v8::UnboundScript> script) {
  if (Entry* entry = Add(key)) entry->script.Reset(isolate, script);
}

void CompiledScripts::Remember(v8::Isolate* isolate, const std::string& key,
                               v8::Local<v8::UnboundModuleScript> module) {
  if (Entry* entry = Add(key)) entry->module.Reset(isolate, module);
}

size_t CompiledScripts::RefreshCodeCache(v8::Isolate* isolate, cache::CodeCache* code_cache) {
  if (code_cache == nullptr) return 0;
  size_t replaced = 0;
  for (Entry& entry : entries_) {
    if (entry.refreshed) continue;
    entry.refreshed = true;
    if (!code_cache->ClaimRefresh(entry.key)) continue;
    std::unique_ptr<v8::ScriptCompiler::CachedData> data(
        entry.module.IsEmpty() ? v8::ScriptCompiler::CreateCodeCache(entry.script.Get(isolate))
                               : v8::ScriptCompiler::CreateCodeCache(entry.module.Get(isolate)));
    if (data == nullptr || data->length <= 0) continue;
    code_cache->Insert(entry.key, std::vector<uint8_t>(data->data, data->data + data->length));
    ++replaced;
  }
  return replaced;
}

}  // namespace atl::isolates
