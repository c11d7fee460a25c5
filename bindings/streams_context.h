#pragma once
// Which snapshot a tenant's isolate is made from: the runtime's, or the streams one whose context
// has the streams module already loaded (runtime_snapshot.h). Chosen from the tenant's bundle,
// once per bundle (the answer is kept per main script, its size and mtime): a tenant whose
// modules name any of the tokens below gets the streams snapshot, so its first stream costs no
// module load; every other tenant keeps the runtime's, and the memory it costs.
//
// The rule is a text scan, not a parse: the main script and the .js/.mjs/.cjs modules it imports
// (a relative string literal after `from`, `import`, `import(` or `require(`, followed
// transitively, never out of the script's folder, as the module loader; at most 512 files and
// 32 MB, past that the answer is no) are searched for the tokens of StreamsContextTokens(). A miss (a tenant that reaches streams by a computed
// name, or only through fetch()) only means the module is loaded lazily on first use, as without
// this; a false hit (a comment naming ReadableStream) only means the memory of the streams
// context (bench/README "A tenant's first stream").

#include <filesystem>
#include <span>
#include <string_view>

namespace atl::bindings {

// The words that make a bundle want the streams snapshot (substrings of its text; ".body"
// counts only when no identifier character follows it).
std::span<const std::string_view> StreamsContextTokens();

// Whether `text` (one module's source) contains one of StreamsContextTokens().
bool NamesStreams(std::string_view text);

// Whether the bundle whose main script is `script` names streams (see above); false if the
// script cannot be read, or with ATOLL_STREAMS_SNAPSHOT=0 in the environment (every tenant on the
// runtime's snapshot, streams loaded lazily).
bool StreamsContextWanted(const std::filesystem::path& script);

}  // namespace atl::bindings
