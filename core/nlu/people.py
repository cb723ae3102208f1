"""A person a follow-up introduces with a title and a number (认识了…采购经理 Mehmet 电话+90 532 111 2233): someone
the rep may want as a contact. Pure: the text in, the person (or None) out; the bot offers, never adds unasked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.nlu.intents import _EMAIL, _PHONE, _TITLE
from core.nlu.normalize import normalize

# A Chinese name starts with a common surname (客户采购需求 电话… names nobody); a Latin one is capitalised.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆"
    "汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# A Latin name is kept whole: Nguyen Van An, Jan van der Berg, Maria de la Cruz, Thomas Müller, Mehmet Yılmaz.
_LATIN_WORD = r"[A-ZÀ-ÖØ-ÞĀ-ſ][a-zß-öø-ÿĀ-ſ'’-]{1,20}"  # Latin-1 and Extended-A: Yılmaz, Łukasz, Ødegaard
_PARTICLE = r"(?:van|von|der|den|de|del|della|di|da|do|dos|das|du|la|le|ter|ten|bin|al|el)"
_LATIN_NAME = rf"{_LATIN_WORD}(?: (?:{_PARTICLE} ){{0,2}}{_LATIN_WORD}){{0,3}}"
_NAME = rf"(?P<name>{_LATIN_NAME}|[{_SURNAMES}][\u4e00-\u9fff]{{1,2}}?)"
_AFTER = r"(?=\s|[,，(（:：]|电话|手机|邮箱|微信|$)"
# 采购经理 Mehmet 电话…, 采购经理叫张伟 手机…: the title first; then Mehmet（采购经理）电话…, the name first.
_TITLE_FIRST = re.compile(rf"(?P<title>(?i:{_TITLE.pattern}))\s?(?:叫|是|名叫)?\s?{_NAME}{_AFTER}")
_NAME_FIRST = re.compile(rf"(?<![A-Za-z]){_NAME}\s?[(（]?(?P<title>(?i:{_TITLE.pattern}))[)）]?{_AFTER}")
_NEAR = 12  # characters after the title and name within which the number or address must start


@dataclass(frozen=True)
class Person:
    name: str
    title: str | None = None
    phone: str | None = None
    email: str | None = None

    def details(self) -> str:
        """采购经理，+90 532 111 2233: what the rep wrote about the person, to read back."""
        return "，".join(v for v in (self.title, self.phone, self.email) if v)


def person_in(text: str) -> Person | None:
    """The first person written with a title and, right after, a phone number or an e-mail address."""
    t = normalize(text)
    for pattern in (_TITLE_FIRST, _NAME_FIRST):
        for m in pattern.finditer(t):
            phone, email = _PHONE.search(t, m.end()), _EMAIL.search(t, m.end())
            phone = phone if phone and phone.start() - m.end() <= _NEAR else None
            email = email if email and email.start() - m.end() <= _NEAR else None
            if phone or email:
                return Person(m["name"], m["title"], phone["v"].strip() if phone else None, email[0] if email else None)
    return None
