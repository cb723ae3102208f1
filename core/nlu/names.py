"""Customer names: normaliser, alias builder and an index that resolves what reps type to a customer id.

parsing.md §6: rapidfuzz over aliases (core name + 字号), query normalised the same way but never cut to its
字号, score = max(WRatio, pinyin ratio); match at ≥80 with a lead of ≥5, ask below that, unknown under 70.
`find_in` spots a known customer inside free text by exact alias substrings (Latin aliases as whole words),
longest alias first, then homophones (艾可美 → 艾克美) through pinyin where no exact name is written, loaded lazily.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from core.nlu.normalize import normalize

MATCH_SCORE = 80.0
MATCH_LEAD = 5.0
ASK_SCORE = 70.0
PINYIN_SCORE = 95.0  # a homophone hit in find_in: above the 90 cut-off, below an exact hit (100)
PINYIN_MIN_CHARS = 3  # two-syllable homophones collide too often (张江 ~ 长江)

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_BRACKETS = re.compile(r"[(\[【<《{][^)\]】>》}]*[)\]】>》}]")
_CN_LEGAL = re.compile(
    r"(?:集团股份有限公司|集团有限公司|股份有限公司|有限责任公司|有限公司|集团公司"
    r"|股份公司|总公司|分公司|公司|集团|股份|工作室|商行|厂)$"
)
_EN_LEGAL = re.compile(
    r"(?:^|[\s,]+)(?:gmbh\s*&\s*co\.?\s*kg|gmbh|co\.?,?\s*ltd\.?|company limited|co\.?\s*limited"
    r"|ltd\.?|limited"
    r"|inc\.?|incorporated|llc|l\.l\.c\.|plc|corp\.?|corporation|company|co\.?|pty\.?|pvt\.?|s\.a\.?|sa|s\.r\.l\.?"
    r"|srl|s\.p\.a\.?|spa|ag|kg|b\.v\.?|bv|n\.v\.?|nv|oy|ab|a/s|as|sarl|s\.l\.?|lda|ltda|jsc|ooo|k\.?k\.?|fze|fzco|fz-llc|sdn\.?\s*bhd"
    r"|bhd|pte\.?|tbk|s\.a\.s\.?|sas|sp\.?\s*z\.?\s*o\.?\s*o\.?|s\.?r\.?o\.?|kft\.?|zrt\.?|a\.s\.|s\.a\.\s*de\s*c\.v\.|sa\s*de\s*cv"
    r"|pvt\.?\s*ltd\.?|pty\.?\s*ltd\.?|private limited|proprietary limited|e\.?k\.?|ohg|mbh|se)[\s,.]*$"
)
_CITIES = (
    "北京 上海 天津 重庆 广东 广州 深圳 东莞 佛山 中山 珠海 惠州 江门 汕头 浙江 杭州 宁波 温州 义乌 "
    "台州 绍兴 嘉兴 湖州 金华 永康 慈溪 余姚 乐清 江苏 苏州 无锡 常州 南京 南通 扬州 昆山 常熟 江阴 "
    "张家港 山东 青岛 济南 烟台 潍坊 威海 福建 厦门 福州 泉州 晋江 河北 石家庄 河南 郑州 湖北 武汉 "
    "湖南 长沙 四川 成都 安徽 合肥 江西 南昌 辽宁 大连 沈阳 吉林 长春 黑龙江 哈尔滨 "
    "陕西 西安 山西 太原 云南 昆明 贵州 贵阳 广西 南宁 海南 海口 香港 澳门 台湾"
).split()
_CITY = re.compile(r"^(?:" + "|".join(sorted(_CITIES, key=len, reverse=True)) + r")(?:省|市|区|县)?")
_INDUSTRY_WORDS = tuple(
    "进出口贸易|进出口|国际贸易|国际|贸易|商贸|工贸|实业|工业|电子科技|科技|电子|电器|电气|机电|机械|设备|阀门|物流"
    "|供应链|五金|制造|新材料|材料|化工|塑料|塑胶|纺织品|纺织|服装|服饰|家居|家具|照明|光电|包装|汽车配件|汽配|医疗器械|医疗|器械"
    "|食品|建材|管业|泵业|精密|模具|玩具|工艺品|礼品|日用品|陶瓷|玻璃|钢铁|金属|不锈钢|铝业|新能源|能源|环保|智能|技术|信息"
    "|网络|控股|发展|投资|产业|仪器|仪表|灯饰|卫浴|纸业|印刷|生物|制品|用品|塑机|塑料机械|精密机械|机床|液压|流体|泵阀|水泵"
    "|管道|管件|轴承|工程|实业发展|精工|重工|矿业|水务|暖通|铜业|化学".split("|")
)
_INDUSTRY = re.compile("(?:" + "|".join(_INDUSTRY_WORDS) + ")$")
_EN_GENERIC = frozenset(
    "industrial industries industry trading trade imports import exports export international intl global "
    "logistics supply technologies technology tech systems solutions manufacturing products pumps valves "
    "electronics machinery equipment enterprises enterprise holdings holding services components parts "
    "materials chemicals textiles foods engineering electric electrical group traders trader automotive "
    "maschinenbau technik handel industrie devices device comercial comercio industria industrias "
    "importadora exportadora distribuidora pumpen pump armaturen maschinen maschinenfabrik werke werk anlagenbau "
    "antriebstechnik mining minerals chemie industriale industriali tubi valvole pompe meccanica fluid fluids".split()
)
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# A Latin word, but not part of an e-mail address or a domain (zw@acme.de does not mention ACME).
_LATIN_WORD = re.compile(r"(?<![@./a-z0-9])[a-z0-9][a-z0-9&'+-]*(?![a-z0-9&'+-]|@|\.[a-z])")
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])")  # 艾克美（宁波）工业 → 艾克美工业
_EDGE_PUNCT = re.compile(r"^[\s,.&·\-]+|[\s,.&·\-]+$")


@dataclass(frozen=True, slots=True)
class NameMatch:
    customer_id: int
    name: str
    score: float
    start: int = -1  # find_in only: the mention's span in normalize(text)
    end: int = -1


@dataclass(frozen=True, slots=True)
class NameDecision:
    kind: Literal["match", "choose", "none"]
    matches: tuple[NameMatch, ...]  # match: the one; choose: 1-5 to offer; none: empty

    @property
    def best(self) -> NameMatch | None:
        return self.matches[0] if self.kind == "match" else None


def _strip_diacritics(text: str) -> str:
    """`müller` → `muller`, one char for one char, so spans found in the result fit the input."""
    return text if text.isascii() else "".join(map(_fold, text))


@lru_cache(maxsize=1024)
def _fold(char: str) -> str:
    base = [c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)]
    return base[0] if len(base) == 1 else char


def _core(text: str, *, strip_city: bool = True) -> str:
    text = _BRACKETS.sub(" ", text)
    for _ in range(3):  # 集团 + 股份有限公司, GmbH & Co. KG …
        shorter = _EN_LEGAL.sub("", _CN_LEGAL.sub("", text.strip()))
        if shorter == text or len(shorter.strip()) < 2:
            break
        text = shorter
    text = _EDGE_PUNCT.sub("", _CJK_GAP.sub("", re.sub(r"\s+", " ", text)))
    if strip_city and (m := _CITY.match(text)) and len(text) - m.end() >= 2:
        text = text[m.end() :].lstrip()
    return text


def clean_name(name: str) -> str:
    """Drop zero-width, bidi and other format characters (category Cf) and controls, which NFKC keeps."""
    if name.isprintable():
        return name
    return "".join(_INVISIBLE.get(unicodedata.category(c), c) for c in name)


_INVISIBLE = {"Cf": "", "Co": "", "Cs": "", "Cn": "", "Cc": " "}  # a control (tab, newline) still parts words


def _low(text: str) -> str:
    return _strip_diacritics(normalize(clean_name(text)).lower())


def normalize_name(name: str) -> str:
    """`（宁波）艾克美工业股份有限公司` → `艾克美工业`; `ACME Industrial GmbH` → `acme industrial`."""
    return _core(_low(name))


def trade_name(core: str) -> str:
    """The 字号: the core without trailing industry words (艾克美工业 → 艾克美, acme logistics → acme)."""
    if _CJK.search(core):
        while (m := _INDUSTRY.search(core)) and m.start() >= 2:
            core = core[: m.start()]
        return core
    words = core.split()
    while len(words) > 1 and words[-1] in _EN_GENERIC:
        words.pop()
    return " ".join(words)


def _drop_last_industry_word(core: str) -> str:
    """One step of trade_name (华信电子科技 → 华信电子), so a query for 华信电子 beats the bare 字号 华信."""
    ends = [w for w in _INDUSTRY_WORDS if core.endswith(w) and len(core) - len(w) >= 2]
    return core[: -min(map(len, ends))] if ends else core


def build_aliases(name: str, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """Normalised aliases: core name, 字号, spaceless and umlaut-spelled variants, then the user's own."""
    lowered = normalize(clean_name(name)).lower()
    cores = [_core(_strip_diacritics(lowered))]
    if lowered != lowered.translate(_UMLAUTS):
        cores.append(_core(lowered.translate(_UMLAUTS)))  # Müller → mueller as well as muller
    aliases: list[str] = []
    for core in cores:
        short = trade_name(core)
        aliases += [core, _drop_last_industry_word(core), short]
        if " " in short and short.isascii():
            aliases.append(short.replace(" ", ""))  # bright star → brightstar
    for extra_core in (_core(_low(a), strip_city=False) for a in extra):
        short = trade_name(extra_core)
        aliases += [extra_core, short]
        if " " in short and short.isascii():
            aliases.append(short.replace(" ", ""))
    return tuple(dict.fromkeys(a for a in aliases if len(a) >= 2))


def _features(text: str) -> set[str]:
    """CJK characters and Latin letter bigrams: any alias scoring ≥50 against a query shares one."""
    features = set(_CJK.findall(text))
    for word in _LATIN_WORD.findall(text):
        features.update(word[i : i + 2] for i in range(max(1, len(word) - 1)))
    return features


@lru_cache(maxsize=8192)
def _syllables(run: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin  # 50+ MB: only loaded once a homophone is needed

    return tuple(lazy_pinyin(run))


class NameIndex:
    """Customers by alias: built per message from the candidates the database finds for it (storage/repo/names)."""

    def __init__(
        self,
        customers: Iterable[tuple[int, str, Sequence[str]]] = (),
        learned: Mapping[str, int] | None = None,
        *,
        covered: Iterable[str] = (),
    ) -> None:
        self._learned = dict(learned or {})  # normalised name as this rep writes it → the customer they picked
        self.covered = frozenset(covered)  # names whose every plausible candidate is in here (storage fetched them)
        self._names: dict[int, str] = {}
        self._aliases: list[str] = []
        self._owner: list[int] = []
        self._cjk: dict[str, list[int]] = {}  # alias → alias indices, for substring scans
        self._latin: dict[str, list[int]] = {}  # alias → alias indices, for whole-word scans
        self._cjk_lengths: list[int] = []
        self._cjk_first: set[str] = set()
        self._latin_words = 1
        self._by_feature: dict[str, list[int]] = {}  # CJK char / Latin bigram → alias indices, to prefilter
        self._pinyin: dict[tuple[str, ...], list[int]] | None = None
        self._pinyin_lengths: list[int] = []
        self._pinyin_strings: list[str] | None = None
        self.asked: list[str] = []  # what decide() was asked, so a caller can fetch more candidates for it
        for customer_id, name, aliases in customers:
            self.add(customer_id, name, aliases)

    def __len__(self) -> int:
        return len(self._names)

    @property
    def learned(self) -> bool:
        return bool(self._learned)

    def __bool__(self) -> bool:  # an index with no candidate yet is still there to be asked (and to record it)
        return True

    def name(self, customer_id: int) -> str:
        return self._names[customer_id]

    def add(self, customer_id: int, name: str, aliases: Sequence[str] = ()) -> None:
        self._names[customer_id] = name
        for alias in build_aliases(name, aliases):
            idx = len(self._aliases)
            self._aliases.append(alias)
            self._owner.append(customer_id)
            for feature in _features(alias):
                self._by_feature.setdefault(feature, []).append(idx)
            if _CJK.search(alias):
                self._cjk.setdefault(alias, []).append(idx)
                self._cjk_first.add(alias[0])
                if len(alias) not in self._cjk_lengths:
                    self._cjk_lengths = sorted({*self._cjk_lengths, len(alias)}, reverse=True)
            else:
                self._latin.setdefault(alias, []).append(idx)
                self._latin_words = max(self._latin_words, alias.count(" ") + 1)
        self._pinyin = self._pinyin_strings = None  # rebuilt lazily

    # --- fuzzy lookup of a name the rep typed ------------------------------------------------------

    def lookup(self, query: str, limit: int = 5) -> list[NameMatch]:
        """Customers whose aliases resemble `query`, best first: max(WRatio, pinyin ratio) per customer."""
        q = normalize_name(query)
        if not q or not self._aliases:
            return []
        best: dict[int, float] = {}
        # WRatio costs ~0.6 µs an alias; only aliases sharing a character (CJK) or a bigram (Latin) with the
        # query can reach the cut-off, so score those alone.
        candidates = sorted({i for f in _features(q) for i in self._by_feature.get(f, ())})
        choices = {i: self._aliases[i] for i in candidates}
        for _, score, idx in process.extract(q, choices, scorer=fuzz.WRatio, limit=None, score_cutoff=50):
            owner = self._owner[idx]
            best[owner] = max(best.get(owner, 0.0), score)
        if _CJK.search(q):
            q_py = " ".join(s for run in _CJK_RUN.findall(q) for s in _syllables(run))
            for _, score, idx in process.extract(
                q_py, self._pinyin_index()[1], scorer=fuzz.ratio, limit=None, score_cutoff=50
            ):
                owner = self._owner[idx]
                best[owner] = max(best.get(owner, 0.0), score)
        elif _SPELLING.fullmatch(q):  # 查 aikemei: the Chinese name spelled in pinyin
            spelled = [s.replace(" ", "") for s in self._pinyin_index()[1]]
            choices = {i: s for i, s in enumerate(spelled) if s}
            for _, score, idx in process.extract(
                q.replace(" ", ""), choices, scorer=fuzz.ratio, limit=None, score_cutoff=50
            ):
                owner = self._owner[idx]
                best[owner] = max(best.get(owner, 0.0), score)
        raw = normalize(query).lower()  # ties (acme gmbh) go to the closer full name, legal form included
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], -fuzz.ratio(raw, self._names[kv[0]].lower())))
        return [NameMatch(cid, self._names[cid], round(score, 1)) for cid, score in ranked[:limit]]

    def decide(self, query: str) -> NameDecision:
        """match: top ≥80 and ≥5 ahead; choose: plausible candidates to offer; none: nothing ≥70."""
        self.asked.append(query)
        if (picked := self._learned.get(normalize_name(query))) in self._names:
            return NameDecision("match", (NameMatch(picked, self._names[picked], 100.0),))
        matches = self.lookup(query)
        if not matches or matches[0].score < ASK_SCORE:
            return NameDecision("none", ())
        top = matches[0]
        runner_up = matches[1].score if len(matches) > 1 else 0.0
        if misspelt := self.typo_of(query):  # mullar for Mueller: offered, never filed silently
            return NameDecision("choose", tuple(m for m in matches if m.customer_id in misspelt)[:1] or (top,))
        if top.score >= MATCH_SCORE and top.score - runner_up >= MATCH_LEAD:
            return NameDecision("match", (top,))
        floor = max(60.0, top.score - 20)
        return NameDecision("choose", tuple(m for m in matches if m.score >= floor))

    def typo_of(self, written: str) -> set[int]:
        """The customers a Latin word is one letter off from (mullar, muler for Mueller; ü, ue and u alike), when it
        is none of their names: a typo to ask about. Empty for anything else."""
        q = normalize_name(written)
        if not _TYPO_WORD.fullmatch(q) or q in self._latin or _unspell(q) in map(_unspell, self._latin):
            return set()
        near = {a for a in self._latin if len(a) >= TYPO_MIN_LETTERS and abs(len(a) - len(q)) <= 2 and " " not in a}
        return {
            self._owner[i]
            for a in near
            if Levenshtein.distance(q, a) <= 1 or Levenshtein.distance(_unspell(q), _unspell(a)) <= 1
            for i in self._latin[a]
        }

    # --- spotting a known customer inside a message ------------------------------------------------

    def find_in(self, text: str) -> list[NameMatch]:
        """Known customers mentioned in `text`, exact before homophone, then in order of mention.

        Spans index into normalize(text). Overlapping mentions go to the longer alias (华信阀门 over 华信);
        several results with the same span mean the mention is ambiguous (华信 → 华信阀门 and 华信电子).
        """
        seen: set[int] = set()
        result: list[NameMatch] = []
        for m in self.mentions(text):  # a customer's first mention
            if m.customer_id not in seen:
                seen.add(m.customer_id)
                result.append(m)
        result.sort(key=lambda m: (-m.score, m.start))
        return result

    def mentions(self, text: str) -> list[NameMatch]:
        """Every mention in order, by any alias (莱茵化学 … 莱茵说月底前付款: both are 莱茵化学's)."""
        low = _strip_diacritics(normalize(text).lower())
        hits = self._exact_hits(low)
        # A homophone beside an exact name (…穆勒机械… 下午去了安迪斯铜业) is a second customer, not more of the first.
        hits += [p for p in self._pinyin_hits(low) if all(p[1] <= h[0] or p[0] >= h[1] for h in hits)]
        hits.sort(key=lambda h: (h[0] - h[1], -h[3], h[0]))
        kept: list[tuple[int, int, int, float]] = []
        for hit in hits:  # ties go to the longer alias; a shorter one inside it is dropped
            start, end = hit[0], hit[1]
            if all(end <= k[0] or start >= k[1] or (start, end) == (k[0], k[1]) for k in kept):
                kept.append(hit)
        return [NameMatch(o, self._names[o], score, a, b) for a, b, o, score in sorted(kept, key=lambda k: k[0])]

    def _exact_hits(self, low: str) -> list[tuple[int, int, int, float]]:
        hits: list[tuple[int, int, int, float]] = []
        cjk, first = self._cjk, self._cjk_first
        for i, ch in enumerate(low):
            if ch not in first:
                continue
            for length in self._cjk_lengths:
                for idx in cjk.get(low[i : i + length], ()):
                    hits.append((i, i + length, self._owner[idx], 100.0))
        if self._latin:
            words = [(m.start(), m.end(), m.group()) for m in _LATIN_WORD.finditer(low)]
            for j in range(len(words)):
                for n in range(1, min(self._latin_words, len(words) - j) + 1):
                    key = " ".join(w[2] for w in words[j : j + n])
                    for idx in self._latin.get(key, ()):
                        hits.append((words[j][0], words[j + n - 1][1], self._owner[idx], 100.0))
        return hits

    def _pinyin_index(self) -> tuple[dict[tuple[str, ...], list[int]], list[str]]:
        if self._pinyin is None or self._pinyin_strings is None:
            index: dict[tuple[str, ...], list[int]] = {}
            strings: list[str] = []
            for idx, alias in enumerate(self._aliases):
                runs = _CJK_RUN.findall(alias)
                syllables = tuple(s for run in runs for s in _syllables(run))
                strings.append(" ".join(syllables))
                if len(runs) == 1 and len(runs[0]) == len(alias) >= PINYIN_MIN_CHARS:
                    index.setdefault(syllables, []).append(idx)
            self._pinyin, self._pinyin_strings = index, strings
            self._pinyin_lengths = sorted({len(k) for k in index}, reverse=True)
        return self._pinyin, self._pinyin_strings

    def _pinyin_hits(self, low: str) -> list[tuple[int, int, int, float]]:
        runs = [m for m in _CJK_RUN.finditer(low) if len(m.group()) >= PINYIN_MIN_CHARS]
        if not runs or not self._cjk:
            return []
        index = self._pinyin_index()[0]
        hits: list[tuple[int, int, int, float]] = []
        for run in runs:
            syllables = _syllables(run.group())
            if len(syllables) != len(run.group()):
                continue
            for i in range(len(syllables)):
                for length in self._pinyin_lengths:
                    for idx in index.get(syllables[i : i + length], ()):
                        start = run.start() + i
                        hits.append((start, start + length, self._owner[idx], PINYIN_SCORE))
        return hits


# --- keys: what the database stores per customer, so a message finds its candidates without a full index ----

KEY_ALIAS, KEY_PINYIN, KEY_GRAM, KEY_LEARNED = "a", "p", "g", "l"  # learned: `<user id>:<name>`, per rep
MAX_ALIAS = 24  # aliases are matched inside a message up to this many characters
_MAX_TEXT = 400  # of a message, for mention keys (a longer one is read in its first part)
_RUN = re.compile(r"[^\s,，。;；!！?？:：、\"“”'‘’()（）\[\]【】<>《》/\\|]+")


def _pinyin(alias: str) -> str | None:
    """`艾克美` → `aikemei`, for a CJK-only alias long enough to be told apart by sound."""
    if len(alias) < PINYIN_MIN_CHARS or _CJK_RUN.fullmatch(alias) is None:
        return None
    return "".join(_syllables(alias))


def grams(text: str, *, chars: bool = True) -> set[str]:
    """CJK characters (unless `chars` is off) and bigrams, Latin word trigrams (short words whole): the
    fuzzy-candidate keys."""
    out: set[str] = set()
    for run in _CJK_RUN.findall(text):
        if chars:
            out.update(run)
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    for word in _LATIN_WORD.findall(text):
        out.update(word[i : i + 3] for i in range(max(1, len(word) - 2)))
    return out


def name_keys(name: str, aliases: Sequence[str] = ()) -> set[tuple[str, str]]:
    """Every (kind, key) under which a customer can be found: its aliases, their pinyin, their grams."""
    keys: set[tuple[str, str]] = set()
    for alias in build_aliases(name, aliases):
        keys.add((KEY_ALIAS, alias))
        if (py := _pinyin(alias)) is not None:
            keys.add((KEY_PINYIN, py))
        keys.update((KEY_GRAM, g) for g in grams(alias))
    return keys


def mention_keys(text: str) -> set[tuple[str, str]]:
    """The alias and pinyin keys of every customer `NameIndex.find_in(text)` could find in `text`."""
    low = _low(text)[:_MAX_TEXT]
    keys: set[tuple[str, str]] = set()
    for run in _RUN.finditer(low):
        part = run.group()
        for i in range(len(part)):
            for n in range(2, min(MAX_ALIAS, len(part) - i) + 1):
                sub = part[i : i + n]
                if _CJK.search(sub):
                    keys.add((KEY_ALIAS, sub))
    words = [m.group() for m in _LATIN_WORD.finditer(low)]
    for j in range(len(words)):
        for n in range(1, min(4, len(words) - j) + 1):
            keys.add((KEY_ALIAS, " ".join(words[j : j + n])))
    for run in _CJK_RUN.findall(low):
        if len(run) >= PINYIN_MIN_CHARS:
            syllables = _syllables(run)
            if len(syllables) == len(run):
                for i in range(len(run)):
                    for n in range(PINYIN_MIN_CHARS, min(MAX_ALIAS, len(run) - i) + 1):
                        keys.add((KEY_PINYIN, "".join(syllables[i : i + n])))
    return keys


def query_keys(written: str) -> set[tuple[str, str]]:
    """The keys of the customers `NameIndex.decide(written)` could pick: same aliases, same sound, shared grams."""
    q = normalize_name(written)
    if not q:
        return set()
    # Grams of the distinctive part only (机械, 有限 are in thousands of names); single characters only for a
    # name too short to have a telling bigram (北, 艾美), since one character is shared by thousands too.
    short = trade_name(q) or q
    chars = len("".join(_CJK_RUN.findall(short))) <= 2
    keys = {(KEY_ALIAS, q), (KEY_ALIAS, short)} | {(KEY_GRAM, g) for g in grams(short, chars=chars) | typo_grams(q)}
    if (py := _pinyin(q)) is not None:
        keys.add((KEY_PINYIN, py))
    elif _SPELLING.fullmatch(q):
        keys.add((KEY_PINYIN, q.replace(" ", "")))  # 查 aikemei
    return keys


_SPELLING = re.compile(r"[a-z]{3,}(?: [a-z]+)*")
TYPO_MIN_LETTERS = 5  # shorter words are one letter from too many others
_TYPO_WORD = re.compile(rf"[a-z]{{{TYPO_MIN_LETTERS - 1},}}")
_UNSPELL = re.compile(r"(?<=[a-z])([aou])e")


def _unspell(word: str) -> str:
    """German umlauts spelled out, folded: mueller → muller, so müller, mueller and muller are one name."""
    return _UNSPELL.sub(r"\1", word)


def typo_grams(q: str) -> set[str]:
    """Grams a misspelt Latin word shares with the spelled-out umlaut form (mullar ~ mueller): u → ue, o → oe."""
    if not _TYPO_WORD.fullmatch(q):
        return set()
    return grams(re.sub(r"(?<=[a-z])([ou])(?!e)", r"\1e", q)) - grams(q)


def near_exact(written: str, aliases: Sequence[str]) -> bool:
    """Whether `written` is one of these aliases, or a clear start of one (艾克森 of 艾克森流体): enough to say
    whose account it is. Three CJK characters or four letters at least, and at least half the alias."""
    q = normalize_name(written)
    if not q or q in aliases:
        return bool(q)
    least = 3 if _CJK.search(q) else 4
    return len(q) >= least and any(a.startswith(q) and 2 * len(q) >= len(a) for a in aliases)
