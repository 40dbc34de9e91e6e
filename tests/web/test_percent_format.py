"""The pages write hundreds of percents (each chart point): `Translator.percent` keeps its results by the value
as Babel rounds it, and must write each exactly as Babel writes the ratio itself."""

from __future__ import annotations

import random

from babel.numbers import format_percent

from bot.i18n import Translator


def test_percents_are_written_as_babel_writes_them() -> None:
    rand = random.Random(11)
    ratios = [rand.random() * rand.choice([1, 2, 0.01]) for _ in range(3000)]
    ratios += [n / 2000 for n in range(2001)]  # every half-tenth of a percent: the ties Babel rounds to even
    ratios += [0.0, 1e-9, 0.00049999, 0.00050001, 0.9995, 12.3456, -0.125]
    for locale in ("vi", "en"):
        tr = Translator(locale)
        for ratio in ratios:
            assert tr.percent(ratio) == format_percent(ratio, format="#,##0.#%", locale=locale), (locale, ratio)
