#include "bindings/registry.h"

#include "bindings/async_context.h"
#include "bindings/body_stream.h"
#include "bindings/cache_api.h"
#include "bindings/compression.h"
#include "bindings/console.h"
#include "bindings/crypto.h"
#include "bindings/encoding.h"
#include "bindings/es_builtins.h"
#include "bindings/fetch.h"
#include "bindings/fetch_dispatch.h"
#include "bindings/html_rewriter.h"
#include "bindings/durable_objects.h"
#include "bindings/env_assets.h"
#include "bindings/kv.h"
#include "bindings/lazy_modules.h"
#include "bindings/legacy_encoding.h"
#include "bindings/scope.h"
#include "bindings/sockets.h"
#include "bindings/timers.h"
#include "bindings/url.h"
#include "bindings/wasm_global.h"
#include "bindings/websocket.h"

namespace atl::bindings {

constexpr std::string_view kDomExceptionGlobals[] = {"DOMException"};
constexpr std::string_view kEncodingGlobals[] = {"TextEncoder", "TextDecoder", "atob", "btoa"};
constexpr std::string_view kEncodingStreamsGlobals[] = {"TextEncoderStream", "TextDecoderStream"};
constexpr std::string_view kEventsGlobals[] = {
    "Event", "EventTarget", "CustomEvent", "ErrorEvent", "PromiseRejectionEvent", "AbortController", "AbortSignal",
    "dispatchEvent", "reportError"};
constexpr std::string_view kScopeGlobals[] = {
    "structuredClone", "performance", "Performance", "PerformanceEntry", "PerformanceMark", "PerformanceMeasure"};
constexpr std::string_view kNavigatorGlobals[] = {"navigator", "Navigator"};
constexpr std::string_view kMessagingGlobals[] = {"MessageChannel", "MessagePort", "MessageEvent"};
constexpr std::string_view kBlobGlobals[] = {"Blob", "File", "FormData"};
constexpr std::string_view kUrlGlobals[] = {"URL", "URLSearchParams"};
constexpr std::string_view kUrlPatternGlobals[] = {"URLPattern"};
constexpr std::string_view kCryptoGlobals[] = {"crypto", "Crypto", "SubtleCrypto"};
constexpr std::string_view kCryptoKeyGlobals[] = {"CryptoKey"};
constexpr std::string_view kStreamsGlobals[] = {
    "ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamBYOBReader", "ReadableStreamDefaultController",
    "ReadableByteStreamController", "ReadableStreamBYOBRequest", "WritableStream", "WritableStreamDefaultWriter",
    "WritableStreamDefaultController", "TransformStream", "TransformStreamDefaultController",
    "ByteLengthQueuingStrategy", "CountQueuingStrategy"};
constexpr std::string_view kCompressionGlobals[] = {"CompressionStream", "DecompressionStream"};
constexpr std::string_view kFetchGlobals[] = {"fetch"};
constexpr std::string_view kWorkersStreamsGlobals[] = {"IdentityTransformStream", "FixedLengthStream"};
constexpr std::string_view kSchedulerGlobals[] = {"scheduler"};
constexpr std::string_view kEventSourceGlobals[] = {"EventSource"};
constexpr std::string_view kHtmlRewriterGlobals[] = {"HTMLRewriter"};
constexpr std::string_view kCacheGlobals[] = {"caches", "CacheStorage", "Cache"};
constexpr std::string_view kWebSocketGlobals[] = {"WebSocketPair", "WebSocket", "CloseEvent"};
constexpr std::string_view kDoWebSocketGlobals[] = {"WebSocketRequestResponsePair"};

// Every binding unit, in load order. A new Web API adds one line here.
constexpr BindingUnit kUnits[] = {
    {"inspect", nullptr, "00_inspect.js"},
    {"console", InstallConsole, "01_console.js"},
    {"require", InstallLazyModules, "02_require.js"},
    {"async_context", InstallAsyncContext, "03_async_context.js"},  // the frame AsyncLocalStorage reads
    {"encoding", InstallEncoding, "", "encoding", kEncodingGlobals},
    {"legacy_encoding", InstallLegacyEncoding, ""},  // natives of TextDecoder's multi-byte legacy encodings
    {"dom_exception", nullptr, "", "dom_exception", kDomExceptionGlobals},
    {"events", nullptr, "", "events", kEventsGlobals},
    {"scope", InstallScope, "", "scope", kScopeGlobals},
    {"navigator", nullptr, "", "navigator", kNavigatorGlobals},  // preloaded in the snapshot
    {"messaging", nullptr, "", "messaging", kMessagingGlobals},
    {"blob", nullptr, "", "blob", kBlobGlobals},
    {"url", InstallUrl, "", "url", kUrlGlobals},
    {"urlpattern", nullptr, "", "urlpattern", kUrlPatternGlobals},
    {"crypto", InstallCrypto, "", "crypto", kCryptoGlobals},
    {"crypto_subtle", nullptr, "", "crypto_subtle", kCryptoKeyGlobals},  // SubtleCrypto's operations, loaded by its first call
    {"streams", InstallBodyStream, "", "streams", kStreamsGlobals},
    {"compression", InstallCompression, "", "compression", kCompressionGlobals},
    {"encoding_streams", nullptr, "", "encoding_streams", kEncodingStreamsGlobals},
    {"fetch", InstallFetch, "", "fetch", kFetchGlobals},
    {"workers_streams", nullptr, "", "workers_streams", kWorkersStreamsGlobals},  // and crypto.DigestStream
    {"scheduler", nullptr, "", "scheduler", kSchedulerGlobals},
    {"event_source", nullptr, "", "event_source", kEventSourceGlobals},
    {"html_rewriter", InstallHtmlRewriter, "", "html_rewriter", kHtmlRewriterGlobals},  // lol-html (html_rewriter.h)
    {"cache", InstallCacheApi, "", "cache", kCacheGlobals},  // the Cache API (cache_api.h)
    {"durable_objects", InstallDurableObjects, "", "durable_objects"},  // no globals: env bindings (durable_objects.h)
    {"websocket", InstallWebSocket, "", "websocket", kWebSocketGlobals},  // WebSocketPair, WebSocket (websocket.h)
    {"do_websocket", nullptr, "", "do_websocket", kDoWebSocketGlobals},  // DO WebSocket hibernation (js/lazy/do_websocket.js)
    {"kv", InstallKv, "", "kv"},  // no globals: env bindings (Worker::BindFromModule)
    {"assets", InstallAssetsNatives, "", "assets"},  // no globals: env.ASSETS (env_assets.h)
    {"sockets", InstallSockets, "", "cloudflare_sockets"},  // no globals: cloudflare:sockets' connect() (sockets.h)
    {"wasm", InstallWasmGlobal, ""},  // the WebAssembly global, built on first read (wasm_global.h)
    {"es_builtins", InstallEsBuiltins, "", "es_builtins"},  // ES2023+ built-ins, core-js (es_builtins.h)
    {"headers", nullptr, "10_headers.js"},
    {"body", nullptr, "20_body.js"},
    {"request", nullptr, "30_request.js"},
    {"response", nullptr, "40_response.js"},
    {"timers", InstallTimers, "50_timers.js"},
    {"fetch_dispatch", InstallFetchDispatch, "90_dispatch.js"},
};

std::span<const BindingUnit> BindingUnits() { return kUnits; }

}  // namespace atl::bindings
