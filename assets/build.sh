#!/bin/sh
# Rebuild the vendored static files from the npm packages pinned in package.json.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
STATIC=../src/nextpractice/static/vendor
mkdir -p "$STATIC/govuk" "$STATIC/htmx" ../tests/assets
npx sass --no-source-map --style=compressed --load-path=node_modules src/nextpractice.scss "$STATIC/govuk/nextpractice.min.css"
cp node_modules/htmx.org/dist/htmx.min.js "$STATIC/htmx/"
cp node_modules/govuk-frontend/LICENSE* "$STATIC/govuk/LICENSE.txt" 2>/dev/null || cp node_modules/govuk-frontend/README.md "$STATIC/govuk/"
cp node_modules/axe-core/axe.min.js ../tests/assets/axe.min.js
# Mozilla's iCalendar reader: the second independent parser of our calendar feeds (MPL-2.0).
cp node_modules/ical.js/dist/ical.es5.min.cjs ../tests/assets/ical.min.cjs
