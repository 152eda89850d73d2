"""A long PDF laid out in parts on several processes, its pages put together in order."""

from __future__ import annotations

import io

from pypdf import PdfReader

from epiclic.pdf import pdf_bytes_of_parts


def _page(text: str) -> str:
    return f"<!doctype html><html lang='fr'><body><p>{text}</p></body></html>"


def test_the_parts_pages_come_in_the_order_of_the_parts():
    content = pdf_bytes_of_parts([_page("Premier"), _page("Deuxième"), _page("Troisième")])
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]
    assert [text.strip() for text in pages] == ["Premier", "Deuxième", "Troisième"]


def test_one_part_is_the_document_itself():
    content = pdf_bytes_of_parts([_page("Seul")])
    assert content.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(content)).pages) == 1
