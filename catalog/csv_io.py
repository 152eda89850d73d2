"""CSV export of the products, and the parsing and diffing of a CSV import.

Nothing here writes to the database: ``build_import_rows`` turns a file into the rows of a
preview (new / changed / unchanged / error); ``catalog.services.product_csv_import_apply``
applies a stored preview.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from catalog.models import Product, StockSource, Unit
from catalog.validators import match_unit, match_vat_rate, parse_decimal, validate_ean

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
DECIMAL_PLACES = {"price": 2, "unit_quantity": 3, "stock": 3}
MAX_LENGTHS = {"ref": 64, "name": 255, "category": 100}


def _vat_text(value: Decimal) -> str:
    # "5.5", not the stored "5.50"; 0 is a real rate, hence no "or".
    rate = match_vat_rate(value)
    return str(value if rate is None else rate)


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
        return _vat_text(value).replace(".", ",")
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


def display_value(field_name: str, text: str) -> str:
    """A plan value (``2.50``, ``piece``, ``500.000``) as the preview shows it (``2,50``…)."""
    if not text:
        return text
    if field_name == "unit" and text in Unit.values:
        return str(Unit(text).label)
    if field_name in DECIMAL_PLACES or field_name == "vat_rate":
        number = Decimal(text)
        shown = f"{number:.2f}" if field_name == "price" else format(number.normalize(), "f")
        return shown.replace(".", ",")
    return text


def export_rows(products: Iterable[Product]) -> Iterator[str]:
    """The lines of the export: UTF-8 BOM, ``;`` separator, the format the import reads."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield "\ufeff" + flush()
    for product in products:
        writer.writerow([_cell(product, f) for f in COLUMNS.values()])
        yield flush()


# --- Import: reading the file -------------------------------------------------------------


@dataclass
class ParsedFile:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    # (line number in the file, {csv column: raw text})
    records: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def normalise_header(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.strip().lstrip("\ufeff").lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
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
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
        raw_rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        parsed.errors.append(_("Ce fichier n'est pas un CSV lisible (%(err)s).") % {"err": exc})
        return parsed
    raw_rows = [(n, row) for n, row in raw_rows if any(cell.strip() for cell in row)]
    if not raw_rows:
        parsed.errors.append(_("Le fichier est vide."))
        return parsed
    header = raw_rows[0][1]
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
    if parsed.errors:
        return parsed
    if len(raw_rows) == 1:
        parsed.errors.append(_("Le fichier ne contient aucune ligne de produit."))
    for line, row in raw_rows[1:]:
        record = {c: cell.strip() for c, cell in zip(columns, row, strict=False) if c in COLUMNS}
        parsed.records.append((line, record))
    return parsed


# --- Import: checking and diffing ----------------------------------------------------------


def _clean_value(column: str, raw: str, errors: list[str]) -> str | None:
    """The normalised text of one cell (what the plan stores), or None when left out."""
    field_name = COLUMNS[column]
    if field_name in ("name", "ref"):
        if not raw:
            label = _("Référence") if field_name == "ref" else _("Nom")
            errors.append(_("%(label)s manquant(e).") % {"label": label})
        elif len(raw) > MAX_LENGTHS[field_name]:
            errors.append(
                _("« %(col)s » dépasse %(n)s caractères.")
                % {"col": column, "n": MAX_LENGTHS[field_name]}
            )
        return raw
    if field_name == "category":
        if len(raw) > MAX_LENGTHS["category"]:
            errors.append(_("« categorie » dépasse 100 caractères."))
        return raw
    if field_name == "description":
        return raw
    if field_name == "barcode":
        try:
            validate_ean(raw)
        except ValidationError as exc:
            errors.append(f"{raw} : {exc.messages[0]}")
        return raw
    if not raw:
        if field_name == "price":
            errors.append(_("Prix manquant."))
        return None
    if field_name == "active":
        word = raw.lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return "oui" if word in TRUE_WORDS else "non"
        errors.append(_("« actif » doit valoir oui ou non (et non « %(v)s »).") % {"v": raw})
        return None
    if field_name == "unit":
        unit = match_unit(raw)
        if unit is None:
            errors.append(_("Unité inconnue : « %(v)s » (pièce, kg, g, l, cl ou ml).") % {"v": raw})
        return unit
    try:
        number = parse_decimal(raw)
    except ValueError:
        errors.append(_("« %(col)s » n'est pas un nombre : « %(v)s ».") % {"col": column, "v": raw})
        return None
    if field_name == "vat_rate":
        rate = match_vat_rate(number)
        if rate is None:
            errors.append(
                _("Taux de TVA inconnu : « %(v)s » (0 ; 2,1 ; 5,5 ; 10 ou 20).") % {"v": raw}
            )
            return None
        return str(rate)
    if number < 0:
        errors.append(
            _("« %(col)s » ne peut pas être négatif : %(v)s.") % {"col": column, "v": raw}
        )
        return None
    places = DECIMAL_PLACES[field_name]
    quantised = number.quantize(Decimal(1).scaleb(-places))
    if quantised != number:
        errors.append(
            _("« %(col)s » a trop de décimales (%(n)s au plus) : %(v)s.")
            % {"col": column, "n": places, "v": raw}
        )
        return None
    if quantised.adjusted() >= 7:
        errors.append(_("« %(col)s » est trop grand : %(v)s.") % {"col": column, "v": raw})
        return None
    if field_name == "unit_quantity" and quantised == 0:
        errors.append(_("La quantité par unité doit être supérieure à zéro."))
        return None
    return str(quantised)


def current_value(product: Product, field_name: str) -> str:
    """A product's value in the text form the plan uses, so that equal means unchanged."""
    value = getattr(product, field_name)
    if field_name == "active":
        return "oui" if value else "non"
    if field_name == "vat_rate":
        return _vat_text(value)
    if field_name in DECIMAL_PLACES:
        return str(Decimal(value).quantize(Decimal(1).scaleb(-DECIMAL_PLACES[field_name])))
    return value or ""


def build_import_rows(parsed: ParsedFile, products_by_ref: dict[str, Product]) -> list[dict]:
    """One preview row per record: status, values (plan text), changes {field: [old, new]}."""
    ref_lines: dict[str, list[int]] = {}
    for line, record in parsed.records:
        if record.get("ref"):
            ref_lines.setdefault(record["ref"], []).append(line)
    rows = []
    for line, record in parsed.records:
        errors: list[str] = []
        values: dict[str, str] = {}
        for column, raw in record.items():
            value = _clean_value(column, raw, errors)
            if value is not None:
                values[COLUMNS[column]] = value
        ref = record.get("ref", "")
        if ref and len(ref_lines[ref]) > 1:
            errors.append(
                _("Référence « %(ref)s » en double dans le fichier (lignes %(lines)s).")
                % {"ref": ref, "lines": ", ".join(str(n) for n in ref_lines[ref])}
            )
        product = products_by_ref.get(ref) if ref else None
        row = {"line": line, "ref": ref, "name": record.get("nom", ""), "values": values}
        row.update(changes={}, errors=errors, product_id=product.pk if product else None)
        if errors:
            row["status"] = "error"
        elif product is None:
            row["status"] = "new"
        else:
            if product.stock_source == StockSource.ESCARCELLE:
                # Escarcelle owns the stock of a bound product; the file cannot override it.
                values.pop("stock", None)
            for field_name, new in values.items():
                old = current_value(product, field_name)
                if old != new:
                    row["changes"][field_name] = [old, new]
            row["status"] = "changed" if row["changes"] else "unchanged"
        rows.append(row)
    return rows
