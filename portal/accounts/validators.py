"""Password rules after NIST SP 800-63B that Django lacks: no password containing who you are; a sane cap.

Django's UserAttributeSimilarityValidator compares the *whole* password with the username by similarity
ratio, so "maria.gonzalez-summer-2024" passes for user "maria.gonzalez". This one refuses any password that
contains the username or the e-mail address's local part (ignoring case, when that part has 4+ characters).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_PART = 4


def _parts(user) -> list[tuple[str, str]]:
    parts = []
    username = (getattr(user, "username", "") or "").strip()
    if username:
        parts.append(("your username", username))
    email = (getattr(user, "email", "") or "").strip()
    if "@" in email:
        parts.append((_("your e-mail address"), email.rsplit("@", 1)[0]))
    return [(label, value) for label, value in parts if len(value) >= MIN_PART]


class ContainsUserAttributeValidator:
    def validate(self, password, user=None):
        if user is None:
            return
        folded = password.casefold()
        for label, value in _parts(user):
            if value.casefold() in folded:
                raise ValidationError(
                    _(
                        "Your password contains %(part)s, which others may know. Choose a passphrase without it."
                    )
                    % {"part": label},
                    code="password_contains_user_attribute",
                )

    def get_help_text(self):
        return _("Your password must not contain your username or the name part of your e-mail address.")


class MaximumLengthValidator:
    """A generous cap (NIST asks for at least 64) so a megabyte "password" cannot tie up the hasher."""

    def __init__(self, max_length=1024):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                _("Your password has %(count)d characters; use at most %(max)d.")
                % {"count": len(password), "max": self.max_length},
                code="password_too_long",
            )

    def get_help_text(self):
        return _("Your password may be up to %(max)d characters long.") % {"max": self.max_length}
