"""Dates and times in chat messages, resolved against an injected `now` in the rep's time zone.

Hand-written rules (parsing.md §3, §7): no library got Chinese chat dates right, and every rule needs a date
word, so bare numbers (`1000件`, `40HQ`, `$1.2M`) are never dates (pitfall 8).

Conventions (documented because several are choices, not facts):
- A date without a time is 09:00 local (`has_time=False`). A time without a date is today, or tomorrow if
  that time has passed and something is still ahead (`下午要给X打电话` at 16:00); a past time of day before an
  activity with no future word (`上午给X打电话催付款` said after lunch) is when it happened, today (`past`).
- Open references (`周五`, `5号`, `12月5日`, `月底`, `Q1`) mean the next occurrence: today counts only if
  its time is still ahead (so `周一` said on a Monday at 10:00 is next Monday). In a clause about the past
  (`…了`, `已…`) they mean the latest occurrence instead: `周五拜访了` said on Monday is last Friday.
- `下周二` / `next Tuesday` is Tuesday of next week; `下周` / `next week` its Monday (guessed).
- Periods resolve to one day (the default reminder day) and are marked `guessed`: 月初 1st, 上旬 5th, 上中旬 10th,
  中旬 15th, 中下旬 20th, 下旬 25th, 月底 last day, Q1 / 一季度 last day of the quarter (but Q1启动 / Q1开始 its first
  working day), 年底 Dec 31, 年前 Chinese New Year's Eve, 这周 Friday, 周末 Saturday; 明年再说 / 上半年 / 下半年
  the first working day of the period. Around holidays: 元旦前 / 国庆前 the day before, 元旦后 / 国庆后 /
  春节后 / 节后 / 年后 the first working day after the days off. A period starting on the 1st moves to the
  first working day (下个月初 said in December is 4 January 2027). `两三天内` takes the near end (2 days).
  `3点` with no 上午/下午 is read as 15:00 (guessed).
- `…前` / `…内` / `by …` / `before …` set `is_deadline`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from core.nlu.normalize import CLAUSE, normalize
from core.nlu.numerals import to_int

DEFAULT_TIME = time(9, 0)


@dataclass(frozen=True, slots=True)
class DateSpan:
    start: int  # char offsets into normalize(text)
    end: int
    value: datetime  # aware, in the tz passed in
    has_time: bool  # False: the time is the 09:00 default
    guessed: bool  # a period or vague expression was pinned to one day / hour
    is_deadline: bool  # 周五前, 3天内, by Friday
    past: bool  # refers to something that already happened (昨天, 3天前, 周一拜访了)


@dataclass(slots=True)
class _Hit:
    start: int
    end: int
    at: Callable[[int], date]  # k-th occurrence: 0 is the one named, ±1 the next / previous period
    rolls: bool = False  # open reference: may move to the next / latest occurrence
    guessed: bool = False
    deadline: bool = False
    past: bool = False  # intrinsically past (昨天, 上周二, 3天前)
    clock: time | None = None
    clock_guessed: bool = False
    bare_clock: bool = False  # a time of day with no day (上午, 3点): today's may already be past


@dataclass(frozen=True, slots=True)
class _Ctx:
    text: str
    today: date


_Handler = Callable[[re.Match[str], _Ctx], "_Hit | None"]
_Rules = list[tuple[re.Pattern[str], _Handler | None]]  # None: the relative-offset handler, which needs `now`

_N = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_WEEKDAYS_CN = "一二三四五六日"
_EN_WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tues": 1,
    "tue": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thurs": 3,
    "thur": 3,
    "thu": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
_EN_MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_EN_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "ten": 10,
    "couple of": 2,
    "few": 3,
}
_WEEKDAY_EN = "|".join(sorted(_EN_WEEKDAYS, key=len, reverse=True))
_MONTH_EN = "|".join(sorted(_EN_MONTHS, key=len, reverse=True))
_NUM_EN = r"\d+|" + "|".join(sorted(_EN_NUMBERS, key=len, reverse=True))
_PERIOD_DAY = {"初": 1, "上旬": 5, "上中旬": 10, "中": 15, "中旬": 15, "中下旬": 20, "下旬": 25}
_WEEK_OFFSET = {None: 0, "这": 0, "本": 0, "下": 1, "下下": 2, "上": -1}
_MONTH_OFFSET = {None: 0, "这": 0, "本": 0, "当": 0, "下": 1, "下下": 2, "上": -1}
# 除夕 (Chinese New Year's Eve), for 年前 / 春节前.
_CNY_EVE = {
    2025: date(2025, 1, 28),
    2026: date(2026, 2, 16),
    2027: date(2027, 2, 5),
    2028: date(2028, 1, 25),
    2029: date(2029, 2, 12),
    2030: date(2030, 2, 2),
}
_PERIOD_CLOCK = {
    "凌晨": time(5),
    "早上": time(9),
    "早晨": time(9),
    "上午": time(9),
    "中午": time(12),
    "下午": time(14),
    "傍晚": time(17),
    "晚上": time(20),
}


def _num(token: str | None, default: int = 1) -> int:
    if not token:
        return default
    token = token.lower()
    if token in _EN_NUMBERS:
        return _EN_NUMBERS[token]
    value = to_int(token)
    return default if value is None else value


def _month_last(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _month_day(base: date, months: int, day: int | None) -> date:
    """Day `day` (None: last day) of the month `months` after base's month, clamped to the month."""
    first = base.replace(day=1) + relativedelta(months=months)
    last = calendar.monthrange(first.year, first.month)[1]
    return first.replace(day=last if day is None else min(day, last))


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


# --- rule handlers: (match, ctx) -> _Hit | None ------------------------------------------------------


def _iso(m: re.Match[str], c: _Ctx) -> _Hit | None:
    d = _safe_date(int(m[1]), int(m[2]), int(m[3]))
    return _Hit(m.start(), m.end(), lambda k: d) if d else None


def _year_of(word: str | None, today: date) -> tuple[int, bool]:
    """(year, rolls) for an optional 今年/明年/去年 prefix."""
    if word is None:
        return today.year, True
    return today.year + {"今年": 0, "明年": 1, "去年": -1}[word], False


def _month_date(m: re.Match[str], c: _Ctx) -> _Hit | None:
    year, rolls = _year_of(m[1], c.today)
    month, day = _num(m[2]), _num(m[3])
    if not (1 <= month <= 12 and 1 <= day <= 31) or _safe_date(2028, month, day) is None:
        return None
    return _Hit(m.start(), m.end(), lambda k: _safe_date(year + k, month, day) or date(year + k, 2, 28), rolls=rolls)


def _month_part(m: re.Match[str], c: _Ctx) -> _Hit | None:
    part = m[4]
    if part == "" and not m[2] and not m[3]:
        return None  # 一个月, 月报
    day = None if part in ("底", "末", "份", "") else _PERIOD_DAY[part]
    if m[2]:  # 12月底: explicit month, rolls by year
        year, rolls = _year_of(m[1], c.today)
        month = _num(m[2])
        if not 1 <= month <= 12:
            return None
        base = date(year, month, 1)
        return _Hit(m.start(), m.end(), lambda k: _month_day(base, 12 * k, day), rolls=rolls, guessed=True)
    offset = _MONTH_OFFSET[(m[3] or "").rstrip("个") or None]
    if part == "" and offset > 0:
        day = 1  # 下个月 → its first day

    def at(k: int) -> date:
        found = _month_day(c.today, offset + k, day)
        return _working_day(_first_working(found)) if day == 1 else found  # 下个月初 in January: the 4th

    return _Hit(
        m.start(),
        m.end(),
        at,
        rolls=m[3] is None,
        guessed=True,
        past=offset < 0,
    )


def _month_nth(m: re.Match[str], c: _Ctx) -> _Hit | None:
    offset, day = _MONTH_OFFSET[m[1].rstrip("个")], _num(m[2])
    if not 1 <= day <= 31:
        return None
    return _Hit(m.start(), m.end(), lambda k: _month_day(c.today, offset, day), past=offset < 0)


def _bare_day(m: re.Match[str], c: _Ctx) -> _Hit | None:
    day = _num(m[1])
    if not 1 <= day <= 31:
        return None

    def at(k: int) -> date:
        # Months without that day are skipped: 31号 in November means 31 December.
        first = c.today.replace(day=1)
        while True:
            month = first + relativedelta(months=k)
            found = _safe_date(month.year, month.month, day)
            if found:
                return found
            k += 1 if k >= 0 else -1

    return _Hit(m.start(), m.end(), at, rolls=True)


def _weekday(m: re.Match[str], c: _Ctx) -> _Hit | None:
    offset = _WEEK_OFFSET[m[1]]
    weekday = 5 if m[2] == "末" else _WEEKDAYS_CN.index(m[2])
    monday = c.today - timedelta(days=c.today.weekday())
    return _Hit(
        m.start(),
        m.end(),
        lambda k: monday + timedelta(weeks=offset + k, days=weekday),
        rolls=m[1] in (None, "这", "本"),
        guessed=m[2] == "末",
        past=offset < 0,
    )


def _week(m: re.Match[str], c: _Ctx) -> _Hit | None:
    offset = _WEEK_OFFSET[m[1]]
    weekday = 4 if offset == 0 else 0  # 这周 → its Friday; 下周 / 上周 → Monday
    monday = c.today - timedelta(days=c.today.weekday())
    return _Hit(
        m.start(),
        m.end(),
        lambda k: monday + timedelta(weeks=offset, days=weekday),
        guessed=True,
        deadline=offset == 0,
        past=offset < 0,
    )


_DAY_WORDS = {
    "大前天": -3,
    "前天": -2,
    "昨天": -1,
    "今天": 0,
    "明天": 1,
    "后天": 2,
    "大后天": 3,
    "这两天": 2,  # 这两天给他算个价: within a couple of days, the near end as with 两三天内
    "这几天": 3,
    "today": 0,
    "tonight": 0,
    "tomorrow": 1,
    "tmr": 1,
    "tmrw": 1,
    "tmw": 1,
    "yesterday": -1,
    "day after tomorrow": 2,
}


def _day_word(m: re.Match[str], c: _Ctx) -> _Hit | None:
    word = m[0].lower()
    offset = _DAY_WORDS[word]
    clock = time(20) if word == "tonight" else None
    return _Hit(
        m.start(),
        m.end(),
        lambda k: c.today + timedelta(days=offset),
        past=offset < 0,
        clock=clock,
        clock_guessed=clock is not None,
    )


_UNIT_DELTA = {
    "天": "days",
    "日": "days",
    "周": "weeks",
    "月": "months",
    "年": "years",
    "小时": "hours",
    "钟头": "hours",
    "day": "days",
    "week": "weeks",
    "month": "months",
    "year": "years",
    "hour": "hours",
    "business day": "days",
    "working day": "days",
}


def _relative(amount: float, unit: str, sign: int, c: _Ctx, now: datetime) -> tuple[date, time | None]:
    kind = _UNIT_DELTA[unit]
    if kind == "hours":
        moment = now + sign * timedelta(hours=amount)
        return moment.date(), moment.time().replace(second=0, microsecond=0)
    if amount != int(amount):  # 半个月 = 15 days, 半年 = 6 months, 一个半月 = 45 days
        days = {"days": 1, "weeks": 7, "months": 30, "years": 365}[kind] * amount
        return c.today + sign * timedelta(days=round(days)), None
    return c.today + sign * relativedelta(**{kind: int(amount)}), None


_FEW = {"一两": "一", "两三": "两", "三四": "三", "三五": "三", "四五": "四", "五六": "五", "七八": "七", "十几": "十"}


def _make_relative(now: datetime) -> _Handler:
    def handler(m: re.Match[str], c: _Ctx) -> _Hit | None:
        groups = m.groupdict()
        if groups["unit"] == "月" and "个" not in m[0] and groups["n"] != "半":
            return None  # 12月前 is "before December", not "12 months ago"
        n = groups["n"]
        if n in _FEW:  # 两三天内: the near end of the range is the day to act
            n = _FEW[n]
        amount = 0.5 if n == "半" else float(_num(n, default=3))
        if amount > 100:
            return None  # 2026年前
        if groups.get("half"):
            amount += 0.5
        suffix = (groups.get("suffix") or "后").lower()
        past = suffix in ("前", "之前", "以前", "ago")
        day, clock = _relative(amount, groups["unit"].lower().rstrip("s"), -1 if past else 1, c, now)
        return _Hit(
            m.start(),
            m.end(),
            lambda k: day,
            past=past,
            clock=clock,
            guessed=groups["n"] in ("几", "few", "couple of", *_FEW),
            deadline=suffix in ("内", "之内", "以内", "within"),
        )

    return handler


def _md_numeric(m: re.Match[str], c: _Ctx) -> _Hit | None:
    """`12.5` / `12/5` only when a date word is next to it and no price or unit word is (pitfall 8)."""
    month, day = int(m[1]), int(m[3])
    if not (1 <= month <= 12 and 1 <= day <= 31) or _safe_date(2028, month, day) is None:
        return None
    before, after = c.text[max(0, m.start() - 6) : m.start()], c.text[m.end() : m.end() + 4]
    if _PRICE_NEAR_AFTER.match(after) or _PRICE_NEAR_BEFORE.search(before):
        return None
    if m[2] == "." and not (_DATE_NEAR_AFTER.match(after) or _DATE_NEAR_BEFORE.search(before)):
        return None
    year = c.today.year
    return _Hit(m.start(), m.end(), lambda k: _safe_date(year + k, month, day) or date(year + k, 2, 28), rolls=True)


_PRICE_NEAR_AFTER = re.compile(r"\s?(?:万|千|元|块|美|欧|刀|%|折|倍|个|件|套|吨|米|寸|[a-zA-Z$¥€£])")
_PRICE_NEAR_BEFORE = re.compile(r"(?:价|额|预算|报|[$¥€£]|USD|RMB|EUR|CNY|版本|v|V)\s?$")
_DATE_NEAR_AFTER = re.compile(
    r"\s?(?:号|日|前|之前|以前|交|发|出|到|截止|见|签|开|左右|ddl|"
    r"[前后]?(?:上午|下午))"
)
_DATE_NEAR_BEFORE = re.compile(
    r"(?:截止|截至|到|于|在|定|约|交期|货期|船期|期限|ETD|ETA|etd|eta|"
    r"before|by|on|due|until)\s?$"
)


def _year_part(m: re.Match[str], c: _Ctx) -> _Hit | None:
    word, part = m[1], m[2]
    year = c.today.year + {"明年": 1, "去年": -1}.get(word or "", 0)
    if part in ("前",):  # 年前 / 春节前: before Chinese New Year, the next one unless the year is given
        eves = [d for y, d in sorted(_CNY_EVE.items()) if (y == year if word else d >= c.today)]
        eve = eves[0] if eves else date(year + 1, 1, 31)
        return _Hit(m.start(), m.end(), lambda k: eve, guessed=True, deadline=True)
    month, day = (1, 15) if part == "初" else (12, 31)
    return _Hit(
        m.start(), m.end(), lambda k: date(year + k, month, day), rolls=word is None, guessed=True, past=word == "去年"
    )


_HOLIDAYS = {
    "元旦": (1, 1),
    "五一": (5, 1),
    "劳动节": (5, 1),
    "国庆": (10, 1),
    "国庆节": (10, 1),
    "圣诞": (12, 25),
    "圣诞节": (12, 25),
    "christmas": (12, 25),
    "xmas": (12, 25),
}


def _holiday(m: re.Match[str], c: _Ctx) -> _Hit | None:
    word, side = m["h"].lower(), m["side"]
    if word in ("春节", "节", "年"):  # the first day of the lunar year, the next one
        if word != "春节" and side != "后":
            return None  # 节前 / 年前 are _year_part's; a bare 节 or 年 is no date
        day = min((d for d in _CNY_EVE.values() if d >= c.today), default=date(c.today.year + 1, 1, 31))
        day += timedelta(days=1)
        if side == "后":  # 春节后 / 节后 / 年后: the first working day after the week off
            return _Hit(m.start(), m.end(), lambda k: _working_day(day + timedelta(days=7)), guessed=True)
        return _Hit(m.start(), m.end(), lambda k: day)
    month, day_of_month = _HOLIDAYS[word]
    year = c.today.year + (1 if (month, day_of_month) < (c.today.month, c.today.day) else 0)
    holiday = date(year, month, day_of_month)
    if side == "前":  # 元旦前 / 国庆前: the last day before it
        return _Hit(m.start(), m.end(), lambda k: holiday - timedelta(days=1), guessed=True, deadline=True)
    if side == "后":  # 元旦后 / 国庆后: the first working day after the holiday
        off = _HOLIDAY_DAYS_OFF.get(word, 1)
        return _Hit(m.start(), m.end(), lambda k: _working_day(holiday + timedelta(days=off)), guessed=True)
    return _Hit(m.start(), m.end(), lambda k: date(c.today.year + k, month, day_of_month), rolls=True)


# Days off from the holiday's first day (国庆 is a week); 元旦, 五一 and 圣诞 are counted as one day.
_HOLIDAY_DAYS_OFF = {"国庆": 7, "国庆节": 7, "五一": 5, "劳动节": 5}


def _working_day(day: date) -> date:
    """`day`, or the Monday after it when it falls on a weekend (元旦后 in 2027 is Monday 4 January)."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _year_start(m: re.Match[str], c: _Ctx) -> _Hit | None:
    word = m[1] or ("明年" if m[0].startswith("明年") else None)
    year, rolls = _year_of(word, c.today)
    month = 7 if m[2] == "下半年" else 1
    if word is None and date(year, month, 1) < c.today:  # said in November, 下半年 is next year's
        year += 1
    return _Hit(m.start(), m.end(), lambda k: _working_day(_first_working(date(year, month, 1))), guessed=True)


def _first_working(day: date) -> date:
    """1 January is a holiday: the year starts on the 2nd at the earliest."""
    return day + timedelta(days=1) if (day.month, day.day) == (1, 1) else day


def _quarter(m: re.Match[str], c: _Ctx) -> _Hit | None:
    year, rolls = _year_of(m[1], c.today)
    q = _num(m[2] or m[3])
    if not 1 <= q <= 4:
        return None
    if _QUARTER_START.match(c.text, m.end()):  # Q1启动, Q1开始: the quarter's first working day
        return _Hit(
            m.start(),
            m.end(),
            lambda k: _working_day(_first_working(date(year + k, 3 * q - 2, 1))),
            rolls=rolls,
            guessed=True,
        )
    return _Hit(m.start(), m.end(), lambda k: _month_last(year + k, 3 * q), rolls=rolls, guessed=True)


_QUARTER_START = re.compile(r"\s?(?:初|启动|开始|开工|才能定|再说|再谈)")


def _en_weekday(m: re.Match[str], c: _Ctx) -> _Hit | None:
    prefix = (m[1] or "").lower()
    if prefix == "" and len(m[2]) <= 3:
        return None  # `sat`, `sun`, `wed` alone are too often ordinary words
    weekday = _EN_WEEKDAYS[m[2].lower()]
    offset = 1 if prefix == "next" else 0
    monday = c.today - timedelta(days=c.today.weekday())
    return _Hit(
        m.start(),
        m.end(),
        lambda k: monday + timedelta(weeks=offset + k, days=weekday),
        rolls=offset == 0,
        deadline=prefix in ("by", "before", "until", "till"),
    )


def _en_period(m: re.Match[str], c: _Ctx) -> _Hit | None:
    word = re.sub(r"\s+", " ", m[0].lower())
    monday = c.today - timedelta(days=c.today.weekday())
    if word in ("eod", "cob", "end of day", "end of the day", "end of today"):
        return _Hit(m.start(), m.end(), lambda k: c.today, clock=time(18), deadline=True)
    if word == "next week":
        return _Hit(m.start(), m.end(), lambda k: monday + timedelta(weeks=1), guessed=True)
    if word == "next month":
        return _Hit(m.start(), m.end(), lambda k: _month_day(c.today, 1, 1), guessed=True)
    if word in ("this week", "eow", "end of week", "end of the week", "end of this week"):
        return _Hit(m.start(), m.end(), lambda k: monday + timedelta(days=4), guessed=True, deadline=True)
    if word == "end of next week":
        return _Hit(m.start(), m.end(), lambda k: monday + timedelta(days=11), guessed=True, deadline=True)
    if word in ("end of year", "end of the year", "eoy", "year end"):
        return _Hit(m.start(), m.end(), lambda k: date(c.today.year + k, 12, 31), rolls=True, guessed=True)
    # end of (the) month / eom / month end / end of next month
    offset = 1 if "next" in word else 0
    return _Hit(m.start(), m.end(), lambda k: _month_day(c.today, offset + k, None), rolls=offset == 0, guessed=True)


def _en_month_date(m: re.Match[str], c: _Ctx) -> _Hit | None:
    month = _EN_MONTHS[(m["mon1"] or m["mon2"]).lower()]
    day = int(m["d1"] or m["d2"])
    if _safe_date(2028, month, day) is None:
        return None
    year = c.today.year
    return _Hit(m.start(), m.end(), lambda k: _safe_date(year + k, month, day) or date(year + k, 2, 28), rolls=True)


def _en_end_of_month(m: re.Match[str], c: _Ctx) -> _Hit | None:
    month, year = _EN_MONTHS[m[1].lower()], c.today.year
    return _Hit(m.start(), m.end(), lambda k: _month_last(year + k, month), rolls=True, guessed=True)


# --- clock times ------------------------------------------------------------------------------------


def _hour_for(period: str | None, hour: int) -> tuple[int, bool]:
    """24-hour clock and whether it was guessed: `下午3点` → 15; bare `3点` → 15 (office hours)."""
    if period in ("下午", "傍晚", "晚上", "pm", "p.m.") and hour < 12:
        return hour + 12, False
    if period == "中午" and hour <= 2:
        return hour + 12, False
    if period in ("am", "a.m.") and hour == 12:
        return 0, False
    if period is None and 1 <= hour <= 6:
        return hour + 12, True
    return hour, False


def _today_plus(c: _Ctx) -> Callable[[int], date]:
    return lambda k: c.today + timedelta(days=k)


def _clock_cn(m: re.Match[str], c: _Ctx) -> _Hit | None:
    period, raw_hour = m["period"], m["hour"]
    if (
        not raw_hour[0].isdigit()
        and period is None
        and not m["minute_word"]
        and not m["minute"]
        and (m.start() == 0 or c.text[m.start() - 1] not in "天号日末一二三四五六")
    ):
        return None  # 便宜一点, 快一点: a Chinese numeral + 点 needs a time context
    hour, guessed = _hour_for(period, _num(raw_hour, default=-1))
    minute = {"半": 30, "一刻": 15, "三刻": 45}.get(m["minute_word"] or "", 0)
    if m["minute"]:
        minute = _num(m["minute"], default=0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return _Hit(m.start(), m.end(), _today_plus(c), clock=time(hour, minute), clock_guessed=guessed)


def _clock_hhmm(m: re.Match[str], c: _Ctx) -> _Hit | None:
    period = (m["ampm"] or "").lower() or None
    hour, minute = int(m["hour"]), int(m["minute"] or 0)
    if period is None and m["minute"] is None:
        hour, guessed = _hour_for(None, hour)  # `at 3`
    else:
        hour, guessed = _hour_for(period, hour)
        guessed = False
    if not (0 <= hour <= 23):
        return None
    return _Hit(m.start(), m.end(), _today_plus(c), clock=time(hour, minute), clock_guessed=guessed)


def _clock_period(m: re.Match[str], c: _Ctx) -> _Hit | None:
    return _Hit(m.start(), m.end(), _today_plus(c), clock=_PERIOD_CLOCK[m[0]], clock_guessed=True)


# --- rule tables ------------------------------------------------------------------------------------

_NOT_LETTER_BEFORE = r"(?<![A-Za-z])"
_NOT_LETTER_AFTER = r"(?![A-Za-z])"

_DATE_RULES: _Rules = [
    (re.compile(r"(?<!\d)(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?(?!\d)"), _iso),
    (re.compile(rf"(今年|明年|去年)?{_N}月{_N}(?:[日号]|(?![\d万千百.]))"), _month_date),
    (
        re.compile(
            rf"(?:(今年|明年|去年)?{_N}月|(?:(下下个?|下个?|这个?|本|上个?|当)|(?<![个岁\d]))月|(?=[上中下]旬|中下旬|上中旬))"
            r"(底|末|初|中下旬|上中旬|中旬|上旬|下旬|中|份|(?![\d一二三四五六七八九十]))"
        ),
        _month_part,
    ),
    (re.compile(rf"(下下个?|下个?|这个?|本|上个?)月{_N}[号日]"), _month_nth),
    (re.compile(rf"(?<![\d月./\-A-Za-z]){_N}[号日](?![元币楼线门仓库码车馆位口店机柜号\d])"), _bare_day),
    (re.compile(r"(下下|下|这|本|上)?个?周([一二三四五六日末])"), _weekday),
    (re.compile(r"(下下|下|这|本|上)个?周(?![一二三四五六日末])"), _week),
    (re.compile("|".join(sorted((w for w in _DAY_WORDS if not w.isascii()), key=len, reverse=True))), _day_word),
    (
        re.compile(
            r"(?P<n>\d+|[一二两三四五六七八九十]+|半|几)个?(?P<half>半)?"
            r"(?P<unit>天|日|周|月|年|小时|钟头)"
            r"(?P<suffix>之后|以后|后|之内|以内|内|之前|以前|前)"
        ),
        None,
    ),
    (re.compile(r"过(?P<n>\d+|[一二两三四五六七八九十]+|几)个?(?P<unit>天|周|月)"), None),
    (re.compile(r"(?<![\d.$¥€£/\-])(\d{1,2})([./])(\d{1,2})(?![\d.%/])"), _md_numeric),
    (re.compile(r"(今年|明年|去年)?(?<![几多\d一二两三四五六七八九十])(?:年|春节)(底|末|终|初|前)"), _year_part),
    (
        re.compile(
            "(?P<h>"
            + "|".join(sorted(_HOLIDAYS, key=len, reverse=True))
            + r"|春节|(?<![\u4e00-\u9fff])节|(?<=[说讲等到过再要])节(?=之?后|以后)|(?<!明|今|去|半|\d)年)"
            r"(?P<side>后|之后|以后|前|之前|以前)?",
            re.I,
        ),
        _holiday,
    ),
    # 明年再说, 明年上半年, 下半年: the first working day of the period (a day to pick it up again)
    (re.compile(r"(今年|明年)?(上半年|下半年)|明年(?=\s?(?:再|才|重启|启动|开始|初))"), _year_start),
    (re.compile(r"(今年|明年)?(?:(?<![A-Za-z])[Qq]([1-4])(?!\d)|第?([一二三四1-4])季度)"), _quarter),
    # English
    (
        re.compile(
            _NOT_LETTER_BEFORE
            + r"(day after tomorrow|today|tonight|tomorrow|tmrw|tmr|tmw|yesterday)"
            + _NOT_LETTER_AFTER,
            re.I,
        ),
        _day_word,
    ),
    (
        re.compile(
            _NOT_LETTER_BEFORE + rf"(next|this|coming|on|by|before|until|till)?\s*({_WEEKDAY_EN})" + _NOT_LETTER_AFTER,
            re.I,
        ),
        _en_weekday,
    ),
    (
        re.compile(
            _NOT_LETTER_BEFORE + r"(eod|cob|eow|eom|eoy|end of (?:the |this |next )?"
            r"(?:day|week|month|year)|end of today|next week|this week|next month|month end|year end)"
            + _NOT_LETTER_AFTER,
            re.I,
        ),
        _en_period,
    ),
    (
        re.compile(
            _NOT_LETTER_BEFORE + rf"(?:(?P<mon1>{_MONTH_EN})\.?\s*(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)"
            rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:of\s+)?(?P<mon2>{_MONTH_EN}))" + _NOT_LETTER_AFTER,
            re.I,
        ),
        _en_month_date,
    ),
    (re.compile(_NOT_LETTER_BEFORE + rf"end of ({_MONTH_EN})" + _NOT_LETTER_AFTER, re.I), _en_end_of_month),
    (
        re.compile(
            _NOT_LETTER_BEFORE + rf"(?:in|within)\s+(?P<n>{_NUM_EN})\s+(?P<unit>business day|working day"
            r"|day|week|month|year|hour)s?" + _NOT_LETTER_AFTER,
            re.I,
        ),
        None,
    ),
    (
        re.compile(
            _NOT_LETTER_BEFORE + rf"(?P<n>{_NUM_EN})\s+(?P<unit>day|week|month|hour)s?\s+"
            r"(?P<suffix>later|after|from now|ago)" + _NOT_LETTER_AFTER,
            re.I,
        ),
        None,
    ),
]

_CLOCK_RULES: _Rules = [
    (
        re.compile(
            r"(?P<period>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上)?(?P<hour>\d{1,2}|[一二两三四五六七八九十]{1,3})"
            r"[点时](?!要求|意见|建议|问题|原因|想法|需求|内容)(?:(?P<minute_word>半|一刻|三刻)|(?P<minute>\d{1,2}|[一二三四五]?十?[一二三四五六七八九]?)分?)?"
        ),
        _clock_cn,
    ),
    (
        re.compile(
            r"(?<![\d:.])(?:(?<![A-Za-z])at\s+)?(?P<hour>[01]?\d|2[0-3])(?::(?P<minute>[0-5]\d))?"
            r"\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)" + _NOT_LETTER_AFTER,
            re.I,
        ),
        _clock_hhmm,
    ),
    (re.compile(r"(?<![\d:.])(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)(?![\d:])(?P<ampm>)"), _clock_hhmm),
    (re.compile(r"(?<![A-Za-z])at\s+(?P<hour>[01]?\d|2[0-3])(?P<minute>)(?P<ampm>)(?![\d.:])"), _clock_hhmm),
    (re.compile("|".join(_PERIOD_CLOCK)), _clock_period),
]

_DEADLINE_AFTER = re.compile(r"\s?(?:之前|以前|前|为止|截止|之内|以内|内)")
_DEADLINE_BEFORE = re.compile(
    r"(?:截止|截至|最晚|最迟|不晚于|(?<![A-Za-z])(?:by|before|until|till|due|no later than))\s?$", re.I
)
_PAST_MARK = re.compile(
    r"了|已|刚|(?<![A-Za-z])(?:ago|last|was|were|did|had|visited|called|met|sent|went)"
    r"(?![A-Za-z])",
    re.I,
)
_FUTURE_MARK = re.compile(  # 约好了 / 约了 is an appointment: its day is ahead even after 了
    r"再|会|要|将|准备|计划|打算|下次|之后|以后|前|约(?:好|了|定)|"
    r"(?<![A-Za-z])(?:will|next|by|before|to)"
    r"(?![A-Za-z])",
    re.I,
)


def _collect(rules: _Rules, ctx: _Ctx, now: datetime) -> list[_Hit]:
    relative = _make_relative(now)
    hits: list[_Hit] = []
    for pattern, handler in rules:
        for m in pattern.finditer(ctx.text):
            hit = (handler or relative)(m, ctx)
            if hit is not None:
                hits.append(hit)
    hits.sort(key=lambda h: (h.start, h.start - h.end))
    kept: list[_Hit] = []
    for hit in hits:  # leftmost-longest, non-overlapping
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept


def _past_context(text: str, start: int, end: int) -> bool:
    """The clause around a span speaks of the past: `周一拜访了…` (and nothing future like 再 / 前)."""
    clause = next((m.group() for m in CLAUSE.finditer(text) if m.start() <= start < m.end()), "")
    return bool(_PAST_MARK.search(clause)) and not _FUTURE_MARK.search(clause)


def resolve_dates(text: str, now: datetime, tz: ZoneInfo) -> list[DateSpan]:
    """All date / time expressions in `text`, left to right, resolved against `now` (aware) in `tz`."""
    text = normalize(text)
    local_now = now.astimezone(tz)
    ctx = _Ctx(text, local_now.date())
    days = _collect(_DATE_RULES, ctx, local_now)
    clocks = [
        c for c in _collect(_CLOCK_RULES, ctx, local_now) if not any(d.start < c.end and c.start < d.end for d in days)
    ]
    for clock in clocks:  # attach 下午3点 to the adjacent 明天 (before or after, one space or `at` apart)
        owner = next(
            (d for d in days if d.clock is None and (0 <= clock.start - d.end <= 1 or 0 <= d.start - clock.end <= 1)),
            None,
        )
        if owner is None:
            owner = _Hit(clock.start, clock.end, clock.at, rolls=True, bare_clock=True)
            days.append(owner)
        owner.start, owner.end = min(owner.start, clock.start), max(owner.end, clock.end)
        owner.clock, owner.clock_guessed = clock.clock, clock.clock_guessed
    days.sort(key=lambda h: h.start)
    ends, starts = [0, *(h.end for h in days)], [*(h.start for h in days[1:]), len(text)]
    return [_finish(h, ctx, local_now, tz, (ends[i], starts[i])) for i, h in enumerate(days)]


# Words that put an action still ahead (上午要去…, 下午准备给X打电话, 提醒我下午…): a bare time of day with one of them
# is a plan even when today's is past (then tomorrow's); without one, a past time of day is when it happened.
_AHEAD = re.compile(
    r"要|去(?![了过])|准备|打算|计划|想|将|(?<![开个次场展晚酒宴年])会(?!议|谈|面)|明天|明早|下周|下次|再|回头|提醒|记得|安排|待|需要|推迟|延到|[改挪]到|"
    r"(?<![A-Za-z])(?:will|going to|plan|need to|remind|tomorrow|next|postpone|move)(?![A-Za-z])",
    re.I,
)


# What follows a visit or a call when it is told (…拜访 认识了他们新来的技术经理, …聊了交期): a report of it.
_WHAT_HAPPENED = re.compile(r"[\s,，。;；]*(?:认识了|聊了|谈了|见了|见到了|看了|参观了|了解到|得知)")


def _activity_ahead(text: str, hit: _Hit, segment: tuple[int, int]) -> bool | None:
    """Whether the activity a date comes with is still ahead: None when there is no activity (`推迟 3 下午`, a bare
    `今天`), False for a report — a bare time of day already past (上午给北风泵业打电话催付款 said in the afternoon)
    or today without a time (今天电话跟X沟通, said at any hour, just after midnight too): the words around it in its
    clause name an activity and nothing still ahead."""
    clause = next((m.span() for m in CLAUSE.finditer(text) if m.start() <= hit.start < m.end()), (hit.start, hit.end))
    before = text[max(clause[0], segment[0]) : hit.start]
    # What the customer said or wants (来电话说要加单, 电话北欧暖通他们要目录) is no plan of the rep's.
    after = re.split(
        r"说|表示|问|称|讲|反映|said|asked|(?:他们|她们|对方|客户|他|她)(?=要|想|希望|需要|打算|准备)",
        text[hit.end : min(clause[1], segment[1])],
    )[0]
    # `call with acme today`: a day may follow its activity; a bare time of day only precedes it
    if not re.search(r"[\u4e00-\u9fffA-Za-z]", after if hit.bare_clock else before + after):
        return None
    if _WHAT_HAPPENED.match(text, clause[1]):  # 今天去穆勒机械拜访 认识了…: the visit is told, not planned
        return False
    return bool(_AHEAD.search(before) or _AHEAD.search(after))


_SMALL_HOURS_END = 5  # until 05:00 a rep writing up their day still means the day just ended


def _later_today(now: datetime) -> datetime:
    """The next full hour, for a plan said for today after its default hour (never past midnight)."""
    later = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return later if later.date() == now.date() else now.replace(hour=23, minute=59, second=0, microsecond=0)


def _finish(hit: _Hit, ctx: _Ctx, now: datetime, tz: ZoneInfo, segment: tuple[int, int]) -> DateSpan:
    text = ctx.text
    start, end, deadline = hit.start, hit.end, hit.deadline
    if m := _DEADLINE_AFTER.match(text, end):
        if not hit.past:
            end, deadline = m.end(), True
    if _DEADLINE_BEFORE.search(text, max(0, start - 14), start):
        deadline = True
    clock = hit.clock or DEFAULT_TIME

    def at(k: int) -> datetime:
        return datetime.combine(hit.at(k), clock, tzinfo=tz)

    today = hit.clock is None and not hit.rolls and hit.at(0) == ctx.today
    # Just after midnight a bare time of day (下午打电话给北风) told with no plan word is the day just ended.
    small_hours = hit.bare_clock and hit.clock_guessed and now.hour < _SMALL_HOURS_END
    ahead = _activity_ahead(text, hit, segment) if today or (hit.bare_clock and (at(0) <= now or small_hours)) else None
    in_past = not deadline and (_past_context(text, start, end) or ahead is False)
    k = 0
    if hit.rolls and in_past:
        while at(k) > now and k > -60:
            k -= 1
    elif hit.rolls:
        while at(k) < now and k < 60:
            k += 1
    value = at(k)
    if today and in_past:
        value = min(value, now)  # happened today, so not later than now (09:00 is still ahead at 00:10)
    elif today and ahead and not deadline and value <= now:
        value = _later_today(now)  # 今天要给张总回电话 said after 09:00: still today, not already overdue
    return DateSpan(
        start=start,
        end=end,
        value=value,
        has_time=hit.clock is not None,
        guessed=hit.guessed or hit.clock_guessed,
        is_deadline=deadline,
        past=hit.past or (in_past and value <= now),
    )
