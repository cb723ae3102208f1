"""Countries as ISO 3166-1 alpha-2 codes: what is stored and compared; Chinese names are what people see.

Reps type 德国, Germany, germany, DE or DEU; policies say `countries = ["DE"]` or `["德国"]`. All of them become
`DE`, so a policy rule matches every way a customer's country was written. Pure data, no I/O.

    country_code("德国") == country_code("Germany") == country_code("de") == "DE"
    country_name("DE") == "德国";  country_name_en("DE") == "Germany"
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    alpha3: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()  # other names people use, in either language


COUNTRIES: tuple[Country, ...] = (
    Country("CN", "CHN", "中国", "China", ("中华人民共和国", "PRC", "大陆", "中国大陆")),
    Country("HK", "HKG", "中国香港", "Hong Kong", ("香港",)),
    Country("MO", "MAC", "中国澳门", "Macao", ("澳门", "Macau")),
    Country("TW", "TWN", "中国台湾", "Taiwan", ("台湾",)),
    Country("DE", "DEU", "德国", "Germany", ("Deutschland",)),
    Country("US", "USA", "美国", "United States", ("USA", "U.S.", "U.S.A.", "America", "United States of America")),
    Country("GB", "GBR", "英国", "United Kingdom", ("UK", "Britain", "Great Britain", "England")),
    Country("FR", "FRA", "法国", "France"),
    Country("IT", "ITA", "意大利", "Italy", ("Italia",)),
    Country("ES", "ESP", "西班牙", "Spain", ("España",)),
    Country("PT", "PRT", "葡萄牙", "Portugal"),
    Country("NL", "NLD", "荷兰", "Netherlands", ("Holland", "The Netherlands")),
    Country("BE", "BEL", "比利时", "Belgium"),
    Country("LU", "LUX", "卢森堡", "Luxembourg"),
    Country("CH", "CHE", "瑞士", "Switzerland"),
    Country("AT", "AUT", "奥地利", "Austria"),
    Country("IE", "IRL", "爱尔兰", "Ireland"),
    Country("SE", "SWE", "瑞典", "Sweden"),
    Country("NO", "NOR", "挪威", "Norway"),
    Country("DK", "DNK", "丹麦", "Denmark"),
    Country("FI", "FIN", "芬兰", "Finland"),
    Country("IS", "ISL", "冰岛", "Iceland"),
    Country("PL", "POL", "波兰", "Poland"),
    Country("CZ", "CZE", "捷克", "Czechia", ("Czech Republic",)),
    Country("SK", "SVK", "斯洛伐克", "Slovakia"),
    Country("SI", "SVN", "斯洛文尼亚", "Slovenia"),
    Country("HR", "HRV", "克罗地亚", "Croatia"),
    Country("RS", "SRB", "塞尔维亚", "Serbia"),
    Country("HU", "HUN", "匈牙利", "Hungary"),
    Country("RO", "ROU", "罗马尼亚", "Romania"),
    Country("BG", "BGR", "保加利亚", "Bulgaria"),
    Country("GR", "GRC", "希腊", "Greece"),
    Country("LT", "LTU", "立陶宛", "Lithuania"),
    Country("LV", "LVA", "拉脱维亚", "Latvia"),
    Country("EE", "EST", "爱沙尼亚", "Estonia"),
    Country("TR", "TUR", "土耳其", "Türkiye", ("Turkey",)),
    Country("RU", "RUS", "俄罗斯", "Russia", ("Russian Federation",)),
    Country("UA", "UKR", "乌克兰", "Ukraine"),
    Country("BY", "BLR", "白俄罗斯", "Belarus"),
    Country("KZ", "KAZ", "哈萨克斯坦", "Kazakhstan"),
    Country("UZ", "UZB", "乌兹别克斯坦", "Uzbekistan"),
    Country("IN", "IND", "印度", "India"),
    Country("PK", "PAK", "巴基斯坦", "Pakistan"),
    Country("BD", "BGD", "孟加拉国", "Bangladesh", ("孟加拉",)),
    Country("LK", "LKA", "斯里兰卡", "Sri Lanka"),
    Country("NP", "NPL", "尼泊尔", "Nepal"),
    Country("VN", "VNM", "越南", "Vietnam", ("Viet Nam",)),
    Country("TH", "THA", "泰国", "Thailand"),
    Country("MY", "MYS", "马来西亚", "Malaysia"),
    Country("ID", "IDN", "印度尼西亚", "Indonesia", ("印尼",)),
    Country("PH", "PHL", "菲律宾", "Philippines"),
    Country("SG", "SGP", "新加坡", "Singapore"),
    Country("MM", "MMR", "缅甸", "Myanmar"),
    Country("KH", "KHM", "柬埔寨", "Cambodia"),
    Country("LA", "LAO", "老挝", "Laos"),
    Country("MN", "MNG", "蒙古", "Mongolia"),
    Country("JP", "JPN", "日本", "Japan"),
    Country("KR", "KOR", "韩国", "South Korea", ("Korea", "Republic of Korea")),
    Country("AU", "AUS", "澳大利亚", "Australia", ("澳洲",)),
    Country("NZ", "NZL", "新西兰", "New Zealand"),
    Country("CA", "CAN", "加拿大", "Canada"),
    Country("MX", "MEX", "墨西哥", "Mexico"),
    Country("BR", "BRA", "巴西", "Brazil", ("Brasil",)),
    Country("AR", "ARG", "阿根廷", "Argentina"),
    Country("CL", "CHL", "智利", "Chile"),
    Country("PE", "PER", "秘鲁", "Peru"),
    Country("CO", "COL", "哥伦比亚", "Colombia"),
    Country("VE", "VEN", "委内瑞拉", "Venezuela"),
    Country("EC", "ECU", "厄瓜多尔", "Ecuador"),
    Country("UY", "URY", "乌拉圭", "Uruguay"),
    Country("ZA", "ZAF", "南非", "South Africa"),
    Country("NG", "NGA", "尼日利亚", "Nigeria"),
    Country("EG", "EGY", "埃及", "Egypt"),
    Country("KE", "KEN", "肯尼亚", "Kenya"),
    Country("ET", "ETH", "埃塞俄比亚", "Ethiopia"),
    Country("TZ", "TZA", "坦桑尼亚", "Tanzania"),
    Country("GH", "GHA", "加纳", "Ghana"),
    Country("AO", "AGO", "安哥拉", "Angola"),
    Country("MA", "MAR", "摩洛哥", "Morocco"),
    Country("DZ", "DZA", "阿尔及利亚", "Algeria"),
    Country("TN", "TUN", "突尼斯", "Tunisia"),
    Country("SA", "SAU", "沙特阿拉伯", "Saudi Arabia", ("沙特", "KSA")),
    Country("AE", "ARE", "阿联酋", "United Arab Emirates", ("UAE", "迪拜", "Dubai", "阿拉伯联合酋长国")),
    Country("QA", "QAT", "卡塔尔", "Qatar"),
    Country("KW", "KWT", "科威特", "Kuwait"),
    Country("OM", "OMN", "阿曼", "Oman"),
    Country("BH", "BHR", "巴林", "Bahrain"),
    Country("IQ", "IRQ", "伊拉克", "Iraq"),
    Country("IR", "IRN", "伊朗", "Iran"),
    Country("JO", "JOR", "约旦", "Jordan"),
    Country("IL", "ISR", "以色列", "Israel"),
)

BY_CODE: dict[str, Country] = {c.code: c for c in COUNTRIES}
_PUNCT = re.compile(r"[\s.'’·_-]+")


def _key(text: str) -> str:
    return _PUNCT.sub(" ", text.strip().casefold()).strip().removeprefix("the ")


_BY_NAME: dict[str, str] = {}
for _c in COUNTRIES:
    for _name in (_c.code, _c.alpha3, _c.zh, _c.en, *_c.aliases):
        _BY_NAME.setdefault(_key(_name), _c.code)


def country_code(text: str | None) -> str | None:
    """The ISO code for a country written any usual way; None when it is not a country we know."""
    if not text or not text.strip():
        return None
    return _BY_NAME.get(_key(text))


def country_name(value: str | None) -> str:
    """The Chinese name to show for a stored code (a legacy free-text value is shown as it is)."""
    if not value:
        return ""
    code = country_code(value)
    return BY_CODE[code].zh if code else value


def country_name_en(value: str | None) -> str:
    """The English name, for sheets sent to foreign buyers."""
    if not value:
        return ""
    code = country_code(value)
    return BY_CODE[code].en if code else value


_IN_TEXT = re.compile(
    "|".join(
        re.escape(n) if not n.isascii() else rf"(?<![A-Za-z]){re.escape(n)}(?![A-Za-z])"
        for n in sorted(
            {n for c in COUNTRIES for n in (c.zh, c.en, *c.aliases) if not n.isascii() or len(n) >= 4},
            key=len,
            reverse=True,
        )
    ),
    re.I,
)


def country_in(text: str) -> str | None:
    """The ISO code of the first country a message names by its name (认识了土耳其的…, a buyer from Turkey)."""
    m = _IN_TEXT.search(text)
    return country_code(m[0]) if m else None
