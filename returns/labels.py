"""Return labels: a provider interface and a development provider that draws a PDF.

A carrier adapter (EasyPost, Shippo...) implements the same two calls. The development
provider makes a printable A6 label: RMA reference and id, from/to addresses and a Code 128
barcode of the RMA id (reportlab's own barcode module).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings


@dataclass(frozen=True)
class IssuedLabel:
    tracking_number: str


class ReturnLabelProvider(Protocol):
    name: str

    def issue_label(self, *, rma) -> IssuedLabel:
        """Book the return shipment; returns its tracking number."""
        ...

    def render_pdf(self, *, rma) -> bytes:
        """The printable label of an approved RMA."""
        ...


def _address_lines(address: dict) -> list[str]:
    parts = [
        address.get("name", ""),
        address.get("line1", ""),
        address.get("line2", ""),
        " ".join(
            p
            for p in (
                address.get("postal_code", ""),
                address.get("city", ""),
                address.get("region", ""),
            )
            if p
        ),
        address.get("country", ""),
    ]
    return [str(p) for p in parts if p]


class DevelopmentLabelProvider:
    """No carrier: the tracking number is derived from the RMA reference, the PDF is drawn."""

    name = "development"

    def issue_label(self, *, rma) -> IssuedLabel:
        return IssuedLabel(tracking_number=f"RET{rma.reference}")

    def render_pdf(self, *, rma) -> bytes:
        from reportlab.graphics.barcode import code128
        from reportlab.lib.pagesizes import A6
        from reportlab.lib.units import mm
        from reportlab.pdfgen import canvas

        pdf = canvas.Canvas(io.BytesIO(), pagesize=A6)
        pdf.setTitle(f"Return label {rma.reference}")
        width, height = A6
        y = height - 12 * mm
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(8 * mm, y, f"RETURN {rma.reference}")
        pdf.setFont("Helvetica", 8)
        pdf.drawString(8 * mm, y - 5 * mm, f"RMA {rma.public_id}  Order {rma.order.reference}")
        y -= 14 * mm
        for title, lines in (
            ("FROM", _address_lines(rma.order.shipping_address or {})),
            ("TO", return_address_lines()),
        ):
            pdf.setFont("Helvetica-Bold", 9)
            pdf.drawString(8 * mm, y, title)
            pdf.setFont("Helvetica", 9)
            for line in lines:
                y -= 4.5 * mm
                pdf.drawString(8 * mm, y, line[:60])
            y -= 8 * mm
        barcode = code128.Code128(rma.public_id, barHeight=18 * mm, barWidth=0.3 * mm)
        barcode.drawOn(pdf, (width - barcode.width) / 2, 14 * mm)
        pdf.setFont("Helvetica", 8)
        pdf.drawCentredString(width / 2, 9 * mm, rma.public_id)
        if rma.label_tracking_number:
            pdf.drawCentredString(width / 2, 5 * mm, f"Tracking {rma.label_tracking_number}")
        pdf.showPage()
        return pdf.getpdfdata()


def return_address_lines() -> list[str]:
    """Where returns go (settings.RETURNS_ADDRESS, one line per item)."""
    return list(
        getattr(
            settings,
            "RETURNS_ADDRESS",
            ["Emporium Returns", "100 Warehouse Way", "Newark NJ 07102", "US"],
        )
    )


LABEL_PROVIDERS: dict[str, type] = {"development": DevelopmentLabelProvider}


def label_provider() -> ReturnLabelProvider:
    """The provider named by settings.RETURNS_LABEL_PROVIDER (default "development"); a
    carrier adapter adds itself to LABEL_PROVIDERS."""
    name = getattr(settings, "RETURNS_LABEL_PROVIDER", "") or "development"
    return LABEL_PROVIDERS[name]()
