"""Contact channels and directions, shared by interactions, complaints and profiles."""

from collections.abc import Mapping

from crmcore.domain.fields import Choice


class Channel(Choice):
    """Contact channels the sources list (for interactions, complaints and
    campaigns); ``event`` (a trade fair, a seminar) is where campaigns meet people."""

    PHONE = "phone"
    EMAIL = "e-mail"
    WEB = "web"
    FACE_TO_FACE = "face to face"
    LETTER = "letter"
    FAX = "fax"
    SMS = "SMS"
    CALL_CENTRE = "call centre"
    EVENT = "event"

    @classmethod
    def aliases(cls) -> Mapping[str, str]:
        """Everyday spellings: ``email``, ``telephone``, ``call center``, ``text``,
        ``post``, ``trade fair``."""
        return {
            "email": "e-mail",
            "mail": "e-mail",
            "telephone": "phone",
            "call": "phone",
            "call center": "call centre",
            "contact centre": "call centre",
            "contact center": "call centre",
            "text": "SMS",
            "text message": "SMS",
            "post": "letter",
            "in person": "face to face",
            "website": "web",
            "trade fair": "event",
            "seminar": "event",
        }


class Direction(Choice):
    """Who started an interaction."""

    INBOUND = "in"
    OUTBOUND = "out"
