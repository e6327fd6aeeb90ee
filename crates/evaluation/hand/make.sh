#!/usr/bin/env bash
# Renders the hand-made photos (src/*.html, composed by hand in HTML and CSS: a page on a
# surface, at an angle, unevenly lit; and a phone's screenshot) with Debian's headless
# Chromium. The PNGs are committed; run this only after changing a source page.
set -euo pipefail
cd "$(dirname "$0")"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
shot() {
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --no-first-run --disable-sync --hide-scrollbars \
    --user-data-dir="$profile" --window-size="$2" --force-device-scale-factor="$3" \
    --screenshot="$PWD/${1%.html}.jpg" "file://$PWD/src/$1" 2>/dev/null
}
for page in src/*.html; do
  name=$(basename "$page")
  case "$name" in
    2-phone-screenshot.html) shot "$name" 390,844 3 ;;
    *) shot "$name" 1400,1050 1.5 ;;
  esac
done
