"""Small knowledge-base files the assist tests build (no shared data: a user's clone has none)."""

from __future__ import annotations

from pathlib import Path


def pdf_bytes(lines: list[str]) -> bytes:
    """A minimal one-page PDF showing ``lines`` in Helvetica (no lines: a page without text)."""
    ops = ["BT /F1 12 Tf 72 720 Td 14 TL"] + [f"({line}) Tj T*" for line in lines] + ["ET"]
    stream = "\n".join(ops).encode() if lines else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


ARTICLE = """---
id: KB-1042
product: Skyline Wallet
url: https://help.example.com/e1042
---
# Error E1042: unable to sync

## What it means

E1042 appears after sign-in when the app cannot sync the account. The customer is sent back to the login screen.

## The fix

Clear the app cache in Android settings, then sign in again. If it comes back, reinstall the app.

- Open Settings
- Tap Apps, then Skyline Wallet
- Tap Storage, then Clear cache
"""

FAQ_CSV = """id,question,answer
faq-1,How do I reset my password?,"On the login screen tap Forgot password. We email a reset link valid for 30 minutes."
faq-2,How long does a refund take?,"Refunds go back to the original card within 5 to 7 business days."
"""


def write_kb(root: Path) -> Path:
    (root / "apps").mkdir(parents=True, exist_ok=True)
    (root / "apps" / "e1042.md").write_text(ARTICLE)
    (root / "faq.csv").write_text(FAQ_CSV)
    (root / "cards.html").write_text(
        "<html><head><title>Lost card</title><script>x()</script></head><body><nav>menu</nav>"
        "<h1>Lost or stolen card</h1><p>Block the card at once. A replacement arrives in 5 to 7 business days.</p>"
        "<h2>Fraud</h2><p>Ask about unfamiliar transactions and start a fraud claim.</p></body></html>")
    (root / "plans.txt").write_text("Changing your plan\n\nPlans can be changed once a month. The new price "
                                    "applies from the next bill.\n")
    (root / "manual.pdf").write_bytes(pdf_bytes(["Router manual.", "Hold the reset button for ten seconds.",
                                                 "The light turns green when the router is ready."]))
    return root
