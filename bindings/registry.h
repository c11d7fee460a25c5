#pragma once
// The list of binding units: each has a native half (installed on the glue's `native` object)
// and/or a JS half (`bindings/js/NN_name.js`), loaded in list order into every context.

#include <span>
#include <string_view>

namespace atl::bindings {

class NativeScope;

struct BindingUnit {
  std::string_view name;
  void (*install_native)(NativeScope& scope);  // may be null
  std::string_view js_file;                    // may be empty
  // A module of bindings/js/lazy/ loaded on first read of any of `lazy_globals` (lazy_modules.h).
  std::string_view lazy_module = {};
  std::span<const std::string_view> lazy_globals = {};
};

std::span<const BindingUnit> BindingUnits();

// The text of an embedded `bindings/js/` file (generated at build time), empty if none.
std::string_view EmbeddedJs(std::string_view file_name);

}  // namespace atl::bindings
