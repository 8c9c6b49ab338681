"""Convert a DOCX to PDF with the real LibreOffice, the way a coordinator's office suite reads it.

One LibreOffice profile per test process (parallel runs must not share one), and a fontconfig file
that adds the bundled IPAex fonts: a new machine has no Japanese fonts installed system-wide, and
the DOCX asks for IPAex by name, as a municipal PC with the font installed would have it.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

FONTS = Path(__file__).resolve().parent.parent / "resources" / "fonts"


def _fontconfig(profile: Path) -> Path:
    conf = profile / "fonts.conf"
    if not conf.exists():
        profile.mkdir(parents=True, exist_ok=True)
        conf.write_text(
            '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
            '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
            f"  <dir>{FONTS}</dir>\n"
            f"  <cachedir>{profile / 'fontcache'}</cachedir>\n"
            "</fontconfig>\n", encoding="utf-8")
    return conf


def docx_to_pdf(path: Path, outdir: Path) -> Path:
    """Return the PDF LibreOffice writes for `path` into `outdir`."""
    profile = Path(f"/tmp/lo-kodoku-{os.getpid()}")
    env = dict(os.environ, FONTCONFIG_FILE=str(_fontconfig(profile)))
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(outdir),
                    f"-env:UserInstallation=file://{profile}", str(path)],
                   check=True, capture_output=True, timeout=180, env=env)
    return outdir / (path.stem + ".pdf")
