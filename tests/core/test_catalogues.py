"""The `vi` and `en` catalogues translate every user-facing string in the code and templates."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "dantoc"

pytestmark = pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext tools are not installed")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, polib.POFile]:
    work = tmp_path_factory.mktemp("src") / "dantoc"
    shutil.copytree(SRC, work, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.rmtree(work / "locale")
    (work / "locale").mkdir()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "vi",
            "-l",
            "en",
            "--settings=tests.settings",
            "-v",
            "0",
        ],
        cwd=work,
        check=True,
        env={**__import__("os").environ, "PYTHONPATH": str(SRC.parents[1])},
    )
    return {
        lang: polib.pofile(str(work / "locale" / lang / "LC_MESSAGES" / "django.po")) for lang in ("vi", "en")
    }


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_catalogue_is_complete(extracted: dict[str, polib.POFile], lang: str) -> None:
    committed = polib.pofile(str(SRC / "locale" / lang / "LC_MESSAGES" / "django.po"))
    translated = {(e.msgctxt, e.msgid): e for e in committed if not e.obsolete and "fuzzy" not in e.flags}
    missing = []
    for entry in extracted[lang]:
        have = translated.get((entry.msgctxt, entry.msgid))
        if have is None or not (have.msgstr or any(have.msgstr_plural.values())):
            missing.append(entry.msgid)
    assert not missing, (
        f"{len(missing)} strings lack a {lang} translation (run `make messages`): {missing[:10]}"
    )


def test_compiled_catalogues_match_the_sources() -> None:
    for lang in ("vi", "en"):
        po = polib.pofile(str(SRC / "locale" / lang / "LC_MESSAGES" / "django.po"))
        mo = polib.mofile(str(SRC / "locale" / lang / "LC_MESSAGES" / "django.mo"))
        want = {e.msgid: e.msgstr for e in po.translated_entries() if not e.msgid_plural}
        have = {e.msgid: e.msgstr for e in mo if not e.msgid_plural and e.msgid}
        assert have == want, f"{lang}: django.mo is stale, run `make compilemessages`"
