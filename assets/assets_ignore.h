#pragma once
// The `.assetsignore` file of an assets folder: the files wrangler does not upload, in
// gitignore's syntax (https://developers.cloudflare.com/workers/static-assets/binding/#ignoring-assets,
// https://git-scm.com/docs/gitignore): one pattern a line, `#` comments, `!` re-includes, a
// trailing `/` matches folders only, a `/` at the start or in the middle anchors the pattern at
// the folder's root (else it matches a name at any depth), `*` is any run of characters but `/`,
// `**/` any number of folders. A file inside an ignored folder stays ignored (as in git).
// Not supported: `?` and `[...]` classes (they match themselves).

#include <string>
#include <string_view>
#include <vector>

namespace atl::assets {

class IgnoreRules {
 public:
  static IgnoreRules Parse(std::string_view text);
  // `path`: relative to the folder, "/"-separated ("blog/draft.html"). The last pattern that
  // matches decides.
  bool Ignored(std::string_view path, bool is_directory) const;

 private:
  struct Rule {
    std::string glob;
    bool negate = false;
    bool directory_only = false;
    bool anchored = false;
  };
  std::vector<Rule> rules_;
};

}  // namespace atl::assets
