"""Language: ISO 639-1 code of the text (py3langid), with the page's declared lang as a tie-break."""

from __future__ import annotations

import re
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

_SAMPLE_CHARS = 1000


@cache
def language_identifier() -> LanguageIdentifier:
    """The package's bundled model, loaded on first use (no network): loading takes over a
    second, which every CLI command that imports `transforms` would otherwise pay."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def declared_language(value: str | None) -> str | None:
    """'en-GB' / 'de_DE' / 'EN' -> 'en'; None for anything else."""
    if not value:
        return None
    match = re.match(r"\s*([A-Za-z]{2})(?:[-_][A-Za-z0-9]+)*\s*$", value)
    return match.group(1).lower() if match else None


def detect_language(text: str, declared: str | None = None) -> str | None:
    """The language of `text`; the declared one wins when detection is unsure or the text short."""
    hint = declared_language(declared)
    sample = text[:_SAMPLE_CHARS]
    if len(sample.strip()) < 20:
        return hint
    code, probability = language_identifier().classify(sample)
    if hint and (probability < 0.9 or len(sample) < 200):
        return hint
    return code
