"""Where a module, lesson, question or choice stands: under the parent it was created in, which
it never leaves, at the position the author typed, or at the end when that was left at 0."""

from django.utils.translation import gettext as _

from ..services import authoring


class PositionHelpMixin:
    """Inline rows are ordered by an explicit position the author types."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "position":
            kwargs["help_text"] = _("Order within the list; leave 0 to add at the end.")
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class KeptInParentMixin:
    """The row's parent (`parent_field`) is chosen once, when it is added; a row saved at
    position 0 goes to the end of its parent."""

    parent_field: str

    def get_readonly_fields(self, request, obj=None):
        return [self.parent_field] if obj else []

    def save_model(self, request, obj, form, change):
        if not obj.position:
            parent = getattr(obj, self.parent_field)
            siblings = self.model.objects.filter(**{self.parent_field: parent})
            obj.position = authoring.next_position(siblings)
        super().save_model(request, obj, form, change)


def place_new_rows(formset, parent_filter: dict) -> None:
    """New rows left at position 0 go to the end of their parent, in the order typed."""
    position = authoring.next_position(formset.model.objects.filter(**parent_filter))
    for form in formset.forms:
        instance = form.instance
        if instance.pk is None and form.has_changed() and not instance.position:
            instance.position = position
            position += 1
