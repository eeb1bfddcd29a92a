import pytest

from hearflow.errors import ConfigError
from hearflow_whisper import whisper_language


@pytest.mark.parametrize("tag, code", [("hi-IN", "hi"), ("en_US", "en"), ("pt-BR", "pt"), ("zh-Hant-TW", "zh"),
                                       ("EN", "en"), (None, None), ("auto", None), ("unknown", None)])
def test_bcp47_to_whisper(tag, code):
    assert whisper_language(tag) == code


def test_unknown_language_is_an_error():
    with pytest.raises(ConfigError) as caught:
        whisper_language("klingon")
    assert caught.value.code == "unsupported_language"
