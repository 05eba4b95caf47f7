"""The reader's language for executed content: a small message table and number formatting.

Pages are executed once per language (`lang` parameter); `kb execute` sets the language before a
page runs, and every view in `kb` passes its visible strings through `t()`. English is the source
text; Russian comes from `RU` below (country names from `data/countries.csv` `name_ru`,
indicator titles from `data/indicators.csv` `*_ru` columns). A Russian page that asks for a
message missing here is recorded, and `kb build` fails naming it.
"""

from __future__ import annotations

import os

LANGUAGES = ("en", "ru")
_current = {"lang": "en"}
_missing: set[str] = set()

RU: dict[str, str] = {
    # workshop agenda and downloads
    "Module": "Модуль",
    "Title": "Название",
    "Teaching (min)": "Объяснение (мин)",
    "Exercises (min)": "Упражнения (мин)",
    "Total": "Всего",
    "Whole day": "Весь день",
    "Participants": "Участникам",
    "Trainers": "Тренерам",
    # programme spans, outcome groups, results
    "(concept-stage record, not a grant)": "(запись на стадии концепции, не грант)",
    "Phase 1 (first GEF tranche)": "Фаза 1 (первый транш ГЭФ)",
    "rest of the ten-year programme": "остальная часть десятилетней программы",
    "CACILM II (knowledge management, GEF 4600)": "CACILM II (управление знаниями, ГЭФ 4600)",
    "CACILM 2 (FAO, GEF 9094)": "CACILM 2 (ФАО, ГЭФ 9094)",
    "GEF programme record at concept stage: grant field (not a grant)": "Запись ГЭФ о программе на стадии концепции: поле гранта (не грант)",
    "Expected outcome group ({numeral}) of the ten-year programme:": "Ожидаемая группа результатов ({numeral}) десятилетней программы:",
    "No source we could read reports a result for this outcome group.": "Ни один из доступных нам источников не сообщает о результатах по этой группе.",
    "Result": "Результат",
    "Kind": "Вид",
    "target": "целевой показатель",
    "achieved": "достигнуто",
    "evaluation rating": "оценка независимой оценки",
    "more than": "более",
    "planned": "по плану",
    "as reported": "по данным источника",
    "End": "Окончание",
    "Note": "Примечание",
    "{length} after the start": "{length} с начала",
    "No event is dated outside its span.": "Ни одно событие не датировано за пределами своего периода.",
    "{event} ({date}; {event_source}) is dated after the end of “{span}” ({end}; {span_source}): the sources disagree, and both are shown.": "{event} ({date}; {event_source}) датируется позже окончания периода «{span}» ({end}; {span_source}): источники расходятся, и приводятся оба.",
    "Spans of the programme": "Периоды программы",
    "as each source dates them": "по датировке каждого источника",
    "Bar chart of {count} spans of the programme from {first} to {last}, one bar per span and source; the table below lists each span.": "Столбчатая диаграмма периодов программы (всего: {count}) с {first} по {last} г., по одному столбцу на период и источник; все периоды перечислены в таблице ниже.",
    "No dated event in the snapshot concerns this country.": "В данных нет датированных событий, касающихся этой страны.",
    # project pages
    "Title in the project's documents": "Название в документах проекта",
    "What the project catalogue records of this project ({countries}, {years}), and the practices and results that sources tie to it.": "Что каталог проектов сообщает об этом проекте ({countries}, {years}), а также практики и результаты, которые источники связывают с ним.",
    "Outcome groups": "Группы результатов",
    "Practices documented in WOCAT": "Практики, описанные в WOCAT",
    "Results reported by sources": "Результаты по данным источников",
    "No practice in WOCAT’s database names this project.": "Ни одна практика в базе данных WOCAT не ссылается на этот проект.",
    "No source we could read reports a result for this project.": "Ни один из доступных нам источников не сообщает о результатах этого проекта.",
    "Sources": "Источники",
    "all": "все",
    "{shown} of {total} rows shown": "Показано строк: {shown} из {total}",
    # tables and figures
    "Indicator": "Показатель",
    "Unit": "Единица",
    "Latest": "Последнее значение",
    "Year": "Год",
    "Change since {year} (launch year)": "Изменение с {year} г. (год запуска программы)",
    "revisions, not change": "пересмотры данных, а не изменение",
    "Rank of 5": "Место среди 5",
    "{rank} (highest = 1)": "{rank} (наибольшее = 1)",
    "Source": "Источник",
    "not reported": "нет данных",
    "no source gives a value": "ни один источник не даёт значения",
    "Country": "Страна",
    "Countries": "Страны",
    "Source: ": "Источник: ",
    "licence: ": "лицензия: ",
    "Download: ": "Скачать: ",
    "data (CSV)": "данные (CSV)",
    "image (SVG)": "изображение (SVG)",
    "Show the values": "Показать значения",
    "Chart": "Диаграмма",
    "{title}, latest year": "{title}, последний год",
    "Line chart: {title} ({unit}) for the five countries, {first}–{last}. Latest values: {values}.": "Линейный график: {title} ({unit}) по пяти странам, {first}–{last}. Последние значения: "
    "{values}.",
    "Bar chart of the latest values: {title} ({unit}): {values}.": "Столбчатая диаграмма последних значений: {title} ({unit}): {values}.",
    " No value reported for {names}.": " Нет данных по: {names}.",
    "{title}: no source in the snapshot gives a value for {names}; the book leaves it missing "
    "rather than estimating it.": "{title}: ни один источник в наборе данных не даёт значения для: {names}; книга оставляет "
    "пропуск и не оценивает его.",
    # indicator catalogue
    "Definition": "Определение",
    "Good direction": "Желательное направление",
    "higher is better": "чем больше, тем лучше",
    "lower is better": "чем меньше, тем лучше",
    "neither": "нейтрально",
    "Licence": "Лицензия",
    "Vintage": "Версия данных",
    "Used on": "Где используется",
    "this catalogue": "этот каталог",
    "Country pages": "Страницы стран",
    "Derived from {inputs}.": "Рассчитывается из: {inputs}.",
    "Values": "Значений",
    "First year": "Первый год",
    "Last year": "Последний год",
    "No indicator in the snapshot can evidence this outcome group; the public sources we could "
    "read report no measure of it.": "Ни один показатель в наборе данных не может подтвердить эту группу результатов; "
    "в доступных нам открытых источниках нет её измерения.",
    "Global benefit": "Глобальная выгода",
    "Environmental objective": "Экологическая цель",
    "Development objective": "Цель развития",
    "No indicator in the snapshot can evidence this item.": "Ни один показатель в наборе данных не может это подтвердить.",
    "Indicators for the benefits and objectives": "Показатели для выгод и целей",
    # maps
    "Map of the five countries shaded by {title} ({unit}): {values}.": "Карта пяти стран, окрашенных по показателю «{title}» ({unit}): {values}.",
    " Grey: not reported ({names}).": " Серым: нет данных ({names}).",
    "Latest value by country": "Последнее значение по странам",
    "choose an indicator below": "выберите показатель ниже",
    "Indicator: ": "Показатель: ",
    "Latest value": "Последнее значение",
    "Value": "Значение",
    "Map of the five countries shaded by the latest value of the indicator chosen in the "
    "drop-down (grey: not reported). Values: {values}.": "Карта пяти стран, окрашенных по последнему значению показателя, выбранного в списке "
    "(серым: нет данных). Значения: {values}.",
    # projects
    "Project": "Проект",
    "Phase": "Фаза",
    "Lead agency": "Ведущее агентство",
    "Identifiers": "Идентификаторы",
    "Years": "Годы",
    "GEF grant (US$)": "Грант ГЭФ (долл. США)",
    "Co-financing (US$)": "Софинансирование (долл. США)",
    "CACILM link": "Связь с CACILM",
    "CACILM Phase 1": "CACILM, фаза 1",
    "Associated": "Сопутствующие проекты",
    "confirmed": "подтверждена",
    "probable": "вероятна",
    "associated": "сопутствующий проект",
    "No project in the catalogue matches.": "В каталоге нет подходящих проектов.",
    "Projects": "Проекты",
    "GEF grant reported": "Грант ГЭФ указан",
    "Projects by country": "Проекты по странам",
    "number of projects": "число проектов",
    "Projects by lead agency": "Проекты по ведущим агентствам",
    "Bar chart of catalogue projects per country (a multi-country project counts in each of "
    "its countries), split by CACILM link. {parts}.": "Столбчатая диаграмма проектов каталога по странам (многострановой проект учитывается в "
    "каждой своей стране) с разбивкой по связи с CACILM. {parts}.",
    "Bar chart of catalogue projects per lead agency, coloured by phase: {parts}.": "Столбчатая диаграмма проектов каталога по ведущим агентствам, цвет — фаза: {parts}.",
    # programme
    "What": "Статья",
    "Funder": "Источник средств",
    "Amount (US$)": "Сумма (долл. США)",
    "As reported": "Как указано в источнике",
    "Planned 10-year investment (all sources)": "Планируемые инвестиции на 10 лет (все источники)",
    "Phase 1 total financing": "Общее финансирование фазы 1",
    "Phase 1 GEF grant": "Грант ГЭФ на фазу 1",
    "Phase 1 financing by funder": "Финансирование фазы 1 по источникам",
    "GEF programme record: grant field": "Запись программы в базе ГЭФ: поле гранта",
    "GEF programme record: project preparation grant": "Запись программы в базе ГЭФ: грант на подготовку проекта",
    "ADB TA 6357-REG (multicountry support)": "ТП АБР 6357-REG (многострановая поддержка)",
    "CACILM 2 GEF grant": "Грант ГЭФ на CACILM 2",
    "CACILM 2 total cost": "Общая стоимость CACILM 2",
    "Headline financing as each source reports it": "Основные суммы финансирования по данным каждого источника",
    "US$ million": "млн долл. США",
    "Item": "Статья",
    "Bar charts of headline financing figures, one bar per source. {parts}.": "Столбчатые диаграммы основных сумм финансирования, по одному столбцу на источник. {parts}.",
    "{count} financing items are reported with different amounts by different sources; the "
    "table below lists each report with its source.": "Статей финансирования, по которым источники называют разные суммы: {count}; в таблице "
    "ниже приведены все сообщения с указанием источника.",
    "Span": "Период",
    "From": "С",
    "To": "По",
    "Phase 1 framework, planned (approval to end of 10-year period)": "Рамочная программа фазы 1, план (от одобрения до конца 10-летнего периода)",
    "Phase 1, launch to ADB withdrawal from central coordination": "Фаза 1, от запуска до выхода АБР из центральной координации",
    "CACILM 2, planned (start to planned end)": "CACILM 2, план (от начала до планового завершения)",
    "CACILM 2, actual (launch to extended end)": "CACILM 2, факт (от запуска до продлённого завершения)",
    "no source in the snapshot": "в наборе данных нет источника",
    "Date": "Дата",
    "Event": "Событие",
    "before CACILM": "до CACILM",
    "Phase 1": "Фаза 1",
    "CACILM 2": "CACILM 2",
    "CACILM timeline": "Хронология CACILM",
    "events by date": "события по датам",
    "Timeline of {events} from {first} to {last}, one tick per event, grouped by phase; "
    "the table below lists each event.": "Хронология: {events} с {first} по {last} г., по одной отметке на событие, по "
    "фазам; все события перечислены в таблице ниже.",
    # derived indicators (kb.indicators)
    "Forest area change since 2006": "Изменение площади лесов с 2006 г.",
    "km²": "км²",
    "Forest area in the year minus forest area in 2006, the programme's launch year (FAO FRA 2020 series).": "Площадь лесов в данном году минус площадь лесов в 2006 г., году запуска программы "
    "(ряд Глобальной оценки лесных ресурсов ФАО 2020).",
    "% of 2006 area": "% площади 2006 г.",
    "Relative change of forest area against 2006 (FAO FRA 2020 series).": "Относительное изменение площади лесов по сравнению с 2006 г. (ряд ФАО 2020).",
    "Agricultural land area": "Площадь сельскохозяйственных земель",
    "Agricultural land (share of land area) multiplied by land area.": "Сельскохозяйственные земли (доля площади суши), умноженные на площадь суши.",
    "Agricultural land per person": "Сельскохозяйственные земли на человека",
    "ha per person": "га на человека",
    "Agricultural land area (hectares) divided by total population in the same year.": "Площадь сельскохозяйственных земель (га), делённая на численность населения в том же году.",
    "Population change since 2006": "Изменение численности населения с 2006 г.",
    "% of 2006 population": "% населения 2006 г.",
    "Relative change of total population against 2006.": "Относительное изменение численности населения по сравнению с 2006 г.",
    # table of contents captions and site furniture (Russian edition)
    "Programme": "Программа",
    "Outcomes": "Группы результатов",
    "Projects and indicators": "Проекты и показатели",
    "Reference": "Справочные материалы",
    "Workshops": "Семинары",
    "Search the knowledge base…": "Поиск по базе знаний…",
    "Every figure comes from the sourced snapshot in <code>data/</code>; every chart names its "
    "source and licence.": "Все цифры взяты из набора данных с указанием источников в <code>data/</code>; под каждым "
    "графиком указаны источник и лицензия.",
    # sources
    "Id": "Код",
    "Title and note": "Название и примечание",
    "Exercise {number}": "Упражнение {number}",
    "vintage: {vintage}": "выпуск: {vintage}",
    "Table": "Таблица",
    "The snapshot cites {sources}. Where the table shows 〃, the licence is “{licence}” and the source was read on {date}.": "Набор данных ссылается на {sources}. Где в таблице стоит 〃, лицензия — «{licence}», а источник прочитан {date}",
    "No source we could read states a commitment or report.": "Ни один прочитанный нами источник не сообщает об обязательстве или докладе.",
    "LDN target": "целевой показатель НБДЗ",
    "voluntary commitment": "добровольное обязательство",
    "LDN Target Setting Programme": "Программа установления целевых показателей НБДЗ",
    "preparatory work on LDN": "подготовительная работа по НБДЗ",
    "national report to the UNCCD": "национальный доклад для КБО ООН",
    "What the source states": "Что сообщает источник",
    "Target year": "Целевой год",
    "No practice documented in WOCAT's database is recorded here.": "Практик, описанных в базе данных WOCAT, здесь не записано.",
    "Practice": "Практика",
    "WOCAT id": "Идентификатор WOCAT",
    "Type": "Тип",
    "technology": "технология",
    "approach": "подход",
    "Project named in the record": "Проект, указанный в записи",
    "Tied to CACILM": "Связь с CACILM",
    "yes": "да",
    "no": "нет",
    "{practices} in WOCAT's database; the record itself ties {tied} of them to CACILM or one of its projects.": "В базе данных WOCAT: {practices}; сама запись связывает с CACILM или одним из её проектов практик: {tied}.",
    "Time": "Время",
    "Session": "Занятие",
    "Length": "Продолжительность",
    "Data sources": "Источники данных",
    "estimate": "оценка",
    "nowcast": "оперативная оценка",
    "reported by the country": "данные, представленные страной",
    "Solution": "Решение",
    "# Your answer here": "# Ваш ответ",
    "2026, CACILM Knowledge Base contributors": "2026, авторы базы знаний CACILM",
    "Publisher": "Издатель",
    "Retrieved": "Дата обращения",
    "Read from": "Где прочитано",
}

MONTHS_RU_GEN = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]
MONTHS_RU_SHORT = [
    "янв.",
    "февр.",
    "март",
    "апр.",
    "май",
    "июнь",
    "июль",
    "авг.",
    "сент.",
    "окт.",
    "нояб.",
    "дек.",
]

VEGA_LOCALE = {
    "ru": {
        "number": {
            "decimal": ",",
            "thousands": "\u00a0",
            "grouping": [3],
            "currency": ["", "\u00a0₽"],
        },
        "time": {
            "dateTime": "%A, %e %B %Y г. %X",
            "date": "%d.%m.%Y",
            "time": "%H:%M:%S",
            "periods": ["AM", "PM"],
            "days": [
                "воскресенье",
                "понедельник",
                "вторник",
                "среда",
                "четверг",
                "пятница",
                "суббота",
            ],
            "shortDays": ["вс", "пн", "вт", "ср", "чт", "пт", "сб"],
            "months": MONTHS_RU_GEN,
            "shortMonths": MONTHS_RU_SHORT,
        },
    }
}


PLURALS: dict[str, dict[str, dict[str, str]]] = {
    "{count} events": {
        "en": {"one": "{count} event", "other": "{count} events"},
        "ru": {
            "one": "{count} событие",
            "few": "{count} события",
            "many": "{count} событий",
            "other": "{count} события",
        },
    },
    "{count} sources": {
        "en": {"one": "{count} source", "other": "{count} sources"},
        "ru": {
            "one": "{count} источник",
            "few": "{count} источника",
            "many": "{count} источников",
            "other": "{count} источника",
        },
    },
    "{count} documented practices": {
        "en": {"one": "{count} documented practice", "other": "{count} documented practices"},
        "ru": {
            "one": "{count} описанная практика",
            "few": "{count} описанные практики",
            "many": "{count} описанных практик",
            "other": "{count} описанной практики",
        },
    },
    "{count} confirmed": {
        "en": {"other": "{count} confirmed"},
        "ru": {
            "one": "{count} с подтверждённой связью",
            "other": "{count} с подтверждённой связью",
        },
    },
    "{count} probable": {
        "en": {"other": "{count} probable"},
        "ru": {"one": "{count} с вероятной связью", "other": "{count} с вероятной связью"},
    },
    "{count} associated": {
        "en": {"other": "{count} associated"},
        "ru": {
            "one": "{count} сопутствующий",
            "few": "{count} сопутствующих",
            "many": "{count} сопутствующих",
            "other": "{count} сопутствующих",
        },
    },
}
"""Counted nouns, per language and CLDR plural category (one, few, many, other)."""


def counted(count: int, phrase: str) -> str:
    """`phrase` (a key of PLURALS) for `count`, the noun agreeing with the number by the
    language's CLDR plural rule (Babel): `1 событие`, `2 события`, `5 событий`, `21 событие`."""
    from babel.core import Locale

    forms = PLURALS[phrase][language()]
    category = Locale.parse(language()).plural_form(count)
    return forms.get(category, forms["other"]).format(count=number(count, 0))


def set_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    _current["lang"] = lang


def language() -> str:
    return _current["lang"]


def localized(record, column: str):
    """`record[column]` in the page's language: its `<column>_ru` twin on Russian pages (data
    tables carry their Russian text beside the English). `record` is a row or a frame."""
    twin = f"{column}_ru"
    if language() == "ru":
        if isinstance(record, tuple) and hasattr(record, "_fields"):
            if twin in record._fields:
                return getattr(record, twin)
        elif twin in record:
            return record[twin]
    return getattr(record, column) if isinstance(record, tuple) else record[column]


def t(message: str, **values) -> str:
    """`message` in the current language, with `{name}` fields filled from `values`."""
    text = message
    if language() == "ru":
        if message in RU:
            text = RU[message]
        else:
            _missing.add(message)
    return text.format(**values) if values else text


def missing() -> list[str]:
    return sorted(_missing)


def dump_missing() -> None:
    """Save untranslated messages where `kb execute` asked (`KB_I18N_MISSING_FILE`)."""
    import json
    from pathlib import Path

    target = os.environ.get("KB_I18N_MISSING_FILE")
    if target:
        Path(target).write_text(json.dumps(missing(), ensure_ascii=False), encoding="utf-8")


def reset() -> None:
    _missing.clear()
    _current["lang"] = "en"


def number(value: float, digits: int) -> str:
    """A number in the current language's format (Babel, CLDR): `1,234.5` / `1 234,5`."""
    from babel.numbers import format_decimal

    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=language())
