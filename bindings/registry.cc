#include "bindings/registry.h"

#include "bindings/body_stream.h"
#include "bindings/compression.h"
#include "bindings/console.h"
#include "bindings/encoding.h"
#include "bindings/fetch_dispatch.h"
#include "bindings/lazy_modules.h"
#include "bindings/timers.h"
#include "bindings/url.h"

namespace atl::bindings {

constexpr std::string_view kDomExceptionGlobals[] = {"DOMException"};
constexpr std::string_view kUrlGlobals[] = {"URL", "URLSearchParams"};
constexpr std::string_view kStreamsGlobals[] = {
    "ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamBYOBReader", "ReadableStreamDefaultController",
    "ReadableByteStreamController", "ReadableStreamBYOBRequest", "WritableStream", "WritableStreamDefaultWriter",
    "WritableStreamDefaultController", "TransformStream", "TransformStreamDefaultController",
    "ByteLengthQueuingStrategy", "CountQueuingStrategy"};
constexpr std::string_view kCompressionGlobals[] = {"CompressionStream", "DecompressionStream"};

// Every binding unit, in load order. A new Web API adds one line here.
constexpr BindingUnit kUnits[] = {
    {"inspect", nullptr, "00_inspect.js"},
    {"console", InstallConsole, "01_console.js"},
    {"require", InstallLazyModules, "02_require.js"},
    {"encoding", InstallEncoding, ""},
    {"dom_exception", nullptr, "", "dom_exception", kDomExceptionGlobals},
    {"url", InstallUrl, "", "url", kUrlGlobals},
    {"streams", InstallBodyStream, "", "streams", kStreamsGlobals},
    {"compression", InstallCompression, "", "compression", kCompressionGlobals},
    {"headers", nullptr, "10_headers.js"},
    {"body", nullptr, "20_body.js"},
    {"request", nullptr, "30_request.js"},
    {"response", nullptr, "40_response.js"},
    {"timers", InstallTimers, "50_timers.js"},
    {"fetch_dispatch", InstallFetchDispatch, "90_dispatch.js"},
};

std::span<const BindingUnit> BindingUnits() { return kUnits; }

}  // namespace atl::bindings
