"""PII redaction of a speaker-attributed call: card, phone and other long numbers, e-mail addresses
and ID-like codes, each replaced by ONE placeholder word that keeps the span's start and end.

Pure functions, no model and no I/O. It runs right after words are attributed to speakers and
before any metric or analyzer reads the text, so nothing downstream (store, formats, caches,
language models) ever sees what was said. Numbers are found however the recogniser wrote them:
``4111 1111 …``, ``4111-1111``, ``(555) 010-4477``, ``four one one one …``, ``double five``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hearflow.errors import ConfigError
from hearflow.models import CallResult, Segment, Word
from hearflow.text import DIGIT_WORDS, STOPWORDS

KINDS = ("card", "phone", "email", "id", "number")
GROUPS = {"pii": KINDS}
PLACEHOLDERS = {"card": "[CARD]", "phone": "[PHONE]", "email": "[EMAIL]", "id": "[ID]", "number": "[NUMBER]"}
# Shorter runs stay: amounts, times, quantities and short order numbers are what calls are about.
MIN_DIGITS = 6
CONTEXT_WORDS = 12  # how far back a cue ("card", "phone", "social security") is looked for

UNITS = {word: str(value) for value, word in enumerate(DIGIT_WORDS)}
TEENS = {"ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
         "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19"}
TENS = {"twenty": "2", "thirty": "3", "forty": "4", "fifty": "5", "sixty": "6", "seventy": "7",
        "eighty": "8", "ninety": "9"}
# Words a recogniser writes for a digit said inside a number ("for one one one", "oh"); alone
# they are ordinary words, so they count only between two digits.
SOUNDALIKES = {"oh": "0", "o": "0", "to": "2", "too": "2", "for": "4", "won": "1", "ate": "8"}
REPEATS = {"double": 2, "triple": 3}
JOINERS = frozenset(("-", "–", "—", "dash", "hyphen", "plus", "+"))
SENTENCE_END = ".?!;"

CARD_CUES = ("card", "visa", "mastercard", "amex", "debit", "credit")
PHONE_CUES = ("phone", "mobile", "cell", "telephone", "landline", "fax", "reach", "call", "text", "whatsapp")
ID_CUES = ("social", "security", "ssn", "passport", "national", "identity", "identification", "id", "licence",
           "license", "insurance", "tax", "nino", "aadhaar", "pan")
TLDS = frozenset("com org net edu gov io co uk us de fr es it nl eu ca au in info biz me app dev ai".split())
EMAIL_PARTS = {"dot": ".", "underscore": "_", "dash": "-", "hyphen": "-"}
MAX_DOMAIN_WORDS = 6
EMAIL_CUES = frozenset(("email", "e-mail", "mail", "address"))
NOT_LOCAL_PARTS = frozenset("me us you him her them it is was email mail address there here".split())

_WRITTEN_NUMBER = re.compile(r"^[+\-–]?\(?\d[\d\-–().,]*\)?$")  # dates (12/04) and times (10:30) are not
_DECIMAL = re.compile(r"^\d+\.\d{1,2}$")  # 49.99: an amount, not a run of digits
_SSN_SHAPE = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_PHONE_SHAPE = re.compile(r"^(\+\d{1,3}[\s-]?)?(\(\d{2,4}\)|\d{3})[\s.-]?\d{3,4}[\s.-]?\d{3,4}$")
_HOST = re.compile(r"^[\w\-]+(\.[\w\-]+)+$")
_EMAIL = re.compile(r"^[\w.+\-]+@[\w\-]+(\.[\w\-]+)+$")
_ALNUM_ID = re.compile(r"^(?=.*[a-z])(?=(?:.*\d){5})[a-z0-9\-]{6,}$")
_EDGE_PUNCTUATION = "\"'“”‘’()[]{}<>,.:;!?"


def resolve_kinds(names: Iterable[str]) -> tuple[str, ...]:
    """``pii`` and kind names (any order, repeats allowed) as kinds in canonical order."""
    wanted: set[str] = set()
    for raw in names:
        for name in (part.strip().lower() for part in str(raw).split(",")):
            if not name:
                continue
            if name in GROUPS:
                wanted.update(GROUPS[name])
            elif name in KINDS:
                wanted.add(name)
            else:
                raise ConfigError(f"cannot redact '{name}' (known: {', '.join((*GROUPS, *KINDS))})",
                                  code="invalid_redact")
    return tuple(kind for kind in KINDS if kind in wanted)


@dataclass(frozen=True)
class Span:
    """Words ``first..last`` (inclusive, indexes into one speaker's word stream) and what they are."""

    first: int
    last: int
    kind: str


def redact_result(result: CallResult, kinds: Iterable[str]) -> CallResult:
    """The call with every span of the chosen kinds replaced; the input is not changed."""
    from hearflow.pipeline.attribute import speaker_timing

    chosen = resolve_kinds(kinds)
    if not chosen:
        return result
    counts: dict[str, int] = {}
    segments = redact_segments(result.segments, chosen, counts)
    found = ", ".join(f"{n} {PLACEHOLDERS[kind]}" for kind, n in counts.items() if n) or "nothing found"
    note = f"PII redacted ({', '.join(chosen)}): {found}"
    return result.model_copy(update={
        "segments": segments,
        "speaker_timing": speaker_timing(segments) or dict(result.speaker_timing),
        "notes": (*result.notes, note),
    })


def placeholder_spans(result: CallResult) -> list[tuple[float, float]]:
    """(start, end) of every placeholder word: the stretches a redacted audio copy silences."""
    labels = tuple(PLACEHOLDERS.values())
    return [(w.start, w.end) for w in result.words if w.text.startswith(labels)]


def redact_segments(segments: Sequence[Segment], kinds: Sequence[str],
                    counts: dict[str, int] | None = None) -> tuple[Segment, ...]:
    """Segments with spans replaced. Spans are looked for in each speaker's words in time order
    (a number split over two segments, or said through the other party's "mm-hm", is one span),
    then in the whole call's words, for a number a diarizer split between speakers. A span's
    placeholder goes to the segment of its first word."""
    counts = {} if counts is None else counts
    # Context cues may come from the other speaker ("what is your card number?"), so look them up
    # in the whole call's words by time.
    timeline = sorted(((w.start, _core(w.text)) for s in segments for w in _words_of(s)), key=lambda x: x[0])
    streams: dict[str | None, list[tuple[int, int]]] = {}
    for s_index, segment in enumerate(segments):
        for w_index in range(len(_words_of(segment))):
            streams.setdefault(segment.speaker, []).append((s_index, w_index))
    whole_call = sorted((p for positions in streams.values() for p in positions),
                        key=lambda p: _words_of(segments[p[0]])[p[1]].start)
    replaced: dict[tuple[int, int], Word | None] = {}  # (segment, word) → placeholder, or None: dropped
    for positions in [*streams.values(), whole_call]:
        words = [_words_of(segments[s])[w] for s, w in positions]
        taken = [position in replaced for position in positions]
        for span in find_spans(words, kinds, lambda start: _context(timeline, start), taken):
            placeholder = _placeholder(words[span.first: span.last + 1], span.kind)
            counts[span.kind] = counts.get(span.kind, 0) + 1
            for offset, position in enumerate(positions[span.first: span.last + 1]):
                replaced[position] = placeholder if offset == 0 else None
    return tuple(out for index, segment in enumerate(segments)
                 if (out := _rebuilt(segment, index, replaced)) is not None)


def find_spans(words: Sequence[Word], kinds: Sequence[str], context=lambda start: (),
               taken: Sequence[bool] = ()) -> list[Span]:
    """Spans in a stream of words, e-mail addresses first (they may hold digits), then numbers
    and codes. ``context(start)`` gives the lower-cased words said just before ``start``;
    ``taken`` marks words an earlier pass already replaced."""
    cores = [_core(w.text) for w in words]
    taken = list(taken) or [False] * len(words)
    spans: list[Span] = []
    if "email" in kinds:
        for span in _email_spans(words, cores, context):
            if any(taken[span.first: span.last + 1]):
                continue
            spans.append(span)
            taken[span.first: span.last + 1] = [True] * (span.last - span.first + 1)
    for first, last, digits in _joined_tails(_digit_runs(words, cores, taken)):
        kind = classify_digits(digits, [w.text for w in words[first: last + 1]],
                               [*context(words[first].start), *cores[max(0, first - CONTEXT_WORDS): first]])
        if kind is not None and (kind in kinds or (kind != "number" and "number" in kinds)):
            spans.append(Span(first, last, kind if kind in kinds else "number"))
            taken[first: last + 1] = [True] * (last - first + 1)
    if "id" in kinds:
        spans += [Span(i, i, "id") for i, core in enumerate(cores) if not taken[i] and _ALNUM_ID.match(core)]
    return sorted(spans, key=lambda span: span.first)


def classify_digits(digits: str, texts: Sequence[str], context: Sequence[str]) -> str | None:
    """What a run of digits is, or None when it is too short to be anyone's number."""
    if len(digits) < MIN_DIGITS:
        return None
    written = " ".join(texts)
    cues = set(context)
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        return "card"
    if _SSN_SHAPE.match(written.strip(_EDGE_PUNCTUATION)) or cues & set(ID_CUES) and not cues & set(CARD_CUES):
        return "id"
    shaped = written.startswith(("+", "(")) or _PHONE_SHAPE.match(written.strip(",.;:!?"))
    if 7 <= len(digits) <= 15 and (cues & set(PHONE_CUES) or shaped):
        return "phone"
    return "number"


def luhn_valid(digits: str) -> bool:
    """The check digit card numbers carry: doubling every second digit from the right."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _digit_runs(words: Sequence[Word], cores: Sequence[str], taken: Sequence[bool]):
    """(first, last, digits) for every stretch of words that reads as one sequence of digits."""
    index = 0
    while index < len(words):
        if taken[index] or not _starts_run(cores, index):
            index += 1
            continue
        first, digits, last, repeat = index, "", index, 1
        while index < len(words) and not taken[index]:
            core, value = cores[index], _digits_of(cores, index)
            if value is not None:
                digits += value * repeat
                repeat, last = 1, index
                if words[index].text.rstrip("\"'”’)").endswith(tuple(SENTENCE_END)) and not _DECIMAL.match(core):
                    index += 1
                    break  # a sentence ends here: what follows is another number
            elif core in REPEATS:
                repeat = REPEATS[core]
            elif core not in JOINERS and core != "":
                break
            index += 1
        yield first, last, digits
        index = max(index, last + 1)


def _joined_tails(runs):
    """A short run right after a long one is its tail, cut off by a full stop the recogniser put in
    ("555-0104. 77."): one span, so no digits of it are left behind."""
    held = None
    for run in runs:
        if held and run[0] == held[1] + 1 and len(held[2]) >= MIN_DIGITS and len(run[2]) < MIN_DIGITS:
            held = (held[0], run[1], held[2] + run[2])
            continue
        if held:
            yield held
        held = run
    if held:
        yield held


def _starts_run(cores: Sequence[str], index: int) -> bool:
    core = cores[index]
    if core in REPEATS:
        return index + 1 < len(cores) and _digits_of(cores, index + 1) is not None
    return _digits_of(cores, index) is not None and core not in SOUNDALIKES


def _digits_of(cores: Sequence[str], index: int) -> str | None:
    """The digits one word stands for: ``4111-1111``, ``(555)``, ``four``, ``forty-one``, ``oh``."""
    core = cores[index]
    if _WRITTEN_NUMBER.match(core) and not _DECIMAL.match(core):
        return re.sub(r"\D", "", core)
    if core in UNITS:
        return UNITS[core]
    if core in TEENS:
        return TEENS[core]
    if core in SOUNDALIKES:
        # only amid digit-by-digit dictation: "200 to 300" is a range, "5 to 5" a misheard "two"
        between = 0 < index < len(cores) - 1 and _single_digit(cores[index - 1]) and _single_digit(cores[index + 1])
        return SOUNDALIKES[core] if between else None
    head, _, tail = core.partition("-")
    if head in TENS:
        if tail in UNITS:
            return TENS[head] + UNITS[tail]
        # "forty one" said as two words is 41, "forty" alone is 40
        following = cores[index + 1] if index + 1 < len(cores) else ""
        return TENS[head] + ("" if following in UNITS and following != "zero" and not tail else "0")
    return None


def _single_digit(core: str) -> bool:
    return core in UNITS or core in SOUNDALIKES or core in REPEATS or bool(re.fullmatch(r"[+\-–(]?\d[\-–)]?", core))


def _email_spans(words: Sequence[Word], cores: Sequence[str], context) -> list[Span]:
    texts = [w.text.strip() for w in words]
    spans = [Span(i, i, "email") for i, core in enumerate(cores) if _EMAIL.match(core)]
    for at in (i for i, core in enumerate(cores) if core == "at"):
        local = _local_part(cores, at - 1)
        domain_last = _domain_end(cores, texts, at + 1)
        if local is not None and domain_last is not None and not _covered(spans, at):
            spans.append(Span(local, domain_last, "email"))
    # An address whose "at" the recogniser lost ("john smithandemple.com", "example .com") after
    # someone asked for an e-mail address.
    for index, core in enumerate(cores):
        host_first = _host_start(cores, texts, index)
        if host_first is None or _covered(spans, index) or _covered(spans, host_first):
            continue
        asked = {*context(words[host_first].start), *cores[max(0, host_first - CONTEXT_WORDS): host_first]}
        if asked & EMAIL_CUES:
            previous = host_first - 1
            joined = previous >= 0 and _label(cores[previous]) and not texts[previous].endswith(",") \
                and cores[previous] not in NOT_LOCAL_PARTS | EMAIL_CUES | STOPWORDS
            spans.append(Span(previous if joined else host_first, index, "email"))
    return sorted(spans, key=lambda span: span.first)


def _host_start(cores: Sequence[str], texts: Sequence[str], index: int) -> int | None:
    """Where a host name ending at ``index`` starts: ``example.com`` alone, or ``example`` ``.com``."""
    core = cores[index]
    if _HOST.match(core) and core.rsplit(".", 1)[-1] in TLDS:
        return index
    if texts[index].startswith(".") and core in TLDS and index > 0 and _label(cores[index - 1]):
        return index - 1
    return None


def _covered(spans: Sequence[Span], index: int) -> bool:
    return any(span.first <= index <= span.last for span in spans)


def _local_part(cores: Sequence[str], last: int) -> int | None:
    """Where the name before "at" starts ("alex dot morgan"), or None when that is no name ("me")."""
    if last < 0 or not _label(cores[last]) or cores[last] in NOT_LOCAL_PARTS:
        return None
    first = last
    while first - 2 >= 0 and cores[first - 1] in EMAIL_PARTS and _label(cores[first - 2]):
        first -= 2
    return first


def _domain_end(cores: Sequence[str], texts: Sequence[str], first: int) -> int | None:
    """The last word of a domain starting at ``first`` ("example dot com", "example.com", and
    "n clemple .com" as a recogniser splits it), or None when no known ending comes soon."""
    spelled, end = "", None
    for index in range(first, min(first + MAX_DOMAIN_WORDS, len(cores))):
        core = cores[index]
        if core in EMAIL_PARTS and spelled:
            spelled += EMAIL_PARTS[core]
        elif _label(core) or _HOST.match(core):
            spelled += ("." if texts[index].startswith(".") else "") + core
        else:
            break
        if "." in spelled and spelled.rsplit(".", 1)[-1] in TLDS:
            end = index
        if texts[index].endswith(tuple(SENTENCE_END + ",")):
            break  # the address ends with the sentence
    return end


def _label(core: str) -> bool:
    return bool(re.match(r"^[\w\-]+$", core)) and core != "at"


def _context(timeline: Sequence[tuple[float, str]], start: float) -> list[str]:
    before = [core for when, core in timeline if when < start]
    return before[-CONTEXT_WORDS:]


def _core(text: str) -> str:
    """A word lower-cased without the punctuation around it; brackets around digits stay: (555)."""
    core = text.strip().lower().strip(_EDGE_PUNCTUATION.replace("(", "").replace(")", ""))
    return core if re.search(r"\d", core) else core.strip("()")


def _placeholder(words: Sequence[Word], kind: str) -> Word:
    tail = words[-1].text.rstrip()
    punctuation = tail[-1] if tail and tail[-1] in SENTENCE_END + "," and not _EMAIL.match(_core(tail)) else ""
    probabilities = [w.probability for w in words if w.probability is not None]
    return Word(start=words[0].start, end=words[-1].end, text=PLACEHOLDERS[kind] + punctuation,
                probability=min(probabilities) if probabilities else None, speaker=words[0].speaker,
                channel=words[0].channel)


def _words_of(segment: Segment) -> tuple[Word, ...]:
    """A segment's words; one without word times is split on spaces and given the segment's times."""
    if segment.words:
        return segment.words
    return tuple(Word(start=segment.start, end=segment.end, text=token, speaker=segment.speaker,
                      channel=segment.channel) for token in segment.text.split())


def _rebuilt(segment: Segment, index: int, replaced: dict[tuple[int, int], Word | None]) -> Segment | None:
    """The segment with placeholders in and its text rebuilt from its words; None when a span that
    began in an earlier segment took all of its words."""
    words = []
    for w_index, word in enumerate(_words_of(segment)):
        if (index, w_index) in replaced:
            if replaced[(index, w_index)] is not None:
                words.append(replaced[(index, w_index)])
        else:
            words.append(word)
    if not words:
        return None
    text = " ".join(w.text for w in words)
    if not segment.words:  # no word times to keep: only the text changes
        return segment.model_copy(update={"text": text})
    lost_head = (index, 0) in replaced and replaced[(index, 0)] is None
    return segment.model_copy(update={"words": tuple(words), "text": text,
                                      "start": words[0].start if lost_head else segment.start,
                                      "end": max(segment.end, words[-1].end)})
