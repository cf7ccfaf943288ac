#!/usr/bin/env bash
# Publish the built site as one version beside the earlier ones, with mike (a pinned dependency):
# each version in its own folder of the gh-pages branch, `latest` an alias of the newest, the
# branch's root page sending readers to `latest`. A figure cited from one version keeps its pixels
# when the next is published, because every citation names its version's address
# (CITATION.cff: `url` + `version`, pipeline/provenance.py).
#
#   snakemake -j4                   # the outputs and the site, with CITATION.cff's version
#   bash scripts/publish.sh         # commit this version to the local gh-pages branch
#   bash scripts/publish.sh --push  # ... and push it (GitHub Pages serves the branch)
#
# The figures' downloads (`snakemake -j4 downloads`: SVG, PDF and talk PNGs, one zip per site page
# and all-figures.zip, in downloads/) go beside the version, at downloads/<version>/ of gh-pages:
# <CITATION.cff url>/downloads/<version>/<group>.zip. Without zips the site is published alone,
# with a line saying how to make them.
#
# Run it from the directory that holds mkdocs.yml (the repository). The version comes from
# CITATION.cff; to publish a new one, raise `version` there and rerun snakemake first (the figure
# files carry their address), then run this.
set -euo pipefail
export NO_MKDOCS_2_WARNING=1
[ -f mkdocs.yml ] && [ -f CITATION.cff ] || { echo "scripts/publish.sh: run it from the repository (no mkdocs.yml and CITATION.cff here)" >&2; exit 2; }
# read as written, not through citation_meta: that one makes the site's address of it, and refuses a bad one with a traceback
version=$(python -c "import yaml; print((yaml.safe_load(open('CITATION.cff', encoding='utf-8')) or {}).get('version') or '')")
[ -n "$version" ] || { echo "scripts/publish.sh: CITATION.cff has no version: set one (0.2.0, say), rerun snakemake, then publish" >&2; exit 2; }
# the version names a folder of gh-pages: digits and dots, an optional v and -suffix (1.0, v2.1.3, 0.2.0-rc1), no path
[[ "$version" =~ ^v?[0-9]+(\.[0-9]+)*([-+][0-9A-Za-z]+(\.[0-9A-Za-z]+)*)?$ ]] || { printf 'scripts/publish.sh: CITATION.cff version %q is not a version: give numbers and dots (0.2.0, say; an optional -rc1), rerun snakemake, then publish\n' "$version" >&2; exit 2; }
mike deploy --update-aliases "$@" "$version" latest
mike set-default "$@" latest
echo "scripts/publish.sh: version $version published on the gh-pages branch, alias latest"

# ---- the downloads of this version, beside it: a temporary worktree of gh-pages, copy, commit ----
downloads="${MAKEMORE_SITE_ROOT:-.}/downloads"
shopt -s nullglob
zips=("$downloads"/*.zip)
if [ ${#zips[@]} -eq 0 ]; then
  echo "scripts/publish.sh: no zips in downloads/, so version $version is published without its figure downloads (SVG, PDF, slide PNGs); make them with \`snakemake -j4 downloads\` and run this again"
  exit 0
fi
push=0
for arg in "$@"; do [ "$arg" = "--push" ] && push=1; done
tmp=$(mktemp -d)
wt="$tmp/gh-pages"
cleanup() { git worktree remove --force "$wt" >/dev/null 2>&1 || true; rm -rf "$tmp"; git worktree prune; }
trap cleanup EXIT
git worktree add -q "$wt" gh-pages
rm -rf "${wt:?}/downloads/$version"  # a version published again: its zips are this run's
mkdir -p "$wt/downloads/$version"
cp "${zips[@]}" "$wt/downloads/$version/"
git -C "$wt" add -A "downloads/$version"
changed=1
git -C "$wt" diff --cached --quiet && changed=0
[ "$changed" = 1 ] && git -C "$wt" commit -q -m "Downloads of version $version: ${#zips[@]} zips"
cleanup
trap - EXIT
[ "$push" = 1 ] && git push -q origin gh-pages
base=$(python -c "from pathlib import Path; import yaml; print(str(yaml.safe_load(Path('CITATION.cff').read_text(encoding='utf-8')).get('url') or '').rstrip('/'))")
where="the gh-pages branch at downloads/$version/${base:+ ($base/downloads/$version/<group>.zip)}"
if [ "$changed" = 1 ]; then
  echo "scripts/publish.sh: ${#zips[@]} zips of figure downloads published on $where$([ "$push" = 1 ] && echo ', pushed')"
else
  echo "scripts/publish.sh: the ${#zips[@]} zips of figure downloads were already on $where, unchanged"
fi
