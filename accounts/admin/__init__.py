"""The admin of accounts: users (with the learner files' import and export) and unit roles."""

from . import roles, users  # noqa: F401  registers the model admins
