#include "bindings/worker.h"

#include "base/strings.h"
#include "base/log.h"
#include "bindings/native_scope.h"
#include "bindings/registry.h"
#include "isolates/platform.h"
#include "isolates/script_loader.h"
#include "isolates/v8_util.h"

namespace atl::bindings {

using isolates::NewLatin1String;
using isolates::NewString;
using isolates::NewSymbolString;

Worker::Worker(const WorkerOptions& options, WorkerHost* host)
    : options_(options), host_(host), tenant_isolate_(options.limits), isolate_(tenant_isolate_.isolate()) {}

Worker::~Worker() {
  unhandled_rejections_.clear();
  dispatch_.Reset();
  on_timer_.Reset();
  env_.Reset();
  context_.Reset();
}

absl::StatusOr<std::unique_ptr<Worker>> Worker::Create(const WorkerOptions& options, WorkerHost* host,
                                                       cache::CodeCache* code_cache) {
  std::unique_ptr<Worker> worker(new Worker(options, host));
  absl::Status status = worker->Initialize(code_cache);
  if (!status.ok()) return status;
  return worker;
}

absl::Status Worker::InstallBindings(v8::Local<v8::Context> context, v8::Local<v8::Object> internal) {
  v8::Local<v8::Object> native = v8::Object::New(isolate_);
  NativeScope scope(isolate_, context, native, this);
  v8::Local<v8::Value> args[] = {native, internal};
  // Every native first: a glue file may capture natives of units listed after it.
  for (const BindingUnit& unit : BindingUnits()) {
    if (unit.install_native) unit.install_native(scope);
  }
  for (const BindingUnit& unit : BindingUnits()) {
    if (unit.js_file.empty()) continue;
    std::string_view source = EmbeddedJs(unit.js_file);
    if (source.empty()) return absl::InternalError(base::StrCat("missing embedded ", unit.js_file));
    // Each glue file is the body of `function (native, internal)`; line numbers stay aligned.
    std::string wrapped = base::StrCat("(function (native, internal) {", source, "\n})");
    v8::TryCatch try_catch(isolate_);
    v8::ScriptOrigin origin(isolate_, NewString(isolate_, base::StrCat("atoll:", unit.js_file)));
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> fn;
    if (!v8::Script::Compile(context, NewString(isolate_, wrapped), &origin).ToLocal(&script) ||
        !script->Run(context).ToLocal(&fn) ||
        fn.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 2, args).IsEmpty()) {
      return absl::InternalError(isolates::DescribeException(isolate_, try_catch));
    }
  }
  return absl::OkStatus();
}

absl::Status Worker::Initialize(cache::CodeCache* code_cache) {
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  isolate_->SetData(0, this);
  isolate_->SetPromiseRejectCallback(OnPromiseReject);
  v8::Local<v8::Context> context = tenant_isolate_.NewContext();
  context_.Reset(isolate_, context);
  v8::Context::Scope context_scope(context);

  v8::Local<v8::Object> internal = v8::Object::New(isolate_);
  absl::Status installed = InstallBindings(context, internal);
  if (!installed.ok()) return installed;

  auto get_function = [&](std::string_view name, v8::Global<v8::Function>* out) -> absl::Status {
    v8::Local<v8::Value> value;
    if (!internal->Get(context, NewSymbolString(isolate_, name)).ToLocal(&value) || !value->IsFunction()) {
      return absl::InternalError(base::StrCat("bindings did not define internal.", name));
    }
    out->Reset(isolate_, value.As<v8::Function>());
    return absl::OkStatus();
  };
  v8::Global<v8::Function> set_handler;
  for (auto [name, slot] : {std::pair{"dispatch", &dispatch_}, {"onTimer", &on_timer_}, {"setHandler", &set_handler}}) {
    absl::Status status = get_function(name, slot);
    if (!status.ok()) return status;
  }
  v8::Local<v8::Object> env = v8::Object::New(isolate_);
  env_.Reset(isolate_, env);

  isolates::ScriptLoader loader(code_cache);
  absl::StatusOr<v8::Local<v8::Value>> ns = loader.Load(context, options_.script_path);
  if (!ns.ok()) return ns.status();
  v8::Local<v8::Value> argv[] = {*ns};
  std::string error;
  if (!CallIntoJs(set_handler.Get(isolate_), 1, argv, &error)) {
    return absl::InvalidArgumentError(base::StrCat(options_.script_path.string(), ": ", error));
  }
  return absl::OkStatus();
}

bool Worker::CallIntoJs(v8::Local<v8::Function> fn, int argc, v8::Local<v8::Value>* argv, std::string* error) {
  v8::Local<v8::Context> context = context_.Get(isolate_);
  v8::TryCatch try_catch(isolate_);
  bool ok = !fn->Call(context, v8::Undefined(isolate_), argc, argv).IsEmpty();
  if (!ok && error) *error = isolates::DescribeException(isolate_, try_catch);
  isolate_->PerformMicrotaskCheckpoint();
  if (!unhandled_rejections_.empty()) LogUnhandledRejections();
  return ok;
}

void Worker::OnPromiseReject(v8::PromiseRejectMessage message) {
  v8::Local<v8::Promise> promise = message.GetPromise();
  v8::Isolate* isolate = promise->GetIsolate();
  auto* self = static_cast<Worker*>(isolate->GetData(0));
  auto& pending = self->unhandled_rejections_;
  if (message.GetEvent() == v8::kPromiseRejectWithNoHandler) {
    std::string text = isolates::ToUtf8(isolate, message.GetValue());
    v8::Local<v8::Value> value = message.GetValue();
    if (value->IsObject()) {
      v8::Local<v8::Value> stack;
      v8::Local<v8::Context> context = isolate->GetCurrentContext();
      if (value.As<v8::Object>()->Get(context, NewSymbolString(isolate, "stack")).ToLocal(&stack) && stack->IsString()) {
        text = isolates::ToUtf8(isolate, stack);
      }
    }
    pending.push_back({v8::Global<v8::Promise>(isolate, promise), std::move(text)});
  } else if (message.GetEvent() == v8::kPromiseHandlerAddedAfterReject) {
    std::erase_if(pending, [&](const Rejection& r) { return r.promise == promise; });
  }
}

void Worker::LogUnhandledRejections() {
  for (const Rejection& rejection : unhandled_rejections_) {
    base::LogLine(base::LogLevel::kError, base::StrCat("Uncaught (in promise) ", rejection.message))
        .Str("tenant", options_.tenant_name)
        .Emit();
  }
  unhandled_rejections_.clear();
}

void Worker::Dispatch(uint64_t id, const RequestView& request) {
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Context> context = context_.Get(isolate_);
  v8::Context::Scope context_scope(context);

  // Built in one go: per-element Set() walks V8's lookup machinery for every header.
  constexpr size_t kInline = 64;
  v8::Local<v8::Value> inline_items[kInline];
  std::vector<v8::Local<v8::Value>> many;
  v8::Local<v8::Value>* items = inline_items;
  if (request.headers.size() * 2 > kInline) {
    many.resize(request.headers.size() * 2);
    items = many.data();
  }
  size_t count = 0;
  for (const HeaderView& header : request.headers) {
    items[count++] = NewSymbolString(isolate_, header.first);
    items[count++] = NewLatin1String(isolate_, header.second);
  }
  v8::Local<v8::Array> headers = v8::Array::New(isolate_, items, count);
  v8::Local<v8::Value> body = v8::Null(isolate_);
  if (request.has_body) {
    std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(isolate_, request.body.size());
    if (!request.body.empty()) std::memcpy(store->Data(), request.body.data(), request.body.size());
    body = v8::ArrayBuffer::New(isolate_, std::move(store));
  }
  v8::Local<v8::Value> argv[] = {
      v8::Number::New(isolate_, static_cast<double>(id)),
      NewSymbolString(isolate_, request.method),
      NewLatin1String(isolate_, request.url),
      headers,
      body,
      env_.Get(isolate_),
  };
  std::string error;
  if (!CallIntoJs(dispatch_.Get(isolate_), 6, argv, &error)) host_->OnScriptError(id, error);
}

void Worker::FireTimer(uint32_t id) {
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Context> context = context_.Get(isolate_);
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Value> argv[] = {v8::Integer::NewFromUnsigned(isolate_, id)};
  std::string error;
  if (!CallIntoJs(on_timer_.Get(isolate_), 1, argv, &error)) {
    base::LogLine(base::LogLevel::kError, error).Str("tenant", options_.tenant_name).Emit();
  }
}

void Worker::RunPlatformTasks() {
  v8::Isolate::Scope isolate_scope(isolate_);
  isolates::PumpPlatformTasks(isolate_);
}

}  // namespace atl::bindings
