"""A minimal, valid one-page PDF (PDF 1.4, Helvetica, text lines), written byte by byte."""

from __future__ import annotations


def _escape(text: str) -> str:
    printable = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
    return printable.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_pdf(lines: list[str], title: str = "Invoice") -> bytes:
    """A US Letter page showing `lines` top-down; starts with %PDF- and ends with %%EOF."""
    commands = ["BT", "/F1 12 Tf", "14 TL", "56 736 Td"]
    for index, line in enumerate(lines[:48]):
        commands.append(f"({_escape(line)}) {'Tj' if index == 0 else chr(39)}")
    commands.append("ET")
    stream = "\n".join(commands).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title (%s) /Producer (streamOS Rutter sandbox) >>" % _escape(title).encode("ascii"),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (len(objects) + 1, len(objects))
    out += b"startxref\n%d\n%%%%EOF" % xref_at
    return bytes(out)
