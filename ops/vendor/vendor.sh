#!/usr/bin/env bash
# Copies the browser assets the back-office serves itself (no CDN) from the npm packages pinned in
# ops/vendor/package.json (and package-lock.json) into the app's static folder and the tests'.
# Run by `make vendor`; its output is committed, so `make run` and `make test` need no npm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
static="$repo/services/web/static/vendor"
cd "$here"
npm ci --ignore-scripts --no-audit --no-fund --silent
modules="$here/node_modules"

# DSFR (the State's design system): the compiled CSS and JS, the Marianne and Spectral fonts
# (woff2: every browser the service supports), the icons its CSS refers to, the favicons.
dsfr_src="$modules/@gouvfr/dsfr/dist"
dsfr="$static/dsfr"
rm -rf "$dsfr" && mkdir -p "$dsfr/fonts" "$dsfr/favicon"
cp "$dsfr_src"/dsfr.min.css "$dsfr_src"/dsfr.module.min.js "$dsfr_src"/dsfr.nomodule.min.js "$dsfr/"
cp "$dsfr_src"/fonts/*.woff2 "$dsfr/fonts/"
cp "$dsfr_src"/favicon/* "$dsfr/favicon/"
grep -o 'url(icons/[^)]*)' "$dsfr_src/dsfr.min.css" | sed 's/^url(//; s/)$//' | sort -u |
  while read -r icon; do
    mkdir -p "$dsfr/$(dirname "$icon")" && cp "$dsfr_src/$icon" "$dsfr/$icon"
  done
cp "$modules/@gouvfr/dsfr/LICENSE.md" "$dsfr/LICENSE.md" 2>/dev/null || true

# Swagger UI and ReDoc for /docs and /redoc.
mkdir -p "$static/swagger-ui" "$static/redoc"
cp "$modules"/swagger-ui-dist/{swagger-ui-bundle.js,swagger-ui.css,LICENSE} "$static/swagger-ui/"
cp "$modules"/redoc/bundles/redoc.standalone.js "$static/redoc/"
cp "$modules"/redoc/LICENSE "$static/redoc/LICENSE"

# axe-core, injected by the browser tests only (never served).
mkdir -p "$repo/tests/vendor"
cp "$modules"/axe-core/axe.min.js "$modules"/axe-core/LICENSE "$repo/tests/vendor/"

# The versions, for the record.
for p in @gouvfr/dsfr swagger-ui-dist redoc axe-core; do
  echo "$p $(node -p "require('$modules/$p/package.json').version")"
done > "$static/VERSIONS"
cat "$static/VERSIONS"
