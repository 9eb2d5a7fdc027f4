"""What the accounts side announces to higher layers (thirdparty, api) without importing them."""

from django.dispatch import Signal

account_deleting = Signal()  # user=User, inside the deletion's transaction, before the account goes
