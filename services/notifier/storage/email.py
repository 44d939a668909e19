"""Send e-mail over SMTP to the configured relay (plain SMTP, without TLS)."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

import aiosmtplib

from ..domain.deliveries import DeliveryFailed, Email

__all__ = ["SmtpEmailSender"]


class SmtpEmailSender:
    """One SMTP connection per e-mail; the Message-ID is the delivery id, so relays deduplicate.

    ``timeout_seconds`` bounds each SMTP step and the whole conversation too.
    """

    def __init__(self, *, host: str, port: int, timeout_seconds: float, from_address: str) -> None:
        self._host = host
        self._port = port
        self._timeout_seconds = timeout_seconds
        self._from_address = from_address

    async def send(self, delivery_id: str, message: Email) -> None:
        try:
            async with asyncio.timeout(self._timeout_seconds):
                await aiosmtplib.send(
                    self._mime(delivery_id, message),
                    hostname=self._host,
                    port=self._port,
                    timeout=self._timeout_seconds,
                    start_tls=False,
                    use_tls=False,
                )
        except TimeoutError as exc:
            raise DeliveryFailed(
                f"SMTP: no answer within {self._timeout_seconds:g}s", outcome="timeout"
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryFailed(f"SMTP: {exc!r}", outcome="rejected") from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed(f"SMTP: {exc!r}", outcome="rejected") from exc
        except OSError as exc:
            raise DeliveryFailed(f"SMTP: {exc!r}", outcome="unreachable") from exc
        except aiosmtplib.SMTPException as exc:
            raise DeliveryFailed(f"SMTP: {exc!r}") from exc

    def _mime(self, delivery_id: str, message: Email) -> EmailMessage:
        mime = EmailMessage()
        mime["From"] = self._from_address
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Message-ID"] = delivery_id
        mime.set_content(message.body)
        return mime
