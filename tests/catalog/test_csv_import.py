from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from catalog import csv_io, rules, services
from catalog.models import CsvImportPlan, Product
from catalog.services import product_csv_import_apply
from epiclic.errors import Refusal
from imports import services as pipeline
from imports.models import ImportPlan, PlanRow
from imports.rows import Change, Row
from imports.selectors import plan_rows
from tests.factories import make_product

HEADER = "ref;nom;prix_ttc;tva;unite;stock\r\n"


def url(shop, name: str, **kwargs) -> str:
    return reverse(f"catalog:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


def send(client, shop, content: bytes | str, name: str = "produits.csv", encoding="utf-8"):
    data = content.encode(encoding) if isinstance(content, str) else content
    response = client.post(url(shop, "csv_import"), {"file": SimpleUploadedFile(name, data)})
    return response


def preview(client, shop, content, **kwargs):
    response = send(client, shop, content, **kwargs)
    assert response.status_code == 302, response.content.decode()[:500]
    plan = CsvImportPlan.objects.latest("pk")
    return plan, client.get(response["Location"])


def confirm(client, shop, plan):
    return client.post(url(shop, "csv_import_confirm", pk=plan.pk), follow=True)


def by_ref(plan) -> dict[str, Row]:
    return {row.key: row for row in plan_rows(plan)}


# --- tenancy ------------------------------------------------------------------------------------


def test_every_csv_page_is_guarded_by_shop_and_role(check_tenancy, shop, manager):
    plan = CsvImportPlan.objects.create(shop=shop, created_by=manager)
    check_tenancy(url(shop, "product_export"))
    check_tenancy(url(shop, "csv_import"))
    check_tenancy(url(shop, "csv_import_preview", pk=plan.pk))
    check_tenancy(url(shop, "csv_import_confirm", pk=plan.pk), method="post")


def test_a_plan_of_another_shop_cannot_be_seen_or_applied(manager_client, shop, other_shop):
    plan = CsvImportPlan.objects.create(shop=other_shop)
    assert manager_client.get(url(shop, "csv_import_preview", pk=plan.pk)).status_code == 404
    assert manager_client.post(url(shop, "csv_import_confirm", pk=plan.pk)).status_code == 404


# --- reading files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")]
)
def test_utf8_with_or_without_bom_and_windows_1252_are_read(manager_client, shop, encoding, bom):
    text = "Réf;Nom;Prix TTC\r\nCAF-1;Café moulu;3,29\r\n"
    plan, _ = preview(manager_client, shop, bom + text.encode(encoding))
    assert plan.errors == []
    assert plan_rows(plan)[0].values["name"] == "Café moulu"
    assert plan_rows(plan)[0].values["price"] == "3.29"


def test_comma_separated_files_with_quoted_comma_prices_are_read(manager_client, shop):
    plan, _ = preview(
        manager_client, shop, 'ref,nom,prix_ttc\r\nA1,"Pâtes, coquillettes","0,89"\r\n'
    )
    row = plan_rows(plan)[0]
    assert row.status == "new"
    assert row.values == {"ref": "A1", "name": "Pâtes, coquillettes", "price": "0.89"}


def test_header_aliases_and_case_are_tolerated():
    parsed = csv_io.read_csv("RÉFÉRENCE;Désignation;Prix;Code-barres;TVA (%)\nA;B;1\n".encode())
    assert parsed.columns == ["ref", "nom", "prix_ttc", "code_barres", "tva"]
    assert parsed.errors == []


def test_missing_required_columns_are_named(manager_client, shop):
    plan, page = preview(manager_client, shop, "nom;stock\nRiz;3\n")
    assert plan_rows(plan) == []
    assert "Colonnes obligatoires manquantes : ref, prix_ttc" in plan.errors[0]
    html = page.content.decode()
    assert "Colonnes obligatoires manquantes" in html
    assert '<button type="button" disabled>Confirmer l\'import</button>' in html


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Le fichier est vide."),
        (b"  \r\n ;; \r\n", "Le fichier est vide."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "pas un CSV lisible"),
        (b"ref;nom;prix_ttc\r\n", "aucune ligne de produit"),
    ],
)
def test_empty_and_non_csv_files_are_refused(manager_client, shop, content, message):
    plan, _ = preview(manager_client, shop, content)
    assert message in " ".join(plan.errors)
    assert plan.has_errors


@pytest.mark.parametrize("megabytes", [8, 20])
def test_a_big_file_is_refused_before_parsing(manager_client, shop, monkeypatch, megabytes):
    def fail(*args, **kwargs):
        raise AssertionError("the file must not be parsed")

    monkeypatch.setattr(csv_io, "read_csv", fail)
    content = HEADER + "A;Riz;1;5,5;kg;1\r\n" * (megabytes * 1024 * 1024 // 17)
    response = send(manager_client, shop, content)
    if response.status_code == 413:  # over MAX_REQUEST_BYTES: refused by epiclic.limits
        assert "trop lourd" in response.content.decode()
    else:  # under it: refused by the import from the announced length
        assert "trop lourd" in manager_client.get(response["Location"]).content.decode()
    assert not CsvImportPlan.objects.exists()


def test_a_file_just_over_5_mb_is_refused_with_a_message(manager_client, shop):
    response = send(manager_client, shop, "x" * (5 * 1024 * 1024 + 10))
    assert response.status_code == 200
    assert "5 Mo au maximum" in response.content.decode()
    assert not CsvImportPlan.objects.exists()


# --- checking rows ---------------------------------------------------------------------------


def test_each_duplicate_ref_row_is_an_error(manager_client, shop):
    plan, _ = preview(manager_client, shop, HEADER + "A;Riz;1;;;\r\nB;Sel;1;;;\r\nA;Riz 2;2;;;\r\n")
    statuses = [(r.line, r.status) for r in plan_rows(plan)]
    assert statuses == [(2, "error"), (3, "new"), (4, "error")]
    assert "en double dans le fichier (lignes 2, 4)" in plan_rows(plan)[0].errors[0]


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (";Riz;1;;;", "Référence manquant"),
        ("A;;1;;;", "Nom manquant"),
        ("A;Riz;-1,00;;;", "ne peut pas être négatif"),
        ("A;Riz;deux euros;;;", "n'est pas un nombre"),
        ("A;Riz;1,999;;;", "trop de décimales"),
        ("A;Riz;;;;", "Prix manquant"),
        ("A;Riz;1;7;;", "Taux de TVA inconnu"),
        ("A;Riz;1;;boîte;", "Unité inconnue"),
    ],
)
def test_bad_rows_get_a_french_message(manager_client, shop, cells, message):
    plan, page = preview(manager_client, shop, HEADER + cells + "\r\n")
    assert plan_rows(plan)[0].status == "error"
    assert message in " ".join(plan_rows(plan)[0].errors)
    assert 'type="submit">Confirmer' not in page.content.decode()


def test_a_bad_barcode_is_a_row_error(manager_client, shop):
    plan, _ = preview(manager_client, shop, "ref;nom;prix_ttc;code_barres\nA;Riz;1;3017620422004\n")
    assert "clé de contrôle" in plan_rows(plan)[0].errors[0]


@pytest.mark.parametrize("barcode", ["96385074", "036000291452", "3017620422003", "10012345678902"])
def test_gtin_8_12_13_and_14_barcodes_with_a_valid_check_digit_are_accepted(
    manager_client, shop, barcode
):
    plan, _ = preview(manager_client, shop, f"ref;nom;prix_ttc;code_barres\nA;Riz;1;{barcode}\n")
    assert plan_rows(plan)[0].status == "new"
    confirm(manager_client, shop, plan)
    assert Product.objects.get(shop=shop, ref="A").barcode == barcode


@pytest.mark.parametrize("barcode", ["12345678901234", "036000291453", "1234567"])
def test_barcodes_without_a_valid_gtin_check_digit_are_row_errors(manager_client, shop, barcode):
    plan, _ = preview(manager_client, shop, f"ref;nom;prix_ttc;code_barres\nA;Riz;1;{barcode}\n")
    assert plan_rows(plan)[0].status == "error"


def test_html_in_names_is_escaped_in_the_preview_and_stored_as_text(manager_client, shop):
    name = '<img src=x onerror="alert(1)">Riz'
    content = 'ref;nom;prix_ttc\nA;"<img src=x onerror=""alert(1)"">Riz";1\n'
    plan, page = preview(manager_client, shop, content)
    html = page.content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html
    confirm(manager_client, shop, plan)
    assert Product.objects.get(shop=shop, ref="A").name == name


# --- preview and apply --------------------------------------------------------------------------


def test_the_preview_classifies_rows_and_shows_field_differences(manager_client, shop):
    make_product(shop=shop, ref="OLD", name="Riz", price="1.50", vat_rate=Decimal("5.5"))
    make_product(shop=shop, ref="SAME", name="Sel", price="0.80", vat_rate=Decimal("5.5"))
    content = "ref;nom;prix_ttc;tva\nOLD;Riz;1,75;5,5\nSAME;Sel;0,8;5.5\nNEW;Thé;2;20\n;X;1;5,5\n"
    plan, page = preview(manager_client, shop, content)
    rows = by_ref(plan)
    assert rows["OLD"].status == "changed"
    assert rows["OLD"].diff == [Change("price", "1.50", "1.75")]
    assert rows["SAME"].status == "unchanged"
    assert rows["NEW"].status == "new"
    counts = {k: plan.counts[k] for k in ("new", "changed", "unchanged", "error")}
    assert counts == {"new": 1, "changed": 1, "unchanged": 1, "error": 1}
    html = page.content.decode()
    assert "<code>prix_ttc</code> : <del>1,50</del> → <ins>1,75</ins>" in html  # the French way
    assert 'id="count-changed">1<' in html
    assert "disabled" in html  # the error row blocks the confirmation
    assert Product.objects.filter(shop=shop).count() == 2  # nothing applied


def test_the_preview_shows_units_and_quantities_in_words_a_volunteer_reads(manager_client, shop):
    make_product(shop=shop, ref="OLD", name="Riz", unit="piece", unit_quantity=Decimal("1"))
    content = "ref;nom;prix_ttc;unite;quantite_unite\nOLD;Riz;2,50;kg;0,5\n"
    _, page = preview(manager_client, shop, content)
    html = page.content.decode()
    assert "<code>unite</code> : <del>pièce</del> → <ins>kg</ins>" in html
    assert "<code>quantite_unite</code> : <del>1</del> → <ins>0,5</ins>" in html


def test_a_plan_with_errors_cannot_be_applied(manager_client, shop):
    plan, _ = preview(manager_client, shop, HEADER + "A;Riz;1;;;\r\nB;;1;;;\r\n")
    response = confirm(manager_client, shop, plan)
    assert "abord les erreurs du fichier" in response.content.decode()
    assert not Product.objects.exists()


def test_confirming_applies_exactly_what_was_previewed(manager_client, shop):
    make_product(shop=shop, ref="OLD", name="Riz", price="1.50", stock=Decimal("3"))
    content = HEADER + "OLD;Riz long;1,75;20;kg;7\r\nNEW;Thé vert;2,10;5,5;g;12,5\r\n"
    plan, page = preview(manager_client, shop, content)
    assert 'type="submit">Confirmer' in page.content.decode()
    response = confirm(manager_client, shop, plan)
    assert "1 produit(s) créé(s), 1 modifié(s)" in response.content.decode()
    for row in plan_rows(plan):
        product = Product.objects.get(shop=shop, ref=row.key)
        wanted = row.values if row.status == "new" else {c.field: c.new for c in row.diff}
        assert wanted
        for field_name, value in wanted.items():
            assert rules.current_value(product, field_name) == value, field_name
    new = Product.objects.get(shop=shop, ref="NEW")
    assert (new.price, new.unit, new.stock) == (Decimal("2.10"), "g", Decimal("12.5"))


def test_changes_made_after_the_preview_do_not_widen_what_is_applied(manager_client, shop):
    old = make_product(shop=shop, ref="OLD", name="Riz", price="1.50", category="Épicerie")
    other = make_product(shop=shop, ref="OTHER", name="Pâtes", price="0.90")
    plan, _ = preview(manager_client, shop, "ref;nom;prix_ttc\nOLD;Riz;1,75\nNEW;Thé;2\n")
    # Meanwhile: the manager edits fields outside the plan; the file is no longer there.
    Product.objects.filter(pk=old.pk).update(category="Changée", name="Riz renommé")
    Product.objects.filter(pk=other.pk).update(price=Decimal("0.95"))
    confirm(manager_client, shop, plan)
    old.refresh_from_db()
    other.refresh_from_db()
    # Only the previewed change (price) is written; "name" was unchanged in the preview.
    assert (old.price, old.name, old.category) == (Decimal("1.75"), "Riz renommé", "Changée")
    assert other.price == Decimal("0.95")
    assert set(Product.objects.values_list("ref", flat=True)) == {"OLD", "OTHER", "NEW"}


def test_a_plan_whose_new_ref_appeared_meanwhile_is_refused(manager_client, shop):
    plan, _ = preview(manager_client, shop, "ref;nom;prix_ttc\nNEW;Thé;2\n")
    make_product(shop=shop, ref="NEW", name="Créé à la main")
    response = confirm(manager_client, shop, plan)
    assert "ont changé depuis l" in response.content.decode()
    assert Product.objects.get(ref="NEW").name == "Créé à la main"
    plan.refresh_from_db()
    assert plan.applied_at is None


def test_a_tampered_plan_is_refused(manager_client, shop):
    plan, _ = preview(manager_client, shop, "ref;nom;prix_ttc\nNEW;Thé;2\n")
    stored = PlanRow.objects.get(plan=plan, i=0)
    stored.data = stored.data.replace('"2.00"', '"0.01"')
    stored.save()
    response = confirm(manager_client, shop, plan)
    assert "altéré" in response.content.decode()
    assert not Product.objects.exists()


def test_a_plan_is_applied_only_once(manager_client, shop):
    plan, _ = preview(manager_client, shop, "ref;nom;prix_ttc\nNEW;Thé;2\n")
    confirm(manager_client, shop, plan)
    response = confirm(manager_client, shop, plan)
    assert "déjà été appliqué" in response.content.decode()
    assert Product.objects.filter(ref="NEW").count() == 1
    with pytest.raises(Refusal):
        product_csv_import_apply(shop=shop, plan_id=plan.pk)


def test_an_expired_plan_is_refused(manager_client, shop):
    plan, _ = preview(manager_client, shop, "ref;nom;prix_ttc\nNEW;Thé;2\n")
    CsvImportPlan.objects.filter(pk=plan.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert (
        "a expiré"
        in manager_client.get(url(shop, "csv_import_preview", pk=plan.pk)).content.decode()
    )
    response = confirm(manager_client, shop, plan)
    assert "a expiré" in response.content.decode()
    assert not Product.objects.exists()


def test_the_stock_of_an_escarcelle_product_is_not_taken_from_the_file(manager_client, shop):
    make_product(
        shop=shop, ref="E", name="Lié", price="1", stock_source="escarcelle", escarcelle_id="9"
    )
    plan, _ = preview(manager_client, shop, "ref;nom;prix_ttc;stock\nE;Lié;1;50\n")
    assert plan_rows(plan)[0].status == "unchanged"


def test_many_rows_are_paginated_and_counted(manager_client, shop):
    lines = "".join(f"R{i};Produit {i};1\n" for i in range(250))
    plan, page = preview(manager_client, shop, "ref;nom;prix_ttc\n" + lines)
    assert plan.counts["new"] == 250
    assert len(page.context["page"].object_list) == 100
    errors_only = manager_client.get(
        url(shop, "csv_import_preview", pk=plan.pk), {"statut": "error"}
    )
    assert len(errors_only.context["page"].object_list) == 0
    confirm(manager_client, shop, plan)
    assert Product.objects.filter(shop=shop).count() == 250


# --- export ----------------------------------------------------------------------------------


def test_the_export_is_utf8_with_bom_semicolons_and_all_columns(manager_client, shop, other_shop):
    make_product(shop=shop, ref="A", name="Café; moulu", price="3.29", vat_rate=Decimal("5.5"))
    make_product(shop=other_shop, ref="B", name="Ailleurs")
    response = manager_client.get(url(shop, "product_export"))
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == ";".join(csv_io.COLUMNS)
    # French spreadsheet figures and words; the import reads them back (test_round_trip).
    assert lines[1].startswith('A;"Café; moulu";;;;pièce;1;3,29;5,5;oui;')
    assert len(lines) == 2


def five_lines_in_chunks_of_two(client, shop, monkeypatch) -> CsvImportPlan:
    monkeypatch.setattr(pipeline, "CHUNK_ROWS", 2)
    monkeypatch.setattr(pipeline, "CHUNK_PAUSE_S", 0)
    plan, _ = preview(client, shop, HEADER + "".join(f"R{n};P{n};1;;;\r\n" for n in range(5)))
    return plan


def test_an_apply_stopped_midway_is_shown_and_resumes_where_it_stopped(
    manager_client, shop, monkeypatch
):
    plan = five_lines_in_chunks_of_two(manager_client, shop, monkeypatch)
    write = services._csv_write

    def killed_at_the_second_chunk(shop, rows):
        if rows[0].i == 2:
            raise RuntimeError("the process was killed")
        return write(shop, rows)

    monkeypatch.setattr(services, "_csv_write", killed_at_the_second_chunk)
    with pytest.raises(RuntimeError):
        product_csv_import_apply(shop=shop, plan_id=plan.pk)
    monkeypatch.setattr(services, "_csv_write", write)
    assert sorted(Product.objects.values_list("ref", flat=True)) == ["R0", "R1"]
    # Still fresh: it may be running elsewhere, so it is not started twice.
    response = confirm(manager_client, shop, plan)
    assert "en cours d'application" in response.content.decode()
    ImportPlan.objects.filter(pk=plan.pk).update(
        heartbeat=timezone.now() - ImportPlan.APPLY_TIMEOUT - datetime.timedelta(seconds=1)
    )
    page = manager_client.get(url(shop, "csv_import_preview", pk=plan.pk)).content.decode()
    assert "interrompue après 2 ligne(s) sur 5" in page
    assert "Reprendre l'import" in page
    response = confirm(manager_client, shop, plan)
    assert "5 produit(s) créé(s), 0 modifié(s)" in response.content.decode()
    assert sorted(Product.objects.values_list("ref", flat=True)) == [f"R{n}" for n in range(5)]
    assert "déjà été appliqué" in confirm(manager_client, shop, plan).content.decode()


def test_a_chunk_refused_by_the_database_stops_the_apply_and_says_how_far_it_went(
    manager_client, shop, monkeypatch
):
    plan = five_lines_in_chunks_of_two(manager_client, shop, monkeypatch)
    write = services._csv_write

    def someone_creates_r3_meanwhile(shop, rows):
        if rows[0].i == 2:
            make_product(shop=shop, ref="R3", name="Créé à la main entre deux lots")
        return write(shop, rows)

    monkeypatch.setattr(services, "_csv_write", someone_creates_r3_meanwhile)
    response = confirm(manager_client, shop, plan)
    assert "arrêté après 2 ligne(s) sur 5" in response.content.decode()
    assert sorted(Product.objects.values_list("ref", flat=True)) == ["R0", "R1"]
    page = manager_client.get(url(shop, "csv_import_preview", pk=plan.pk)).content.decode()
    assert "arrêté après 2 ligne(s) sur 5" in page
    assert "Rien n'a été enregistré" not in page
    assert 'type="submit">Confirmer' not in page
