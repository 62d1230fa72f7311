#!/usr/bin/env bash
# Build Reenact Studio's one-folder app with PyInstaller from a clean virtual environment, and archive it.
#
#   packaging/build.sh                 -> dist/ReenactStudio-<version>-linux-x86_64.tar.gz
#   packaging/build.sh --smoke         ... then unpack the archive and run the frozen app's checks
#                                      (packaging/smoke.py: --help, self-test --json, the window offscreen,
#                                      helper processes); exits non-zero on any failure
#   options: --reuse-venv   keep build/packaging/venv from an earlier run (faster; releases use a fresh one)
#            --require-demo fail when resources/models/demo.pt is missing (release builds)
#            --no-archive   stop after the app folder (build/packaging/dist/ReenactStudio-<version>)
#            --stand-in-demo  no demo model yet: bundle an untrained 64 px stand-in as demo.pt (written into
#                           the staged copy only, never the checkout; for testing the packaging, not releases)
#
# Work files live in build/packaging/ (ignored by git); the archive and a report with the sizes and
# times go to dist/. PYTHON picks the interpreter for the virtual environment (default python3).
set -euo pipefail

smoke=0 reuse=0 require_demo=0 archive=1 stand_in=0
for arg in "$@"; do
  case $arg in
    --smoke) smoke=1 ;;
    --reuse-venv) reuse=1 ;;
    --require-demo) require_demo=1 ;;
    --no-archive) archive=0 ;;
    --stand-in-demo) stand_in=1 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/build/packaging
venv=$work/venv
src=$work/src
PYTHON=${PYTHON:-python3}
started=$(date +%s)
report_lines=()
step() { echo "== $* ($(($(date +%s) - started)) s)" >&2; }
note() { report_lines+=("$*"); echo "$*" >&2; }
mkdir -p "$work" "$root/dist"
note "build started $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPU core(s), load average $(cut -d' ' -f1-3 /proc/loadavg)"

# -- the demo model ----------------------------------------------------------------------------------
demo=$root/resources/models/demo.pt
if [ ! -f "$demo" ] && [ $stand_in = 0 ]; then
  msg="resources/models/demo.pt is missing (the demo model may still be training): this build will have no demo model; the app then opens without one and asks for a checkpoint"
  if [ $require_demo = 1 ]; then echo "build.sh: error: $msg" >&2; exit 1; fi
  note "WARNING: $msg"
fi

# -- a copy of the checkout (tracked and untracked files, nothing git ignores) -------------------------
step "staging the sources"
rm -rf "$src" && mkdir -p "$src"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$root" && git ls-files -z -co --exclude-standard --deduplicate |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -C "$src" -xf -
else
  tar -C "$root" --exclude=./build --exclude=./dist --exclude=./.venv -cf - . | tar -C "$src" -xf -
fi

# -- a clean virtual environment with the project installed (not editable) ----------------------------
t0=$(date +%s)
if [ $reuse = 1 ] && [ -x "$venv/bin/pyinstaller" ]; then
  step "reusing $venv"
  "$venv/bin/pip" install -q --no-deps --force-reinstall "$src"
else
  step "creating $venv"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  # the CPU build of torch first: a bare torch requirement pulls several GB of CUDA libraries
  "$venv/bin/pip" install -q torch==2.13.0
  "$venv/bin/pip" install -q "$src[packaging]"
fi
stand_in_code="import sys; from core.checkpoint import save_checkpoint; from core.config import ModelConfig; \
from core.networks.generator import Generator; c = ModelConfig.tiny(64); save_checkpoint(sys.argv[1], c, Generator(c))"
if [ $stand_in = 1 ] && [ ! -f "$src/resources/models/demo.pt" ]; then
  mkdir -p "$src/resources/models"
  "$venv/bin/python" -c "$stand_in_code" "$src/resources/models/demo.pt"
  "$venv/bin/pip" install -q --no-deps --force-reinstall "$src"
  note "WARNING: the bundled demo.pt is an untrained stand-in (--stand-in-demo): not for release"
fi
version=$("$venv/bin/python" -c "import importlib.metadata as m; print(m.version('reenact-studio'))")
name=$("$venv/bin/python" "$src/packaging/buildtools.py" archive-name "$version")
folder=ReenactStudio-$version
note "version $version; environment ready in $(($(date +%s) - t0)) s ($($venv/bin/python -c 'import torch, PySide6, PyInstaller; print("torch", torch.__version__, "PySide6", PySide6.__version__, "PyInstaller", PyInstaller.__version__)'))"

# -- PyInstaller (run outside the checkout, so the installed packages are the ones frozen) ------------
step "PyInstaller"
t0=$(date +%s)
(cd "$work" && "$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
   --distpath "$work/dist" --workpath "$work/pyi" "$src/packaging/reenact-studio.spec")
app=$work/dist/$folder
note "PyInstaller: $(($(date +%s) - t0)) s; left out: $(wc -l < "$work/pyi/reenact-studio/dropped-files.txt") files (build/packaging/pyi/reenact-studio/dropped-files.txt)"

# the desktop entry, its icon, the menu installer, the README and the licences beside the executable
cp "$src/packaging/reenact-studio.desktop" "$src/resources/icons/reenact-studio.png" \
   "$src/packaging/install-desktop-entry.sh" "$src/README.md" "$app/"
"$venv/bin/python" "$src/packaging/buildtools.py" licences "$app/licenses" "$work/pyi/reenact-studio/top-level-names.txt" >&2
note "$("$venv/bin/python" "$src/packaging/buildtools.py" strip "$app")"

step "checking the bundled libraries"
"$venv/bin/python" "$src/packaging/buildtools.py" check-libraries "$app"

unpacked=$(du -sb "$app" | cut -f1)
note "unpacked size: $((unpacked / 1000000)) MB ($(du -sh "$app" | cut -f1)); largest parts:"
while IFS= read -r line; do note "    $line"; done < <(cd "$app/_internal" && du -sh -- * | sort -rh | head -12)

# -- the archive -------------------------------------------------------------------------------------
if [ $archive = 1 ]; then
  step "archiving"
  t0=$(date +%s)
  gz=gzip; command -v pigz >/dev/null && gz=pigz
  tar -C "$work/dist" -cf - "$folder" | $gz -6 > "$root/dist/$name.tmp"
  mv "$root/dist/$name.tmp" "$root/dist/$name"
  note "archive: dist/$name, $(($(stat -c %s "$root/dist/$name") / 1000000)) MB, written in $(($(date +%s) - t0)) s"
fi
note "build time: $(($(date +%s) - started)) s"

# -- the smoke test on the unpacked archive ----------------------------------------------------------
status=0
if [ $smoke = 1 ]; then
  step "smoke test"
  rm -rf "$work/smoke" && mkdir -p "$work/smoke"
  if [ $archive = 1 ]; then
    tar -C "$work/smoke" -xzf "$root/dist/$name"
    tested=$work/smoke/$folder
  else
    tested=$app
  fi
  checkpoint=()
  if [ ! -f "$tested/_internal/resources/models/demo.pt" ]; then
    standin=$work/smoke/stand-in.pt
    "$venv/bin/python" -c "$stand_in_code" "$standin"
    checkpoint=(--checkpoint "$standin")
    note "no demo model in this build: the smoke test uses a stand-in checkpoint (untrained, 64 px)"
  fi
  t0=$(date +%s)
  "$venv/bin/python" "$src/packaging/smoke.py" "$tested" "${checkpoint[@]}" | tee "$work/smoke/result.txt" || status=1
  while IFS= read -r line; do report_lines+=("smoke: $line"); done < "$work/smoke/result.txt"
  note "smoke test: $(($(date +%s) - t0)) s"
fi

printf '%s\n' "${report_lines[@]}" > "$root/dist/$folder-linux-build.txt"
echo "report: dist/$folder-linux-build.txt" >&2
exit $status
