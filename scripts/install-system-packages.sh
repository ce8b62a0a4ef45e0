#!/usr/bin/env bash
# Install the Debian/Ubuntu packages the PDF annex and its tests need, when they are missing:
# chromium (prints the HTML annex to PDF), fonts-dejavu-core (Vietnamese glyphs),
# poppler-utils (pdftotext/pdfinfo, used by the tests). Never fails the build: without them the
# HTML annex is still built and the PDF is reported as skipped.
set -u
missing=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
  || command -v google-chrome >/dev/null 2>&1 || missing+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Thiếu gói hệ thống: ${missing[*]}. Cài bằng: sudo apt-get install ${missing[*]} (không có thì vẫn lập được HTML, bỏ qua PDF)." >&2
  exit 0
fi
echo "Cài gói hệ thống: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
  echo "Không cài được ${missing[*]}; vẫn lập HTML, bỏ qua PDF." >&2
fi
exit 0
