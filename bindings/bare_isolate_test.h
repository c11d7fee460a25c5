#pragma once
// A GoogleTest fixture with a bare V8 isolate (no atoll platform, no snapshot, no Worker) for the
// unit tests of binding helpers that need only V8: made in SetUp, disposed in TearDown.
//
//   class MyTest : public BareIsolateTest {};
//   TEST_F(MyTest, X) { v8::Isolate::Scope scope(isolate_); ... }

#include <gtest/gtest.h>

#include <memory>

#include <v8.h>

#include "isolates/platform.h"

namespace atl::bindings {

class BareIsolateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { isolates::InitializeV8(); }
  void SetUp() override {
    allocator_.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = allocator_.get();
    isolate_ = v8::Isolate::New(params);
  }
  void TearDown() override { isolate_->Dispose(); }

  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
};

}  // namespace atl::bindings
