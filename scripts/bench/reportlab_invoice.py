#!/usr/bin/env python3
"""Baseline of the invoice-PDF scenario: ReportLab renders the same one-page,
20-line A4 invoice as `accredit bench render-invoices` (seller block, title with
number and dates, "Bill to", a 5-column lines table with a filled header row and
rules, totals, payment instructions, notes, footer), with the same DejaVu Sans
faces embedded and subset and page compression on, then hashes (SHA-256) and
writes each PDF to the same file, as the Rust side does.

Usage: reportlab_invoice.py COUNT FONT_DIR   → one JSON line
"""

import hashlib
import io
import json
import os
import sys
import tempfile
import time

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

ACCENT, INK, MUTED, HEADER = HexColor("#1f4e79"), HexColor("#1a1a1a"), HexColor("#6b6b6b"), HexColor("#e8eef5")
W, H = A4
LEFT, RIGHT = 48, W - 48


def party(c, x, y, name, bold):
    c.setFont(bold, 10.5)
    c.setFillColor(INK)
    c.drawString(x, y, name)
    c.setFont("DejaVu", 9)
    for line in ["Unter den Linden 5", "10117 Berlin", "Germany", "Tax ID: DE123456789",
                 "billing@example.org"]:
        y -= 12
        c.drawString(x, y, line)
    return y


def render():
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle("Invoice ACC-2026-000001")
    top = H - 46
    party(c, LEFT, top - 30, "Python Certification Foundation", "DejaVu-Bold")
    c.setFont("DejaVu-Bold", 22)
    c.setFillColor(ACCENT)
    c.drawRightString(RIGHT, top - 20, "Invoice")
    c.setFont("DejaVu", 9)
    c.setFillColor(INK)
    for i, (k, v) in enumerate([("Number", "ACC-2026-000001"), ("Issued", "2026-11-21"),
                                ("Due", "2026-12-21")]):
        c.drawRightString(RIGHT - 100, top - 44 - 12 * i, k)
        c.drawRightString(RIGHT, top - 44 - 12 * i, v)
    c.setFont("DejaVu", 8.5)
    c.setFillColor(MUTED)
    c.drawString(LEFT, top - 130, "BILL TO")
    party(c, LEFT, top - 145, "Example Training GmbH", "DejaVu-Bold")
    y = top - 250
    c.setFillColor(HEADER)
    c.rect(LEFT, y - 6, RIGHT - LEFT, 22, stroke=0, fill=1)
    c.setFillColor(INK)
    c.setFont("DejaVu-Bold", 9)
    cols = [RIGHT - 258, RIGHT - 172, RIGHT - 86, RIGHT]
    c.drawString(LEFT + 6, y + 2, "Description")
    for x, label in zip(cols, ["Qty", "Unit price", "Tax", "Amount"]):
        c.drawRightString(x - 6, y + 2, label)
    c.setFont("DejaVu", 9)
    for i in range(20):
        y -= 18
        c.drawString(LEFT + 6, y, f"Base Text and Syllabus course licence, seat {i}")
        for x, v in zip(cols, ["1", "US$250.00", "US$0.00", "US$250.00"]):
            c.drawRightString(x - 6, y, v)
        c.setStrokeColor(HEADER)
        c.line(LEFT, y - 6, RIGHT, y - 6)
    y -= 30
    for k, v in [("Subtotal", "US$5,000.00"), ("Tax", "US$0.00")]:
        c.drawRightString(RIGHT - 100, y, k)
        c.drawRightString(RIGHT, y, v)
        y -= 14
    c.setFont("DejaVu-Bold", 11)
    c.setFillColor(ACCENT)
    c.drawRightString(RIGHT - 100, y, "Total USD")
    c.drawRightString(RIGHT, y, "US$5,000.00")
    c.setFont("DejaVu", 9)
    c.setFillColor(INK)
    c.drawString(LEFT, y - 30, "IBAN IE29 AIBK 9311 5212 3456 78")
    c.drawString(LEFT, y - 44, "No tax has been charged on this invoice.")
    c.setFont("DejaVu", 7.5)
    c.setFillColor(MUTED)
    c.drawString(LEFT, 31, "Python Certification Foundation · ACC-2026-000001")
    c.drawRightString(RIGHT, 31, "Page 1 of 1")
    c.showPage()
    c.save()
    return buf.getvalue()


def main():
    count, font_dir = int(sys.argv[1]), sys.argv[2]
    pdfmetrics.registerFont(TTFont("DejaVu", os.path.join(font_dir, "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVu-Bold", os.path.join(font_dir, "DejaVuSans-Bold.ttf")))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "invoice.pdf")

        def once():
            pdf = render()
            hashlib.sha256(pdf).digest()
            with open(path, "wb") as f:
                f.write(pdf)
            return len(pdf)

        for _ in range(3):
            once()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        size = 0
        for _ in range(count):
            size = once()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(json.dumps({"count": count, "pdf_bytes": size, "cpu_seconds": cpu, "wall_seconds": wall,
                      "per_cpu_second": count / cpu, "per_wall_second": count / wall,
                      "ms_per_page_cpu": 1000 * cpu / count}))


if __name__ == "__main__":
    main()
