"""The buyer-facing quotation as an XLSX file.

English labels because the reader is the foreign buyer; values are written as numbers with
number formats (not text, not formulas) so the sheet sums correctly in Excel *and* shows
the right figures in chat-app previews that do not evaluate formulas. Text from chat is
forced to text cells so a buyer name like "=HYPERLINK(...)" can never become a formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

AMOUNT_FORMAT = "#,##0.00"
PRICE_FORMAT = "#,##0.00##"  # unit prices like 0.125 keep their decimals
QTY_INT_FORMAT = "#,##0"
QTY_DEC_FORMAT = "#,##0.###"
DATE_FORMAT = "yyyy-mm-dd"
# No., Description, Quantity, Unit, Unit Price, Amount
COLUMN_WIDTHS = (6, 44, 12, 9, 16, 18)
LAST_COL = len(COLUMN_WIDTHS)

_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")


@dataclass(frozen=True)
class QuotationLine:
    product: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    description: str = ""  # spec / model, shown under the product name


@dataclass(frozen=True)
class QuotationSheet:
    """Plain data for one quotation; amounts already computed by core.pricing."""

    seller_name: str  # from settings.company_name
    buyer_name: str
    quote_no: str
    quote_date: date
    currency: str
    incoterm: str
    port: str
    lines: tuple[QuotationLine, ...]
    total: Decimal
    revision: int = 1
    validity_days: int = 30
    payment_terms: str = ""
    lead_time: str = ""
    seller_lines: tuple[str, ...] = ()  # address, phone, e-mail
    buyer_lines: tuple[str, ...] = ()  # address, contact person
    contact: str = ""  # the rep: name, phone, e-mail
    remarks: tuple[str, ...] = ()

    @property
    def valid_until(self) -> date:
        return self.quote_date + timedelta(days=self.validity_days)


def _text(ws: Worksheet, row: int, col: int, value: str, **style: object) -> Cell:
    """A cell that is always text, whatever the user typed."""
    cell = ws.cell(row=row, column=col)
    cell.value = value
    cell.data_type = "s"
    for key, val in style.items():
        setattr(cell, key, val)
    return cell


def _number(ws: Worksheet, row: int, col: int, value: Decimal, fmt: str) -> Cell:
    cell = ws.cell(row=row, column=col, value=value)
    cell.number_format = fmt
    cell.alignment = Alignment(horizontal="right", vertical="top")
    return cell


def _qty_format(qty: Decimal) -> str:
    return QTY_INT_FORMAT if qty == qty.to_integral_value() else QTY_DEC_FORMAT


def _label_value(ws: Worksheet, row: int, col: int, label: str, value: str) -> None:
    _text(ws, row, col, label, font=Font(bold=True))
    _text(ws, row, col + 1, value)


def write_quote_xlsx(view: QuotationSheet) -> bytes:
    """Render the quotation to XLSX bytes, ready to send as a file in chat."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Quotation"
    wb.properties.title = f"Quotation {view.quote_no}"
    wb.properties.creator = view.seller_name
    for i, width in enumerate(COLUMN_WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width

    # Seller header.
    row = 1
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=LAST_COL)
    _text(ws, row, 1, view.seller_name, font=Font(bold=True, size=16), alignment=Alignment(horizontal="center"))
    ws.row_dimensions[row].height = 26
    for line in view.seller_lines:
        row += 1
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=LAST_COL)
        _text(ws, row, 1, line, alignment=Alignment(horizontal="center"), font=Font(size=9, color="555555"))
    row += 2
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=LAST_COL)
    _text(ws, row, 1, "QUOTATION", font=Font(bold=True, size=14), alignment=Alignment(horizontal="center"))

    # Buyer on the left, quote reference on the right.
    row += 2
    top = row
    _text(ws, row, 1, "To:", font=Font(bold=True))
    _text(ws, row, 2, view.buyer_name, font=Font(bold=True))
    for line in view.buyer_lines:
        row += 1
        _text(ws, row, 2, line)
    ref = top
    _label_value(ws, ref, 5, "Quotation No.:", view.quote_no)
    _label_value(ws, ref + 1, 5, "Revision:", str(view.revision))
    _text(ws, ref + 2, 5, "Date:", font=Font(bold=True))
    ws.cell(row=ref + 2, column=6, value=view.quote_date).number_format = DATE_FORMAT
    _text(ws, ref + 3, 5, "Valid Until:", font=Font(bold=True))
    ws.cell(row=ref + 3, column=6, value=view.valid_until).number_format = DATE_FORMAT
    for r in range(ref, ref + 4):
        ws.cell(row=r, column=6).alignment = Alignment(horizontal="left")
    row = max(row, ref + 3) + 2

    # Lines.
    headers = (
        "No.",
        "Description",
        "Quantity",
        "Unit",
        f"Unit Price ({view.currency})",
        f"Amount ({view.currency})",
    )
    header_row = row
    for col, title in enumerate(headers, 1):
        _text(
            ws,
            row,
            col,
            title,
            font=Font(bold=True),
            fill=_HEAD_FILL,
            border=_BOX,
            alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
        )
    for n, line in enumerate(view.lines, 1):
        row += 1
        ws.cell(row=row, column=1, value=n).alignment = Alignment(horizontal="center", vertical="top")
        desc = line.product if not line.description else f"{line.product}\n{line.description}"
        _text(ws, row, 2, desc, alignment=Alignment(wrap_text=True, vertical="top"))
        _number(ws, row, 3, line.quantity, _qty_format(line.quantity))
        _text(ws, row, 4, line.unit, alignment=Alignment(horizontal="center", vertical="top"))
        _number(ws, row, 5, line.unit_price, PRICE_FORMAT)
        _number(ws, row, 6, line.amount, AMOUNT_FORMAT)
        for col in range(1, LAST_COL + 1):
            ws.cell(row=row, column=col).border = _BOX
    row += 1
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
    where = f" {view.port}" if view.port else ""
    _text(
        ws,
        row,
        1,
        f"TOTAL {view.incoterm}{where} ({view.currency})",
        font=Font(bold=True),
        alignment=Alignment(horizontal="right"),
    )
    total = _number(ws, row, 6, view.total, AMOUNT_FORMAT)
    total.font = Font(bold=True)
    for col in range(1, LAST_COL + 1):
        ws.cell(row=row, column=col).border = _BOX

    # Terms.
    row += 2
    _text(ws, row, 1, "Terms", font=Font(bold=True, size=12))
    terms = [
        ("Price Term:", f"{view.incoterm}{where}"),
        ("Currency:", view.currency),
        ("Validity:", f"{view.validity_days} days (until {view.valid_until.isoformat()})"),
        ("Payment:", view.payment_terms or "-"),
        ("Lead Time:", view.lead_time or "-"),
    ]
    terms += [("Remark:", remark) for remark in view.remarks]
    if view.contact:
        terms.append(("Contact:", view.contact))
    for label, value in terms:  # one merged row each: column A is too narrow for a label of its own
        row += 1
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=LAST_COL)
        _text(ws, row, 1, f"{label} {value}", alignment=Alignment(wrap_text=True, vertical="top"))

    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"

    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
