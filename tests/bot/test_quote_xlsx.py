"""The quotation XLSX opens with openpyxl and holds the lines, totals and terms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from io import BytesIO

from openpyxl import load_workbook

from bot.exports.quote_xlsx import QuotationLine, QuotationSheet, write_quote_xlsx


def sheet(**overrides: object) -> QuotationSheet:
    values: dict[str, object] = dict(
        seller_name="宁波示例贸易有限公司 Ningbo Example Trading Co., Ltd.",
        seller_lines=("No. 1 Example Road, Ningbo, China", "Tel +86 574 0000 0000"),
        buyer_name="Acme GmbH",
        buyer_lines=("Hamburg, Germany",),
        quote_no="Q-2026-0012",
        revision=2,
        quote_date=date(2026, 11, 23),
        currency="USD",
        incoterm="FOB",
        port="Ningbo",
        lines=(
            QuotationLine("LED Panel 600x600", D("1000"), "pcs", D("10.5"), D("10500.00"), "40W, 4000K"),
            QuotationLine("Driver", D("2.5"), "kg", D("0.125"), D("0.31")),
        ),
        total=D("10500.31"),
        validity_days=30,
        payment_terms="30% T/T deposit, 70% against B/L copy",
        lead_time="25 days after deposit",
        contact="Chen Xiao, chen@example.com",
    )
    values.update(overrides)
    return QuotationSheet(**values)  # type: ignore[arg-type]


def cells(ws) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


def find(ws, value: object):  # type: ignore[no-untyped-def]
    return next(c for row in ws.iter_rows() for c in row if c.value == value)


def test_xlsx_opens_and_holds_lines_and_total() -> None:
    data = write_quote_xlsx(sheet())
    assert data[:2] == b"PK"
    ws = load_workbook(BytesIO(data)).active
    assert ws.title == "Quotation"
    values = set(cells(ws).values())
    assert "宁波示例贸易有限公司 Ningbo Example Trading Co., Ltd." in values
    assert {"Acme GmbH", "Q-2026-0012", "2", "QUOTATION"} <= values

    led = find(ws, "LED Panel 600x600\n40W, 4000K")
    row = [ws.cell(row=led.row, column=c).value for c in range(1, 7)]
    assert row == [1, "LED Panel 600x600\n40W, 4000K", 1000, "pcs", 10.5, 10500]
    driver = find(ws, "Driver")
    assert [ws.cell(row=driver.row, column=c).value for c in (3, 5, 6)] == [2.5, 0.125, 0.31]

    label = find(ws, "TOTAL FOB Ningbo (USD)")
    total = ws.cell(row=label.row, column=6)
    assert total.value == 10500.31 and total.font.bold


def test_number_formats_dates_and_widths() -> None:
    ws = load_workbook(BytesIO(write_quote_xlsx(sheet()))).active
    led = find(ws, "LED Panel 600x600\n40W, 4000K").row
    driver = find(ws, "Driver").row
    assert ws.cell(row=led, column=3).number_format == "#,##0"
    assert ws.cell(row=driver, column=3).number_format == "#,##0.###"
    assert ws.cell(row=driver, column=5).number_format == "#,##0.00##"
    assert ws.cell(row=led, column=6).number_format == "#,##0.00"
    date_label = find(ws, "Date:")
    assert ws.cell(row=date_label.row, column=6).value.date() == date(2026, 11, 23)
    valid = find(ws, "Valid Until:")
    assert ws.cell(row=valid.row, column=6).value.date() == date(2026, 12, 23)
    assert ws.column_dimensions["B"].width == 44
    assert ws.column_dimensions["F"].width == 18
    headers = [ws.cell(row=led - 1, column=c).value for c in range(1, 7)]
    assert headers == ["No.", "Description", "Quantity", "Unit", "Unit Price (USD)", "Amount (USD)"]


def test_terms_are_listed() -> None:
    values = set(cells(load_workbook(BytesIO(write_quote_xlsx(sheet()))).active).values())
    assert {
        "Price Term: FOB Ningbo",
        "Currency: USD",
        "Validity: 30 days (until 2026-12-23)",
        "Payment: 30% T/T deposit, 70% against B/L copy",
        "Lead Time: 25 days after deposit",
        "Contact: Chen Xiao, chen@example.com",
    } <= values


def test_text_from_chat_never_becomes_a_formula() -> None:
    data = write_quote_xlsx(
        sheet(
            buyer_name='=HYPERLINK("http://evil","x")',
            lines=(QuotationLine("=1+1", D("1"), "pcs", D("1"), D("1")),),
            total=D("1"),
        )
    )
    ws = load_workbook(BytesIO(data)).active
    buyer = find(ws, '=HYPERLINK("http://evil","x")')
    assert buyer.data_type == "s"
    assert find(ws, "=1+1").data_type == "s"


def test_minimal_sheet_without_optional_parts() -> None:
    data = write_quote_xlsx(
        sheet(
            seller_lines=(),
            buyer_lines=(),
            payment_terms="",
            lead_time="",
            contact="",
            port="",
            incoterm="EXW",
            currency="CNY",
        )
    )
    values = set(cells(load_workbook(BytesIO(data)).active).values())
    assert {"Price Term: EXW", "TOTAL EXW (CNY)"} <= values
    assert not any(str(v).startswith(("Payment:", "Lead Time:")) for v in values)  # never "Payment: -"


def test_control_characters_stored_before_cleaning_do_not_break_the_sheet() -> None:
    """A name stored with NUL / ESC / other control characters (before input was cleaned) still exports."""
    data = write_quote_xlsx(
        sheet(
            buyer_name="Acme\x00 \x1b[31mGmbH\x07",
            lines=(QuotationLine("Valve\x0b DN50", D("1"), "pcs", D("1"), D("1"), "note\x1f"),),
            total=D("1"),
        )
    )
    values = set(cells(load_workbook(BytesIO(data)).active).values())
    assert "Acme GmbH" in values
    assert "Valve DN50\nnote" in values
