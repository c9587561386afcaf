"""Contact channels and directions, shared by interactions, complaints and profiles."""

from crmcore.domain.fields import Choice


class Channel(Choice):
    """Contact channels the sources list (for interactions and complaints)."""

    PHONE = "phone"
    EMAIL = "e-mail"
    WEB = "web"
    FACE_TO_FACE = "face to face"
    LETTER = "letter"
    FAX = "fax"
    SMS = "SMS"
    CALL_CENTRE = "call centre"


class Direction(Choice):
    """Who started an interaction."""

    INBOUND = "in"
    OUTBOUND = "out"
