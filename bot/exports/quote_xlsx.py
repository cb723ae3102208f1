"""The buyer-facing quotation as an XLSX file.

In the buyer's language: Chinese labels for a customer in China, English for everyone else (product names as
the rep wrote them). A quote not yet approved says DRAFT / 草稿 on the sheet itself, so a sheet forwarded too
early cannot pass for an offer. Values are written as numbers with number formats (not text, not formulas) so
the sheet sums correctly in Excel *and* shows the right figures in chat-app previews that do not evaluate
formulas. Text from chat is forced to text cells so a buyer name like "=HYPERLINK(...)" can never become a formula.
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
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from core.countries import country_code
from core.text import clean_text

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
_DRAFT_FONT = Font(bold=True, size=14, color="C00000")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "QUOTATION",
        "draft": "DRAFT – not approved, not a valid offer",
        "to": "To:",
        "no": "Quotation No.:",
        "revision": "Revision:",
        "date": "Date:",
        "valid_until": "Valid Until:",
        "item": "No.",
        "description": "Description",
        "quantity": "Quantity",
        "unit": "Unit",
        "unit_price": "Unit Price ({currency})",
        "amount": "Amount ({currency})",
        "total": "TOTAL{term} ({currency})",
        "terms": "Terms",
        "price_term": "Price Term:",
        "currency": "Currency:",
        "validity": "Validity:",
        "validity_value": "{days} days (until {until})",
        "payment": "Payment:",
        "lead_time": "Lead Time:",
        "lead_time_value": "{days} days",
        "vat": "VAT:",
        "vat_included": "prices include {rate}% VAT",
        "vat_excluded": "prices exclude VAT ({rate}%)",
        "remark": "Remark:",
        "contact": "Contact:",
    },
    "zh": {
        "title": "报价单",
        "draft": "草稿 – 尚未批准，不作为正式报价",
        "to": "致：",
        "no": "报价编号：",
        "revision": "版本：",
        "date": "日期：",
        "valid_until": "有效期至：",
        "item": "序号",
        "description": "品名规格",
        "quantity": "数量",
        "unit": "单位",
        "unit_price": "单价（{currency}）",
        "amount": "金额（{currency}）",
        "total": "合计{term}（{currency}）",
        "terms": "条款",
        "price_term": "价格条款：",
        "currency": "币种：",
        "validity": "有效期：",
        "validity_value": "{days} 天（至 {until}）",
        "payment": "付款方式：",
        "lead_time": "交货期：",
        "lead_time_value": "{days} 天",
        "vat": "税：",
        "vat_included": "以上价格含 {rate}% 增值税",
        "vat_excluded": "以上价格不含税（增值税 {rate}%）",
        "remark": "备注：",
        "contact": "联系人：",
    },
}
UNIT_WORDS_ZH = {"pcs": "件", "set": "套", "unit": "台", "pair": "双", "roll": "卷", "carton": "箱", "ton": "吨"}


def sheet_language(country: str | None, home: str = "CN") -> str:
    """`zh` for a customer at home (China), `en` for everyone else and for an unknown country."""
    return "zh" if country_code(country) == home else "en"


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
    language: str = "en"  # en / zh: the labels (LABELS)
    draft: bool = False  # not approved: DRAFT / 草稿 on the sheet
    vat_rate: Decimal | None = None  # shown when the prices say 含税 / 不含税
    vat_included: bool = False

    @property
    def valid_until(self) -> date:
        return self.quote_date + timedelta(days=self.validity_days)


def _text(ws: Worksheet, row: int, col: int, value: str, **style: object) -> Cell:
    """A cell that is always text, whatever the user typed (control characters stored long ago included)."""
    cell = ws.cell(row=row, column=col)
    assert isinstance(cell, Cell), "a merged range is written through its first cell"
    cell.value = clean_text(value)
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
    t = LABELS[view.language]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Quotation" if view.language == "en" else "报价单"
    wb.properties.title = f"{t['title']} {view.quote_no}{' DRAFT' if view.draft else ''}"
    wb.properties.creator = view.seller_name
    for i, width in enumerate(COLUMN_WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width

    # Seller header.
    row = 1
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=LAST_COL)
    _text(ws, row, 1, view.seller_name, font=Font(bold=True, size=16), alignment=Alignment(horizontal="center"))
    ws.row_dimensions[row].height = 26
    for seller_line in view.seller_lines:
        row += 1
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=LAST_COL)
        _text(ws, row, 1, seller_line, alignment=Alignment(horizontal="center"), font=Font(size=9, color="555555"))
    row += 2
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=LAST_COL)
    _text(ws, row, 1, t["title"], font=Font(bold=True, size=14), alignment=Alignment(horizontal="center"))
    if view.draft:
        row += 1
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=LAST_COL)
        _text(ws, row, 1, t["draft"], font=_DRAFT_FONT, alignment=Alignment(horizontal="center"))
        if ws.oddHeader is not None:
            ws.oddHeader.center.text = t["draft"]  # on every printed page too

    # Buyer on the left, quote reference on the right.
    row += 2
    top = row
    _text(ws, row, 1, t["to"], font=Font(bold=True))
    _text(ws, row, 2, view.buyer_name, font=Font(bold=True))
    for buyer_line in view.buyer_lines:
        row += 1
        _text(ws, row, 2, buyer_line)
    ref = top
    _label_value(ws, ref, 5, t["no"], view.quote_no)
    _label_value(ws, ref + 1, 5, t["revision"], str(view.revision))
    _text(ws, ref + 2, 5, t["date"], font=Font(bold=True))
    ws.cell(row=ref + 2, column=6, value=view.quote_date).number_format = DATE_FORMAT
    _text(ws, ref + 3, 5, t["valid_until"], font=Font(bold=True))
    ws.cell(row=ref + 3, column=6, value=view.valid_until).number_format = DATE_FORMAT
    for r in range(ref, ref + 4):
        ws.cell(row=r, column=6).alignment = Alignment(horizontal="left")
    row = max(row, ref + 3) + 2

    # Lines.
    headers = (
        t["item"],
        t["description"],
        t["quantity"],
        t["unit"],
        t["unit_price"].format(currency=view.currency),
        t["amount"].format(currency=view.currency),
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
        unit = UNIT_WORDS_ZH.get(line.unit, line.unit) if view.language == "zh" else line.unit
        _text(ws, row, 4, unit, alignment=Alignment(horizontal="center", vertical="top"))
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
        t["total"].format(term=f" {view.incoterm}{where}" if view.incoterm else "", currency=view.currency),
        font=Font(bold=True),
        alignment=Alignment(horizontal="right"),
    )
    total = _number(ws, row, 6, view.total, AMOUNT_FORMAT)
    total.font = Font(bold=True)
    for col in range(1, LAST_COL + 1):
        ws.cell(row=row, column=col).border = _BOX

    # Terms.
    row += 2
    _text(ws, row, 1, t["terms"], font=Font(bold=True, size=12))
    terms = [
        (t["price_term"], f"{view.incoterm}{where}" if view.incoterm else ""),
        (t["currency"], view.currency),
        (t["validity"], t["validity_value"].format(days=view.validity_days, until=view.valid_until.isoformat())),
        (t["payment"], view.payment_terms),
        (t["lead_time"], view.lead_time),
    ]
    if view.vat_rate is not None:
        rate = f"{view.vat_rate.normalize():f}"
        terms.append((t["vat"], t["vat_included" if view.vat_included else "vat_excluded"].format(rate=rate)))
    terms += [(t["remark"], remark) for remark in view.remarks]
    terms.append((t["contact"], view.contact))
    terms = [(label, value) for label, value in terms if value]  # a term nobody set is left out, never "-"
    for label, value in terms:  # one merged row each: column A is too narrow for a label of its own
        row += 1
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=LAST_COL)
        _text(ws, row, 1, f"{label} {value}", alignment=Alignment(wrap_text=True, vertical="top"))

    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = ws.sheet_properties.pageSetUpPr or PageSetupProperties()
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"

    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
