"""Themes from files: every ``*.toml`` in the project's ``themes/`` folder (and
in the user's config dir) becomes a Textual theme."""

from __future__ import annotations

import tomllib
from pathlib import Path

from textual.theme import Theme

BUILTIN_DIR = Path(__file__).resolve().parents[2] / "themes"
FIELDS = {"name", "primary", "secondary", "warning", "error", "success", "accent", "foreground", "background",
          "surface", "panel", "boost", "dark", "luminosity_spread", "text_alpha", "variables"}


def theme_dirs() -> list[Path]:
    import platformdirs

    return [BUILTIN_DIR, Path(platformdirs.user_config_dir("nstui")) / "themes"]


def load_themes() -> list[Theme]:
    themes = []
    for folder in theme_dirs():
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            try:
                data = tomllib.loads(path.read_text())
                themes.append(Theme(**{k: v for k, v in data.items() if k in FIELDS}))
            except (OSError, tomllib.TOMLDecodeError, TypeError, ValueError):
                continue  # a broken user theme must not keep the console from opening
    return themes
