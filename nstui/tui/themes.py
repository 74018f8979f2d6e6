"""Themes from files: every ``*.toml`` shipped in the package's ``themes/``
folder (read through importlib.resources, so a wheel or a zip works) and in
the user's config dir becomes a Textual theme."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from textual.theme import Theme

BUILTIN_DIR: Traversable = files("nstui") / "themes"
FIELDS = {"name", "primary", "secondary", "warning", "error", "success", "accent", "foreground", "background",
          "surface", "panel", "boost", "dark", "luminosity_spread", "text_alpha", "variables"}


def theme_dirs() -> list[Traversable]:
    import platformdirs

    return [BUILTIN_DIR, Path(platformdirs.user_config_dir("nstui")) / "themes"]


def load_themes(colors: str = "truecolor") -> list[Theme]:
    """The themes; on a 16-colour terminal (``colors == "16"``) a theme's
    ``[colors16]`` table replaces its colours with ones that survive the
    terminal's 16 (a 256-colour grey can become the same grey as its text)."""
    themes = []
    for folder in theme_dirs():
        entries = sorted(folder.iterdir(), key=lambda e: e.name) if folder.is_dir() else []
        for path in (e for e in entries if e.name.endswith(".toml")):
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
                if colors == "16" and isinstance(data.get("colors16"), dict):
                    data = {**data, **data["colors16"]}
                themes.append(Theme(**{k: v for k, v in data.items() if k in FIELDS}))
            except (OSError, tomllib.TOMLDecodeError, TypeError, ValueError):
                continue  # a broken user theme must not keep the console from opening
    return themes
