"""Client for the email service that sends invoice PDFs."""

from api.email.client import EmailClient, EmailSendFailed, build_invoice_email, safe_pdf_filename

__all__ = ["EmailClient", "EmailSendFailed", "build_invoice_email", "safe_pdf_filename"]
