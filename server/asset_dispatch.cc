#include "server/asset_dispatch.h"

#include <vector>

#include "assets/asset_response.h"
#include "server/accept_encoding.h"

namespace atl::server {

bool AnswerFromAssets(const assets::AssetSet& set, AssetCodings* codings, bool has_worker,
                      const bindings::RequestView& request, ResponseSink* response) {
  uint8_t accepted = 0;
  assets::AssetRequest asset_request;
  asset_request.method = request.method;
  asset_request.SetUrl(request.url);
  for (const auto& [name, value] : request.headers) {
    if (name == "if-none-match") asset_request.if_none_match = value;
    if (name == "sec-fetch-mode") asset_request.navigate = value == "navigate";
    if (name == "authorization" || name == "range") asset_request.cacheable = false;
    if (name == "accept-encoding") accepted = AcceptedCodings(value);
  }
  if (has_worker && assets::RunsWorkerFirst(set.config(), asset_request.path)) return false;
  std::optional<assets::AssetResponse> ahead;
  if (has_worker && !(ahead = assets::AnswerAheadOfWorker(set, asset_request))) return false;
  assets::AssetResponse answer = has_worker ? *std::move(ahead) : assets::ServeAsset(set, asset_request);
  std::string_view content_type;
  for (const auto& [name, value] : answer.headers) {
    if (name == "content-type") content_type = value;
  }
  std::string_view coding = (accepted & kAcceptsBr) ? "br" : (accepted & kAcceptsGzip) ? "gzip" : "";
  if (codings != nullptr && !coding.empty() && !answer.body.empty() &&
      AssetCodings::Compressible(content_type, answer.body.size())) {
    answer.body = codings->Coded(answer.body, coding);
    for (auto& [name, value] : answer.headers) {
      if (name == "etag" && !value.starts_with("W/")) value = "W/" + value;  // the bytes differ
    }
    answer.headers.emplace_back("content-encoding", std::string(coding));
    answer.headers.emplace_back("vary", "accept-encoding");
  }
  std::vector<bindings::HeaderView> headers(answer.headers.begin(), answer.headers.end());
  bindings::ResponseView view;
  view.status = answer.status;
  view.headers = headers;
  view.body = answer.body;
  response->Respond(view);
  return true;
}

}  // namespace atl::server
