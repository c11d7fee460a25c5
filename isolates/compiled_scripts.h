#pragma once
// The scripts and modules a Worker's loads compiled, by code cache key, so that once the tenant's
// code has run their cache entries can be made again. An entry made right after compiling (what
// ScriptLoader stores on a miss) holds the top level only; one made after the handler ran also
// holds the bytecode of every function compiled since (the handler and what it called, compiled
// lazily on the first request), which V8's code serializer includes as it walks the script's
// functions. The next isolate that loads the script then compiles none of them: a tenant's
// isolate made again after an eviction, another worker process, or the server after a restart
// (the cache's disk copy). Chrome does the same since V8 6.6 ("code caching after execution").
//
//   CompiledScripts compiled;                         // in ScriptLoader::Memo, one per Worker
//   ... loads record what they compiled (ScriptLoader) ...
//   compiled.RefreshCodeCache(isolate, &code_cache);  // later, off the request path
//   compiled.Clear();                                 // before the isolate goes

#include <v8.h>

#include <string>

#include "absl/container/flat_hash_map.h"
#include "cache/code_cache.h"

namespace atl::isolates {

class CompiledScripts {
 public:
  // `key`'s script (classic) or module was compiled or taken from the cache in this isolate;
  // recorded once per key.
  void Remember(v8::Isolate* isolate, const std::string& key, v8::Local<v8::UnboundScript> script);
  void Remember(v8::Isolate* isolate, const std::string& key, v8::Local<v8::UnboundModuleScript> module);
  // Makes each remembered key's cache entry again from what this isolate compiled so far, once per
  // key in the process (CodeCache::ClaimRefresh: this or another isolate of the same script made
  // it already). Returns how many entries it replaced. Runs no JS; the caller holds an
  // Isolate::Scope and a HandleScope.
  size_t RefreshCodeCache(v8::Isolate* isolate, cache::CodeCache* code_cache);
  // Drops the handles (before the isolate is disposed).
  void Clear() { compiled_.clear(); }

 private:
  struct Compiled {
    v8::Global<v8::UnboundScript> script;        // one of these two is set
    v8::Global<v8::UnboundModuleScript> module;
  };

  absl::flat_hash_map<std::string, Compiled> compiled_;  // by code cache key
};

}  // namespace atl::isolates
