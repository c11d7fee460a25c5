#pragma once
// Where the answer to one request goes. The dispatcher receives a sink with every request
// (RequestSink::Dispatch, TenantManager::DispatchService) and whoever answers writes into it,
// as in workerd's `WorkerInterface::request(..., Response&)`: nothing routes answers back by id.
// Two kinds exist: the HTTP server's in-flight record of a client's request (http_server.cc), and
// the caller's side of a service-binding call (outbound.cc).
//
// A sink stays valid until its owner says it is done with the request (RequestSink::Forget for
// a client's request, TenantManager::ReleaseService for a service call); the runtime that holds
// it (TenantRuntime) lets go of it then.
//
//   sink.Respond(response);                 // a whole answer, or
//   sink.StartStream(head); sink.WriteBody(bytes)...; sink.EndBody(true);
//   sink.Fail(ServerError::kWallLimit);     // the server's error response instead

#include <string_view>

#include "bindings/worker_host.h"
#include "server/error_response.h"

namespace atl::server {

class ResponseSink {
 public:
  // The whole answer.
  virtual void Respond(const bindings::ResponseView& response) = 0;
  // The server's error response (SPEC §4) instead of the handler's.
  virtual void Fail(ServerError error) = 0;
  // A head whose body follows (ResponseView::body_streamed); false if nobody waits for it any
  // more. Then WriteBody (false: the reader is not keeping up; the request's ResumeResponse
  // follows when it is) and EndBody (`complete`, or cut short).
  virtual bool StartStream(const bindings::ResponseView& response) = 0;
  virtual bool WriteBody(std::string_view bytes) = 0;
  virtual void EndBody(bool complete) = 0;
  // The handler wants more of the request's streamed body (`cancel` false) or none of the rest.
  virtual void UploadControl(bool cancel) {}
  // What the connection the request came on knows, for request.cf (false: nothing, e.g. a
  // service-binding call). Views valid during the call.
  virtual bool RequestCf(bindings::RequestCfView* out) { return false; }
  // Whether the client takes a body coded with `coding` (its Accept-Encoding); any, by default
  // (a service-binding caller's fetch decodes what it gets).
  virtual bool AcceptsCoding(std::string_view coding) { return true; }

 protected:
  ~ResponseSink() = default;  // owned by whoever made the request, never deleted through a sink
};

}  // namespace atl::server
