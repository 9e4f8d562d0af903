# Sourced by scripts/demo and scripts/test: make sure .venv has Python 3.12 and Kluis installed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

find_python() {
    for candidate in "${KLUIS_PYTHON:-}" "$HOME/.pyenv/versions/$(cat .python-version)/bin/python" \
        /root/.pyenv/versions/3.12.1/bin/python python3.12 python3.13; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
    echo "Kluis needs Python 3.12 or newer: install it (pyenv install 3.12) or set KLUIS_PYTHON." >&2
    exit 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
    rm -rf .venv
    "$(find_python)" -m venv .venv
fi
stamp=.venv/.kluis-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    # This machine's pip.conf names optional local mirrors; their "ignored" warnings are noise.
    quiet() { "$@" 2> >(grep -v "^WARNING: Location" >&2); }
    quiet .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
    quiet .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
    touch "$stamp"
fi
export PATH="$root/.venv/bin:$PATH"
