#!/usr/bin/env bash
# Build the documentation site into _docs/ (settings.ini's doc_path) without Quarto, then check it.
#
#   bash scripts/docs.sh                 # from the repository root: pages with their outputs and figures
#   bash scripts/docs.sh --no-exec       # quick: the notebooks without a current executed copy show code only
#   bash scripts/docs.sh --exec          # execute every notebook again first
#
# What it does:
#   1. MathJax: a local copy (MathJax 3.2.2 tex-svg-full.js, fetched once with `npm pack` from the npm registry into
#      .docs_cache/ and checked against its sha256; or $MATHJAX_JS), so that the site loads nothing from the web;
#   2. scripts/nbexec.py: the notebooks without a current executed copy under _exec/ are executed as the tests execute
#      them, and saved there; it says first how many. The test run (python -m pytest) leaves these copies, so after it
#      nothing is executed here (a build then takes about a minute); on a fresh clone every notebook is (as long as the
#      tests take). --exec executes every notebook again, --no-exec none (their pages then show code only);
#   3. scripts/docs_build.py: nbdev 2.4.14's own docs processing (refresh_quarto_yml, _build_modidx, nbdev_sidebar,
#      proc_nbs -> _proc/; nbdev_docs/nbdev_proc_nbs are not used: they try to install Quarto with sudo and
#      pip-install the project), the conversion to Markdown and mkdocs-material -> _docs/;
#   4. scripts/check_docs.py: every notebook has a page, every exported symbol an entry, every figure an <img>,
#      nothing leaked (directives, show_doc calls, quarto attributes, prompts, frontmatter), nothing loaded from the
#      web, the home page links every chapter, internal links resolve. Exit status 1 on any failure.
#
# Options: --exec / --no-exec (step 2), --install (pip install -e ".[docs]" first), --no-check (skip step 4), --require-outputs
# (the checker fails for a notebook rendered without outputs; implied unless --no-exec); anything else
# goes to docs_build.py (--n-workers N, --strict, --exclude REGEX, --plan, --reuse-proc). Needs the dev and docs
# extras: .venv/bin/pip install -e ".[dev,docs]". Uses .venv/bin/python when present, else python3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python; [ -x "$PY" ] || PY=python3
EXEC=0; NOEXEC=0; INSTALL=0; CHECK=1; REQ=0; ARGS=()
for a in "$@"; do
  case "$a" in
    --exec) EXEC=1 ;; --no-exec) NOEXEC=1 ;; --install) INSTALL=1 ;; --no-check) CHECK=0 ;; --require-outputs) REQ=1 ;;
    -h|--help) awk 'NR>1 && !/^#/{exit} NR>1{sub(/^# ?/,""); print}' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) ARGS+=("$a") ;;
  esac
done
export NO_MKDOCS_2_WARNING=1 HF_HUB_OFFLINE=1 MPLBACKEND=Agg TQDM_DISABLE=1   # the tests' environment (tests/conftest.py)
start=$SECONDS

if [ $INSTALL = 1 ]; then t=$SECONDS; "$PY" -m pip install -q -e ".[docs]"; echo "[docs] installed the docs extra in $((SECONDS - t))s"; fi
if ! "$PY" -c "import mkdocs, material, pymdownx, nbdev" 2>/dev/null; then
  echo "[docs] mkdocs-material or nbdev missing: run  $PY -m pip install -e \".[dev,docs]\"  (or bash scripts/docs.sh --install)" >&2
  exit 1
fi

MJ_VER=3.2.2
MJ_SHA256=a4354ff94fd868aea0cc6eaaa79a57fda0588646fc46ee3700a349ee0a11cbe6   # package/es5/tex-svg-full.js of mathjax@3.2.2
if [ -n "${MATHJAX_JS:-}" ]; then MJ=$MATHJAX_JS
else
  MJ=.docs_cache/mathjax-$MJ_VER-tex-svg-full.js
  if [ ! -f "$MJ" ]; then
    command -v npm >/dev/null || { echo "[docs] npm not found: install Node.js/npm, or set MATHJAX_JS to a local MathJax 3 tex-svg-full.js" >&2; exit 1; }
    tmp=$(mktemp -d); mkdir -p .docs_cache
    (cd "$tmp" && npm pack --silent "mathjax@$MJ_VER" >/dev/null && tar xzf "mathjax-$MJ_VER.tgz" package/es5/tex-svg-full.js)
    mv "$tmp/package/es5/tex-svg-full.js" "$MJ"; rm -rf "$tmp"
    echo "[docs] fetched MathJax $MJ_VER (npm) into $MJ"
  fi
  echo "$MJ_SHA256  $MJ" | sha256sum -c --quiet - || { echo "[docs] $MJ: sha256 mismatch; delete it to fetch again" >&2; exit 1; }
fi

CHECK_ARGS=()
[ $REQ = 1 ] && CHECK_ARGS+=(--require-outputs)
if [ $NOEXEC = 0 ]; then
  t=$SECONDS
  total=$("$PY" scripts/nbexec.py --list | wc -l)
  if [ $EXEC = 1 ]; then todo=$total; which=(); else todo=$("$PY" scripts/nbexec.py --stale --list | wc -l); which=(--stale); fi
  if [ "$todo" -gt 0 ]; then
    echo "[docs] executing $todo of $total notebooks (those without a current executed copy in _exec/) so that their pages show outputs;"
    echo "[docs] a test run (python -m pytest) leaves these copies and saves this step; --no-exec skips it"
    "$PY" scripts/nbexec.py ${which[@]+"${which[@]}"} || echo "[docs] WARNING: some notebooks failed; their pages have no outputs" >&2
    echo "[docs] executed $todo notebooks in $((SECONDS - t))s"
  else echo "[docs] all $total notebooks have a current executed copy in _exec/ (from the tests): nothing to execute"; fi
  [ $REQ = 1 ] || CHECK_ARGS+=(--require-outputs)
fi

"$PY" scripts/docs_build.py --mathjax "$MJ" ${ARGS[@]+"${ARGS[@]}"}
rc=0
if [ $CHECK = 1 ]; then "$PY" scripts/check_docs.py ${CHECK_ARGS[@]+"${CHECK_ARGS[@]}"} || rc=$?; fi
echo "[docs] done in $((SECONDS - start))s. Serve it with  $PY -m http.server -d _docs 8000  and open http://localhost:8000/ (search needs HTTP)"
exit $rc
