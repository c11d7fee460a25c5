#!/usr/bin/env bash
# Fetches the headers of ada (the WHATWG URL parser, https://github.com/ada-url/ada) that
# libnode108 was built with, for bindings/url.cc, which calls the ada symbols libnode exports.
# The exact version comes with Debian's nodejs source package (component tarball "orig-ada"):
# `apt-get source --download-only` of the libnode108 deb's source version, with a private apt
# state that reads the machine's own Debian sources as deb-src (the system's apt config is not
# touched). Only include/ is extracted, into third_party/ada/ (git-ignored). Idempotent.
# Usage: scripts/fetch_ada.sh [path/to/libnode108_*.deb]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/third_party/ada"
deb="${1:-$(ls "$root"/third_party/debs/libnode108_*.deb | head -n1)}"
version=$(dpkg-deb -f "$deb" Version)          # e.g. 18.20.4+dfsg-1~deb12u3
upstream="${version%-*}"                        # 18.20.4+dfsg
if [[ -f "$dest/include/ada.h" && -f "$dest/.source-$upstream" ]]; then exit 0; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parts" "$work/lists/partial" "$work/cache/archives/partial"
shopt -s nullglob
for f in /etc/apt/sources.list.d/*.sources; do
  sed 's/^Types: deb$/Types: deb-src/' "$f" > "$work/parts/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [[ -f "$f" ]] || continue
  sed -n 's/^deb /deb-src /p' "$f" > "$work/parts/$(basename "$f")"
done
apt_opts=(-q -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/parts"
          -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache")
apt-get "${apt_opts[@]}" update >/dev/null 2>&1
# The tarball's name and SHA-256 as the Sources index gives them; the download is checked against it.
line=$(apt-get "${apt_opts[@]}" source --print-uris "nodejs=$version" | grep -F "orig-ada.tar" || true)
[[ -n "$line" ]] || { echo "fetch_ada: nodejs $version has no orig-ada component in the Sources index" >&2; exit 1; }
tarball=$(awk '{print $2}' <<<"$line")
sha=$(awk '{print $4}' <<<"$line"); sha="${sha#SHA256:}"
# apt-get source fetches every file of the source package; the orig tarballs are shared by every
# Debian revision of this upstream version, so a missing .dsc of a superseded revision is no error.
(cd "$work" && apt-get "${apt_opts[@]}" source --download-only "nodejs=$version" >/dev/null 2>&1 || true)
[[ -f "$work/$tarball" ]] || { echo "fetch_ada: $tarball was not downloaded" >&2; exit 1; }
echo "$sha  $work/$tarball" | sha256sum -c --quiet -
rm -rf "$dest"
mkdir -p "$dest"
tar -xJf "$work/$tarball" -C "$dest" --strip-components=1 --wildcards '*/include/*' '*/LICENSE*'
[[ -f "$dest/include/ada.h" ]] || { echo "fetch_ada: no include/ada.h in $tarball" >&2; exit 1; }
touch "$dest/.source-$upstream"
echo "fetch_ada: $(grep -o '"[0-9.]*"' "$dest/include/ada/ada_version.h") from $tarball"
