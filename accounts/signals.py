from django.dispatch import Signal

# Sent inside the transaction that erased a person (accounts.services.user_erase), with `user`:
# apps holding copies of the person's name anonymise them too.
user_erased = Signal()
