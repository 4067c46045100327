"""The translation catalogues: find every message, keep the .po files in step, compile .mo.

    python tools/i18n.py extract   # simulation/i18n/locales/pilotsim.pot from the code
    python tools/i18n.py update    # merge new messages into fi and sv .po (translate them)
    python tools/i18n.py compile   # .po -> .mo (committed: an install needs no build step)

A message is every literal passed to ``N_``, ``gettext`` or ``Words.text`` in ``simulation/``,
and the label and wording of every metric the report, the CLI and the dashboard show (the
catalogue's groups in ``TRANSLATED_GROUPS``). ``tests/test_i18n.py`` fails when one of them has
no Finnish or Swedish translation.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "simulation" / "i18n" / "locales"
DOMAIN = "pilotsim"
TRANSLATED = ("fi", "sv")
KEYWORDS = {"N_": None, "gettext": None, "text": None}
# metric groups whose labels and wordings appear on the report, the CLI and the dashboard
TRANSLATED_GROUPS = ("report_effects", "effects", "headline", "report_series", "gross_net",
                     "dashboard_series", "dashboard_effects", "dashboard_kpis")
# metrics whose label alone is shown: the dashboard's firm-side table and provider view
LABELLED_GROUPS = ("growth",)
LABELLED_PREFIX = "provider"  # every provider metric (the provider view shows most of them)


def messages() -> dict[str, list[tuple[str, int]]]:
    """Every message id with where it is used (file, line)."""
    found: dict[str, list[tuple[str, int]]] = {}
    for package in ("simulation", "dashboards"):  # the dashboard's results are translated too
        for filename, lineno, message, _comments, _context in extract_from_dir(
                str(ROOT / package), method_map=[("**.py", "python")], keywords=KEYWORDS):
            if isinstance(message, str) and message.strip():
                found.setdefault(message, []).append((f"{package}/{filename}", lineno))
    sys.path.insert(0, str(ROOT))
    from simulation.engine.catalogue import CATALOGUE, in_group, metric

    for group in TRANSLATED_GROUPS:
        for name in in_group(group):
            m = metric(name)
            for text in (m.label, m.wording):
                found.setdefault(text, []).append(
                    (f"simulation/engine/catalogue (metric {m.name})", 0))
    labelled = [n for g in LABELLED_GROUPS for n in in_group(g)]
    labelled += [n for n in CATALOGUE if n.startswith(LABELLED_PREFIX)]
    for name in labelled:
        m = metric(name)
        found.setdefault(m.label, []).append(
            (f"simulation/engine/catalogue (metric {m.name})", 0))
    for text, where in lever_texts():
        found.setdefault(text, []).append((where, 0))
    return found


def lever_texts() -> list[tuple[str, str]]:
    """The build panel's lever labels, groups, units and help of every library scenario and
    contract template (made from the schema and the contracts, so not literals in the code);
    a service's label is the glossary's term and a symbol is no message."""
    from dashboards.levers import contract_templates, levers_for, scenario_names

    out = []
    for name in scenario_names():
        for template in ["own", *(value for value, _ in contract_templates(name))]:
            for lever in levers_for(name, template):
                texts = [lever.group, lever.unit, lever.description]
                if not lever.path.startswith("services."):
                    texts.append(lever.label)
                out += [(t, f"dashboards/levers ({lever.path})") for t in texts
                        if t and t not in ("€", "×", "%")]
    return out


def template() -> Catalog:
    catalog = Catalog(project="pilotsim", domain=DOMAIN, charset="utf-8")
    for message, locations in sorted(messages().items()):
        catalog.add(message, locations=locations,
                    flags=("python-brace-format",) if "{" in message else ())
    return catalog


def po_path(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> None:
    with open(LOCALES / f"{DOMAIN}.pot", "wb") as out:
        write_po(out, template(), width=100, omit_header=False)


def update() -> None:
    pot = template()
    for lang in TRANSLATED:
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with open(path, "rb") as f:
                catalog = read_po(f, locale=lang)
            catalog.update(pot, no_fuzzy_matching=True)
        else:
            catalog = Catalog(locale=lang, project="pilotsim", domain=DOMAIN, charset="utf-8")
            catalog.update(pot, no_fuzzy_matching=True)
        with open(path, "wb") as out:
            write_po(out, catalog, width=100, ignore_obsolete=True)


def compile_all() -> None:
    for lang in TRANSLATED:
        with open(po_path(lang), "rb") as f:
            catalog = read_po(f, locale=lang)
        with open(po_path(lang).with_suffix(".mo"), "wb") as out:
            write_mo(out, catalog, use_fuzzy=False)


if __name__ == "__main__":
    commands = {"extract": extract, "update": update, "compile": compile_all}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: python tools/i18n.py {'|'.join(commands)}")
    commands[sys.argv[1]]()
