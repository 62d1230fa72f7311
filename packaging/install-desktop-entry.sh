#!/bin/sh
# Add Reenact Studio to the desktop's application menu (for this user; no root needed).
# Run it from the unpacked folder: ./install-desktop-entry.sh   (--remove takes the entry away again)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
entry=$data/applications/reenact-studio.desktop
icon=$data/icons/hicolor/256x256/apps/reenact-studio.png
if [ "${1:-}" = "--remove" ]; then
  rm -f "$entry" "$icon"
  echo "removed $entry"
  exit 0
fi
[ -x "$here/reenact-studio" ] || { echo "run this script from the unpacked Reenact Studio folder" >&2; exit 1; }
mkdir -p "$(dirname "$entry")" "$(dirname "$icon")"
cp "$here/reenact-studio.png" "$icon"
# The shipped entry names the program; here it gets the absolute path of this copy.
sed -e "s|^Exec=.*|Exec=\"$here/reenact-studio\"|" -e "s|^TryExec=.*|TryExec=$here/reenact-studio|" \
    "$here/reenact-studio.desktop" > "$entry.tmp"
mv "$entry.tmp" "$entry"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$(dirname "$entry")" || true
echo "added $entry (Reenact Studio is now in the application menu)"
