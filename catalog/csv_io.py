"""CSV export of the products, and the reading and diffing of a CSV import.

Nothing here writes to the database: ``plan_rows`` turns a file into the typed rows of a
preview (``imports.rows.Row``: new / changed / unchanged / error), one at a time, so that a
hundred thousand lines never sit in memory twice; ``catalog.services`` stores and applies
them through the import pipeline (``imports``).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from catalog import rules
from catalog.models import Product, StockSource, Unit
from epiclic.collation import folded
from epiclic.numbers import parse_decimal
from epiclic.spreadsheets import csv_lines, formula_unquote
from imports.rows import Change, Row, RowStatus, Value
from shops.models import Shop

MAX_IMPORT_BYTES = 5 * 1024 * 1024

# CSV column → Product field, in export order.
COLUMNS = {
    "ref": "ref",
    "nom": "name",
    "code_barres": "barcode",
    "description": "description",
    "categorie": "category",
    "unite": "unit",
    "quantite_unite": "unit_quantity",
    "prix_ttc": "price",
    "tva": "vat_rate",
    "actif": "active",
    "stock": "stock",
    # Optional like every column but REQUIRED; last, so older files keep their layout.
    "emplacement": "shelf_location",
}
REQUIRED = ("ref", "nom", "prix_ttc")
FIELD_TO_COLUMN = {v: k for k, v in COLUMNS.items()}
# Other spellings met in spreadsheets, after normalisation (lower case, no accents, "_").
ALIASES = {
    "reference": "ref",
    "ref_produit": "ref",
    "name": "nom",
    "libelle": "nom",
    "designation": "nom",
    "nom_du_produit": "nom",
    "codebarres": "code_barres",
    "code_barre": "code_barres",
    "ean": "code_barres",
    "barcode": "code_barres",
    "category": "categorie",
    "rayon": "categorie",
    "emplacement_en_rayon": "emplacement",
    "shelf_location": "emplacement",
    "unit": "unite",
    "quantite": "quantite_unite",
    "quantite_par_unite": "quantite_unite",
    "contenance": "quantite_unite",
    "prix": "prix_ttc",
    "price": "prix_ttc",
    "prix_en_rayon": "prix_ttc",
    "prix_en_rayon_ttc": "prix_ttc",
    "taux_tva": "tva",
    "taux_de_tva": "tva",
    "vat": "tva",
    "active": "actif",
}
TRUE_WORDS = {"oui", "o", "1", "vrai", "true", "yes", "x"}
FALSE_WORDS = {"non", "n", "0", "faux", "false", "no"}


# --- Export ------------------------------------------------------------------------------


def _cell(product: Product, field_name: str) -> str:
    """A cell as a French spreadsheet reads it: ``2,99``, ``5,5``, ``500``, ``pièce``.

    A dot would make French Excel or LibreOffice read ``0.89`` as text or a date; the
    import reads both forms, so an export comes back unchanged.
    """
    value = getattr(product, field_name)
    if field_name == "active":
        return "oui" if value else "non"
    if field_name == "vat_rate":
        # "5,5", not the stored "5.50"; 0 is a real rate, hence no "or".
        rate = rules.match_vat_rate(value)
        return str(value if rate is None else rate).replace(".", ",")
    if field_name == "unit":
        if value not in Unit.values:
            return value
        with translation.override("fr"):  # the file's words are French whatever the UI
            return str(Unit(value).label)
    if field_name == "price":
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f").replace(".", ",")
    return value or ""


def export_rows(products: Iterable[Product]) -> Iterator[str]:
    """The lines of the export: UTF-8 BOM, ``;`` separator, the format the import reads."""
    return csv_lines(
        list(COLUMNS), ([_cell(product, f) for f in COLUMNS.values()] for product in products)
    )


# --- Import: reading the file -------------------------------------------------------------


@dataclass
class ParsedFile:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    text: str = ""
    delimiter: str = ";"

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(line number in the file, {csv column: stripped cell}) of each product line."""
        if self.errors:
            return
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        known = [(n, c) for n, c in enumerate(self.columns) if c in COLUMNS]
        header_seen = False
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if not header_seen:
                header_seen = True
                continue
            width = len(row)
            # formula_unquote: a cell our export quoted against formula injection reads back.
            yield (
                reader.line_num,
                {c: formula_unquote(row[n].strip()) for n, c in known if n < width},
            )


def normalise_header(name: str) -> str:
    text = folded(name.strip().lstrip("\ufeff"))
    for junk in ("(€)", "(eur)", "(%)", "€", "%"):
        text = text.replace(junk, " ")
    text = "_".join(text.replace("-", " ").replace(".", " ").replace("'", " ").split())
    return ALIASES.get(text, text)


def decode(data: bytes) -> str | None:
    """UTF-8 (with or without BOM), else Windows-1252; None for a binary file."""
    if b"\x00" in data[:4096]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return None


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") >= header_line.count(",") else ","


def read_csv(data: bytes) -> ParsedFile:
    """Decode the file and check its header; ``records()`` then reads the lines one by one."""
    parsed = ParsedFile()
    if not data.strip():
        parsed.errors.append(_("Le fichier est vide."))
        return parsed
    text = decode(data)
    if text is None:
        parsed.errors.append(
            _(
                "Ce fichier n'est pas un CSV lisible. Enregistrez votre tableur au format "
                "« CSV (séparateur : point-virgule) » puis réessayez."
            )
        )
        return parsed
    first = next((line for line in text.splitlines() if line.strip()), "")
    parsed.text, parsed.delimiter = text, _delimiter(first)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=parsed.delimiter)
        lines = (row for row in reader if any(cell.strip() for cell in row))
        header = next(lines, None)
        has_products = next(lines, None) is not None
        for _row in lines:  # the whole file must be readable CSV
            pass
    except csv.Error as exc:
        parsed.errors.append(_("Ce fichier n'est pas un CSV lisible (%(err)s).") % {"err": exc})
        return parsed
    if header is None:
        parsed.errors.append(_("Le fichier est vide."))
        return parsed
    columns = [normalise_header(h) for h in header]
    parsed.columns = columns
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        parsed.errors.append(
            _(
                "Colonnes obligatoires manquantes : %(missing)s. Colonnes trouvées : %(found)s. "
                "La première ligne doit nommer les colonnes (ref ; nom ; prix_ttc …)."
            )
            % {"missing": ", ".join(missing), "found": ", ".join(h.strip() for h in header)}
        )
    doubled = sorted(c for c, n in Counter(c for c in columns if c).items() if n > 1)
    if doubled:
        parsed.errors.append(
            _("Colonnes en double : %(cols)s. Chaque colonne ne doit apparaître qu'une fois.")
            % {"cols": ", ".join(doubled)}
        )
    unknown = [h.strip() for h, c in zip(header, columns, strict=True) if c not in COLUMNS]
    if unknown:
        parsed.warnings.append(
            _("Colonnes ignorées (inconnues) : %(cols)s.") % {"cols": ", ".join(unknown)}
        )
    if not parsed.errors and not has_products:
        parsed.errors.append(_("Le fichier ne contient aucune ligne de produit."))
    return parsed


# --- Import: checking and diffing ----------------------------------------------------------


def _decimal_error(problem: str, column: str, raw: str, field_name: str) -> str:
    if problem == rules.NEGATIVE:
        return _("« %(col)s » ne peut pas être négatif : %(v)s.") % {"col": column, "v": raw}
    if problem == rules.ZERO:
        return _("La quantité par unité doit être supérieure à zéro.")
    if problem == rules.PLACES:
        return _("« %(col)s » a trop de décimales (%(n)s au plus) : %(v)s.") % {
            "col": column,
            "n": rules.decimal_places(field_name),
            "v": raw,
        }
    return _("« %(col)s » est trop grand : %(v)s.") % {"col": column, "v": raw}


def _clean_value(column: str, raw: str, errors: list[str]) -> Value:
    """The canonical value of one cell (what the plan stores), or None when left out."""
    field_name = COLUMNS[column]
    if field_name in ("name", "ref", "category", "shelf_location", "description"):
        if not raw and field_name in ("name", "ref"):
            label = _("Référence") if field_name == "ref" else _("Nom")
            errors.append(_("%(label)s manquant(e).") % {"label": label})
        elif rules.text_problem(field_name, raw):
            errors.append(
                _("« %(col)s » dépasse %(n)s caractères.")
                % {"col": column, "n": rules.max_length(field_name)}
            )
        return raw
    if field_name == "barcode":
        if raw and not rules.gtin_is_valid(raw):
            errors.append(f"{raw} : {rules.barcode_message()}")
        return raw
    if not raw:
        if field_name == "price":
            errors.append(_("Prix manquant."))
        return None
    if field_name == "active":
        word = raw.lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        errors.append(_("« actif » doit valoir oui ou non (et non « %(v)s »).") % {"v": raw})
        return None
    if field_name == "unit":
        unit = rules.match_unit(raw)
        if unit is None:
            errors.append(_("Unité inconnue : « %(v)s » (pièce, kg, g, l, cl ou ml).") % {"v": raw})
        return unit
    try:
        number = parse_decimal(raw)
    except ValueError:
        errors.append(_("« %(col)s » n'est pas un nombre : « %(v)s ».") % {"col": column, "v": raw})
        return None
    if field_name == "vat_rate":
        rate = rules.match_vat_rate(number)
        if rate is None:
            errors.append(
                _("Taux de TVA inconnu : « %(v)s » (0 ; 2,1 ; 5,5 ; 10 ou 20).") % {"v": raw}
            )
            return None
        return rules.canonical(field_name, rate)
    problem = rules.decimal_problem(field_name, number)
    if problem is not None:
        errors.append(_decimal_error(problem, column, raw, field_name))
        return None
    return rules.canonical(field_name, number)


@dataclass(slots=True)
class Existing:
    """A product of the shop as the diff sees it: its id, and its canonical values."""

    id: int
    bound: bool
    values: dict[str, Any]


def existing_products(shop: Shop, columns: Iterable[str] = COLUMNS) -> dict[str, Existing]:
    """The shop's products with a ref, by ref, with the fields of ``columns`` (one query)."""
    fields = [COLUMNS[c] for c in columns if c in COLUMNS]
    rows = (
        Product.objects.filter(shop=shop).exclude(ref="").values_list("id", "stock_source", *fields)
    )
    return {
        values[0]: Existing(
            id=pk,
            bound=source == StockSource.ESCARCELLE,
            values={f: rules.canonical(f, v) for f, v in zip(fields, values, strict=True)},
        )
        for pk, source, *values in rows
    }


def _ref_lines(parsed: ParsedFile) -> dict[str, list[int]]:
    """The lines of each ref met more than once in the file."""
    first: dict[str, int] = {}
    doubled: dict[str, list[int]] = {}
    for line, record in parsed.records():
        ref = record.get("ref")
        if not ref:
            continue
        if ref in doubled:
            doubled[ref].append(line)
        elif ref in first:
            doubled[ref] = [first[ref], line]
        else:
            first[ref] = line
    return doubled


# Columns whose cells repeat (a price, a rate, a unit): each distinct cell is checked once.
_REPEATED = {"unite", "quantite_unite", "prix_ttc", "tva", "actif", "stock", "categorie"}
_MEMO_MAX = 100_000


def plan_rows(parsed: ParsedFile, existing: Mapping[str, Existing]) -> Iterator[Row]:
    """One preview row per product line, in file order."""
    doubled = _ref_lines(parsed)
    memo: dict[tuple[str, str], tuple[Value, list[str]]] = {}
    for line, record in parsed.records():
        errors: list[str] = []
        values: dict[str, Value] = {}
        for column, raw in record.items():
            if column in _REPEATED:
                known = memo.get((column, raw))
                if known is None:
                    cell_errors: list[str] = []
                    known = (_clean_value(column, raw, cell_errors), cell_errors)
                    if len(memo) < _MEMO_MAX:
                        memo[column, raw] = known
                value = known[0]
                errors.extend(known[1])
            else:
                value = _clean_value(column, raw, errors)
            if value is not None:
                values[COLUMNS[column]] = value
        ref = record.get("ref", "")
        if ref in doubled:
            errors.append(
                _("Référence « %(ref)s » en double dans le fichier (lignes %(lines)s).")
                % {"ref": ref, "lines": ", ".join(str(n) for n in doubled[ref])}
            )
        row = Row(status=RowStatus.NEW, key=ref, name=record.get("nom", ""), line=line)
        product = existing.get(ref) if ref else None
        if errors:
            row.status, row.errors = RowStatus.ERROR, errors
        elif product is None:
            row.values = values
        else:
            row.target_id = product.id
            if product.bound:
                # Escarcelle owns the stock of a bound product; the file cannot override it.
                values.pop("stock", None)
            row.diff = [
                Change(f, product.values[f], new)
                for f, new in values.items()
                if product.values[f] != new
            ]
            row.status = RowStatus.CHANGED if row.diff else RowStatus.UNCHANGED
        yield row
