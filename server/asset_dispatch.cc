#include "server/asset_dispatch.h"

#include <vector>

#include "assets/asset_response.h"

namespace atl::server {

bool AnswerFromAssets(const assets::AssetSet& set, bool has_worker, const bindings::RequestView& request,
                      ResponseSink* response) {
  assets::AssetRequest asset_request;
  asset_request.method = request.method;
  asset_request.SetUrl(request.url);
  for (const auto& [name, value] : request.headers) {
    if (name == "if-none-match") asset_request.if_none_match = value;
    if (name == "sec-fetch-mode") asset_request.navigate = value == "navigate";
    if (name == "authorization" || name == "range") asset_request.cacheable = false;
  }
  if (has_worker && (assets::RunsWorkerFirst(set.config(), asset_request.path) ||
                     !assets::AssetsAnswer(set, asset_request))) {
    return false;
  }
  assets::AssetResponse answer = assets::ServeAsset(set, asset_request);
  std::vector<bindings::HeaderView> headers(answer.headers.begin(), answer.headers.end());
  bindings::ResponseView view;
  view.status = answer.status;
  view.headers = headers;
  view.body = answer.body;
  response->Respond(view);
  return true;
}

}  // namespace atl::server
