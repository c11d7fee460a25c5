// NativeArgs (native_args.h) in a bare isolate: what each reader gives for right and wrong
// arguments, and the TypeError that names the native and the position.
#include "bindings/native_args.h"

#include <gtest/gtest.h>

#include <string>

#include "bindings/bare_isolate_test.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

// What the test native read, as text: "id=7 u32=3 str=hé flag=1 bytes=2 or=[x,9]" or the throw.
void Probe(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "probe");
  std::optional<uint64_t> id = args.Id(0);
  if (!id) return;
  std::optional<uint32_t> u32 = args.Uint32(1);
  if (!u32) return;
  std::optional<std::string> str = args.String(2);
  if (!str) return;
  BufferBytes bytes;
  if (!args.Bytes(4, &bytes)) return;
  std::string out = "id=" + std::to_string(*id) + " u32=" + std::to_string(*u32) + " str=" + *str +
                    " flag=" + std::to_string(args.Flag(3)) + " bytes=" + std::to_string(bytes.size) + " or=[" +
                    args.StringOr(5, "x") + "," + std::to_string(args.Uint32Or(6, 9)) + "]";
  info.GetReturnValue().Set(isolates::NewString(info.GetIsolate(), out));
}

class NativeArgsTest : public BareIsolateTest {
 protected:
  // The result of `call` (a call of probe(...)) as text, or "throws: MESSAGE".
  std::string Run(const std::string& call) {
    v8::Isolate::Scope isolate_scope(isolate_);
    v8::HandleScope handles(isolate_);
    v8::Local<v8::Context> context = v8::Context::New(isolate_);
    v8::Context::Scope context_scope(context);
    v8::Local<v8::Function> probe = v8::Function::New(context, Probe).ToLocalChecked();
    context->Global()->Set(context, isolates::NewString(isolate_, "probe"), probe).Check();
    v8::TryCatch try_catch(isolate_);
    v8::Local<v8::Script> script =
        v8::Script::Compile(context, isolates::NewString(isolate_, call)).ToLocalChecked();
    v8::Local<v8::Value> result;
    if (!script->Run(context).ToLocal(&result)) return "throws: " + isolates::ToUtf8(isolate_, try_catch.Exception());
    return isolates::ToUtf8(isolate_, result);
  }
};

TEST_F(NativeArgsTest, ReadsEachTypeAndDefaults) {
  EXPECT_EQ(Run("probe(7, 3, 'h\\u00e9', true, new Uint8Array(2))"), "id=7 u32=3 str=h\xC3\xA9 flag=1 bytes=2 or=[x,9]");
  EXPECT_EQ(Run("probe(2**52, 0, '', 1, new ArrayBuffer(5), 'p', 4)"), "id=4503599627370496 u32=0 str= flag=0 bytes=5 or=[p,4]");
  EXPECT_EQ(Run("probe(1, 1, 'x', false, new ArrayBuffer(0), 5, -1)"), "id=1 u32=1 str=x flag=0 bytes=0 or=[x,9]");
}

TEST_F(NativeArgsTest, AWrongArgumentIsATypeErrorNamingTheNativeAndThePosition) {
  EXPECT_EQ(Run("probe('7', 3, 's', true, new ArrayBuffer(1))"), "throws: TypeError: probe: argument 0 must be an id (a number)");
  EXPECT_EQ(Run("probe(7, -3, 's', true, new ArrayBuffer(1))"),
            "throws: TypeError: probe: argument 1 must be an unsigned 32-bit integer");
  EXPECT_EQ(Run("probe(7, 3, 1, true, new ArrayBuffer(1))"), "throws: TypeError: probe: argument 2 must be a string");
  EXPECT_EQ(Run("probe(7, 3, 's', true, 'bytes')"), "throws: TypeError: expected an ArrayBuffer or ArrayBufferView");
  EXPECT_EQ(Run("probe()"), "throws: TypeError: probe: argument 0 must be an id (a number)");
}

}  // namespace
}  // namespace atl::bindings
