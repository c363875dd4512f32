"""What Qt does with ICU's data, printed as JSON (run by test_icu_data.py, once with PySide6's own
libicudata and once with the bundle's smaller one preloaded in its place).

Every group of ICU functions Qt calls (build_installer.ICU_FUNCTIONS_REVIEWED) is exercised:
collation through QCollator in 60 locales (numeric and case-insensitive, as Qt's file dialog
sorts), converters through QXmlStreamReader for every label of the WHATWG Encoding Standard,
time zone names through QTimeZone and a long date format, case mapping through QLocale.
"""

from __future__ import annotations

import functools
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QCollator,
    QDateTime,
    QIODevice,
    QLocale,
    QStringDecoder,
    Qt,
    QTimeZone,
    QXmlStreamReader,
    qInstallMessageHandler,
)

WORDS = """
    zebra Äpfel apple Øre ångström Ñandú nube öl Zürich cote côte coté côté file10 file2 File1 ıi
    İstanbul çay ch cz hz Ürün ліс лис あい アイ 亜 中文 漢字 한국 가나 ǆ ß ss ŉ ð þ Ärger Aerger
    ŝ ș ş ł lz đ dz ก ข ا ب א ב क ख
""".split()  # noqa: SIM905
LOCALES = """
    C en_US de_DE sv_SE es_ES fr_FR fr_CA da_DK fi_FI pl_PL cs_CZ tr_TR ru_RU uk_UA ja_JP zh_CN
    zh_TW ko_KR ar_EG he_IL hi_IN th_TH vi_VN nb_NO is_IS de_AT en_GB pt_BR it_IT nl_NL sk_SK
    hr_HR ro_RO hu_HU et_EE lt_LT lv_LV sl_SI sr_RS bg_BG el_GR ca_ES eu_ES gl_ES cy_GB ga_IE
    sq_AL mk_MK be_BY kk_KZ fa_IR ur_PK bn_BD ta_IN te_IN mr_IN id_ID ms_MY fil_PH af_ZA
""".split()  # noqa: SIM905
# https://encoding.spec.whatwg.org/encodings.json, without "replacement" and x-user-defined.
WHATWG_LABELS = """
    unicode-1-1-utf-8 utf-8 utf8 866 cp866 csibm866 ibm866 csisolatin2 iso-8859-2 iso-ir-101
    iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2 csisolatin3 iso-8859-3 iso-ir-109
    iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3 csisolatin4 iso-8859-4 iso-ir-110
    iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4 csisolatincyrillic cyrillic iso-8859-5
    iso-ir-144 iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988 arabic asmo-708 csiso88596e
    csiso88596i csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e iso-8859-6-i iso-ir-127
    iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987 csisolatingreek ecma-118 elot_928 greek greek8
    iso-8859-7 iso-ir-126 iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek csiso88598e
    csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 iso88598 iso_8859-8
    iso_8859-8:1988 visual csiso88598i iso-8859-8-i logical csisolatin6 iso-8859-10 iso-ir-157
    iso8859-10 iso885910 l6 latin6 iso-8859-13 iso8859-13 iso885913 iso-8859-14 iso8859-14
    iso885914 csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9 iso-8859-16 cskoi8r koi
    koi8 koi8-r koi8_r koi8-u csmacintosh mac macintosh x-mac-roman dos-874 iso-8859-11 iso8859-11
    iso885911 tis-620 windows-874 cp1250 windows-1250 x-cp1250 cp1251 windows-1251 x-cp1251
    ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591
    iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252 cp1253 windows-1253
    x-cp1253 cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9
    iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254 cp1255 windows-1255 x-cp1255 cp1256
    windows-1256 x-cp1256 cp1257 windows-1257 x-cp1257 cp1258 windows-1258 x-cp1258
    x-mac-cyrillic x-mac-ukrainian chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk
    iso-ir-58 x-gbk gb18030 big5 big5-hkscs cn-big5 csbig5 x-x-big5 cseucpkdfmtjapanese euc-jp
    x-euc-jp csiso2022jp iso-2022-jp csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j
    x-sjis cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601
    ksc_5601 windows-949 utf-16be utf-16le utf-16
""".split()  # noqa: SIM905
CJK = "日本語のテキスト 中文文本 繁體中文 한국어 텍스트"
CJK_CODECS = ("shift_jis", "euc_jp", "iso2022_jp", "gbk", "gb18030", "big5", "big5hkscs", "cp949")


def xml_text(label: str, body: bytes) -> list[object]:
    """The text QXmlStreamReader reads from a document declaring ``label``, and its error."""
    buffer = QBuffer()
    buffer.setData(QByteArray(f'<?xml version="1.0" encoding="{label}"?><a>'.encode() + body))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QXmlStreamReader(buffer)
    text = ""
    while not reader.atEnd():
        reader.readNext()
        if reader.isCharacters():
            text += reader.text()
    return [text, reader.errorString() if reader.hasError() else None]


def main() -> None:
    messages: list[str] = []
    qInstallMessageHandler(lambda _kind, _context, message: messages.append(message))
    result: dict[str, object] = {}

    collation = {}
    for name in LOCALES:
        collator = QCollator(QLocale(name))
        collator.setNumericMode(True)
        collator.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        collation[name] = sorted(WORDS, key=functools.cmp_to_key(collator.compare))
    result["collation"] = collation

    bodies = [bytes(range(0xA0, 0x100))] + [CJK.encode(c, errors="ignore") for c in CJK_CODECS]
    result["decoding"] = {
        label: [
            QStringDecoder(label).isValid(),
            *(xml_text(label, body + b"</a>") for body in bodies),
        ]
        for label in WHATWG_LABELS
    }
    result["codecs"] = len(QStringDecoder.availableCodecs())

    winter = QDateTime(2026, 1, 15, 12, 0, 0)
    zones = {}
    for zone in ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"):
        tz = QTimeZone(zone.encode())
        zones[zone] = {
            "valid": tz.isValid(),
            "abbreviation": tz.abbreviation(winter),
            "offset": tz.offsetFromUtc(winter),
            "long name": tz.displayName(
                QTimeZone.TimeType.StandardTime, QTimeZone.NameType.LongName, QLocale("de_DE")
            ),
        }
    result["zones"] = zones
    result["long date"] = QLocale("en_US").toString(
        QDateTime(winter.date(), winter.time(), QTimeZone(b"Europe/Berlin")),
        QLocale.FormatType.LongFormat,
    )

    result["case"] = {
        name: [QLocale(name).toUpper(word), QLocale(name).toLower(word.upper())]
        for name, word in (
            ("tr_TR", "istanbul ıi"),
            ("de_DE", "straße"),
            ("el_GR", "άλφα"),
            ("lt_LT", "i̇̀"),
            ("nl_NL", "ijssel"),
        )
    }
    result["messages"] = messages
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
