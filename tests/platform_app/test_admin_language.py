"""The admin speaks one language at a time: Vietnamese (the default, with no language cookie),
or English when the visitor chose it.

The admin is walked as a superuser and as a content administrator: the index, every section's
page and, for every model the index lists, its list, add page (where permitted), the change,
history and delete pages of an existing object, the "delete selected" confirmation, and the
model admin's own pages (imports). Pages are found from the admin site's registry, never by
importing an admin module. On every page, the text and the labels a screen reader reads out
must contain:

- no English phrase of Django's admin, django-celery-beat or allauth (PHRASES below, taken
  from what the English pages actually show);
- no English label of a registered model: section, model, field, help text, choice, column,
  filter, fieldset and action names, read from the registry in English;
- nothing Django stores in English in the database (permission names, many-to-many links).

The JavaScript widgets (selector boxes, calendar, clock, actions) take their strings from
/admin/jsi18n/: that catalogue must be Vietnamese for every string the admin's scripts use.
The section names of the index are unique in both languages. With English chosen, the index
shows the English section names, and no page shows a Vietnamese text of our catalogues.

The Vietnamese comes from locale/vi/LC_MESSAGES/django.mo, compiled from django.po,
locale_src/allauth.vi.po and locale_src/admin.vi.po (see `make messages`), and djangojs.mo.
"""

import pytest
from django.contrib import admin

from tests.platform_app.admin_text import english_found, english_labels, found_report
from tests.platform_app.admin_walk import ROLES

# What Django's admin, its auth and form machinery, django-celery-beat and allauth show in
# English when their Vietnamese is missing (seen on the English pages of this admin).
PHRASES = [
    # Every page: header, sidebar, breadcrumbs, theme switch.
    "Skip to main content",
    "Toggle navigation",
    "Sidebar",
    "Filter navigation items",
    "Start typing to filter",
    "Breadcrumbs",
    "Toggle theme",
    "current theme",
    "View site",
    "Log out",
    "Change password",
    "Welcome,",
    # Index and section pages.
    "Site administration",
    "administration",
    "Models in the",
    "Model name",
    "Add link",
    "Change or view list link",
    "Recent actions",
    "My actions",
    "None available",
    "Added:",
    "Changed:",
    "Deleted:",
    # Lists: search, filters, actions, selection.
    "Search",
    "Filter",
    "Show counts",
    "Hide counts",
    "Clear all filters",
    "Show all",
    "Any date",
    "Past 7 days",
    "This month",
    "This year",
    "No date",
    "Has date",
    "Not empty",
    "Action:",
    "Go",
    "Run the selected action",
    "Select all",
    "Clear selection",
    "selected",
    "Select this object for an action",
    "Select all objects on this page for an action",
    "Click here to select the objects across all pages",
    "Delete selected",
    "result",
    "results",
    "total",
    "Toggle sorting",
    "Sorting priority",
    "Remove from sorting",
    # Forms, inlines, related-object widgets, history.
    "Add another",
    "Save",
    "Save and continue editing",
    "Save and add another",
    "Save and view",
    "Save as new",
    "Close",
    "Delete",
    "Delete?",
    "History",
    "Change history",
    "View on site",
    "Date/time",
    "Currently:",
    "Change:",
    "Clear",
    "Date:",
    "Time:",
    "Now",
    "Today",
    "View selected",
    "Change selected",
    "Delete selected",
    "Lookup",
    "Please correct the error below",
    "Please correct the errors below",
    "This field is required",
    "Hold down",
    "on a Mac",
    "This object doesn’t have a change history",
    # Delete confirmations.
    "Are you sure",
    "Yes, I’m sure",
    "No, take me back",
    "Delete multiple objects",
    "Summary",
    "Objects",
    "would require deleting",
    # Accounts: password pages of the user admin.
    "After you’ve created a user",
    "Raw passwords are not stored",
    "Reset password",
    "Set password",
    "Password-based authentication",
    "password-based authentication",
    "Enabled",
    "Disabled",
    "Whether the user will be able to authenticate",
    "Enter a new password for the user",
    "Password confirmation",
    "Enter the same password as before",
    "Your password can’t be",
    "algorithm",
    "iterations",
    "Error:",
    "Permissions",
    "Important dates",
    "Available",
    "Chosen",
    # django-celery-beat.
    "Periodic Tasks",
    "Periodic tasks",
    "periodic task",
    "Periodic Tasks Using This Schedule",
    "Intervals",
    "Crontabs",
    "Solar events",
    "Clocked",
    "Solar Event",
    "Clock Time",
    "Task (registered)",
    "Task (custom)",
    "Schedule",
    "Arguments",
    "Positional Arguments",
    "Keyword Arguments",
    "Execution Options",
    "Enable selected tasks",
    "Disable selected tasks",
    "Toggle activity of selected tasks",
    "Run selected tasks",
    "Started at",
    "Start Datetime",
    "Last Run Datetime",
    "Expires Datetime",
    "One-off Task",
    "Queue Override",
    "Routing Key",
    "Exchange",
    "Priority",
    "AMQP Message Headers",
    "Short Description For This Task",
    "Detailed description",
    "Number of Periods",
    "Interval Period",
    "Days",
    "Hours",
    "Minutes",
    "Seconds",
    "Microseconds",
    "every",
    "Sunrise",
    "Sunset",
    "Solar noon",
    "dawn",
    "dusk",
    "Latitude",
    "Longitude",
    "Minute(s)",
    "Hour(s)",
    "Day(s) Of The Month",
    "Month(s) Of The Year",
    "Day(s) Of The Week",
    "Cron Timezone",
    "Run the task",
    "JSON encoded",
    "Datetime",
    # allauth: account and two-step verification.
    "email address",
    "email addresses",
    "Mark selected email addresses as verified",
    "verified",
    "primary",
    "Recovery codes",
]

# Kept in the database or built when the models load, in English whatever the language:
# permission names, the links of many-to-many fields and the text of an object without a
# name (Django), schedule descriptions (django-celery-beat), the role groups (setup_roles).
STORED_IN_ENGLISH = [
    "Can add",
    "Can change",
    "Can delete",
    "Can view",
    "relationship",
    "relationships",
    "object (",
    "Every minute",
    "At 02:15",  # the description of admin_world's crontab (15 2 * * *)
    "Content administrators",
    "Officials",
]
# The tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_show_no_english_of_django_or_third_party_apps(walks, role):
    walk = walks(role)
    if role == "superuser":
        assert walk.models == set(admin.site._registry)  # every registered model was walked
    assert len(walk.pages) > 20
    found = english_found(walk.pages, PHRASES)
    assert not found, found_report(found, walk.pages)


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_show_no_english_label_of_a_registered_model(walks, role):
    walk = walks(role)
    labels = english_labels()
    found = english_found(walk.pages, labels)
    models = ", ".join(sorted({labels[phrase] for phrase in found}))
    assert not found, f"{found_report(found, walk.pages)}\n(labels of {models})"


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_show_nothing_django_stores_in_english(walks, role):
    walk = walks(role)
    found = english_found(walk.pages, STORED_IN_ENGLISH)
    assert not found, found_report(found, walk.pages)
